// Each subcommand registers itself on the root CLI::App. main.cc calls them all.
#pragma once

#include <CLI/CLI.hpp>

namespace lakestream::app {

void AddBrokerCommand(CLI::App& root);   // cmd_broker.cc
void AddTopicsCommand(CLI::App& root);   // cmd_topics.cc
void AddProduceCommand(CLI::App& root);  // cmd_produce.cc
void AddProcessCommand(CLI::App& root);  // cmd_process.cc
void AddLoadCommand(CLI::App& root);     // cmd_load.cc
void AddReportCommand(CLI::App& root);   // cmd_report.cc

}  // namespace lakestream::app
