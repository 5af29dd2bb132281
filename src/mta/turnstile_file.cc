#include "mta/turnstile_file.h"

#include <fmt/format.h>
#include <libdeflate.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "formats/csv.h"

namespace lakestream::mta {
namespace {

constexpr std::string_view kColumns[] = {"UNIT", "SCP",  "STATION", "LINENAME", "DIVISION",
                                         "DATE", "TIME", "DESC",    "ENTRIES",  "EXITS"};

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
struct DecompressorFree {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

// A gzip member starts at `pos` (magic 1f 8b, deflate) with at least a header and trailer.
bool IsGzip(std::string_view s, size_t pos) {
  return s.size() >= pos + 18 && static_cast<unsigned char>(s[pos]) == 0x1f &&
         static_cast<unsigned char>(s[pos + 1]) == 0x8b && s[pos + 2] == 8;
}

bool ParseCounter(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

const char* FileLayoutName(FileLayout layout) {
  switch (layout) {
    case FileLayout::kRaw: return "raw MTA";
    case FileLayout::kPandasSlashCa: return "pandas re-export (C/A)";
    case FileLayout::kPandasCa: return "pandas re-export (CA)";
  }
  return "?";
}

Status ForEachTextPiece(const std::string& path, const std::function<Status(std::string_view, double)>& fn) {
  std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) return Status::FromErrno(errno, "open", path);
  std::string in;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) in.append(buf, n);
  if (std::ferror(f.get())) return Status::FromErrno(errno, "read", path);
  if (!IsGzip(in, 0)) return fn(in, 1.0);  // plain text passes through

  // Whole members with libdeflate (several times zlib's speed), one after the other, like
  // gzip -d does, on a helper thread while `fn` takes the previous member: two buffers,
  // each reused (never zero-filled), so inflating and parsing overlap on two cores and
  // only ~2 MB of memory is touched for the real week's 27 MB of text (26 members). A
  // member's last 4 bytes are its size mod 2^32, exact for the last member; a buffer's
  // room doubles when a member does not fit.
  uint32_t isize = 0;
  std::memcpy(&isize, in.data() + in.size() - 4, 4);
  struct Buffer {
    std::unique_ptr<char[]> data;
    size_t room = 0;
    size_t size = 0;     // the member's text
    double read = 0;     // the fraction of the file read with it
    bool full = false;   // holds a member `fn` has not taken yet
  };
  Buffer buffers[2];
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;     // no more members (or an error in `inflated`)
  bool stop = false;     // `fn` failed: stop inflating
  Status inflated;

  std::thread inflater([&] {
    auto finish = [&](Status st) {
      std::lock_guard<std::mutex> lock(mu);
      inflated = std::move(st);
      done = true;
      cv.notify_all();
    };
    std::unique_ptr<libdeflate_decompressor, DecompressorFree> d(libdeflate_alloc_decompressor());
    if (!d) return finish(Status::Internal("cannot allocate a gzip decompressor (out of memory?)"));
    size_t pos = 0;
    for (size_t k = 0; pos < in.size() && IsGzip(in, pos); k ^= 1) {
      Buffer& b = buffers[k];
      bool stopped;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return !b.full || stop; });
        stopped = stop;
      }
      if (stopped) return finish(Status::Ok());
      if (b.room == 0) b.room = std::max<size_t>(isize, 4 * in.size()) + 1;
      while (true) {
        if (!b.data) b.data.reset(new char[b.room]);
        size_t used_in = 0;
        libdeflate_result r = libdeflate_gzip_decompress_ex(d.get(), in.data() + pos, in.size() - pos,
                                                            b.data.get(), b.room, &used_in, &b.size);
        if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
          b.room *= 2;
          b.data.reset();
          continue;
        }
        if (r != LIBDEFLATE_SUCCESS) {
          return finish(Status::IoError(fmt::format(
              "cannot read '{}': invalid or truncated gzip data at byte {} (is the gzip file truncated?)", path, pos)));
        }
        pos += used_in;
        break;
      }
      std::lock_guard<std::mutex> lock(mu);
      b.read = static_cast<double>(pos) / static_cast<double>(in.size());
      b.full = true;
      cv.notify_all();
    }
    if (pos < in.size()) {
      return finish(Status::IoError(fmt::format(
          "cannot read '{}': {} bytes after the last gzip member at byte {} are not gzip data (a damaged or "
          "partly overwritten file?)",
          path, in.size() - pos, pos)));
    }
    finish(Status::Ok());
  });

  // However this function leaves (an exception from `fn` included), the inflater is told
  // to stop and joined first: it uses this frame's buffers.
  auto stop_and_join = [&] {
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
    }
    cv.notify_all();
    if (inflater.joinable()) inflater.join();
  };
  struct JoinOnExit {
    decltype(stop_and_join)& f;
    ~JoinOnExit() { f(); }
  } join_on_exit{stop_and_join};

  Status status;
  for (size_t k = 0;; k ^= 1) {
    Buffer& b = buffers[k];
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return b.full || done; });
      if (!b.full) break;  // members come in order: none is left
    }
    status = fn(std::string_view(b.data.get(), b.size), b.read);
    std::lock_guard<std::mutex> lock(mu);
    b.full = false;
    stop = !status.ok();
    cv.notify_all();
    if (stop) break;
  }
  stop_and_join();
  if (!status.ok()) return status;
  return inflated;
}

