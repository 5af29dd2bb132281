#include "formats/csv.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace lakestream {

bool SplitCsvLine(std::string_view line, std::vector<std::string_view>* fields,
                  std::string* scratch) {
  fields->clear();
  // Fast path, the usual line: no quotes, so fields end at commas. Commas and quotes are
  // found 16 bytes at a time; a quote sends the line to the general path below.
  {
    const char* p = line.data();
    const size_t n = line.size();
    size_t start = 0;
    size_t i = 0;
    bool quoted = false;
#if defined(__SSE2__)
    const __m128i comma = _mm_set1_epi8(',');
    const __m128i quote = _mm_set1_epi8('"');
    for (; i + 16 <= n; i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      if (_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) != 0) {
        quoted = true;
        break;
      }
      for (unsigned c = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma))); c != 0; c &= c - 1) {
        const size_t at = i + static_cast<size_t>(__builtin_ctz(c));
        fields->emplace_back(p + start, at - start);
        start = at + 1;
      }
    }
#endif
    for (; !quoted && i < n; ++i) {
      if (p[i] == '"') {
        quoted = true;
      } else if (p[i] == ',') {
        fields->emplace_back(p + start, i - start);
        start = i + 1;
      }
    }
    if (!quoted) {
      fields->emplace_back(p + start, n - start);
      return true;
    }
    fields->clear();
  }
  scratch->clear();
  // Reserve so that views into scratch stay valid while it grows.
  scratch->reserve(line.size());
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    if (i < n && line[i] == '"') {
      // Quoted field: copy into scratch only if it contains a doubled quote.
      size_t start = ++i;
      bool doubled = false;
      while (true) {
        if (i >= n) return false;
        if (line[i] == '"') {
          if (i + 1 < n && line[i + 1] == '"') {
            doubled = true;
            i += 2;
            continue;
          }
          break;
        }
        ++i;
      }
      std::string_view raw = line.substr(start, i - start);
      ++i;  // closing quote
      if (i < n && line[i] != ',') return false;
      if (doubled) {
        size_t at = scratch->size();
        for (size_t k = 0; k < raw.size(); ++k) {
          scratch->push_back(raw[k]);
          if (raw[k] == '"') ++k;
        }
        fields->emplace_back(scratch->data() + at, scratch->size() - at);
      } else {
        fields->push_back(raw);
      }
    } else {
      size_t start = i;
      while (i < n && line[i] != ',') ++i;
      fields->push_back(line.substr(start, i - start));
    }
    if (i >= n) return true;
    ++i;  // the comma
    if (i == n) {
      fields->emplace_back();
      return true;
    }
  }
}

namespace {

// Whether any byte of `w` is `c` (c != 0): the classic zero-byte test on w ^ c...c, exact
// for "any" (it may misplace which byte, which is not asked).
constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighs = 0x8080808080808080ULL;
inline uint64_t HasByte(uint64_t w, char c) {
  const uint64_t v = w ^ (kOnes * static_cast<unsigned char>(c));
  return (v - kOnes) & ~v & kHighs;
}
inline uint64_t HasSpecial(uint64_t w) { return HasByte(w, ',') | HasByte(w, '"') | HasByte(w, '\r') | HasByte(w, '\n'); }

inline uint64_t Load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}
inline uint64_t Load32(const char* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

// A comma, quote, CR or LF anywhere in `field`, 8 bytes at a time. Short fields are read
// as overlapping pieces packed into one word; the bytes they leave zero match none of the
// four (none is NUL).
[[gnu::always_inline]] inline bool NeedsQuotes(std::string_view field) {
  const char* p = field.data();
  const size_t n = field.size();
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

}  // namespace

void AppendCsvField(std::string* out, std::string_view field) {
  if (!NeedsQuotes(field)) {
    out->append(field);
    return;
  }
  const size_t at = out->size();
  out->resize(at + CsvFieldBound(field.size()));
  out->resize(static_cast<size_t>(PutCsvField(out->data() + at, field) - out->data()));
}

char* PutCsvField(char* p, std::string_view field) {
  if (!NeedsQuotes(field)) {
    std::memcpy(p, field.data(), field.size());
    return p + field.size();
  }
  *p++ = '"';
  for (char c : field) {
    if (c == '"') *p++ = '"';
    *p++ = c;
  }
  *p++ = '"';
  return p;
}

std::string_view TrimSpaces(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

}  // namespace lakestream
