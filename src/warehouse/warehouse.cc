#include "warehouse/warehouse.h"

#include <fmt/format.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>

#include "formats/csv.h"
#include "lake/fs_util.h"

namespace lakestream::warehouse {
namespace {

using lake::SqlStringLiteral;

// Schema version 3, with kViewSql. Changing any of this means a new kSchemaVersion and a
// migration (see kMigrate2To3Sql).
constexpr const char* kCreateSchemaSql = R"sql(
CREATE TABLE lakestream_meta(key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE dim_station(
  station_id VARCHAR PRIMARY KEY,
  station_name VARCHAR NOT NULL);
CREATE TABLE dim_booth(
  booth_id VARCHAR PRIMARY KEY,
  remote VARCHAR NOT NULL,
  booth_name VARCHAR NOT NULL,
  station_id VARCHAR NOT NULL,
  station_as_of TIMESTAMP);
CREATE TABLE dim_date(
  date_id INTEGER PRIMARY KEY,
  full_date DATE NOT NULL,
  year INTEGER NOT NULL,
  quarter INTEGER NOT NULL,
  month INTEGER NOT NULL,
  month_name VARCHAR NOT NULL,
  day INTEGER NOT NULL,
  day_of_week INTEGER NOT NULL,
  day_of_week_name VARCHAR NOT NULL,
  is_weekend BOOLEAN NOT NULL);
CREATE TABLE fact_turnstile(
  log_id VARCHAR PRIMARY KEY,
  station_id VARCHAR NOT NULL,
  booth_id VARCHAR NOT NULL,
  scp VARCHAR NOT NULL,
  line_name VARCHAR,
  division VARCHAR,
  created_dt TIMESTAMP NOT NULL,
  entries BIGINT NOT NULL,
  exits BIGINT NOT NULL);
CREATE TABLE load_manifest(
  file_path VARCHAR PRIMARY KEY,
  file_format VARCHAR NOT NULL,
  file_size BIGINT NOT NULL,
  file_mtime_ns BIGINT NOT NULL,
  checksum VARCHAR NOT NULL,
  row_count BIGINT NOT NULL,
  entries BIGINT NOT NULL,
  exits BIGINT NOT NULL,
  loaded_at TIMESTAMP NOT NULL);
)sql";

// The day of a fact is that of kFactInstantSql ({instant}).
constexpr const char* kViewSql = R"sql(
CREATE OR REPLACE VIEW rpt_turnstile AS
SELECT f.log_id, f.created_dt,
       d.date_id, d.full_date, d.year, d.quarter, d.month, d.month_name, d.day,
       d.day_of_week, d.day_of_week_name, d.is_weekend,
       f.station_id, s.station_name,
       f.booth_id, b.remote, b.booth_name,
       f.scp, f.line_name, f.division, f.entries, f.exits
FROM fact_turnstile f
LEFT JOIN dim_station s ON s.station_id = f.station_id
LEFT JOIN dim_booth b ON b.booth_id = f.booth_id
LEFT JOIN dim_date d ON d.full_date = CAST({instant} AS DATE);
)sql";

// The dim_date rows of the windows of table {table} (with a created_dt), dated as kViewSql does.
constexpr const char* kDimDateSql = R"sql(
INSERT INTO dim_date
SELECT CAST(strftime(d, '%Y%m%d') AS INTEGER), d, year(d), quarter(d), month(d), monthname(d),
       day(d), isodow(d), dayname(d), isodow(d) >= 6
FROM (SELECT DISTINCT CAST({instant} AS DATE) AS d FROM {table})
ON CONFLICT DO NOTHING;
)sql";

// Version 1 -> 2 (with kViewSql and kDimDateSql of fact_turnstile): version 1 dated a window
// by its end, so dim_date may hold a day that no window is on now.
constexpr const char* kMigrate1To2Sql = R"sql(
DELETE FROM dim_date WHERE full_date NOT IN
  (SELECT DISTINCT CAST({instant} AS DATE) FROM fact_turnstile);
UPDATE lakestream_meta SET value = '2' WHERE key = 'schema_version';
)sql";

// A booth's station ({latest} in kDimensionsSql and kMigrate2To3Sql): that of its latest
// window, the least station_id among the rows of that window end.
constexpr const char* kLatestStationSql =
    "first(station_id ORDER BY created_dt DESC, station_id) AS station_id, max(created_dt) AS station_as_of";

// Version 2 -> 3: version 2 kept the station of the first file loaded; the rule is now
// kLatestStationSql, taken here from the facts.
constexpr const char* kMigrate2To3Sql = R"sql(
ALTER TABLE dim_booth ADD COLUMN station_as_of TIMESTAMP;
UPDATE dim_booth SET station_id = l.station_id, station_as_of = l.station_as_of
FROM (SELECT booth_id, {latest} FROM fact_turnstile GROUP BY booth_id) l
WHERE dim_booth.booth_id = l.booth_id;
UPDATE lakestream_meta SET value = '3' WHERE key = 'schema_version';
)sql";

