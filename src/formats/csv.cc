#include "formats/csv.h"

#include <cstring>

namespace lakestream {

bool SplitCsvLine(std::string_view line, std::vector<std::string_view>* fields,
                  std::string* scratch) {
  fields->clear();
  // Fast path, the usual line: no quotes, so fields end at commas (memchr is vectorized).
  if (std::memchr(line.data(), '"', line.size()) == nullptr) {
    const char* p = line.data();
    const char* const end = p + line.size();
    while (true) {
      const char* comma = static_cast<const char*>(std::memchr(p, ',', static_cast<size_t>(end - p)));
      if (comma == nullptr) {
        fields->emplace_back(p, static_cast<size_t>(end - p));
        return true;
      }
      fields->emplace_back(p, static_cast<size_t>(comma - p));
      p = comma + 1;
    }
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

void AppendCsvField(std::string* out, std::string_view field) {
  // A plain loop: string_view::find_first_of calls memchr once per character.
  bool plain = true;
  for (char c : field) plain &= c != ',' && c != '"' && c != '\r' && c != '\n';
  if (plain) {
    out->append(field);
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

std::string_view TrimSpaces(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

}  // namespace lakestream
