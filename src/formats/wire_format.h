// How a Kafka message value encodes one record: shared by the producer (mta/) and the
// stream engine (stream/), so that both always mean the same bytes by the same name.
#pragma once

#include <string_view>

#include "core/status.h"

namespace lakestream {

enum class WireFormat {
  kCsv,   // one CSV line, the fields by position, no header, RFC 4180 quoting where needed
  kSeed,  // that CSV line as a JSON string literal (the seed producer's json.dumps(str))
  kJson,  // a JSON object with the fields as keys; numbers as JSON numbers
};

// "csv", "seed", "json"; InvalidArgument naming the choices otherwise.
Result<WireFormat> ParseWireFormat(std::string_view name);
const char* WireFormatName(WireFormat f);

}  // namespace lakestream
