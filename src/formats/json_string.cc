#include "formats/json_string.h"

#include <cstdint>

#include "formats/swar.h"

namespace lakestream {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// How many bytes from `p` (of `n`) need no escaping in a JSON string literal, 8 at a time:
// up to the first quote, backslash or control character, and with `ascii` the first byte
// above 0x7F too (Python's json.dumps escapes those).
size_t PlainRun(const char* p, size_t n, bool ascii) {
  const uint64_t high = ascii ? swar::kHighs : 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t w = swar::Load64(p + i);
    if ((swar::HasByte(w, '"') | swar::HasByte(w, '\\') | swar::HasLess(w, 0x20) | (w & high)) != 0) break;
  }
  auto plain = [&](unsigned char c) { return c != '"' && c != '\\' && c >= 0x20 && (!ascii || c < 0x80); };
  while (i < n && plain(static_cast<unsigned char>(p[i]))) ++i;
  return i;
}

void AppendU16(std::string* out, uint32_t u) {
  out->append("\\u");
  out->push_back(kHex[(u >> 12) & 0xF]);
  out->push_back(kHex[(u >> 8) & 0xF]);
  out->push_back(kHex[(u >> 4) & 0xF]);
  out->push_back(kHex[u & 0xF]);
}

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 if invalid.
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t len;
  uint32_t v;
  if (b < 0x80) {
    *cp = b;
    return 1;
  } else if ((b & 0xE0) == 0xC0) {
    len = 2, v = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    len = 3, v = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    len = 4, v = b & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    v = (v << 6) | (c & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool ReadHex4(std::string_view s, size_t i, uint32_t* v) {
  if (i + 4 > s.size()) return false;
  *v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    char c = s[k];
    uint32_t d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return false;
    *v = (*v << 4) | d;
  }
  return true;
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view text) {
  out->push_back('"');
  for (size_t i = 0; i < text.size();) {
    const size_t run = PlainRun(text.data() + i, text.size() - i, /*ascii=*/true);
    out->append(text.data() + i, run);
    i += run;
    if (i == text.size()) break;
    char c = text[i];
    switch (c) {
      case '"': out->append("\\\""); ++i; continue;
      case '\\': out->append("\\\\"); ++i; continue;
      case '\n': out->append("\\n"); ++i; continue;
      case '\r': out->append("\\r"); ++i; continue;
      case '\t': out->append("\\t"); ++i; continue;
      case '\b': out->append("\\b"); ++i; continue;
      case '\f': out->append("\\f"); ++i; continue;
      default: break;
    }
    // Not plain (PlainRun stopped here): a control character or a byte above 0x7F.
    auto b = static_cast<unsigned char>(c);
    if (b < 0x20) {
      AppendU16(out, b);
      ++i;
      continue;
    }
    uint32_t cp;
    size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0) {
      AppendU16(out, b);
      ++i;
      continue;
    }
    if (cp >= 0x10000) {
      uint32_t v = cp - 0x10000;
      AppendU16(out, 0xD800 | (v >> 10));
      AppendU16(out, 0xDC00 | (v & 0x3FF));
    } else {
      AppendU16(out, cp);
    }
    i += len;
  }
  out->push_back('"');
}

bool DecodeJsonString(std::string_view s, std::string* out) {
  out->clear();
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  s = s.substr(1, s.size() - 2);
  out->reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    // Plain bytes are copied a run at a time, the run found 8 bytes at a time (the seed's
    // literals are plain but for their quotes). What stops a run is an escape or an error.
    const size_t run = PlainRun(s.data() + i, s.size() - i, /*ascii=*/false);
    out->append(s.data() + i, run);
    i += run;
    if (i == s.size()) break;
    if (s[i] != '\\') return false;  // a bare quote or a control character
    if (i + 1 >= s.size()) return false;
    char e = s[i + 1];
    i += 2;
    switch (e) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        uint32_t u;
        if (!ReadHex4(s, i, &u)) return false;
        i += 4;
        if (u >= 0xD800 && u <= 0xDBFF) {
          uint32_t lo;
          if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u' || !ReadHex4(s, i + 2, &lo) ||
              lo < 0xDC00 || lo > 0xDFFF) {
            return false;
          }
          i += 6;
          u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
          return false;
        }
        AppendUtf8(out, u);
        break;
      }
      default: return false;
    }
  }
  return true;
}

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    // ASCII 8 bytes at a time: the turnstile reader checks every row, nearly all ASCII.
    if (i + 8 <= text.size() && (swar::Load64(text.data() + i) & swar::kHighs) == 0) {
      i += 8;
      continue;
    }
    uint32_t cp;
    const size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string_view Utf8Prefix(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  while (max_bytes > 0 && (static_cast<unsigned char>(text[max_bytes]) & 0xC0) == 0x80) --max_bytes;
  return text.substr(0, max_bytes);
}

std::string ToValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    uint32_t cp;
    const size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0) {
      out.append("\xEF\xBF\xBD");  // U+FFFD for one byte that starts no valid sequence
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

}  // namespace lakestream
