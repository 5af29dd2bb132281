// CSV for lakestream's wire and lake formats (RFC 4180).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/status.h"
#include "formats/swar.h"

namespace lakestream {

// Splits one CSV record into fields. Quoted fields ("a,b", "say ""hi""") are
// unquoted. Returns false if a quoted field is not closed or has text after its closing
// quote (CsvSplitError says which). `fields` views point into `line` or, for fields with
// doubled quotes, into `scratch`.
bool SplitCsvLine(std::string_view line, std::vector<std::string_view>* fields,
                  std::string* scratch);

// Why SplitCsvLine refuses `line`, for a person: the field (from 1) and the byte (from 1)
// where it goes wrong, and what to do. Empty if SplitCsvLine takes the line.
std::string CsvSplitError(std::string_view line);

namespace csv_detail {
inline uint64_t HasSpecial(uint64_t w) {
  using swar::HasByte;
  return HasByte(w, ',') | HasByte(w, '"') | HasByte(w, '\r') | HasByte(w, '\n');
}
}  // namespace csv_detail

// A comma, quote, CR or LF anywhere in `field`: 16 bytes at a time (SSE2) from 16 bytes
// on (the last block overlapping), else 8 at a time. Short fields are read as overlapping
// pieces packed into one word; the bytes they leave zero match none of the four (none is
// NUL). Inline: the lake writes ~10 fields a row, the producer 2 a message.
[[gnu::always_inline]] inline bool CsvFieldNeedsQuotes(std::string_view field) {
  using csv_detail::HasSpecial;
  using swar::Load32;
  using swar::Load64;
  const char* p = field.data();
  const size_t n = field.size();
#if defined(__SSE2__)
  if (n >= 16) {
    auto special = [p](size_t at) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
      return _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(',')), _mm_cmpeq_epi8(v, _mm_set1_epi8('"'))),
                          _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))));
    };
    __m128i any = special(n - 16);
    for (size_t i = 0; i + 16 < n; i += 16) any = _mm_or_si128(any, special(i));
    return _mm_movemask_epi8(any) != 0;
  }
#endif
  if (n >= 8) {
    uint64_t any = HasSpecial(Load64(p + n - 8));
    for (size_t i = 0; i + 8 <= n; i += 8) any |= HasSpecial(Load64(p + i));
    return any != 0;
  }
  uint64_t w;
  if (n >= 4) {
    w = Load32(p) | (Load32(p + n - 4) << 32);
  } else if (n > 0) {
    w = static_cast<unsigned char>(p[0]) | (uint64_t{static_cast<unsigned char>(p[n / 2])} << 8) |
        (uint64_t{static_cast<unsigned char>(p[n - 1])} << 16);
  } else {
    return false;
  }
  return HasSpecial(w) != 0;
}

// Appends `field` to `out`, quoted only if it needs it (comma, quote, CR or LF).
void AppendCsvField(std::string* out, std::string_view field);
// `field` quoted (quotes doubled) at `p`, which has room for CsvFieldBound(field.size())
// bytes; returns the end of what was written.
char* PutQuotedCsvField(char* p, std::string_view field);
// The same as AppendCsvField, written at `p` as PutQuotedCsvField.
[[gnu::always_inline]] inline char* PutCsvField(char* p, std::string_view field) {
  if (CsvFieldNeedsQuotes(field)) return PutQuotedCsvField(p, field);
  swar::CopyShort(p, field.data(), field.size());  // most cells: 4 to 16 bytes, no call
  return p + field.size();
}
constexpr size_t CsvFieldBound(size_t size) { return 2 * size + 2; }

// Strips ASCII spaces and tabs at both ends. Inline: reading an MTA file trims every field
// (13 a row), and most have nothing to trim.
inline std::string_view TrimSpaces(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  if (s.empty() || (!blank(s.front()) && !blank(s.back()))) return s;
  size_t b = 0, e = s.size();
  while (b < e && blank(s[b])) ++b;
  while (e > b && blank(s[e - 1])) --e;
  return std::string_view(s.data() + b, e - b);
}

}  // namespace lakestream
