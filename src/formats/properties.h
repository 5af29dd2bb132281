// The seed's client configuration format: `key=value` per line, `#` (and Java's `!`)
// comments and blank lines skipped, split on the first `=`, keys and values trimmed.
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