Status ReadTurnstileFile(const std::string& path, TurnstileData* data) {
  const auto file_index = static_cast<uint32_t>(data->files.size());
  SourceFile source{path, FileLayout::kRaw, 0};

  std::vector<std::string_view> fields;
  std::string scratch;
  bool header_seen = false;
  size_t first = 0;  // index of the C/A field: 0 raw, 1 pandas

  auto issue = [&](uint32_t line, std::string reason) {
    ++data->bad_rows;
    if (data->issues.size() < TurnstileData::kMaxIssuesKept) {
      data->issues.push_back(RowIssue{path, line, std::move(reason)});
    }
  };

  // Consecutive rows are mostly the same device (and DESC mostly REGULAR): each text
  // column remembers its last id, and only a changed value is looked up in the pool.
  uint32_t last_id[7];
  bool have_last[7] = {};
  auto intern = [&](int column, std::string_view value) {
    if (!have_last[column] || data->pool.Get(last_id[column]) != value) {
      last_id[column] = data->pool.Intern(value);
      have_last[column] = true;
    }
    return last_id[column];
  };
  // The text is parsed as it is inflated, a gzip member at a time (ForEachTextPiece).
  auto on_line = [&](uint32_t line_no, std::string_view line) -> Status {
    line = TrimSpaces(line);
    if (line.empty()) return Status::Ok();

    if (!SplitCsvLine(line, &fields, &scratch)) {
      if (!header_seen) {
        return Status::InvalidArgument(fmt::format("{}:{}: unbalanced quote in the header", path, line_no));
      }
      issue(line_no, "unbalanced quote");
      return Status::Ok();
    }
    for (auto& f : fields) f = TrimSpaces(f);

    if (!header_seen) {
      header_seen = true;
      if (fields.size() == 12 && fields[0].empty() && (fields[1] == "C/A" || fields[1] == "CA")) {
        source.layout = fields[1] == "C/A" ? FileLayout::kPandasSlashCa : FileLayout::kPandasCa;
        first = 1;
      } else if (fields.size() == 11 && (fields[0] == "C/A" || fields[0] == "CA")) {
        source.layout = FileLayout::kRaw;
        first = 0;
      } else {
        return Status::InvalidArgument(fmt::format(
            "{}:{}: unknown turnstile file layout: the header must be "
            "`C/A,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS` (raw MTA) or "
            "the same with a leading index column (pandas re-export, `C/A` or `CA`); got `{}`",
            path, line_no, line.substr(0, 120)));
      }
      for (size_t i = 0; i < std::size(kColumns); ++i) {
        if (fields[first + 1 + i] != kColumns[i]) {
          return Status::InvalidArgument(fmt::format(
              "{}:{}: unexpected header column {} `{}` (expected `{}`)", path, line_no,
              first + 2 + i, fields[first + 1 + i], kColumns[i]));
        }
      }
      return Status::Ok();
    }

    ++source.rows;
    if (fields.size() != first + 11) {
      issue(line_no, fmt::format("expected {} fields, found {}", first + 11, fields.size()));
      return Status::Ok();
    }
    const std::string_view* f = fields.data() + first;
    if (f[0].empty() || f[1].empty() || f[2].empty()) {
      issue(line_no, "empty C/A, UNIT or SCP");
      return Status::Ok();
    }
    auto date = ParseDateMdy(f[6]);
    if (!date) {
      issue(line_no, fmt::format("bad DATE `{}` (expected MM/DD/YYYY)", f[6]));
      return Status::Ok();
    }
    auto tod = ParseTimeOfDay(f[7]);
    if (!tod) {
      issue(line_no, fmt::format("bad TIME `{}` (expected HH:MM:SS)", f[7]));
      return Status::Ok();
    }
    Reading r;
    if (!ParseCounter(f[9], &r.entries)) {
      issue(line_no, fmt::format("bad ENTRIES `{}` (expected a non-negative integer)", f[9]));
      return Status::Ok();
    }
    if (!ParseCounter(f[10], &r.exits)) {
      issue(line_no, fmt::format("bad EXITS `{}` (expected a non-negative integer)", f[10]));
      return Status::Ok();
    }
    r.ca = intern(0, f[0]);
    r.unit = intern(1, f[1]);
    r.scp = intern(2, f[2]);
    r.station = intern(3, f[3]);
    r.linename = intern(4, f[4]);
    r.division = intern(5, f[5]);
    r.desc = intern(6, f[8]);
    r.time = MakeEventTime(*date, *tod);
    r.file = file_index;
    r.line = line_no;
    data->readings.push_back(r);
    return Status::Ok();
  };
  bool reserved = false;
  LS_RETURN_NOT_OK(ForEachLineOfFile(path, on_line, [&](std::string_view piece, double read) {
    if (!reserved && read > 0) {  // the whole text's size, estimated from the first piece
      reserved = true;
      data->readings.reserve(data->readings.size() + static_cast<size_t>(static_cast<double>(piece.size()) / read / 80));  // MTA rows are ~90 bytes
    }
  }));
  if (!header_seen) {
    return Status::InvalidArgument(fmt::format("{}: the file is empty (no header row)", path));
  }
  data->files.push_back(std::move(source));
  return Status::Ok();
}

}  // namespace lakestream::mta