// The lake rows of a group of files, aggregated by log_id (several lake rows may share one:
// the same device and window end under two DESC values, or in two files). Key parts are
// escaped (`\` -> `\\`, `|` -> `\|`) before they are joined with `|`, so that no two
// devices share a key (for the MTA data, which has neither character, the key is the plain
// join). Attributes that could differ between rows of one key come from the first file
// of the group that has the key (files are in path order), and within it the least
// (non-NULL first): the rule of loading the files one at a time, in which the first file
// loaded sets them, so where group boundaries fall does not change the warehouse.
constexpr const char* kStageSql = R"sql(
CREATE OR REPLACE TEMP MACRO ls_key_part(s) AS replace(replace(s, '\', '\\'), '|', '\|');
CREATE OR REPLACE TEMP TABLE ls_stage AS
SELECT md5(concat_ws('|', ls_key_part(CA), ls_key_part(UNIT), ls_key_part(SCP),
                          strftime(created_dt, '%Y-%m-%d %H:%M:%S'))) AS log_id,
       md5(station) AS station_id,
       station AS station_name,
       md5(concat_ws('|', ls_key_part(UNIT), ls_key_part(CA))) AS booth_id,
       UNIT AS remote,
       CA AS booth_name,
       SCP AS scp,
       line_name,
       division,
       created_dt,
       entries,
       exits
FROM (
  SELECT CA, UNIT, SCP, created_dt,
         arg_min(STATION, (ls_file, STATION)) AS station,
         arg_min(LINENAME, (ls_file, LINENAME IS NULL, LINENAME)) AS line_name,
         arg_min(DIVISION, (ls_file, DIVISION IS NULL, DIVISION)) AS division,
         CAST(sum(ENTRIES) AS BIGINT) AS entries,
         CAST(sum(EXITS) AS BIGINT) AS exits
  FROM ls_raw
  GROUP BY CA, UNIT, SCP, created_dt);
)sql";

constexpr const char* kDimensionsSql = R"sql(
INSERT INTO dim_station
SELECT md5(STATION), STATION FROM (SELECT DISTINCT STATION FROM ls_raw)
ON CONFLICT DO NOTHING;
INSERT INTO dim_booth
SELECT booth_id, min(remote), min(booth_name), {latest}
FROM ls_stage GROUP BY booth_id
ON CONFLICT DO UPDATE SET station_id = excluded.station_id, station_as_of = excluded.station_as_of
WHERE excluded.station_as_of > dim_booth.station_as_of
   OR (excluded.station_as_of = dim_booth.station_as_of AND excluded.station_id < dim_booth.station_id);
)sql";

// Partial aggregates of one log_id from several files add up: each file holds the
// increments of the records one partition (or one commit) saw.
constexpr const char* kFactsSql = R"sql(
INSERT INTO fact_turnstile
SELECT log_id, station_id, booth_id, scp, line_name, division, created_dt, entries, exits
FROM ls_stage
ON CONFLICT (log_id) DO UPDATE SET
  entries = fact_turnstile.entries + excluded.entries,
  exits = fact_turnstile.exits + excluded.exits;
)sql";

// `sql` with the warehouse's rules in place: kFactInstantSql for {instant}, kLatestStationSql
// for {latest} (and `table` for {table}).
std::string WithRules(const char* sql, std::string_view table = "") {
  return fmt::format(fmt::runtime(sql), fmt::arg("instant", kFactInstantSql), fmt::arg("latest", kLatestStationSql),
                     fmt::arg("table", table));
}

// Open's words for a file another process holds (HeldElsewhere finds them).
constexpr std::string_view kHeldElsewhere = "is open in another process";

// The turnstile lake's columns after the row index (which has no name), in file order:
// kLakeColumns's.
constexpr std::string_view kLakeColumnNames[] = {"CA",   "UNIT", "SCP",  "STATION", "LINENAME", "DIVISION",
                                                 "DATE", "TIME", "DESC", "ENTRIES", "EXITS"};
constexpr size_t kLakeColumnCount = 1 + std::size(kLakeColumnNames);

// Column names as DuckDB, Spark and Parquet readers match them: in any case.
bool SameColumnName(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}
constexpr const char* kLakeColumns =
    "{'index': 'BIGINT', 'CA': 'VARCHAR', 'UNIT': 'VARCHAR', 'SCP': 'VARCHAR', "
    "'STATION': 'VARCHAR', 'LINENAME': 'VARCHAR', 'DIVISION': 'VARCHAR', 'DATE': 'VARCHAR', "
    "'TIME': 'VARCHAR', 'DESC': 'VARCHAR', 'ENTRIES': 'BIGINT', 'EXITS': 'BIGINT'}";

std::string UtcNow() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

int64_t ToInt(const std::optional<std::string>& cell) { return cell ? std::stoll(*cell) : 0; }

// DuckDB expands '*', '?' and '[' in file paths as globs: such a path could read other files.
bool HasGlobCharacter(const std::string& path) {
  return path.find_first_of("*?[") != std::string::npos;
}

