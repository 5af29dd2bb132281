// The replay rules: cumulative MTA register readings -> per-interval turnstile messages.
//
// 1. A device is (C/A, UNIT, SCP). Its readings are ordered by timestamp, stably. The
//    readings of several files (TurnstileData) are one replay: a device spans them.
// 2. Of several readings with the same timestamp one is kept: REGULAR before
//    RECOVR AUD, then the first in the file.
// 3. The first kept reading of a device yields no message. Every later one yields a
//    message whose ENTRIES is its counter minus the previous kept reading's counter,
//    likewise EXITS. A difference below 0 or above max_delta becomes 0 and counts as
//    one counter anomaly (ENTRIES and EXITS counted separately).
// 4. The message carries the reading's own STATION, LINENAME, DIVISION, DESC and time.
// 5. Messages of all devices are ordered by event time, ties in file order.
#pragma once

#include <cstdint>
#include <vector>

#include "mta/turnstile_file.h"

namespace lakestream::mta {

struct ReplayOptions {
  int64_t max_delta = 10000;
};

struct ReplayMessage {
  uint32_t reading;                // index into TurnstileData::readings: the later reading of the pair
  uint32_t device : 30;            // the device, numbered 0, 1, ... in order of first appearance
  uint32_t entries_anomaly : 1;    // rule 3: the ENTRIES difference was out of range, set to 0
  uint32_t exits_anomaly : 1;
  int64_t entries;                 // increments since the previous kept reading
  int64_t exits;
};

struct ReplayResult {
  std::vector<ReplayMessage> messages;  // rule 5 order
  uint64_t entries_anomalies = 0;
  uint64_t exits_anomalies = 0;
  uint64_t same_time_dropped = 0;  // readings dropped by rule 2
  uint64_t devices = 0;
  int64_t entries_sum = 0;
  int64_t exits_sum = 0;
};

ReplayResult Replay(const TurnstileData& data, const ReplayOptions& options);

}  // namespace lakestream::mta
