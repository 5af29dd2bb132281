#include "app/cli_util.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "core/console.h"
#include "formats/properties.h"

namespace lakestream::app {
namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) {
  if (g_stop.exchange(true)) _exit(130);  // second signal: leave now
}

}  // namespace

int& ExitCode() {
  static int code = 0;
  return code;
}

int ExitCodeFor(const Status& status) {
  return status.code() == StatusCode::kInvalidArgument || status.code() == StatusCode::kNotFound ? 2 : 1;
}

void Fail(const Status& status) { Fail(status, ExitCodeFor(status)); }

void Fail(const Status& status, int code) {
  // A message may quote a librdkafka error, and that may quote a secret setting.
  StderrConsole().Printf("lakestream: error: %s\n", RedactSecrets(status.message()).c_str());
  ExitCode() = code;
}

Status CheckWritableFile(const std::string& option, const std::string& path) {
  if (path.empty()) return Status::Ok();
  // What opening `path` creates if nothing is there: the path itself, or the file a
  // dangling symbolic link names (the link stays).
  std::error_code ec;
  std::filesystem::path target = path;
  for (int hops = 0; hops < 40 && std::filesystem::is_symlink(std::filesystem::symlink_status(target, ec)); ++hops) {
    const std::filesystem::path next = std::filesystem::read_symlink(target, ec);
    if (ec) break;
    target = next.is_absolute() ? next : target.parent_path() / next;
  }
  const bool existed = std::filesystem::exists(std::filesystem::symlink_status(target, ec));
  {
    std::ofstream probe(path, std::ios::app);
    if (!probe) {
      return Status::InvalidArgument(fmt::format("cannot write {} file '{}': {}", option, path, std::strerror(errno)));
    }
  }
  // The probe leaves nothing behind: a run that fails later (a bad option, no broker) must
  // not leave an empty stats file for a scheduler to read as a result.
  if (!existed) std::filesystem::remove(target, ec);
  return Status::Ok();
}

void WriteStatsJson(const std::string& path, const std::string& json) {
  if (path.empty()) return;
  std::ofstream out(path);
  out << json << "\n";
  // Buffered: a full disk shows only when the file is closed.
  out.close();
  if (!out) Fail(Status::FromErrno(errno, "write --stats-json file", path));
}

std::vector<std::string> RememberSecretArgs(int argc, const char* const* argv) {
  std::vector<std::string> maybe;
  for (int i = 1; i < argc; ++i) {
    std::string_view setting = argv[i];
    if (setting == "-X") continue;  // its setting is the next word, looked at on its own
    // Any word, not only one after -X: `produce` takes `-X a=1 b=2`, but to `topics` (whose
    // -X takes one setting) and after --config, `b=2` is a stray argument that CLI11's
    // usage error quotes.
    const bool after_x = setting.starts_with("-X") || std::string_view(argv[i - 1]) == "-X";
    if (setting.starts_with("-X")) setting.remove_prefix(2);
    const size_t eq = setting.find('=');
    if (!IsSecretKey(setting.substr(0, eq))) continue;
    const bool next_is_word = i + 1 < argc && argv[i + 1][0] != '-';
    if (eq != std::string_view::npos) {
      RememberSecretValue(setting.substr(eq + 1));
      if (next_is_word) maybe.emplace_back(argv[i + 1]);
    } else if (next_is_word) {
      // `-X sasl.password VALUE`: the value came apart. A secret key elsewhere may be a
      // name (a topic `token-audit`): only a usage error hides the word after it.
      if (after_x) {
        RememberSecretValue(argv[i + 1]);
      } else {
        maybe.emplace_back(argv[i + 1]);
      }
    }
  }
  return maybe;
}

void InstallStopHandler() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool StopRequested() { return g_stop.load(std::memory_order_relaxed); }

namespace {

// A number check with a plain message; `ok` says whether the value is allowed.
CLI::Validator NumberCheck(const char* name, bool (*ok)(double), const char* wanted) {
  return CLI::Validator(
      [ok, wanted](std::string& text) -> std::string {
        double v = 0;
        const char* end = text.data() + text.size();
        auto [p, ec] = std::from_chars(text.data(), end, v);
        if (ec != std::errc() || p != end) return "expected a number, got '" + text + "'";
        if (!ok(v)) return std::string(wanted) + ", got '" + text + "'";
        return "";
      },
      name);
}

}  // namespace

