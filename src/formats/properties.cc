#include "formats/properties.h"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>

#include "formats/csv.h"
#include "formats/text_file.h"

namespace lakestream {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\f'; }

// Java's escapes: \t \n \r \f, \uXXXX (written as UTF-8), and \X for any other X (so
// `\=`, `\:`, `\ `, `\\`). False on a malformed \u.
bool Unescape(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\\' || i + 1 == in.size()) {
      out->push_back(in[i]);
      continue;
    }
    const char c = in[++i];
    switch (c) {
      case 't': out->push_back('\t'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 'f': out->push_back('\f'); break;
      case 'u': {
        if (in.size() - i - 1 < 4) return false;
        unsigned cp = 0;
        for (size_t k = 1; k <= 4; ++k) {
          const char h = in[i + k];
          cp <<= 4;
          if (h >= '0' && h <= '9') cp |= static_cast<unsigned>(h - '0');
          else if (h >= 'a' && h <= 'f') cp |= static_cast<unsigned>(h - 'a' + 10);
          else if (h >= 'A' && h <= 'F') cp |= static_cast<unsigned>(h - 'A' + 10);
          else return false;
        }
        i += 4;
        if (cp < 0x80) {
          out->push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
          out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
          out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
          out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
          out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
          out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
        break;
      }
      default: out->push_back(c);
    }
  }
  return true;
}

// A line ends in a continuation when it ends in an odd number of backslashes.
bool Continues(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[line.size() - 1 - n] == '\\') ++n;
  return n % 2 == 1;
}

}  // namespace

Result<std::vector<Property>> ParseProperties(std::string_view text, const std::string& origin) {
  std::vector<Property> out;
  std::string logical;        // a line with its continuations joined
  uint32_t first_line = 0;    // where it started
  bool continuing = false;
  auto finish = [&]() -> Status {
    std::string_view line = TrimSpaces(logical);
    const std::string where = origin + ":" + std::to_string(first_line);
    // The key ends at the first unescaped '=', ':' or space; the separator may have spaces
    // around it.
    size_t end = 0;
    while (end < line.size() && line[end] != '=' && line[end] != ':' && !IsSpace(line[end])) {
      end += line[end] == '\\' ? 2 : 1;
    }
    end = std::min(end, line.size());
    if (end == line.size()) {
      return Status::InvalidArgument(where + ": expected key=value, got a line without '=' (comment it out with '#')");
    }
    size_t at = end;
    while (at < line.size() && IsSpace(line[at])) ++at;
    if (at < line.size() && (line[at] == '=' || line[at] == ':')) ++at;
    Property p;
    p.origin = where;
    if (!Unescape(line.substr(0, end), &p.key) || !Unescape(TrimSpaces(line.substr(at)), &p.value)) {
      return Status::InvalidArgument(where + ": a \\u escape needs four hex digits (write a backslash as \\\\)");
    }
    if (p.key.empty()) return Status::InvalidArgument(where + ": empty key before '='");
    out.push_back(std::move(p));
    return Status::Ok();
  };
  LS_RETURN_NOT_OK(ForEachLine(text, [&](uint32_t line_no, std::string_view line) -> Status {
    if (!continuing) {
      line = TrimSpaces(line);
      if (line.empty() || line.front() == '#' || line.front() == '!') return Status::Ok();  // Java's two comment marks
      logical.clear();
      first_line = line_no;
    } else {
      line = TrimSpaces(line);  // a continuation line's leading spaces are not part of the value
    }
    continuing = Continues(line);
    logical.append(continuing ? line.substr(0, line.size() - 1) : line);
    return continuing ? Status::Ok() : finish();
  }));
  if (continuing) LS_RETURN_NOT_OK(finish());  // a backslash on the last line: Java ends there too
  return out;
}

Result<std::vector<Property>> ReadPropertiesFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FromErrno(errno, "read config file", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseProperties(ss.str(), path);
}

Result<Property> ParsePropertyArg(std::string_view arg) {
  const size_t eq = arg.find('=');
  if (eq == 0) return Status::InvalidArgument("-X expects key=value, got an empty key before '='");
  if (eq == std::string_view::npos) {
    // Not echoed whole: `-X 'sasl.password hunter2'` must not print the password.
    const std::string_view word = arg.substr(0, std::min(arg.find_first_of(" \t:"), arg.size()));
    if (IsSecretKey(arg)) return Status::InvalidArgument("-X expects key=value, got a setting of a secret (not shown)");
    return Status::InvalidArgument("-X expects key=value, got '" + std::string(word) +
                                   (word.size() < arg.size() ? " ...'" : "'"));
  }
  return Property{std::string(arg.substr(0, eq)), std::string(arg.substr(eq + 1)), "-X"};
}

bool IsSecretKey(std::string_view key) {
  std::string k(key);
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* word : {"password", "secret", "jaas", "token", "credential", "private.key",
                           "key.pem", "api.key", "apikey"}) {
    if (k.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string DisplayValue(const Property& p) { return IsSecretKey(p.key) ? "[redacted]" : p.value; }

}  // namespace lakestream
