// Client configuration files: the seed's `key=value` lines, and the layout of a Java
// client's client.properties: a key ends at the first `=`, `:` or space; `#` and `!` start
// comments; a line ending in `\` goes on on the next one if that one is indented (its
// leading spaces dropped). Other backslashes are kept as written (no Java escapes: a
// seed-format password with a `\`, even a last one, keeps it). Keys and values are
// trimmed. Errors name the file and the line.
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

// Secret values this process was given (kafka::ClientConfig remembers them): text from
// outside, such as librdkafka's errors ("Unrecognized sasl.oauthbearer.config beginning
// at: ..."), may quote one, or a part of one. RedactSecrets replaces each remembered
// value, the rest of it from each of its words on, and the value of each `key=value` word
// whose key is a secret's (a JAAS line's password="..."), of 4 bytes or more, with
// "[redacted]". Thread-safe.
void RememberSecretValue(std::string_view value);
// `also`: more words to hide in this text only (a usage error's maybe-secret arguments).
std::string RedactSecrets(std::string_view text, const std::vector<std::string>& also = {});

}  // namespace lakestream
