#include "warehouse/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/time.h"
#include "formats/csv.h"
#include "warehouse/warehouse.h"

namespace lakestream::warehouse {
namespace {

bool IsIsoDate(const std::string& text) {
  return ParseTimestamp(text + " 00:00:00").has_value() && text.size() == 10;
}

std::string WithThousands(const std::string& digits) {
  size_t start = !digits.empty() && digits[0] == '-' ? 1 : 0;
  std::string out = digits;
  for (int i = static_cast<int>(out.size()) - 3; i > static_cast<int>(start); i -= 3) {
    out.insert(static_cast<size_t>(i), ",");
  }
  return out;
}

std::string CsvField(const std::string& v) {
  std::string out;
  AppendCsvField(&out, v);
  return out;
}

bool IsIntegerType(duckdb_type t) {
  switch (t) {
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<ReportQuery> ParseReportQuery(std::string_view name) {
  if (name == "top-stations") return ReportQuery::kTopStations;
  if (name == "daily") return ReportQuery::kDaily;
  if (name == "hourly") return ReportQuery::kHourly;
  return Status::InvalidArgument("unknown report '" + std::string(name) +
                                 "': use top-stations, daily or hourly");
}

Result<ReportFormat> ParseReportFormat(std::string_view name) {
  if (name == "table") return ReportFormat::kTable;
  if (name == "csv") return ReportFormat::kCsv;
  if (name == "json") return ReportFormat::kJson;
  return Status::InvalidArgument("unknown format '" + std::string(name) +
                                 "': use table, csv or json");
}

Result<ReportMetric> ParseReportMetric(std::string_view name) {
  if (name == "entries") return ReportMetric::kEntries;
  if (name == "exits") return ReportMetric::kExits;
  return Status::InvalidArgument("unknown ranking '" + std::string(name) +
                                 "': use entries or exits");
}

Status ValidateReportOptions(const ReportOptions& o) {
  for (const auto& [flag, value] : {std::pair{"--from", &o.from}, std::pair{"--to", &o.to}}) {
    if (!value->empty() && !IsIsoDate(*value)) {
      return Status::InvalidArgument(
          fmt::format("{} must be a date YYYY-MM-DD, got '{}'", flag, *value));
    }
  }
  if (!o.from.empty() && !o.to.empty() && o.from > o.to) {
    return Status::InvalidArgument(fmt::format("--from {} is after --to {}", o.from, o.to));
  }
  if (o.limit < 1) return Status::InvalidArgument("--limit must be at least 1");
  return Status::Ok();
}

Result<std::string> ReportSql(const ReportOptions& o) {
  LS_RETURN_NOT_OK(ValidateReportOptions(o));
  std::vector<std::string> where;
  if (!o.from.empty()) where.push_back("full_date >= DATE " + lake::SqlStringLiteral(o.from));
  if (!o.to.empty()) where.push_back("full_date <= DATE " + lake::SqlStringLiteral(o.to));
  if (!o.station.empty())
    where.push_back("upper(station_name) = upper(" + lake::SqlStringLiteral(o.station) + ")");
  std::string filter =
      where.empty() ? "" : " WHERE " + fmt::format("{}", fmt::join(where, " AND "));
  const char* by = o.by == ReportMetric::kEntries ? "entries" : "exits";
  const char* sums = "CAST(sum(entries) AS BIGINT) AS entries, CAST(sum(exits) AS BIGINT) AS exits";
  switch (o.query) {
    case ReportQuery::kTopStations:
      return fmt::format(
          "SELECT station_name AS station, {} FROM rpt_turnstile{} GROUP BY station_name "
          "ORDER BY {} DESC, station LIMIT {}",
          sums, filter, by, o.limit);
    case ReportQuery::kDaily:
      return fmt::format(
          "SELECT CAST(full_date AS VARCHAR) AS date, day_of_week_name AS day, {} FROM "
          "rpt_turnstile{} "
          "GROUP BY full_date, day_of_week_name ORDER BY full_date",
          sums, filter);
    case ReportQuery::kHourly:
      return fmt::format(
          "SELECT station_name AS station, CAST(hour({}) AS INTEGER) AS hour, {} FROM "
          "rpt_turnstile{} "
          "GROUP BY station_name, hour ORDER BY {} DESC, station, hour LIMIT {}",
          kFactInstantSql, sums, filter, by, o.limit);
  }
  return Status::Internal("unknown report query");
}

Result<ReportTable> RunReport(lake::DuckDbConnection& conn, const ReportOptions& options) {
  LS_ASSIGN_OR_RETURN(std::string sql, ReportSql(options));
  LS_ASSIGN_OR_RETURN(lake::QueryTable t, conn.Query(sql));
  ReportTable out;
  out.columns = t.names;
  for (duckdb_type type : t.types) out.numeric.push_back(IsIntegerType(type));
  for (auto& row : t.rows) {
    auto& r = out.rows.emplace_back();
    for (auto& cell : row) r.push_back(cell.value_or(""));
  }
  if (out.rows.empty() && !options.station.empty()) {
    // No rows because no such station (a typo), or none in the dates asked: only the first
    // is an error.
    LS_ASSIGN_OR_RETURN(lake::QueryTable known,
                        conn.Query("SELECT count(*) FROM dim_station WHERE upper(station_name) = upper(" +
                                   lake::SqlStringLiteral(options.station) + ")"));
    if (!known.rows.empty() && known.rows[0][0].value_or("0") == "0") {
      return Status::NotFound("no station named '" + options.station +
                              "' in the warehouse (`lakestream report --limit 1000` lists them; any case matches)");
    }
  }
  return out;
}

std::string FormatReport(const ReportTable& t, ReportFormat format) {
  std::string out;
  const size_t cols = t.columns.size();
  switch (format) {
    case ReportFormat::kCsv: {
      for (size_t c = 0; c < cols; ++c) out += (c ? "," : "") + CsvField(t.columns[c]);
      out += "\n";
      for (const auto& r : t.rows) {
        for (size_t c = 0; c < cols; ++c) out += (c ? "," : "") + CsvField(r[c]);
        out += "\n";
      }
      return out;
    }
    case ReportFormat::kJson: {
      nlohmann::ordered_json rows = nlohmann::ordered_json::array();
      for (const auto& r : t.rows) {
        nlohmann::ordered_json o = nlohmann::ordered_json::object();
        for (size_t c = 0; c < cols; ++c) {
          if (t.numeric[c] && !r[c].empty()) {
            o[t.columns[c]] = std::stoll(r[c]);
          } else {
            o[t.columns[c]] = r[c];
          }
        }
        rows.push_back(std::move(o));
      }
      return rows.dump(2) + "\n";
    }
    case ReportFormat::kTable: {
      if (t.rows.empty()) return "(no rows)\n";
      // For people: control characters shown as escapes (a line end would break the
      // table), widths in characters (UTF-8 continuation bytes take no column).
      auto visible = [](const std::string& text) {
        std::string out;
        for (const char ch : text) {
          if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) {
            out += ch == '\n' ? "\\n" : ch == '\t' ? "\\t" : fmt::format("\\x{:02x}", static_cast<unsigned char>(ch));
          } else {
            out += ch;
          }
        }
        return out;
      };
      auto columns_of = [](const std::string& text) {
        size_t n = 0;
        for (const char ch : text) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
        return n;
      };
      std::vector<std::vector<std::string>> cells;
      for (const auto& r : t.rows) {
        auto& shown = cells.emplace_back();
        for (size_t c = 0; c < cols; ++c)
          shown.push_back(t.numeric[c] ? WithThousands(r[c]) : visible(r[c]));
      }
      std::vector<size_t> width(cols);
      for (size_t c = 0; c < cols; ++c) {
        width[c] = columns_of(t.columns[c]);
        for (const auto& r : cells) width[c] = std::max(width[c], columns_of(r[c]));
      }
      auto line = [&](const std::vector<std::string>& values) {
        std::string l;
        for (size_t c = 0; c < cols; ++c) {
          if (c) l += "  ";
          std::string pad(width[c] - columns_of(values[c]), ' ');
          l += t.numeric[c] ? pad + values[c] : values[c] + pad;
        }
        while (!l.empty() && l.back() == ' ') l.pop_back();
        return l + "\n";
      };
      out += line(t.columns);
      std::vector<std::string> rule;
      for (size_t c = 0; c < cols; ++c) rule.emplace_back(width[c], '-');
      out += line(rule);
      for (const auto& r : cells) out += line(r);
      return out;
    }
  }
  return out;
}

}  // namespace lakestream::warehouse
