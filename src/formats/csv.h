// CSV for lakestream's wire and lake formats (RFC 4180).
#pragma once

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

// Strips ASCII spaces and tabs at both ends.
std::string_view TrimSpaces(std::string_view s);

}  // namespace lakestream
