#include "formats/text_file.h"

#include <fmt/format.h>
#include <libdeflate.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include <sys/stat.h>

#include "formats/json_string.h"

namespace lakestream {
namespace {

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

// The gzip member at byte `pos` of the file's `size` does not inflate.
Status BadGzipMember(const std::string& path, size_t pos, size_t size) {
  return Status::IoError(
      fmt::format("cannot read '{}': invalid or truncated gzip data in the member that starts at "
                  "byte {} of {} (is the gzip file truncated?)",
                  path, pos, size));
}

// `s` starts with the bytes of `magic`.
bool HasMagic(std::string_view s, std::string_view magic) {
  return s.size() >= magic.size() && std::memcmp(s.data(), magic.data(), magic.size()) == 0;
}

// A compressed file of a kind this reader does not inflate (its magic number at the start):
// its name for a person ("a zip file"), or nullptr. Read as text, its first bytes would be
// reported as an unknown header, printed raw.
const char* OtherCompression(std::string_view s) {
  if (HasMagic(s, "PK\x03\x04")) return "a zip file";
  if (HasMagic(s, "BZh") && s.size() >= 10 && s[3] >= '1' && s[3] <= '9' &&
      HasMagic(s.substr(4), "1AY&SY")) {
    return "a bzip2 file";
  }
  constexpr char kXz[] = {'\xFD', '7', 'z', 'X', 'Z', '\0'};
  if (HasMagic(s, std::string_view(kXz, sizeof kXz))) return "an xz file";
  if (HasMagic(s, "\x28\xB5\x2F\xFD")) return "a zstd file";
  return nullptr;
}

}  // namespace

Result<std::string> ReadWholeFile(const std::string& path) {
  std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    const int err = errno;
    Status st = Status::FromErrno(err, "open", path);
    return err == ENOENT ? Status(StatusCode::kNotFound, st.message()) : st;
  }
  // One read of the file's size when it is a regular file: a string grown piece by piece
  // touches and copies twice the memory, which costs here (a fresh page is a fault).
  // Growing by doubling otherwise (a pipe, a file that grows).
  struct stat st {};
  size_t room = size_t{1} << 16;
  const bool stat_ok = fstat(fileno(f.get()), &st) == 0;
  if (stat_ok && S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument("cannot read '" + path + "': it is a folder, not a file");
  }
  if (stat_ok && S_ISREG(st.st_mode) && st.st_size > 0) {
    room = static_cast<size_t>(st.st_size) + 1;  // + 1: the read that finds the end
  }
  std::string out(room, '\0');
  size_t size = 0;
  while (true) {
    if (size == out.size()) out.resize(2 * out.size());
    const size_t n = std::fread(out.data() + size, 1, out.size() - size, f.get());
    size += n;
    if (n == 0) break;
  }
  if (std::ferror(f.get())) return Status::FromErrno(errno, "read", path);
  out.resize(size);
  return out;
}

Status ForEachTextPiece(const std::string& path, const std::function<Status(std::string_view, double)>& fn) {
  return ForEachTextPiece(
      path, [&](std::string_view piece, double read, int) { return fn(piece, read); }, nullptr);
}

Status ForEachTextPiece(const std::string& path, const std::function<Status(std::string_view, double, int)>& fn,
                        const std::function<void(std::string_view, int)>& prepare) {
  LS_ASSIGN_OR_RETURN(const std::string bytes, ReadWholeFile(path));
  const std::string_view in(bytes);
  if (const char* kind = OtherCompression(in)) {
    return Status::InvalidArgument(
        fmt::format("cannot read '{}': it is {}; lakestream reads plain text or gzip: unpack it "
                    "first (or recompress it with gzip)",
                    path, kind));
  }
  // The gzip magic, but too short for a member's header and trailer.
  if (HasMagic(in, "\x1F\x8B") && !IsGzip(in, 0)) return BadGzipMember(path, 0, in.size());
  if (!IsGzip(in, 0)) return fn(in, 1.0, -1);  // plain text passes through

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
          return finish(BadGzipMember(path, pos, in.size()));
        }
        pos += used_in;
        break;
      }
      if (prepare) prepare(std::string_view(b.data.get(), b.size), static_cast<int>(k));
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
    status = fn(std::string_view(b.data.get(), b.size), b.read, static_cast<int>(k));
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

void AppendRejectedLineJson(const RejectedLine& r, std::string* out) {
  out->append("{\"file\":");
  AppendJsonString(out, r.file);
  out->append(",\"line\":");
  out->append(std::to_string(r.line));
  out->append(",\"reason\":");
  AppendJsonString(out, r.reason);
  out->append(",\"text\":");
  AppendJsonString(out, r.text);
  out->append("}\n");
}

}  // namespace lakestream
