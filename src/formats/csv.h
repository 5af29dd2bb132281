// CSV for lakestream's wire and lake formats (RFC 4180).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

// Walks the lines of a text (LF or CRLF, a leading UTF-8 BOM skipped, the last line
// with or without a final newline), counting line numbers from 1 for messages.
class LineCursor {
 public:
  explicit LineCursor(std::string_view text) : text_(text) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
  }
  // The next line without its line ending; false at the end of the text.
  bool Next(std::string_view* line) {
    if (pos_ >= text_.size()) return false;
    size_t eol = text_.find('\n', pos_);
    if (eol == std::string_view::npos) eol = text_.size();
    *line = text_.substr(pos_, eol - pos_);
    if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
    pos_ = eol + 1;
    ++line_no_;
    return true;
  }
  // The number of the line Next returned last.
  uint32_t line_no() const { return line_no_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  uint32_t line_no_ = 0;
};

// Strips ASCII spaces and tabs at both ends.
std::string_view TrimSpaces(std::string_view s);

}  // namespace lakestream
