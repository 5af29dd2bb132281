// The DuckDB warehouse: the seed's star schema, loaded from the lake exactly once.
//
// Schema (version 3, recorded in lakestream_meta; all keys are lowercase md5 hex strings
// computed by DuckDB's md5() over '|'-joined parts, so a part can never run into the next):
//
//   dim_station(station_id = md5(STATION), station_name)
//   dim_booth(booth_id = md5(UNIT|CA), remote = UNIT, booth_name = CA, station_id,
//            station_as_of)  -- the station of the booth's latest window (station_as_of: that
//            window's end; of its rows, the least station_id), whatever order files load in
//   dim_date(date_id = YYYYMMDD as INTEGER, full_date, year, quarter, month, month_name
//            'January'.., day, day_of_week 1 = Monday .. 7 = Sunday (ISO), day_of_week_name
//            'Monday'.., is_weekend = Saturday or Sunday)
//   fact_turnstile(log_id = md5(CA|UNIT|SCP|created_dt as 'YYYY-MM-DD HH:MM:SS'), station_id,
//            booth_id, scp, line_name, division, created_dt = DATE + TIME of the lake row
//            (the window END), entries, exits)          -- per-window increments, summed
//   rpt_turnstile   view: fact_turnstile joined with the three dimensions
//   load_manifest(file_path, file_format, file_size, file_mtime_ns, checksum, row_count,
//            entries, exits, loaded_at)                 -- one row per loaded lake file
//   lakestream_meta(key, value)                         -- schema_version = 3
//
// Exactly-once load protocol, per committed lake file (see lake_files.h for "committed"):
//   BEGIN; stage the file's rows (read_csv / read_parquet, explicit columns); reject the
//   file if a key part is missing; aggregate the staged rows by log_id; insert new
//   dim_station / dim_date rows (ON CONFLICT DO NOTHING) and dim_booth rows (a later
//   window's station replaces an earlier one's); merge the facts
//   (ON CONFLICT (log_id) DO UPDATE SET entries = entries + excluded.entries, exits too);
//   insert the file's manifest row; COMMIT.
// Invariants: a file's rows are in the facts if and only if its manifest row exists
// (one transaction; a crash before COMMIT leaves neither, DuckDB's WAL replays a
// committed one); the manifest's primary key on file_path makes a second load of the same
// path fail inside its transaction, so no file is ever counted twice. Rows for one log_id
// from several files (one device's window split across partitions or commits) are summed.
// A listed file whose size or mtime differs from its manifest row is re-hashed: the same
// checksum (a lake copied without its times) gives the manifest row its new mtime; another
// means it changed after loading: that is an error naming the file, and
// it is not reloaded (the warehouse would count its old rows and its new rows).
//
// Concurrency: DuckDB lets one process open the file for writing; a second `load` gets
// Unavailable. Not thread-safe: one Warehouse per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "lake/duckdb_util.h"
#include "metrics/prometheus.h"
#include "warehouse/lake_files.h"