// The CSV files are read by position (see LakeFilesSelectSql), so a file of another table
// must be caught by its column count before DuckDB's error, which names neither the table
// nor the cause.
Status CheckLakeHeader(const std::string& relative_path, const std::string& header) {
  if (header.empty()) {
    // Not another table's file: every file the lake's writer makes starts with its header.
    return Status::InvalidArgument(fmt::format(
        "lake file '{}' has no header line (it holds no text, or its first line is empty), which the lake's writer "
        "always writes: it was damaged after it was committed, and it was not loaded. Restore it, or remove it and "
        "reprocess its partition",
        relative_path));
  }
  std::vector<std::string_view> fields;
  std::string scratch;
  // By name too, in any case (as Parquet's columns are matched): twelve columns in another
  // order would each load into another column.
  if (SplitCsvLine(header, &fields, &scratch) && fields.size() == kLakeColumnCount &&
      std::equal(std::begin(kLakeColumnNames), std::end(kLakeColumnNames), fields.begin() + 1, SameColumnName)) {
    return Status::Ok();
  }
  std::string shown = header.substr(0, 200) + (header.size() > 200 ? " ..." : "");
  return Status::InvalidArgument(fmt::format(
      "lake file '{}' has the header '{}' ({} columns), not the {} columns of turnstile windows "
      "(index,{}) in that order (a CSV lake file is read by position), that the "
      "warehouse's star schema is built from: --table must name a table of a turnstile pipeline "
      "(pipelines/mta-turnstile.yaml). Query other tables straight from the lake, e.g. in DuckDB "
      "SELECT * FROM read_csv('LAKE/TABLE/*/*.csv.gz', hive_partitioning=false)",
      relative_path, shown, fields.size(), kLakeColumnCount, fmt::join(kLakeColumnNames, ",")));
}

// The Parquet files are read by column name: a file without one of the names that
// LakeFilesSelectSql reads (another pipeline's) is caught here, by name, before DuckDB's
// binder error, which names neither the file nor the cause.
Status CheckParquetColumns(lake::DuckDbConnection& conn, const LakeFile& file) {
  const std::string path = lake::SqlStringLiteral(std::filesystem::absolute(file.path).string());
  auto schema = conn.Query("SELECT name FROM parquet_schema(" + path + ")");
  if (!schema.ok()) {
    return Status::InvalidArgument(fmt::format(
        "lake file '{}' is not a readable Parquet file, so it was not loaded ({}). Lake files are written "
        "whole and never change: restore it, or remove it and reprocess its partition",
        file.relative_path, schema.status().message()));
  }
  std::vector<std::string> names;  // the first row is the schema's root, not a column
  for (size_t i = 1; i < schema->rows.size(); ++i) names.push_back(schema->rows[i][0].value_or(""));
  auto has = [&](std::string_view want) {
    return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return SameColumnName(n, want); });
  };
  std::string missing;
  for (std::string_view c : {"CA", "UNIT", "SCP", "STATION", "LINENAME", "DIVISION", "DATE", "TIME", "ENTRIES",
                             "EXITS"}) {
    if (!has(c)) missing += (missing.empty() ? "" : ",") + std::string(c);
  }
  if (missing.empty()) return Status::Ok();
  std::string shown;
  for (const std::string& n : names) shown += (shown.empty() ? "" : ",") + n;
  if (shown.size() > 200) shown = shown.substr(0, 200) + " ...";
  return Status::InvalidArgument(fmt::format(
      "lake file '{}' has the columns '{}', without {} of the turnstile windows that the warehouse's star "
      "schema is built from: --table must name a table of a turnstile pipeline (pipelines/mta-turnstile.yaml). "
      "Query other tables straight from the lake, e.g. in DuckDB SELECT * FROM "
      "read_parquet('LAKE/TABLE/*/*.parquet', hive_partitioning=false)",
      file.relative_path, shown, missing));
}

}  // namespace

std::string LakeFilesSelectSql(std::span<const LakeFile> files) {
  // One scan per format over all of its files (DuckDB reads them in parallel; a scan per
  // file, UNION ALL'ed, took twice as long), each row tagged with its file's path, which
  // a join turns into the file's place in `files`.
  // hive_partitioning = false: the "date=..." folder would otherwise add a column `date`
  // that (case-insensitively) replaces the file's own DATE column.
  std::string out;
  for (const LakeFileFormat format : {LakeFileFormat::kCsvGz, LakeFileFormat::kParquet}) {
    std::string paths, places;
    for (size_t k = 0; k < files.size(); ++k) {
      if (files[k].format != format) continue;
      // Absolute: DuckDB would read a leading '~' as the home folder, another file than
      // the one listed (and its rows would then match no file below).
      const std::string path = SqlStringLiteral(std::filesystem::absolute(files[k].path).string());
      paths += (paths.empty() ? "" : ", ") + path;
      places += fmt::format("{}({}, {})", places.empty() ? "" : ", ", path, k);
    }
    if (paths.empty()) continue;
    std::string source;
    if (format == LakeFileFormat::kCsvGz) {
      // By position, as the seed's warehouse reads it: the header row is skipped, not matched.
      source = fmt::format(
          "read_csv([{}], header = true, auto_detect = false, hive_partitioning = false, "
          "compression = 'gzip', delim = ',', quote = '\"', escape = '\"', columns = {}, "
          "filename = 'ls_path')",
          paths, kLakeColumns);
    } else {
      source = fmt::format("read_parquet([{}], hive_partitioning = false, filename = 'ls_path')", paths);
    }
    if (!out.empty()) out += " UNION ALL ";
    out += fmt::format(
        // An empty key part reads as NULL from CSV: it is '' (as the engine wrote it, and as
        // Parquet keeps it), so a row with an empty STATION is data, not a damaged row. (Not
        // DuckDB's force_not_null: with this header's unnamed first column it picked the
        // column after the one named.) LINENAME and DIVISION stay NULL when empty, as before.
        "SELECT f.ls_file, coalesce(CAST(\"CA\" AS VARCHAR), '') AS CA, "
        "coalesce(CAST(\"UNIT\" AS VARCHAR), '') AS UNIT, coalesce(CAST(\"SCP\" AS VARCHAR), '') AS SCP, "
        "coalesce(CAST(\"STATION\" AS VARCHAR), '') AS STATION, "
        "CAST(\"LINENAME\" AS VARCHAR) AS LINENAME, CAST(\"DIVISION\" AS VARCHAR) AS DIVISION, "
        "try_strptime(CAST(\"DATE\" AS VARCHAR) || ' ' || CAST(\"TIME\" AS VARCHAR), '%m/%d/%Y "
        "%H:%M:%S') "
        "AS created_dt, CAST(\"ENTRIES\" AS BIGINT) AS ENTRIES, CAST(\"EXITS\" AS BIGINT) AS EXITS "
        "FROM {} r LEFT JOIN (VALUES {}) f(ls_path, ls_file) ON f.ls_path = r.ls_path",
        source, places);
  }
  return out;
}

