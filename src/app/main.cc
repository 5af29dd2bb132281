// lakestream: Kafka -> event-time windows -> data lake -> DuckDB warehouse, in one binary.
#include <CLI/CLI.hpp>
#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>

#include "app/cli_util.h"
#include "app/commands.h"
#include "formats/properties.h"
#include "kafka/client_config.h"
#include "lake/duckdb_api.h"

// jemalloc's options when it is linked in (CMakeLists.txt; ignored otherwise; MALLOC_CONF
// in the environment overrides them):
// - narenas:2: two arenas for the two busy threads (the reader and the committer) instead
//   of 4 per core, which keeps peak memory lower at the same speed.
// - no transparent huge pages (jemalloc's default, `thp:default`): with `thp:always`, which
//   sessions 11-14 used for `produce` (23,000 faults -> 2,300 on the real week), `produce`
//   is now no faster (0.310 against 0.305 s median, 10 interleaved rounds) and `process`
//   was ~5% slower (2.85 against 3.00 s median wall, 10 rounds) with ~17 MB more peak RSS:
//   a huge page is zeroed whole at its first touch (bench/README.md, session 15).
extern "C" {
const char* malloc_conf = "narenas:2";
}

namespace {

// A mistyped command word (`lakestream procss`, `topics creat`): CLI11 keeps it as an extra
// argument and says only "A subcommand is required", as if none had been typed. This names
// the word and the commands there are; empty when no word was typed where a command goes.
std::string UnknownCommandMessage(const CLI::App& root) {
  const CLI::App* app = &root;
  std::string path = root.get_name();
  while (!app->get_subcommands().empty()) {
    app = app->get_subcommands().front();
    path += " " + app->get_name();
  }
  if (app->get_require_subcommand_min() == 0) return "";
  const std::vector<std::string> rest = app->remaining();
  if (rest.empty() || rest.front().rfind('-', 0) == 0) return "";  // an option: CLI11's message
  std::string commands;
  for (const CLI::App* sub : app->get_subcommands({})) {
    commands += (commands.empty() ? "" : ", ") + sub->get_name();
  }
  return "lakestream: error: unknown command '" + rest.front() + "' for `" + path +
         "`; the commands are " + commands + " (see `" + path + " --help`)\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App root{
      "lakestream: a streaming data pipeline. Publishes NYC subway turnstile readings to Kafka,\n"
      "aggregates them in event-time windows exactly once, and lands them in a data lake."};
  root.name("lakestream");
  root.require_subcommand(1);
  // A function: DuckDB is loaded only when --version asks for its version.
  root.set_version_flag("--version", std::function<std::string()>([] {
    auto duck = lakestream::lake::LoadDuckDb();
    return std::string("lakestream 0.1.0 (librdkafka ") + rd_kafka_version_str() + ", DuckDB " +
           (duck.ok() ? (*duck)->duckdb_library_version() : "not found: " + duck.status().ToString()) + ")";
  }));
  root.footer(
      "Start here:\n"
      "  lakestream broker start                         # a local Kafka on 127.0.0.1:9092\n"
      "  lakestream topics create mta-turnstile --partitions 4\n"
      "  lakestream produce --source data/mta/turnstile_230603.csv.gz\n"
      "Run `lakestream <command> --help` for each command's options and examples.");
  lakestream::app::AddBrokerCommand(root);
  lakestream::app::AddTopicsCommand(root);
  lakestream::app::AddProduceCommand(root);
  lakestream::app::AddProcessCommand(root);
  lakestream::app::AddLoadCommand(root);
  lakestream::app::AddReportCommand(root);
  const std::vector<std::string> maybe_secret = lakestream::app::RememberSecretArgs(argc, argv);
  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Prints the message (or the help); a usage error exits 2, as the commands' own
    // argument and config errors do (CLI11's codes are 105, 106, ...). The message may
    // quote an argument, and that may be a secret.
    std::ostringstream err;
    int code = 2;
    if (std::string unknown = e.get_name() == "RequiredError" ? UnknownCommandMessage(root) : "";
        !unknown.empty()) {
      err << unknown;
    } else {
      code = root.exit(e, std::cout, err);
    }
    std::fputs(lakestream::RedactSecrets(err.str(), maybe_secret).c_str(), stderr);
    return code == 0 ? 0 : 2;
  }
  const int code = lakestream::app::ExitCode();
  if (lakestream::kafka::HandlesLeftBehind() > 0) {
    // A consumer's handle still terminates on its own thread (a stop with no broker): exit
    // handlers and static destructors must not run under it.
    std::fflush(nullptr);
    std::_Exit(code);
  }
  return code;
}
