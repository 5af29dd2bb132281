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

// Strips ASCII spaces and tabs at both ends.
std::string_view TrimSpaces(std::string_view s);

}  // namespace lakestream
