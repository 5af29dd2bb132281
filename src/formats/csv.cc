#include "formats/csv.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace lakestream {

namespace {

// SplitCsvLine's general path, for a line with a quote. On failure, `*error` (if given)
// says where and why (CsvSplitError).
bool SplitQuotedLine(std::string_view line, std::vector<std::string_view>* fields, std::string* scratch,
                     std::string* error) {
  fields->clear();
  scratch->clear();
  // Reserve so that views into scratch stay valid while it grows.
  scratch->reserve(line.size());
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    if (i < n && line[i] == '"') {
      // Quoted field: copy into scratch only if it contains a doubled quote.
      const size_t open = i;
      size_t start = ++i;
      bool doubled = false;
      while (true) {
        if (i >= n) {
          if (error != nullptr) {
            *error = "field " + std::to_string(fields->size() + 1) + ": the quote at byte " +
                     std::to_string(open + 1) + " is never closed (a quote inside a quoted field is written twice: \"\")";
          }
          return false;
        }
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
      if (i < n && line[i] != ',') {
        if (error != nullptr) {
          *error = "field " + std::to_string(fields->size() + 1) + ": text after its closing quote at byte " +
                   std::to_string(i) + " (quote the whole field, and write a quote inside it twice: \"\")";
        }
        return false;
      }
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

}  // namespace

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
    // The last 1-15 bytes: the 16 that end the line, those before i masked off.
    if (!quoted && i < n && n >= 16) {
      const size_t base = n - 16;
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + base));
      const unsigned fresh = 0xFFFFu << (i - base);  // bytes at i and after
      if ((static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote))) & fresh) != 0) {
        quoted = true;
      } else {
        for (unsigned c = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma))) & fresh; c != 0;
             c &= c - 1) {
          const size_t at = base + static_cast<size_t>(__builtin_ctz(c));
          fields->emplace_back(p + start, at - start);
          start = at + 1;
        }
        i = n;
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
  return SplitQuotedLine(line, fields, scratch, nullptr);
}

std::string CsvSplitError(std::string_view line) {
  std::vector<std::string_view> fields;
  std::string scratch, error;
  SplitQuotedLine(line, &fields, &scratch, &error);
  return error;
}

void AppendCsvField(std::string* out, std::string_view field) {
  if (!CsvFieldNeedsQuotes(field)) {
    out->append(field);
    return;
  }
  const size_t at = out->size();
  out->resize(at + CsvFieldBound(field.size()));
  out->resize(static_cast<size_t>(PutCsvField(out->data() + at, field) - out->data()));
}

char* PutQuotedCsvField(char* p, std::string_view field) {
  *p++ = '"';
  for (char c : field) {
    if (c == '"') *p++ = '"';
    *p++ = c;
  }
  *p++ = '"';
  return p;
}

}  // namespace lakestream
