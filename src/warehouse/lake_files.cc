#include "warehouse/lake_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string_view>

#include "formats/text_file.h"
#include "lake/fs_util.h"
#include "lake/layout.h"
#include "lake/table_windows.h"

namespace lakestream::warehouse {
namespace {

// An entry of the lake: nullopt if it does not exist (deleted since it was listed); an error
// if it cannot be looked at (EIO, EACCES, a symlink loop), which must not pass for "no
// files here": a load would report success without them.
Result<std::optional<struct stat>> StatIfExists(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) return std::optional<struct stat>(st);
  if (errno == ENOENT || errno == ENOTDIR) return std::optional<struct stat>();
  return Status::FromErrno(errno, "read", path);
}

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) close(fd);
  }
};

struct XxhFree {
  void operator()(XXH3_state_t* s) const { XXH3_freeState(s); }
};

}  // namespace

const char* LakeFileFormatName(LakeFileFormat format) {
  return format == LakeFileFormat::kParquet ? "parquet" : "csv.gz";
}

bool IsCommittedFileName(const std::string& name) {
  if (!name.starts_with("part-")) return false;
  return name.ends_with(".csv.gz") || name.ends_with(".parquet");
}

Result<std::vector<LakeFile>> ListLakeFiles(const std::string& lake_root,
                                            const std::string& table) {
  // The table is part of each file's relative path, the manifest's key: "turnstile/" or
  // "./turnstile" would make every file of "turnstile" new again (loaded twice).
  if (!lake::ValidateRelativeDir(table).ok()) {
    return Status::InvalidArgument(
        "lake table '" + table +
        "' is not a plain path under the lake (no leading or doubled '/', no trailing '/', no '.' or '..'): give "
        "--table the folder as `lakestream process` names it, such as 'turnstile'. The warehouse knows a file by "
        "its path under the lake, so another spelling of the same folder would load its files a second time");
  }
  // One stat: a mount that fails for a moment (EIO, ENOTCONN) is an I/O error, retried by
  // `load --watch`, not "a file" (a wrong command line, which ends it).
  struct stat root_stat {};
  if (stat(lake_root.c_str(), &root_stat) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) return Status::FromErrno(errno, "read the lake folder", lake_root);
    return Status::NotFound("lake folder '" + lake_root +
                            "' does not exist (give --lake the folder that " +
                            "`lakestream process --lake` writes)");
  }
  if (!S_ISDIR(root_stat.st_mode)) {
    return Status::InvalidArgument("lake folder '" + lake_root + "' is a file (give --lake the folder that " +
                                   "`lakestream process --lake` writes)");
  }
  std::vector<LakeFile> files;
  const std::string table_dir = lake_root + "/" + table;
  LS_ASSIGN_OR_RETURN(std::optional<struct stat> table_stat, StatIfExists(table_dir));
  if (!table_stat || !S_ISDIR(table_stat->st_mode)) return files;
  LS_ASSIGN_OR_RETURN(std::vector<std::string> dates, lake::ListDir(table_dir));
  for (const auto& date : dates) {
    // Only "date=..." partitions: '_' folders and hidden entries are not table data.
    if (!date.starts_with("date=")) continue;
    const std::string date_dir = table_dir + "/" + date;
    LS_ASSIGN_OR_RETURN(std::optional<struct stat> date_stat, StatIfExists(date_dir));
    if (!date_stat || !S_ISDIR(date_stat->st_mode)) continue;
    auto names = lake::ListDir(date_dir);
    // The folder may vanish between the two listings only if someone deletes lake data.
    if (!names.ok() && names.status().code() == StatusCode::kNotFound) continue;
    LS_RETURN_NOT_OK(names.status());
    for (const auto& name : *names) {
      if (!IsCommittedFileName(name)) continue;
      LakeFile f;
      f.relative_path = table + "/" + date + "/" + name;
      f.path = date_dir + "/" + name;
      f.format = name.ends_with(".parquet") ? LakeFileFormat::kParquet : LakeFileFormat::kCsvGz;
      LS_ASSIGN_OR_RETURN(std::optional<struct stat> st, StatIfExists(f.path));
      if (!st || !S_ISREG(st->st_mode)) continue;
      f.size = static_cast<int64_t>(st->st_size);
      f.mtime_ns = static_cast<int64_t>(st->st_mtim.tv_sec) * 1000000000 + st->st_mtim.tv_nsec;
      files.push_back(std::move(f));
    }
  }
  // Each record of a hopping lake is in several windows: the sums would count it that often.
  // Read after the listing: a job marks the table before it writes any file there, so a file
  // listed above has its job's mark here.
  LS_ASSIGN_OR_RETURN(std::vector<lake::TableWindow> windows, lake::TableWindows(lake_root, table));
  for (const lake::TableWindow& w : windows) {
    if (!w.hopping()) continue;
    return Status::InvalidArgument(fmt::format(
        "lake table '{}' holds hopping windows ({} s sliding by {} s: each reading is in {}{} windows), so the "
        "warehouse's sums would count every reading that many times. Load a lake of tumbling windows "
        "(process without --slide, or --slide equal to --duration; with --pipeline, a window whose slide equals its "
        "size; into another --lake or --table); "
        "query a hopping lake with DuckDB directly. The windows are marked in '{}/{}' (a mark no job of yours "
        "wrote there may be deleted)",
        table, w.size, w.slide, w.size % w.slide == 0 ? "" : "up to ", (w.size + w.slide - 1) / w.slide, table_dir,
        lake::kWindowsDir));
  }
  std::sort(files.begin(), files.end(),
            [](const LakeFile& a, const LakeFile& b) { return a.relative_path < b.relative_path; });
  return files;
}