Result<std::unique_ptr<Warehouse>> Warehouse::Open(const std::string& path, Mode mode) {
  if (path.empty()) return Status::InvalidArgument("the warehouse path is empty");
  // What to give instead: `load` creates the file, `report` reads the one `load` wrote.
  const std::string give = mode == Mode::kReadOnly
                               ? "give the DuckDB file `lakestream load` writes"
                               : "give a DuckDB file (such as warehouse.duckdb, created if missing)";
  // DuckDB would take a URL (s3://, http://, md:) as a remote database and fetch the
  // extension that reads it from the network.
  if (path.find("://") != std::string::npos || path.starts_with("md:") || path.starts_with("motherduck:")) {
    return Status::InvalidArgument("warehouse '" + path + "' is a URL: the warehouse is a local file; " + give);
  }
  if (std::error_code ec; std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument("warehouse '" + path + "' is a folder: " + give);
  }
  if (mode == Mode::kReadOnly && !lake::PathExists(path)) {
    return Status::NotFound("warehouse '" + path +
                            "' does not exist: run `lakestream load --warehouse " + path +
                            "` first");
  }
  // DuckDB creates the file, not its folder (its error would be a bare "No such file").
  if (const auto folder = std::filesystem::path(path).parent_path(); mode == Mode::kReadWrite && !folder.empty()) {
    std::error_code ec;
    const auto st = std::filesystem::status(folder, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return Status::InvalidArgument("warehouse '" + path + "': cannot reach the folder '" + folder.string() +
                                     "': " + ec.message());
    }
    if (!std::filesystem::is_directory(st)) {
      return Status::InvalidArgument("warehouse '" + path + "': the folder '" + folder.string() +
                                     (std::filesystem::exists(st) ? "' is not a folder"
                                                                  : "' does not exist: create it first"));
    }
  }
  std::vector<std::pair<std::string, std::string>> settings;
  if (mode == Mode::kReadOnly) settings.emplace_back("access_mode", "READ_ONLY");
  auto conn = lake::DuckDbConnection::Open(path, settings);
  if (!conn.ok()) {
    const std::string& m = conn.status().message();
    // DuckDB's words for a file another process holds (not "lock" anywhere: the path is in
    // the message too).
    if (m.find("Could not set lock") != std::string::npos || m.find("Conflicting lock") != std::string::npos) {
      return Status::Unavailable(
          "warehouse '" + path + "' " + std::string(kHeldElsewhere) +
          " (a `lakestream load`, or a DuckDB session; a write blocks "
          "every other process, a read blocks writers): retry when it has finished. (" +
          m + ")");
    }
    // Another kind of file under that name: the command line is what is wrong (exit 2).
    if (conn.status().code() == StatusCode::kInvalidArgument) {
      return Status::InvalidArgument(m + " (" + give + (mode == Mode::kReadWrite ? ", or a new name)" : ")"));
    }
    return conn.status();
  }
  std::unique_ptr<Warehouse> w(new Warehouse());
  w->path_ = path;
  w->conn_ = std::move(*conn);
  LS_RETURN_NOT_OK(w->CreateOrCheckSchema(mode));
  return w;
}

bool Warehouse::HeldElsewhere(const Status& status) {
  return status.code() == StatusCode::kUnavailable && status.message().find(kHeldElsewhere) != std::string::npos;
}

