// JSON string literals, byte-compatible with Python's json.dumps(str) (ensure_ascii=True):
// the seed's producer puts exactly these bytes on the wire.
#pragma once

#include <string>
#include <string_view>

namespace lakestream {

// Appends `text` (UTF-8) as a JSON string literal with Python's escaping: \" \\ \n \r \t
// \b \f, other control characters and every non-ASCII code point as \uXXXX (surrogate
// pairs above U+FFFF). Invalid UTF-8 bytes are written as \u00XX of the byte.
void AppendJsonString(std::string* out, std::string_view text);

// Decodes a JSON string literal (with its quotes) into UTF-8. Returns false on a
// malformed literal. Used to read the `seed` wire format.
bool DecodeJsonString(std::string_view literal, std::string* out);

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points above
// U+10FFFF).
bool IsValidUtf8(std::string_view text);
// `text` with each byte that starts no valid UTF-8 sequence replaced by U+FFFD.
std::string ToValidUtf8(std::string_view text);
// The longest prefix of `text` of at most `max_bytes` that ends at a character boundary
// (for cutting text shown in messages without splitting a character).
std::string_view Utf8Prefix(std::string_view text, size_t max_bytes);

}  // namespace lakestream
