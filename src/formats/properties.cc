#include "formats/properties.h"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>

#include "formats/csv.h"
#include "formats/text_file.h"

namespace lakestream {

Result<std::vector<Property>> ParseProperties(std::string_view text, const std::string& origin) {
  std::vector<Property> out;
  LS_RETURN_NOT_OK(ForEachLine(text, [&](uint32_t line_no, std::string_view line) -> Status {
    line = TrimSpaces(line);
    if (line.empty() || line.front() == '#' || line.front() == '!') return Status::Ok();  // Java's two comment marks
    size_t eq = line.find('=');
    std::string where = origin + ":" + std::to_string(line_no);
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument(where + ": expected key=value, got a line without '=' (comment it out with '#')");
    }
    Property p{std::string(TrimSpaces(line.substr(0, eq))), std::string(TrimSpaces(line.substr(eq + 1))),
               where};
    if (p.key.empty()) return Status::InvalidArgument(where + ": empty key before '='");
    out.push_back(std::move(p));
    return Status::Ok();
  }));
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
  size_t eq = arg.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return Status::InvalidArgument("-X expects key=value, got '" + std::string(arg.substr(0, eq)) + "'");
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