Result<std::string> FileChecksum(const std::string& path) {
  FdCloser fd{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) return Status::FromErrno(errno, "open", path);
  std::unique_ptr<XXH3_state_t, XxhFree> state(XXH3_createState());
  if (!state || XXH3_64bits_reset(state.get()) != XXH_OK) {
    return Status::Internal("cannot initialise an XXH3 state");
  }
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = read(fd.fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "read", path);
    }
    if (n == 0) break;
    XXH3_64bits_update(state.get(), buf.data(), static_cast<size_t>(n));
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits_digest(state.get())));
  return std::string("xxh3-64:") + hex;
}

Result<CsvGzScan> ScanWholeCsvGz(const std::string& path) {
  // The lake's one text reader inflates it (libdeflate checks each member's CRC and size);
  // of the text only the first line is kept. It passes plain text through (slot -1): a
  // .csv.gz name on another file is damage.
  CsvGzScan scan;
  bool header_done = false;
  bool gzip = true;
  // Records are counted as RFC 4180 reads them: a '"' toggles quoting (a doubled one twice),
  // and a line end inside quotes is part of the field.
  bool quoted = false, record_empty = true;
  int64_t line = 1, record_line = 1, all_records = 0;
  LS_RETURN_NOT_OK(ForEachTextPiece(
      path,
      [&](std::string_view piece, double, int slot) {
        gzip = slot >= 0;
        if (!gzip) return Status::Ok();
        if (!header_done) {
          constexpr size_t kMaxHeader = 64 * 1024;  // a file without line ends is not a lake file
          const size_t end = piece.find('\n');
          scan.header.append(piece.substr(0, std::min(end, kMaxHeader - scan.header.size())));
          header_done = end != std::string_view::npos || scan.header.size() >= kMaxHeader;
        }
        for (const char c : piece) {
          if (c == '\n') {
            ++line;
            if (quoted) continue;
            if (!record_empty) ++all_records;
            record_empty = true;
            record_line = line;
          } else {
            if (c == '"') quoted = !quoted;
            record_empty = false;
          }
        }
        return Status::Ok();
      },
      nullptr));
  if (!gzip) {
    return Status::IoError("cannot read '" + path + "': it is not gzip data, though its name ends in .csv.gz (a "
                           "damaged or foreign file; the lake's writer makes whole gzip files only)");
  }
  if (!record_empty) ++all_records;
  if (quoted) scan.unclosed_quote_line = record_line;
  scan.records = std::max<int64_t>(all_records - 1, 0);  // the header is the first
  if (!scan.header.empty() && scan.header.back() == '\r') scan.header.pop_back();
  return scan;
}

std::vector<LakeFile> WatchedFiles::Due(const std::vector<LakeFile>& listed, Clock::time_point now) {
  std::set<std::string_view> names;
  for (const LakeFile& f : listed) names.insert(f.relative_path);
  for (auto it = files_.begin(); it != files_.end();) {
    // Not listed, and gone: a folder the listing could not read keeps its files.
    std::error_code ec;
    if (names.contains(it->first) || std::filesystem::exists(it->second.path, ec) || ec) {
      ++it;
      continue;
    }
    if (it->second.failures > 0) --failing_;
    it = files_.erase(it);
  }
  std::vector<LakeFile> out;
  for (const LakeFile& f : listed) {
    auto it = files_.find(f.relative_path);
    if (it == files_.end() || it->second.size != f.size || it->second.mtime_ns != f.mtime_ns ||
        (it->second.failures > 0 && now >= it->second.retry_at)) {
      out.push_back(f);
    }
  }
  return out;
}

void WatchedFiles::Settled(const LakeFile& file) {
  Entry& e = files_[file.relative_path];
  if (e.failures > 0) --failing_;
  e = Entry{file.path, file.size, file.mtime_ns, 0, {}};
}

WatchedFiles::Clock::duration WatchedFiles::Failed(const LakeFile& file, Clock::time_point now) {
  Entry& e = files_[file.relative_path];
  if (e.failures == 0) ++failing_;
  const bool same = e.failures > 0 && e.size == file.size && e.mtime_ns == file.mtime_ns;
  e.failures = same ? e.failures + 1 : 1;
  e.path = file.path;
  e.size = file.size;
  e.mtime_ns = file.mtime_ns;
  Clock::duration delay = kFirstRetry;
  for (int i = 1; i < e.failures && delay < kMaxRetry; ++i) delay *= 2;
  delay = std::min<Clock::duration>(delay, kMaxRetry);
  e.retry_at = now + delay;
  return delay;
}

}  // namespace lakestream::warehouse
