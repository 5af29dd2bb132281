// lakestream: Kafka -> event-time windows -> data lake -> DuckDB warehouse, in one binary.
#include <CLI/CLI.hpp>

#include "app/cli_util.h"
#include "app/commands.h"

int main(int argc, char** argv) {
  CLI::App root{
      "lakestream: a streaming data pipeline. Publishes NYC subway turnstile readings to Kafka,\n"
      "aggregates them in event-time windows exactly once, and lands them in a data lake."};
  root.name("lakestream");
  root.require_subcommand(1);
  root.set_version_flag("--version", "lakestream 0.1.0");
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
  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return root.exit(e);
  }
  return lakestream::app::ExitCode();
}
