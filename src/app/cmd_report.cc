// `lakestream report`: the seed dashboards' questions, asked of the warehouse.
#include <cstdio>

#include <fmt/format.h>

#include "app/cli_util.h"
#include "app/commands.h"
#include "warehouse/report.h"
#include "warehouse/warehouse.h"

namespace lakestream::app {
namespace {

struct ReportArgs {
  std::string warehouse = "warehouse.duckdb";
  std::string query = "top-stations";
  std::string format = "table";
  std::string by = "entries";
  std::string from;
  std::string to;
  std::string station;
  int limit = 10;
};

void RunReport(const ReportArgs& a) {
  warehouse::ReportOptions o;
  auto query = warehouse::ParseReportQuery(a.query);
  if (!query.ok()) return Fail(query.status(), 2);
  auto format = warehouse::ParseReportFormat(a.format);
  if (!format.ok()) return Fail(format.status(), 2);
  auto by = warehouse::ParseReportMetric(a.by);
  if (!by.ok()) return Fail(by.status(), 2);
  o.query = *query;
  o.by = *by;
  o.from = a.from;
  o.to = a.to;
  o.station = a.station;
  o.limit = a.limit;
  if (Status st = warehouse::ValidateReportOptions(o); !st.ok()) return Fail(st, 2);

  auto w = warehouse::Warehouse::Open(a.warehouse, warehouse::Warehouse::Mode::kReadOnly);
  if (!w.ok()) return Fail(w.status());  // a missing or foreign file: 2; a lock: 1
  auto table = warehouse::RunReport((*w)->connection(), o);
  if (!table.ok()) return Fail(table.status());
  std::string text = warehouse::FormatReport(*table, *format);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

void AddReportCommand(CLI::App& root) {
  auto a = std::make_shared<ReportArgs>();
  CLI::App* cmd =
      root.add_subcommand("report", "Answer the dashboards' questions from the warehouse");
  cmd->add_option("--warehouse", a->warehouse,
                  "DuckDB warehouse file (what `lakestream load` writes)")
      ->capture_default_str();
  cmd->add_option(
         "--query", a->query,
         "top-stations: stations ranked by --by; daily: totals per day; hourly: the busiest "
         "(station, hour) pairs. A window counts on the day and in the hour its traffic is in: one "
         "ending at 00:00:00 on the day before, one ending at 09:00:00 in hour 8")
      ->capture_default_str()
      ->check(CLI::IsMember({"top-stations", "daily", "hourly"}));
  cmd->add_option("--from", a->from, "First date (YYYY-MM-DD, inclusive) of the windows counted")->check(kNotEmpty);
  cmd->add_option("--to", a->to, "Last date (YYYY-MM-DD, inclusive)")->check(kNotEmpty);
  cmd->add_option("--station", a->station, "Only this station (exact name, any case)")->check(kNotEmpty);
  cmd->add_option("--by", a->by, "Rank by entries or exits (top-stations, hourly)")
      ->capture_default_str()
      ->check(CLI::IsMember({"entries", "exits"}));
  cmd->add_option("--limit", a->limit, "Rows of top-stations and hourly")
      ->capture_default_str()
      ->transform(WholeNumber(1, INT32_MAX));
  cmd->add_option("--format", a->format,
                  "table (aligned, for people), csv or json (exact, for programs)")
      ->capture_default_str()
      ->check(CLI::IsMember({"table", "csv", "json"}));
  cmd->footer(
      "Examples:\n"
      "  lakestream report --warehouse warehouse.duckdb                       # top 10 stations by "
      "entries\n"
      "  lakestream report --query top-stations --by exits --from 2023-05-27 --to 2023-06-02 "
      "--limit 5\n"
      "  lakestream report --query daily --station '34 ST-PENN STA' --format csv\n"
      "  lakestream report --query hourly --limit 24 --format json\n"
      "Opens the warehouse read-only; it fails while a `lakestream load` is writing (DuckDB allows "
      "one\n"
      "writer process), which `load --watch` only does while it loads new files.");
  cmd->callback([a, cmd] {
    // daily is never cut nor ranked: a --limit or --by given with it would be ignored.
    for (const char* option : {"--limit", "--by"}) {
      if (a->query == "daily" && cmd->count(option) > 0) {
        return Fail(Status::InvalidArgument(fmt::format("{} is for --query top-stations and hourly; daily has a row a "
                                                        "day, in date order (narrow it with --from and --to)",
                                                        option)),
                    2);
      }
    }
    RunReport(*a);
  });
}

}  // namespace lakestream::app
