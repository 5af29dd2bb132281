// Text input: a file's text, plain or gzip (multi-member), in pieces or as lines.
//
// Used for turnstile files, taxi rides and properties text alike: one line splitter
// (PieceLines) and one gzip reader (ForEachTextPiece) serve them all.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace lakestream {

// The lines of a text, whole or in pieces (a line may span pieces): each without its line
// ending (LF or CRLF), numbered from 1; a UTF-8 byte order mark before line 1 is skipped.
class PieceLines {
 public:
  // `lines_before`: the text continues after that many lines, and numbering goes on from
  // there; `file_start`: the text is a file's, so a byte order mark before line 1 is skipped.
  explicit PieceLines(uint32_t lines_before = 0, bool file_start = true)
      : line_no_(lines_before), file_start_(file_start) {}
  // Calls fn(line_no, line) for each line the piece completes.
  template <typename Fn>
  Status Feed(std::string_view piece, Fn&& fn);
  // The last line, if the text does not end with a line ending.
  template <typename Fn>
  Status Finish(Fn&& fn);
  // Lines completed so far (including `lines_before`).
  uint32_t line_no() const { return line_no_; }

 private:
  template <typename Fn>
  Status Emit(std::string_view line, Fn&& fn) {
    if (++line_no_ == 1 && file_start_ && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return fn(line_no_, line);
  }
  std::string carry_;  // the start of a line the previous pieces did not complete
  uint32_t line_no_ = 0;
  bool file_start_ = true;
};

template <typename Fn>
Status PieceLines::Feed(std::string_view piece, Fn&& fn) {
  size_t pos = 0;
  while (pos < piece.size()) {
    const size_t eol = piece.find('\n', pos);
    if (eol == std::string_view::npos) {
      carry_.append(piece.substr(pos));
      break;
    }
    if (carry_.empty()) {
      LS_RETURN_NOT_OK(Emit(piece.substr(pos, eol - pos), fn));
    } else {
      carry_.append(piece.substr(pos, eol - pos));
      LS_RETURN_NOT_OK(Emit(carry_, fn));
      carry_.clear();
    }
    pos = eol + 1;
  }
  return Status::Ok();
}

template <typename Fn>
Status PieceLines::Finish(Fn&& fn) {
  if (carry_.empty()) return Status::Ok();
  Status st = Emit(carry_, fn);
  carry_.clear();
  return st;
}

// The lines of a whole text: fn(line_no, line) for each (PieceLines with one piece).
template <typename Fn>
Status ForEachLine(std::string_view text, Fn&& fn) {
  PieceLines lines;
  LS_RETURN_NOT_OK(lines.Feed(text, fn));
  return lines.Finish(fn);
}

// The bytes of a file (a regular file in one read of its size; a pipe too). NotFound if
// it does not exist; IoError naming the file otherwise.
Result<std::string> ReadWholeFile(const std::string& path);

// The text of a file (plain, or gzip) in pieces, in order, without holding all of it: a plain file
// in one piece, a gzip file one member at a time (concatenated members, as `cat a.gz b.gz` makes).
// `fn(piece, read)` gets with each piece the fraction of the file read so far (what it needs to
// estimate the whole text's size). A piece is valid only during the call; the first error `fn`
// returns ends the read and is returned. A zip, bzip2, xz or zstd file is InvalidArgument (unpack
// it first), not text.
Status ForEachTextPiece(const std::string& path, const std::function<Status(std::string_view, double)>& fn);
// The same, with work done on the inflating thread: `prepare(piece, slot)` is called there
// as soon as a gzip member is inflated, and `fn(piece, read, slot)` later on the calling
// thread, `slot` (0 or 1) naming the buffer that holds the piece: what prepare leaves in
// a slot is for the fn call with the same slot, which comes before the next prepare of it.
// Plain text has no inflating thread: its one piece goes to fn unprepared (slot -1).
Status ForEachTextPiece(const std::string& path, const std::function<Status(std::string_view, double, int)>& fn,
                        const std::function<void(std::string_view, int)>& prepare);

// The text of a file as lines (PieceLines): on_line(line_no, line) for each; on_piece(piece,
// read) is told of each piece before its lines.
template <typename LineFn, typename PieceFn>
Status ForEachLineOfFile(const std::string& path, LineFn&& on_line, PieceFn&& on_piece) {
  PieceLines lines;
  LS_RETURN_NOT_OK(ForEachTextPiece(path, [&](std::string_view piece, double read) {
    on_piece(piece, read);
    return lines.Feed(piece, on_line);
  }));
  return lines.Finish(on_line);
}
template <typename LineFn>
Status ForEachLineOfFile(const std::string& path, LineFn&& on_line) {
  return ForEachLineOfFile(path, on_line, [](std::string_view, double) {});
}

// A line of an input file that was not taken (a malformed row): where it is, why, and its
// text. Readers keep every one (bounded by the file itself) for the summary and for
// `--bad-rows FILE`.
struct RejectedLine {
  std::string file;
  uint32_t line = 0;
  std::string reason;
  std::string text;
  // "file:line: reason"
  std::string ToString() const { return file + ":" + std::to_string(line) + ": " + reason; }
};

// One JSON object and a newline: {"file":...,"line":N,"reason":...,"text":...}, strings as
// AppendJsonString writes them (a byte that is not UTF-8 becomes \u00XX).
void AppendRejectedLineJson(const RejectedLine& r, std::string* out);

}  // namespace lakestream
