#include "formats/properties.h"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <mutex>
#include <sstream>

#include "formats/csv.h"
#include "formats/text_file.h"

namespace lakestream {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\f'; }

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
  auto finish = [&]() -> Status {
    std::string_view line = TrimSpaces(logical);
    const std::string where = origin + ":" + std::to_string(first_line);
    // The key ends at the first '=', ':' or space; the separator may have spaces around it.
    size_t end = 0;
    while (end < line.size() && line[end] != '=' && line[end] != ':' && !IsSpace(line[end])) ++end;
    if (end == line.size()) {
      return Status::InvalidArgument(where + ": expected key=value, got a line without '=' (comment it out with '#')");
    }
    size_t at = end;
    while (at < line.size() && IsSpace(line[at])) ++at;
    if (at < line.size() && (line[at] == '=' || line[at] == ':')) ++at;
    Property p{std::string(line.substr(0, end)), std::string(TrimSpaces(line.substr(at))), where};
    if (p.key.empty()) return Status::InvalidArgument(where + ": empty key before '='");
    out.push_back(std::move(p));
    return Status::Ok();
  };
  // A line ending in a backslash goes on on the next line only if that one is indented (as
  // a multi-line value is written); otherwise the backslash is the value's last character
  // (a password may end in one). `pending`: a line that ended in a backslash, waiting to see.
  bool pending = false;
  auto take = [&](std::string_view line) -> Status {  // a trimmed line, or its continuation
    pending = Continues(line);
    logical.append(pending ? line.substr(0, line.size() - 1) : line);
    return pending ? Status::Ok() : finish();
  };
  LS_RETURN_NOT_OK(ForEachLine(text, [&](uint32_t line_no, std::string_view raw) -> Status {
    if (pending) {
      if (!raw.empty() && IsSpace(raw.front())) return take(TrimSpaces(raw));
      pending = false;
      logical.push_back('\\');  // not continued: the backslash stays
      LS_RETURN_NOT_OK(finish());
    }
    std::string_view line = TrimSpaces(raw);
    if (line.empty() || line.front() == '#' || line.front() == '!') return Status::Ok();  // Java's two comment marks
    logical.clear();
    first_line = line_no;
    return take(line);
  }));
  if (pending) {  // a backslash on the last line is the value's
    logical.push_back('\\');
    LS_RETURN_NOT_OK(finish());
  }
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
    // Not echoed: `-X 'sasl.password hunter2'` must not print the password, and a lone
    // word may be the rest of one the shell split (`-X sasl.password=two words`).
    if (IsSecretKey(arg)) return Status::InvalidArgument("-X expects key=value, got a setting of a secret (not shown)");
    return Status::InvalidArgument(
        "-X expects key=value, got a word without '=' (not shown: it may be part of a secret); quote a value "
        "with spaces: -X 'key=two words'");
  }
  return Property{std::string(arg.substr(0, eq)), std::string(arg.substr(eq + 1)), "-X"};
}

bool IsSecretKey(std::string_view key) {
  std::string k(key);
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::tolower(c); });
  // sasl.oauthbearer.config holds the client secret among its k=v words; the Schema
  // Registry's basic.auth.user.info is KEY:SECRET.
  for (const char* word : {"password", "secret", "jaas", "token", "credential", "private.key",
                           "key.pem", "api.key", "apikey", "passphrase", "oauthbearer.config", "user.info"}) {
    if (k.find(word) != std::string::npos) return true;
  }
  return false;
}

constexpr std::string_view kRedacted = "[redacted]";

std::string DisplayValue(const Property& p) { return IsSecretKey(p.key) ? std::string(kRedacted) : p.value; }

namespace {

struct Secrets {
  std::mutex mu;
  std::vector<std::string> values;  // longest first, so a value goes before its parts
};
Secrets& RememberedSecrets() {
  static Secrets secrets;
  return secrets;
}

}  // namespace

void RememberSecretValue(std::string_view value) {
  std::vector<std::string_view> parts = {value};
  for (size_t start = 0; start < value.size();) {
    size_t end = value.find_first_of(" \t", start);
    if (end == std::string_view::npos) end = value.size();
    // What an error may quote: the rest of the value from a word on ("... beginning at:
    // foo=..."), and the value of a secret-named word (a JAAS line's password="...").
    if (start > 0) parts.push_back(value.substr(start));
    const std::string_view word = value.substr(start, end - start);
    if (size_t eq = word.find('='); eq != std::string_view::npos && IsSecretKey(word.substr(0, eq))) {
      std::string_view v = word.substr(eq + 1);
      while (!v.empty() && (v.back() == ';' || v.back() == '"' || v.back() == '\'')) v.remove_suffix(1);
      while (!v.empty() && (v.front() == '"' || v.front() == '\'')) v.remove_prefix(1);
      parts.push_back(v);
    }
    start = end + 1;
  }
  Secrets& s = RememberedSecrets();
  std::lock_guard<std::mutex> lock(s.mu);
  for (std::string_view p : parts) {
    if (p.size() < 4 || std::find(s.values.begin(), s.values.end(), p) != s.values.end()) continue;
    s.values.emplace_back(p);
  }
  std::stable_sort(s.values.begin(), s.values.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string RedactSecrets(std::string_view text, const std::vector<std::string>& also) {
  std::string out(text);
  auto redact = [&out](const std::string& v) {
    if (v.empty()) return;
    for (size_t at = out.find(v); at != std::string::npos; at = out.find(v, at + kRedacted.size())) {
      out.replace(at, v.size(), kRedacted);
    }
  };
  Secrets& s = RememberedSecrets();
  std::lock_guard<std::mutex> lock(s.mu);
  for (const std::string& v : s.values) redact(v);
  for (const std::string& v : also) redact(v);
  return out;
}

}  // namespace lakestream
