// Base64 (RFC 4648, with padding) for bytes stored inside JSON: checkpoint state, dead letters.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lakestream::lake {

std::string Base64Encode(std::string_view bytes);
// Base64Encode(bytes) appended to *out.
void AppendBase64(std::string_view bytes, std::string* out);
// nullopt unless `text` is canonical padded base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace lakestream::lake
