// The questions the seed's dashboards answered, asked of rpt_turnstile.
//
//   top-stations  stations ranked by entries (or exits) over a date range
//   daily         entries and exits per day (optionally of one station)
//   hourly        the busiest (station, hour) pairs; hour = the hour a window's traffic is in
//
// A window [start, end) counts on the day and in the hour of its last instant, created_dt
// (the window end) - 1 microsecond: one ending at 00:00:00 on the day before, one ending at
// 09:00:00 in hour 8 (rpt_turnstile's dates). Dates are inclusive at both ends. Ties are
// broken by name, then hour, so the output is deterministic.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "lake/duckdb_util.h"

namespace lakestream::warehouse {

enum class ReportQuery { kTopStations, kDaily, kHourly };
enum class ReportFormat { kTable, kCsv, kJson };
enum class ReportMetric { kEntries, kExits };

// "top-stations" | "daily" | "hourly", "table" | "csv" | "json", "entries" | "exits".
Result<ReportQuery> ParseReportQuery(std::string_view name);
Result<ReportFormat> ParseReportFormat(std::string_view name);
Result<ReportMetric> ParseReportMetric(std::string_view name);

struct ReportOptions {
  ReportQuery query = ReportQuery::kTopStations;
  std::string from;     // "YYYY-MM-DD" or empty (no lower bound)
  std::string to;       // "YYYY-MM-DD" or empty (no upper bound), inclusive
  std::string station;  // exact station name (case-insensitive), or empty: all stations
  ReportMetric by = ReportMetric::kEntries;  // ranking of top-stations and hourly
  int limit = 10;                            // rows of top-stations and hourly; daily is never cut
};

// A report's result: column names, which columns are integers, and the values as text
// (integers in plain decimal digits).
struct ReportTable {
  std::vector<std::string> columns;
  std::vector<bool> numeric;
  std::vector<std::vector<std::string>> rows;
};

// InvalidArgument for a bad date, a from after to, or a limit < 1.
Status ValidateReportOptions(const ReportOptions& options);
// The SQL of a report (exposed for tests and --explain-like debugging).
Result<std::string> ReportSql(const ReportOptions& options);
Result<ReportTable> RunReport(lake::DuckDbConnection& conn, const ReportOptions& options);

// table: aligned columns for people (numbers right-aligned with thousands separators),
// "(no rows)" when empty. csv: a header and RFC 4180 rows. json: an array of objects,
// integers as JSON numbers. Every format ends with a newline.
std::string FormatReport(const ReportTable& table, ReportFormat format);

}  // namespace lakestream::warehouse
