// stderr, shared by a command's progress line (one line rewritten in place on a terminal:
// app's ProgressLine) and its messages (warnings, errors, librdkafka's log), from any
// thread. A message written while the progress line is on screen would continue it
// ("... files 3lakestream: warning: ..."): the console erases the line first, and the next
// progress update draws it again below the message.
#pragma once

#include <cstdio>
#include <mutex>
#include <string_view>

namespace lakestream {

class Console {
 public:
  explicit Console(std::FILE* out) : out_(out) {}
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  // Draws `text` as the progress line (no line feed), replacing the one on screen.
  void ShowProgress(std::string_view text);
  // Erases the progress line, if one is on screen.
  void ClearProgress();
  // Writes `text` (whole lines, each ending in '\n') on lines of their own.
  void Write(std::string_view text);
  void Printf(const char* format, ...) __attribute__((format(printf, 2, 3)));

 private:
  void ClearLocked();
  std::mutex mu_;
  std::FILE* out_;
  bool shown_ = false;  // a progress line is on screen
};

// The process's stderr: every message a command prints there goes through it.
Console& StderrConsole();

}  // namespace lakestream