Status Warehouse::CreateOrCheckSchema(Mode mode) {
  LS_ASSIGN_OR_RETURN(
      lake::QueryTable t,
      conn_->Query("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                   "AND schema_name = 'main' AND table_name = 'lakestream_meta'"));
  if (t.rows.at(0).at(0) == "0") {
    if (mode == Mode::kReadOnly) {
      return Status::InvalidArgument(
          "'" + path_ +
          "' is not a lakestream warehouse (no lakestream_meta table): "
          "give --warehouse the file `lakestream load` writes");
    }
    LS_RETURN_NOT_OK(conn_->Execute("BEGIN TRANSACTION"));
    Status st = conn_->Execute(kCreateSchemaSql);
    if (st.ok()) st = conn_->Execute(WithRules(kViewSql));
    if (st.ok()) {
      st = conn_->Execute(fmt::format(
          "INSERT INTO lakestream_meta VALUES ('schema_version', '{}'), ('created_at', {})",
          kSchemaVersion, SqlStringLiteral(UtcNow())));
    }
    if (st.ok()) st = conn_->Execute("COMMIT");
    if (!st.ok()) {
      (void)conn_->Execute("ROLLBACK");
      return st;
    }
    return Status::Ok();
  }
  LS_ASSIGN_OR_RETURN(
      lake::QueryTable v,
      conn_->Query("SELECT value FROM lakestream_meta WHERE key = 'schema_version'"));
  std::string version = v.rows.empty() || !v.rows[0][0] ? "none" : *v.rows[0][0];
  // What each older version did that the current one does not, and its upgrade.
  struct Upgrade {
    const char* from;
    const char* flaw;
    std::vector<std::string> steps;
  };
  const Upgrade upgrades[] = {
      {"1", "dated a window by its end (one ending at 00:00:00 on the next day, at 09:00:00 in hour 9)",
       {WithRules(kViewSql), WithRules(kDimDateSql, "fact_turnstile"), WithRules(kMigrate1To2Sql)}},
      {"2", "kept the station of a booth's first loaded file (a backfill after a station's rename brought the old name back)",
       {WithRules(kMigrate2To3Sql)}},
  };
  for (size_t first = 0; first < std::size(upgrades); ++first) {
    if (version != upgrades[first].from) continue;
    if (mode == Mode::kReadOnly) {
      return Status::FailedPrecondition(fmt::format(
          "warehouse '{}' has schema version {}, which {}: run `lakestream "
          "load --lake LAKE --warehouse {}` once (LAKE: the lake it was loaded from, "
          "nothing new needed), which upgrades it to version {} in place, then report again",
          path_, version, upgrades[first].flaw, path_, kSchemaVersion));
    }
    LS_RETURN_NOT_OK(conn_->Execute("BEGIN TRANSACTION"));
    Status st;
    for (size_t u = first; u < std::size(upgrades) && st.ok(); ++u) {
      for (const std::string& step : upgrades[u].steps) {
        if (st.ok()) st = conn_->Execute(step);
      }
    }
    if (st.ok()) st = conn_->Execute("COMMIT");
    if (!st.ok()) {
      (void)conn_->Execute("ROLLBACK");
      return Status(st.code(), fmt::format("cannot upgrade warehouse '{}' from schema version {} to {}: {}",
                                           path_, version, kSchemaVersion, st.message()));
    }
    version = std::to_string(kSchemaVersion);
    break;
  }
  if (version != std::to_string(kSchemaVersion)) {
    return Status::FailedPrecondition(
        fmt::format("warehouse '{}' has schema version {}, this lakestream knows version {}: use "
                    "the lakestream that "
                    "created it, or load the lake into a new warehouse file",
                    path_, version, kSchemaVersion));
  }
  return Status::Ok();
}

Result<std::vector<ManifestEntry>> Warehouse::Manifest() {
  LS_ASSIGN_OR_RETURN(
      lake::QueryTable t,
      conn_->Query("SELECT file_path, file_size, file_mtime_ns, checksum, row_count "
                   "FROM load_manifest ORDER BY file_path"));
  std::vector<ManifestEntry> out;
  out.reserve(t.rows.size());
  for (const auto& r : t.rows) {
    out.push_back(
        ManifestEntry{r[0].value_or(""), ToInt(r[1]), ToInt(r[2]), r[3].value_or(""), ToInt(r[4])});
  }
  return out;
}

Result<LoadReport> Warehouse::Load(const std::vector<LakeFile>& files, const LoadOptions& options) {
  if (!broken_.ok()) return broken_;
  LS_ASSIGN_OR_RETURN(std::vector<ManifestEntry> entries, Manifest());
  std::map<std::string, ManifestEntry, std::less<>> manifest;
  for (auto& e : entries) manifest.emplace(e.file_path, std::move(e));

  LoadReport report;
  LoadFigures& fig = report.figures;
  auto finish = [&](FileResult result) {
    switch (result.outcome) {
      case FileOutcome::kLoaded:
        ++fig.files_loaded;
        fig.rows_loaded += static_cast<uint64_t>(result.rows);
        fig.bytes_loaded += static_cast<uint64_t>(result.file.size);
        break;
      case FileOutcome::kAlreadyLoaded:
        ++fig.files_skipped;
        break;
      case FileOutcome::kFailed:
        ++fig.files_failed;
        break;
    }
    if (options.on_file) options.on_file(fig, result);
    if (result.outcome == FileOutcome::kFailed) report.failures.push_back(std::move(result));
  };
  // New files wait in a group that is loaded in one transaction (see LoadGroup); a group
  // that fails is loaded again a file at a time, so that one bad file fails alone and is
  // named. Any other outcome loads the group first, so results come in the files' order.
  std::vector<PendingFile> group;
  int64_t group_bytes = 0;
  auto load_group = [&] {
    if (group.empty() || !broken_.ok()) return;
    Result<std::vector<int64_t>> rows = LoadGroup(group, options);
    if (!broken_.ok()) return;  // no retry on this connection (see broken_); Load says so
    for (size_t k = 0; k < group.size(); ++k) {
      const PendingFile& p = group[k];
      if (!rows.ok() && k > 0 && options.stop && options.stop()) {
        // Stopped while the group loads again a file at a time: the files left are not
        // loaded, nor counted as seen; the next load takes them.
        report.interrupted = true;
        fig.files_seen -= group.size() - k;
        break;
      }
      FileResult result;
      result.file = p.file;
      if (rows.ok()) {
        result.rows = (*rows)[k];
      } else if (group.size() == 1) {
        result.error = rows.status();
      } else {
        Result<std::vector<int64_t>> one = LoadGroup({&p, 1}, options);
        if (!broken_.ok()) return;
        if (one.ok()) {
          result.rows = one->front();
        } else {
          result.error = one.status();
        }
      }
      if (result.error.ok()) {
        result.outcome = FileOutcome::kLoaded;
        // A later duplicate of the path in `files` is then skipped, not loaded twice.
        manifest.emplace(p.file.relative_path, ManifestEntry{p.file.relative_path, p.file.size,
                                                             p.file.mtime_ns, p.checksum, result.rows});
      }
      finish(std::move(result));
    }
    group.clear();
    group_bytes = 0;
  };
  for (const LakeFile& file : files) {
    if (!broken_.ok()) return broken_;
    if (report.interrupted || (options.stop && options.stop())) {
      report.interrupted = true;
      break;
    }
    ++fig.files_seen;
    FileResult result;
    result.file = file;
    const bool in_group = std::any_of(group.begin(), group.end(), [&](const PendingFile& p) {
      return p.file.relative_path == file.relative_path;
    });
    if (in_group) load_group();  // the duplicate is then found in the manifest
    if (report.interrupted) {
      --fig.files_seen;
      break;
    }
    auto it = manifest.find(file.relative_path);
    if (it != manifest.end()) {
      const ManifestEntry& e = it->second;
      bool same_stat = e.file_size == file.size && e.file_mtime_ns == file.mtime_ns;
      if (same_stat && !options.verify_checksums) {
        result.outcome = FileOutcome::kAlreadyLoaded;
      } else {
        auto sum = FileChecksum(file.path);
        if (!sum.ok()) {
          result.error = sum.status();
        } else if (*sum == e.checksum) {
          result.outcome = FileOutcome::kAlreadyLoaded;
          // The same bytes under a new time (a lake copied without its times): the manifest
          // takes the file's time, so that the next load need not read it again.
          if (!same_stat) {
            result.error = conn_->Execute(fmt::format("UPDATE load_manifest SET file_mtime_ns = {} WHERE file_path = {}",
                                                      file.mtime_ns, SqlStringLiteral(file.relative_path)));
          }
        } else {
          result.error = Status::FailedPrecondition(
              fmt::format("lake file '{}' changed after it was loaded: the manifest records {} ({} "
                          "bytes), the file now "
                          "has {} ({} bytes). Lake files are immutable once committed, so the "
                          "warehouse holds its old "
                          "rows and it is not reloaded. Restore the original file, or rebuild the "
                          "warehouse from the "
                          "lake (delete '{}' and run `lakestream load` again)",
                          file.relative_path, e.checksum, e.file_size, *sum, file.size, path_));
        }
      }
    } else if (HasGlobCharacter(file.path)) {
      result.error =
          Status::InvalidArgument("lake file path '" + file.path +
                                  "' contains '*', '?' or '[', which DuckDB reads as a glob: "
                                  "move the lake to a folder without them");
    } else {
      auto sum = FileChecksum(file.path);
      int64_t records = -1;
      if (sum.ok() && file.format == LakeFileFormat::kCsvGz) {
        Result<CsvGzScan> scan = ScanWholeCsvGz(file.path);
        if (!scan.ok()) {
          sum = Status::InvalidArgument(fmt::format(
              "lake file '{}' is not a whole gzip file, so it was not loaded ({}). Lake files are written "
              "whole and never change: the file was cut short or damaged after it was committed. Restore "
              "it, or remove it and reprocess its partition",
              file.relative_path, scan.status().message()));
        } else if (Status columns = CheckLakeHeader(file.relative_path, scan->header); !columns.ok()) {
          sum = columns;
        } else if (scan->unclosed_quote_line > 0) {
          sum = Status::InvalidArgument(fmt::format(
              "lake file '{}' line {}: a quote opens a field that is never closed (the file ends inside it), "
              "which the lake's writer never writes: it was damaged after it was committed, and it was not "
              "loaded. Restore it, or remove it and reprocess its partition",
              file.relative_path, scan->unclosed_quote_line));
        }
        if (scan.ok()) records = scan->records;
      } else if (sum.ok()) {
        if (Status columns = CheckParquetColumns(*conn_, file); !columns.ok()) sum = columns;
      }
      if (sum.ok()) {
        group.push_back(PendingFile{file, *sum, records});
        group_bytes += file.size;
        if (group.size() >= kGroupFiles || group_bytes >= kGroupBytes) load_group();
        continue;
      }
      result.error = sum.status();
    }
    load_group();
    if (report.interrupted) {
      --fig.files_seen;
      break;
    }
    finish(std::move(result));
  }
  load_group();  // after a stop too: the files gathered before it (none if it came in a retry)
  if (!broken_.ok()) return broken_;
  return report;
}

namespace {

// After a fatal error (on a full disk: a load that fails and then cannot be rolled back)
// DuckDB invalidates the database, and every later statement on it fails with this.
bool Invalidated(const Status& st) { return st.message().find("database has been invalidated") != std::string::npos; }

// " (N MB free there)" for the file system holding `path`, or "" if unknown.
std::string FreeSpaceNote(const std::string& path) {
  struct statvfs vfs;
  const std::filesystem::path folder = std::filesystem::absolute(path).parent_path();
  if (::statvfs(folder.c_str(), &vfs) != 0) return "";
  const double mb = static_cast<double>(vfs.f_bavail) * static_cast<double>(vfs.f_frsize) / 1e6;
  return fmt::format(" ({:.1f} MB free there)", mb);
}

// A lake file DuckDB failed to read (a line it cannot parse, a damaged Parquet page): its
// reason, without the advice for its own reader (ignore_errors, strict_mode, the types it
// "auto-detected"), its settings dump and the statement, with what to do with a lake file. A
// failure of the machine (memory, disk, permission; an invalidated database) is left as
// DuckDB says it.
Status UnreadableLakeFile(const Status& read) {
  if (Invalidated(read)) return read;
  std::string reason = read.message();
  constexpr std::string_view kFailed = "DuckDB statement failed: ";
  if (reason.starts_with(kFailed)) reason.erase(0, kFailed.size());
  for (std::string_view machine : {"Out of Memory Error", "IO Error", "Permission Error", "Interrupt", "FATAL",
                                   "INTERNAL"}) {
    if (reason.starts_with(machine)) return read;
  }
  const size_t cut = std::min({reason.find("\n\n"), reason.find("\nPossible "), reason.rfind(" (in: ")});
  if (cut != std::string::npos) reason.resize(cut);
  return Status(read.code(), "DuckDB cannot read it: " + reason +
                                 "; it was not loaded. Lake files are written whole and never change: if it was "
                                 "damaged after it was committed, restore it, or remove it and reprocess its "
                                 "partition");
}

}  // namespace

Status Warehouse::GiveUp(const Status& cause) {
  broken_ = Status(StatusCode::kIoError,
                   fmt::format("{}. DuckDB could not roll the load back and closed the warehouse '{}'{}: nothing more "
                               "is loaded in this run (what was committed before stays); run `lakestream load` again "
                               "once the cause (e.g. a full disk) is fixed, and it loads the rest",
                               cause.message(), path_, FreeSpaceNote(path_)));
  return broken_;
}

Result<std::vector<int64_t>> Warehouse::LoadGroup(std::span<const PendingFile> group, const LoadOptions& options) {
  if (Status begin = conn_->Execute("BEGIN TRANSACTION"); !begin.ok()) {
    return Invalidated(begin) ? GiveUp(begin) : begin;
  }
  auto run = [&]() -> Result<std::vector<int64_t>> {
    auto hook = [&](LoadStep step) {
      for (const PendingFile& p : group) {
        if (options.fault_hook) LS_RETURN_NOT_OK(options.fault_hook(step, p.file.relative_path));
      }
      return Status::Ok();
    };
    const std::string what = group.size() == 1
                                 ? "lake file '" + group[0].file.relative_path + "'"
                                 : fmt::format("{} lake files ('{}' to '{}')", group.size(),
                                               group.front().file.relative_path, group.back().file.relative_path);
    auto named = [&](const Status& st) {
      return st.ok() ? st : Status(st.code(), "cannot load " + what + ": " + st.message());
    };
    // The files' rows, each tagged with its place in the group.
    std::vector<LakeFile> files;
    for (const PendingFile& p : group) files.push_back(p.file);
    if (Status read = conn_->Execute("CREATE OR REPLACE TEMP TABLE ls_raw AS " + LakeFilesSelectSql(files));
        !read.ok()) {
      return named(group.size() == 1 ? UnreadableLakeFile(read) : read);
    }
    LS_ASSIGN_OR_RETURN(
        lake::QueryTable check,
        conn_->Query(
            "SELECT ls_file, count(*), count(*) FILTER (WHERE created_dt IS NULL OR ENTRIES IS NULL OR EXITS IS NULL), "
            "coalesce(sum(ENTRIES), 0), coalesce(sum(EXITS), 0) FROM ls_raw GROUP BY ls_file ORDER BY ls_file"));
    // Per file: rows, ENTRIES, EXITS (a header-only file has no group here: zeros).
    std::vector<int64_t> rows(group.size(), 0);
    std::vector<std::string> entries(group.size(), "0"), exits(group.size(), "0");
    for (const auto& c : check.rows) {
      if (!c[0]) {
        // DuckDB named the rows' file otherwise than it was listed: whose rows they are is
        // unknown, so none of the group is loaded.
        return Status::Internal(fmt::format(
            "DuckDB read {} rows of {} under a file name that is not among the files listed; nothing was "
            "loaded. Please report this, with the lake's path",
            c[1].value_or("?"), what));
      }
      const auto k = static_cast<size_t>(ToInt(c[0]));
      rows[k] = ToInt(c[1]);
      if (int64_t bad = ToInt(c[2]); bad > 0) {
        // The lake is written by `lakestream process`, so this is a foreign or damaged file:
        // loading the other rows would make the file impossible to reload correctly later.
        return Status::InvalidArgument(fmt::format(
            "lake file '{}' has {} of {} rows without a DATE and TIME (MM/DD/YYYY HH:MM:SS), ENTRIES "
            "or EXITS; it was not loaded. Fix or remove the file",
            group[k].file.relative_path, bad, rows[k]));
      }
      entries[k] = c[3].value_or("0");
      exits[k] = c[4].value_or("0");
    }
    for (size_t k = 0; k < group.size(); ++k) {
      if (group[k].records < 0 || rows[k] == group[k].records) continue;
      // DuckDB ended the file early without an error (as it did at an unclosed quote): loading
      // what it read would mark the file loaded without the rest.
      return Status::InvalidArgument(fmt::format(
          "lake file '{}' holds {} rows after its header, but DuckDB read {} of them, so it was not loaded: a "
          "line of it is not CSV as the lake's writer writes it (damaged after it was committed). Restore it, "
          "or remove it and reprocess its partition",
          group[k].file.relative_path, group[k].records, rows[k]));
    }
    LS_RETURN_NOT_OK(hook(LoadStep::kStaged));
    LS_RETURN_NOT_OK(named(conn_->Execute(kStageSql)));
    LS_RETURN_NOT_OK(named(conn_->Execute(WithRules(kDimensionsSql))));
    LS_RETURN_NOT_OK(named(conn_->Execute(WithRules(kDimDateSql, "ls_stage"))));
    LS_RETURN_NOT_OK(hook(LoadStep::kDimensions));
    LS_RETURN_NOT_OK(named(conn_->Execute(kFactsSql)));
    LS_RETURN_NOT_OK(hook(LoadStep::kFacts));
    const std::string loaded_at = SqlStringLiteral(options.loaded_at.empty() ? UtcNow() : options.loaded_at);
    std::string manifest = "INSERT INTO load_manifest VALUES ";
    for (size_t k = 0; k < group.size(); ++k) {
      const LakeFile& f = group[k].file;
      manifest += fmt::format("{}({}, {}, {}, {}, {}, {}, {}, {}, CAST({} AS TIMESTAMP))", k > 0 ? ", " : "",
                              SqlStringLiteral(f.relative_path), SqlStringLiteral(LakeFileFormatName(f.format)),
                              f.size, f.mtime_ns, SqlStringLiteral(group[k].checksum), rows[k], entries[k],
                              exits[k], loaded_at);
    }
    LS_RETURN_NOT_OK(named(conn_->Execute(manifest)));
    LS_RETURN_NOT_OK(hook(LoadStep::kManifest));
    Status commit = hook(LoadStep::kCommit);
    if (commit.ok()) commit = conn_->Execute("COMMIT");
    if (!commit.ok()) {
      broken_ = Status(commit.code(),
                       fmt::format("cannot load {}: the warehouse failed to commit: {}. Nothing more is loaded in "
                                   "this run (what was committed before stays); run `lakestream load` again once the "
                                   "cause (e.g. a full disk) is fixed, and it loads the rest",
                                   what, commit.message()));
      return broken_;
    }
    return rows;
  };
  Result<std::vector<int64_t>> rows = run();
  if (!rows.ok() && broken_.ok()) {
    // Nothing of the group stays: the transaction is the unit of exactly once.
    const Status rollback = conn_->Execute("ROLLBACK");
    // A rollback that fails leaves the connection in no known state (DuckDB then
    // invalidates the database): nothing more is tried on it.
    if (!rollback.ok() || Invalidated(rows.status())) return GiveUp(rows.status());
  }
  return rows;
}

std::string RenderLoadMetrics(const LoadFigures& total, uint64_t files_failing, uint64_t polls,
                              int64_t last_success_unix, const metrics::Labels& labels) {
  metrics::PrometheusText t(labels);
  t.Counter("lakestream_load_files_loaded_total", "Lake files loaded into the warehouse.", total.files_loaded);
  t.Counter("lakestream_load_files_skipped_total", "Lake files found already loaded (in the manifest, unchanged).",
            total.files_skipped);
  t.Counter("lakestream_load_files_failed_total", "Attempts to load a lake file that failed (changed after loading, "
            "unreadable; --watch tries a failed file again).", total.files_failed);
  t.Gauge("lakestream_load_files_failing", "Lake files whose last load attempt failed.", files_failing);
  t.Counter("lakestream_load_rows_loaded_total", "Lake rows loaded.", total.rows_loaded);
  t.Counter("lakestream_load_bytes_loaded_total", "Bytes of the lake files loaded.", total.bytes_loaded);
  t.Counter("lakestream_load_polls_total", "Polls of the lake.", polls);
  if (last_success_unix > 0) {
    t.Gauge("lakestream_load_last_success_seconds", "When a poll last loaded a file (Unix seconds).",
            last_success_unix);
  }
  return t.Take();
}

}  // namespace lakestream::warehouse
