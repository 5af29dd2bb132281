// A turnstile message as it goes on the wire, and its three wire formats.
//
//   csv  : CA,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS,ID,TIMESTAMP
//          no header, RFC 4180 quoting only where a field needs it
//   seed : that CSV line as a JSON string literal, byte-for-byte what the seed's Python
//          producer (json.dumps of the line) puts on the wire
//   json : an object with those 13 keys, ENTRIES and EXITS as numbers
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "formats/wire_format.h"

namespace lakestream::mta {

using lakestream::WireFormat;  // formats/wire_format.h

// Views into strings owned by the caller; valid while rendering.
struct TurnstileMessage {
  std::string_view ca, unit, scp, station, linename, division, desc;
  EventTime time;  // DATE (MM-DD-YY), TIME and TIMESTAMP are derived from it
  int64_t entries = 0;
  int64_t exits = 0;
  std::string_view id;
};

// Appends the value in `format` to `out` (which is not cleared). `csv_head`, if given, is
// AppendCsvHead's text for `m` (csv and seed formats; a replay renders it once per device).
void RenderValue(const TurnstileMessage& m, WireFormat format, std::string* out,
                 std::string_view csv_head = {});
// The CSV line's first six fields, CA to DIVISION, each followed by its comma.
void AppendCsvHead(const TurnstileMessage& m, std::string* out);
// The message key: the device, `CA,UNIT,SCP` as a CSV row (a part with a comma or quote is
// quoted), so one device stays in one partition and two devices never share a key.
void RenderDeviceKey(std::string_view ca, std::string_view unit, std::string_view scp,
                     std::string* out);
// A deterministic ID for (device, timestamp), formatted as a UUID (version 8, RFC 9562:
// custom), so that re-publishing the same file produces the same IDs.
std::string MakeMessageId(std::string_view ca, std::string_view unit, std::string_view scp,
                          EventTime time);
// The same ID from the device's key (RenderDeviceKey's `CA,UNIT,SCP`), appended to `out`.
void AppendMessageId(std::string_view device_key, EventTime time, std::string* out);

}  // namespace lakestream::mta
