// CSV for lakestream's wire and lake formats (RFC 4180).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace lakestream {

// Splits one CSV record into fields. Quoted fields ("a,b", "say ""hi""") are
// unquoted. Returns false if a quote is unbalanced. `fields` views point into
// `line` or, for fields with doubled quotes, into `scratch`.
bool SplitCsvLine(std::string_view line, std::vector<std::string_view>* fields,
                  std::string* scratch);

// Appends `field` to `out`, quoted only if it needs it (comma, quote, CR or LF).
void AppendCsvField(std::string* out, std::string_view field);
// The same written at `p`, which has room for CsvFieldBound(field.size()) bytes; returns
// the end of what was written.
char* PutCsvField(char* p, std::string_view field);
constexpr size_t CsvFieldBound(size_t size) { return 2 * size + 2; }

// The lines of a text, whole or in pieces (a line may span pieces): each without its line
// ending (LF or CRLF), numbered from 1; a UTF-8 byte order mark before line 1 is skipped.
class PieceLines {
 public:
  // Calls fn(line_no, line) for each line the piece completes.
  template <typename Fn>
  Status Feed(std::string_view piece, Fn&& fn);
  // The last line, if the text does not end with a line ending.
  template <typename Fn>
  Status Finish(Fn&& fn);

 private:
  template <typename Fn>
  Status Emit(std::string_view line, Fn&& fn) {
    if (++line_no_ == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return fn(line_no_, line);
  }
  std::string carry_;  // the start of a line the previous pieces did not complete
  uint32_t line_no_ = 0;
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

// Strips ASCII spaces and tabs at both ends.
std::string_view TrimSpaces(std::string_view s);

}  // namespace lakestream
