// Client configuration files: Java's properties format, as Kafka's Java clients read a
// client.properties (the seed's `key=value` lines are a subset). A key ends at the first
// unescaped `=`, `:` or space; `#` and `!` start comments; a line ending in `\` goes on on
// the next one (leading spaces dropped); escapes `\t \n \r \f \uXXXX` and `\X` for any
// other X. Keys and values are trimmed. Errors name the file and the line.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace lakestream {

struct Property {
  std::string key;
  std::string value;
  std::string origin;  // "file:line" or "-X", for error messages
};

// Parses properties text; `origin` names the source in messages ("kafka.properties").
Result<std::vector<Property>> ParseProperties(std::string_view text, const std::string& origin);
// Reads and parses a file.
Result<std::vector<Property>> ReadPropertiesFile(const std::string& path);
// Parses one `key=value` (the -X option).
Result<Property> ParsePropertyArg(std::string_view arg);

// True for keys whose values must never be printed (passwords, secrets, JAAS configs, tokens).
bool IsSecretKey(std::string_view key);
// The value as it may be shown to a person: "[redacted]" for secret keys.
std::string DisplayValue(const Property& p);

}  // namespace lakestream
