#include "core/console.h"

#include <cstdarg>

namespace lakestream {

void Console::ShowProgress(std::string_view text) {
  std::lock_guard<std::mutex> lock(mu_);
  std::fprintf(out_, "\r\033[K%.*s", static_cast<int>(text.size()), text.data());
  std::fflush(out_);
  shown_ = true;
}

void Console::ClearProgress() {
  std::lock_guard<std::mutex> lock(mu_);
  ClearLocked();
}

void Console::ClearLocked() {
  if (!shown_) return;
  std::fputs("\r\033[K", out_);
  std::fflush(out_);
  shown_ = false;
}

void Console::Write(std::string_view text) {
  std::lock_guard<std::mutex> lock(mu_);
  ClearLocked();
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

void Console::Printf(const char* format, ...) {
  std::lock_guard<std::mutex> lock(mu_);
  ClearLocked();
  va_list args;
  va_start(args, format);
  std::vfprintf(out_, format, args);
  va_end(args);
  std::fflush(out_);
}

Console& StderrConsole() {
  static auto* console = new Console(stderr);  // never destroyed: librdkafka threads may log at exit
  return *console;
}

}  // namespace lakestream
