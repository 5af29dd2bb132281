// Finding the committed files of a lake table, and fingerprinting their bytes.
//
// A committed lake file is `<lake root>/<table>/date=YYYY-MM-DD/part-*.csv.gz` or
// `part-*.parquet` (lake/layout.h). Everything else is invisible to the warehouse:
// hidden names (".part-...tmp": a commit in progress or an abandoned attempt), folders
// starting with '_' (checkpoints, dead letters, late data) and any other file name.
// Lake files never change once committed (the committer renames complete files into
// place), which is what lets the load manifest identify a file by its path.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace lakestream::warehouse {

enum class LakeFileFormat { kCsvGz, kParquet };

// "csv.gz" / "parquet": what the manifest records.
const char* LakeFileFormatName(LakeFileFormat format);

struct LakeFile {
  std::string relative_path;  // "turnstile/date=2023-06-03/part-mta-p0-000000000001-0000.csv.gz"
  std::string path;           // the lake root joined with relative_path
  LakeFileFormat format = LakeFileFormat::kCsvGz;
  int64_t size = 0;      // bytes, when listed
  int64_t mtime_ns = 0;  // modification time (ns since the epoch), when listed
};

// The committed files of `<lake_root>/<table>`, sorted by relative path (so loads are
// deterministic: by date, then topic, partition and commit sequence). A missing table
// folder is an empty lake (OK, no files): the processor may not have committed yet.
// NotFound if `lake_root` itself does not exist. InvalidArgument if `table` is not a plain
// relative path (lake::ValidateRelativeDir): it is part of the files' relative paths.
// IoError naming the entry if a folder or file of the table cannot be read (EIO, EACCES,
// a symlink loop): never a listing without it.
Result<std::vector<LakeFile>> ListLakeFiles(const std::string& lake_root, const std::string& table);

// True for a final lake file name: "part-" + ... + ".csv.gz" | ".parquet", not hidden.
bool IsCommittedFileName(const std::string& name);

// "xxh3-64:<16 lowercase hex digits>" of the file's bytes (XXH3, 64 bits; streaming).
Result<std::string> FileChecksum(const std::string& path);

// What ScanWholeCsvGz finds in a .csv.gz lake file.
struct CsvGzScan {
  std::string header;   // the first line, without its line end
  int64_t records = 0;  // CSV records after the header (a quoted line end stays in its record; empty lines skipped)
  // The line (from 1) of the record the file ends inside a quoted field of, or 0: damage the
  // lake's writer never makes, and which DuckDB, reading the file among others, may take for
  // the end of the file without an error.
  int64_t unclosed_quote_line = 0;
};

// The header and record count of the .csv.gz file at `path`, once the whole file is checked:
// every gzip member ends with its CRC and size, and they match the data. DuckDB reads a
// truncated gzip file without an error (up to where it was cut), so a file cut short would
// load part of its rows. The lake's writer makes one member per file, so a cut can never
// fall between two members unseen. The load checks that DuckDB read `records` rows.
Result<CsvGzScan> ScanWholeCsvGz(const std::string& path);

// `load --watch`: which of the listed files to load at a poll. A file is due when it is new,
// or changed (size or mtime) since its last attempt. One whose load failed (unreadable, a
// disk error, cut short) is due again after kFirstRetry, then after twice as long at each
// failure up to kMaxRetry, or at once when it changes: a fixed permission or a remounted
// disk needs no restart of the watcher.
class WatchedFiles {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kFirstRetry{30};
  static constexpr std::chrono::seconds kMaxRetry{600};

  // Also forgets the files no longer listed that are gone (a damaged file removed from the
  // lake does not fail forever; one in a folder the listing could not read still does).
  std::vector<LakeFile> Due(const std::vector<LakeFile>& listed, Clock::time_point now);
  void Settled(const LakeFile& file);  // loaded, or found loaded already
  // Returns the delay until it is due again.
  Clock::duration Failed(const LakeFile& file, Clock::time_point now);
  // Files whose last attempt failed.
  size_t failing() const { return failing_; }

 private:
  struct Entry {
    std::string path;
    int64_t size = 0;
    int64_t mtime_ns = 0;
    int failures = 0;  // in a row, at this size and mtime; 0: settled
    Clock::time_point retry_at;
  };
  std::map<std::string, Entry> files_;
  size_t failing_ = 0;
};

}  // namespace lakestream::warehouse