namespace lakestream::warehouse {

inline constexpr int kSchemaVersion = 3;

// The instant a fact is dated by: its window's last (created_dt is the end of [start, end)),
// so that a window ending at 00:00:00 counts on the day before and one ending at 09:00:00 in
// hour 8. rpt_turnstile, dim_date and the reports take a fact's day and hour from it (schema
// version 1 took them from created_dt itself).
inline constexpr const char* kFactInstantSql = "created_dt - INTERVAL 1 MICROSECOND";

// Where a load can be interrupted inside its transaction (fault injection in tests).
// kCommit: tests only, a failing COMMIT (DuckDB's own, e.g. a full disk, cannot be made to
// fail on demand).
enum class LoadStep { kStaged, kDimensions, kFacts, kManifest, kCommit };
// Called at each step with the file's relative path; a non-OK Status aborts that file's
// transaction as a real failure would. nullptr: no faults.
using LoadFaultHook = std::function<Status(LoadStep, std::string_view relative_path)>;

// What happened to one file in a load.
enum class FileOutcome { kLoaded, kAlreadyLoaded, kFailed };

struct FileResult {
  LakeFile file;
  FileOutcome outcome = FileOutcome::kFailed;
  int64_t rows = 0;  // lake rows read (kLoaded)
  Status error;      // kFailed: what went wrong and what to do
};

struct LoadFigures {
  uint64_t files_seen = 0;
  uint64_t files_loaded = 0;
  uint64_t files_skipped = 0;  // already in the manifest, unchanged
  uint64_t files_failed = 0;
  uint64_t rows_loaded = 0;   // lake rows
  uint64_t bytes_loaded = 0;  // lake file bytes
};

// `load --watch --metrics-port`: the loader's totals as Prometheus text (counters
// `lakestream_load_*_total`, failed attempts included in files_failed; the gauges
// `lakestream_load_files_failing`, files whose last attempt failed, and
// `lakestream_load_last_success_seconds`, the Unix time of the last poll that loaded a
// file, left out before the first).
std::string RenderLoadMetrics(const LoadFigures& total, uint64_t files_failing, uint64_t polls,
                              int64_t last_success_unix, const metrics::Labels& labels);

struct LoadOptions {
  // Re-hash every listed file, not only those whose size or mtime changed.
  bool verify_checksums = false;
  // Checked before each file: true stops the load there (interrupted), once the files
  // seen before it are loaded (they may be waiting in a group).
  std::function<bool()> stop;
  // Called after each file with the running totals (progress display).
  std::function<void(const LoadFigures&, const FileResult&)> on_file;
  LoadFaultHook fault_hook;
  // The manifest's loaded_at; empty: the current UTC time.
  std::string loaded_at;
};

struct LoadReport {
  LoadFigures figures;
  std::vector<FileResult> failures;
  bool interrupted = false;
};

// A manifest row, as recorded.
struct ManifestEntry {
  std::string file_path;
  int64_t file_size = 0;
  int64_t file_mtime_ns = 0;
  std::string checksum;
  int64_t row_count = 0;
};

class Warehouse {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // Opens the warehouse at `path`; kReadWrite creates the file and the schema if needed.
  // FailedPrecondition: the file holds another schema version, or (kReadOnly) no
  // warehouse. Unavailable: another process holds it open (HeldElsewhere). NotFound:
  // kReadOnly and no such file.
  static Result<std::unique_ptr<Warehouse>> Open(const std::string& path, Mode mode);
  // Whether `status` is Open's for a file another process holds (a write blocks every other
  // process, a read blocks writers): retrying later may work.
  static bool HeldElsewhere(const Status& status);

  // Loads each of `files` (in the given order) that the manifest does not hold yet, in
  // transactions of up to kGroupFiles files (each file is loaded whole with its manifest
  // row, or not at all). A file that fails (unreadable, bad rows, changed since loaded)
  // is recorded in the report and the next file is tried. The Status is not OK only when
  // the warehouse itself fails (e.g. reading the manifest, or a COMMIT: see broken_).
  Result<LoadReport> Load(const std::vector<LakeFile>& files, const LoadOptions& options);
  // A group of new files is loaded in one transaction: every file's rows and manifest row,
  // or nothing. DuckDB's upsert and commit cost grow with the fact table, so a transaction
  // per file made a long load quadratic (4M rows in 515 files: ~136 s; bench/README.md).
  static constexpr size_t kGroupFiles = 64;
  static constexpr int64_t kGroupBytes = int64_t{16} << 20;  // of files; ~1.2M rows of CSV.gz

  // The manifest, keyed by relative path, sorted.
  Result<std::vector<ManifestEntry>> Manifest();

  lake::DuckDbConnection& connection() { return *conn_; }
  const std::string& path() const { return path_; }

 private:
  Warehouse() = default;
  Status CreateOrCheckSchema(Mode mode);
  // A new file waiting to be loaded, its checksum, and its rows as counted before the load
  // (-1: not counted, Parquet), which DuckDB must read all of.
  struct PendingFile {
    LakeFile file;
    std::string checksum;
    int64_t records = -1;
  };
  // Loads `group` in one transaction; rows per file.
  Result<std::vector<int64_t>> LoadGroup(std::span<const PendingFile> group, const LoadOptions& options);

  // Sets and returns broken_ for a connection DuckDB invalidated after `cause`.
  Status GiveUp(const Status& cause);
  std::string path_;
  std::unique_ptr<lake::DuckDbConnection> conn_;
  // Set when a COMMIT failed. DuckDB 1.4 may then keep the transaction's rows visible to
  // this connection though they are not on disk (a full disk while checkpointing: its
  // ROLLBACK finds no transaction), so a file-by-file retry, or a later group, on the same
  // connection counted rows twice or left a WAL DuckDB could not replay. After a failed
  // COMMIT this Warehouse does nothing more; a new one (a new load) starts from what is on
  // disk, as after kill -9.
  Status broken_;
};

// The SQL query that reads lake files as rows of (ls_file, CA, UNIT, SCP, STATION,
// LINENAME, DIVISION, created_dt TIMESTAMP, ENTRIES, EXITS); ls_file is the row's file's
// index in `files`.
std::string LakeFilesSelectSql(std::span<const LakeFile> files);

}  // namespace lakestream::warehouse
