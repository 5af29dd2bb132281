// Small pieces shared by the subcommands: exit codes, stop signals, the live
// progress line, number formatting, and Kafka client options.
#pragma once

#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "metrics/prometheus.h"

namespace lakestream::app {

// The process exit code, set by the subcommand that ran. Every command keeps one rule:
//   0  done;
//   1  the run failed: the broker, the disk or the data (retrying, or repairing the
//      named file, may help);
//   2  the request is wrong: an option, a config file or key, or a name (topic, file,
//      pipeline) that does not exist. Fix the command line; retrying the same fails again;
//   3, 4  `broker status`: no broker running; running but not answering;
//   130  `produce` or `load` stopped by Ctrl-C or SIGTERM (what was read is published or
//      loaded), or one of `produce`, `process`, `load` by a second one. (`process` checkpoints
//      and exits 0.) The other commands end at the first signal, by its default action.
int& ExitCode();
// 2 for a wrong request (invalid argument, not found), 1 for anything else.
int ExitCodeFor(const Status& status);
// Prints "lakestream: error: <message>" to stderr and sets the exit code (by default
// ExitCodeFor(status)).
void Fail(const Status& status);
void Fail(const Status& status, int code);

// An output file written at the end of a run (--stats-json, --bad-rows), checked before any
// work (InvalidArgument naming `option`: the folder does not exist, the path is a folder,
// no permission): a path found unwritable only at the end would fail a run whose work is
// done (and a retry does it again). Empty: nothing to check.
Status CheckWritableFile(const std::string& option, const std::string& path);
// --stats-json FILE of every command, written at the end; a failure is Fail(IoError).
void WriteStatsJson(const std::string& path, const std::string& json);

// Before parsing: the values of secret settings on the command line (`KEY=VALUE` with a
// secret KEY, after -X or not: a stray one is quoted by a usage error) are remembered
// (formats/properties.h RememberSecretValue), so no message shows them, a usage error
// included. So is the word after -X and a secret key without '=' (`-X sasl.password
// VALUE`): it is the secret. Returned: the word after a secret setting (`-X
// sasl.password=two words`, unquoted), or after a secret key elsewhere, which may be the
// rest of the secret or an ordinary argument (`topics create -X sasl.password=pw NAME`):
// only a usage error hides it.
std::vector<std::string> RememberSecretArgs(int argc, const char* const* argv);

// Ctrl-C / SIGTERM: the first sets StopRequested(); the second ends the process at once.
void InstallStopHandler();
bool StopRequested();

// "1,234,567"
std::string Thousands(uint64_t v);
std::string Thousands(int64_t v);

// A line on stderr rewritten in place, shown only on a terminal (not in pipes or CI).
// Messages printed through StderrConsole() (core/console.h) erase it first.
class ProgressLine {
 public:
  ProgressLine();
  ~ProgressLine();
  bool enabled() const { return enabled_; }
  // True at most every `period`: the caller then builds the text and calls Show.
  bool Due(std::chrono::milliseconds period = std::chrono::milliseconds(250));
  void Show(const std::string& text);
  void Clear();

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point last_{};
};

// Number checks for options. CLI11's PositiveNumber and NonNegativeNumber name their
// range in the error, as "0.000000 to 1797693134862315708...": these say what is wanted.
extern const CLI::Validator kPositive;  // "--rate: must be above 0, got '0'"
// A text option that must not be empty, where empty would mean the option not given.
extern const CLI::Validator kNotEmpty;  // "--from: must not be empty (leave the option out for no limit)"
// A whole-number option from `min` to `max` (at most its type's largest value), in decimal:
// "--limit: must be a whole number, 1 or more, got '0x10'". CLI11 reads integers as C's
// strtoll does with base 0 ("010" is 8, "0x10" is 16, "08" fails) and takes a value past its
// type's range for that range's end; this refuses anything but decimal digits and a value out
// of range, and drops leading zeros ("010" is 10). Add it with ->transform(): it rewrites
// the value.
CLI::Validator WholeNumber(uint64_t min, uint64_t max);

// --config FILE and -X key=value, as in every Kafka-facing subcommand.
struct KafkaOptions {
  std::string config_file;
  std::vector<std::string> overrides;
  void AddTo(CLI::App* cmd);
};

// --metrics-port / --metrics-bind of the long-running commands (`process`, `load --watch`).
struct MetricsOptions {
  int port = -1;  // -1: no metrics
  std::string bind = "127.0.0.1";
  // `figures`: what the page holds, for --help.
  void AddTo(CLI::App* cmd, const std::string& figures);
};

// The latest page of Prometheus metrics, served by a metrics::Server while the command runs.
class MetricsEndpoint {
 public:
  explicit MetricsEndpoint(MetricsOptions options) : options_(std::move(options)) {}
  // Starts serving `first_page` when --metrics-port was given, and says where on stderr.
  // The page is there before the server answers: a scrape as soon as the address is printed
  // never finds an empty page.
  Status Start(const std::function<std::string()>& first_page);
  // At most every 200 ms (and always with `force`): the page scrapes get from now on,
  // rendered by `render` only then.
  void Publish(const std::function<std::string()>& render, bool force = false);

 private:
  MetricsOptions options_;
  std::mutex mu_;
  std::string page_;
  std::chrono::steady_clock::time_point published_{};
  std::unique_ptr<metrics::Server> server_;  // declared last: stopped before the page goes
};

}  // namespace lakestream::app
