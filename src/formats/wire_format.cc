#include "formats/wire_format.h"

#include <string>

namespace lakestream {

Result<WireFormat> ParseWireFormat(std::string_view name) {
  if (name == "csv") return WireFormat::kCsv;
  if (name == "seed") return WireFormat::kSeed;
  if (name == "json") return WireFormat::kJson;
  return Status::InvalidArgument("unknown wire format '" + std::string(name) +
                                 "': use csv, seed (the seed producer's JSON-quoted CSV) or json");
}

const char* WireFormatName(WireFormat f) {
  switch (f) {
    case WireFormat::kCsv: return "csv";
    case WireFormat::kSeed: return "seed";
    case WireFormat::kJson: return "json";
  }
  return "?";
}

}  // namespace lakestream