const CLI::Validator kPositive = NumberCheck("POSITIVE", [](double v) { return v > 0; }, "must be above 0");
const CLI::Validator kNotEmpty(
    [](const std::string& text) -> std::string {
      return text.empty() ? "must not be empty (leave the option out for no limit)" : "";
    },
    "");

CLI::Validator WholeNumber(uint64_t min, uint64_t max) {
  const bool unbounded = max >= static_cast<uint64_t>(INT64_MAX);  // its type's limit: not worth showing
  return CLI::Validator(
      [min, max, unbounded](std::string& text) -> std::string {
        std::string_view digits = text;
        const bool negative = digits.starts_with('-');
        if (negative || digits.starts_with('+')) digits.remove_prefix(1);
        uint64_t v = 0;
        const char* end = digits.data() + digits.size();
        auto [p, ec] = std::from_chars(digits.data(), end, v);  // digits only: no sign, space or 0x
        const bool number = !digits.empty() && p == end && ec == std::errc();
        if (!number || (negative && v != 0) || v < min || v > max) {
          const std::string wanted =
              unbounded ? fmt::format(", {} or more", min) : fmt::format(" from {} to {}", min, max);
          return "must be a whole number" + wanted + ", got '" + text + "'";
        }
        text = std::to_string(v);
        return "";
      },
      unbounded ? fmt::format(">= {}", min) : fmt::format("in [{} - {}]", min, max));
}

std::string Thousands(uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

std::string Thousands(int64_t v) {
  if (v < 0) return "-" + Thousands(static_cast<uint64_t>(-v));
  return Thousands(static_cast<uint64_t>(v));
}

ProgressLine::ProgressLine() {
  const char* term = std::getenv("TERM");
  enabled_ = isatty(STDERR_FILENO) && std::getenv("CI") == nullptr &&
             !(term != nullptr && std::string(term) == "dumb");
}

ProgressLine::~ProgressLine() { Clear(); }

bool ProgressLine::Due(std::chrono::milliseconds period) {
  if (!enabled_) return false;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < period) return false;
  last_ = now;
  return true;
}

void ProgressLine::Show(const std::string& text) {
  if (!enabled_) return;
  StderrConsole().ShowProgress(text);
}

void ProgressLine::Clear() {
  if (enabled_) StderrConsole().ClearProgress();
}

void KafkaOptions::AddTo(CLI::App* cmd) {
  cmd->add_option("--config", config_file,
                  "Kafka client properties file (key=value lines, # comments; a Java client.properties "
                  "layout reads too: ':' separators, \\ continuations), e.g. bootstrap.servers, security.protocol, "
                  "sasl.* for Confluent Cloud")
      ->check(CLI::ExistingFile);
  cmd->add_option("-X", overrides, "Kafka client property key=value, overrides --config (repeatable)");
}

void MetricsOptions::AddTo(CLI::App* cmd, const std::string& figures) {
  cmd->add_option("--metrics-port", port,
                  "Serve Prometheus metrics (" + figures +
                      ") at http://<bind>:PORT/metrics while it runs; 0 picks a free port (printed at start)")
      ->transform(WholeNumber(0, 65535));
  cmd->add_option("--metrics-bind", bind, "Address the metrics server listens on (0.0.0.0: every interface)")
      ->capture_default_str();
}

Status MetricsEndpoint::Start(const std::function<std::string()>& first_page) {
  if (options_.port < 0) return Status::Ok();
  page_ = first_page();
  published_ = std::chrono::steady_clock::now();
  LS_ASSIGN_OR_RETURN(server_, metrics::Server::Start(options_.bind, options_.port, [this] {
                        std::lock_guard<std::mutex> lock(mu_);
                        return page_;
                      }));
  StderrConsole().Printf("metrics at http://%s:%d/metrics\n", server_->address().c_str(), server_->port());
  return Status::Ok();
}

void MetricsEndpoint::Publish(const std::function<std::string()>& render, bool force) {
  if (!server_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - published_ < std::chrono::milliseconds(200)) return;
  published_ = now;
  std::string page = render();
  std::lock_guard<std::mutex> lock(mu_);
  page_ = std::move(page);
}

}  // namespace lakestream::app
