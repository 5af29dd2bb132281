// Message sources for `lakestream produce` (and the file source of `process`):
// each yields keyed, rendered messages with their event time, in publishing order.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "formats/text_file.h"
#include "mta/replay.h"
#include "mta/turnstile_message.h"

namespace lakestream::produce {

struct SourceMessage {
  // Messages with the same key_id have the same key (a source that knows, e.g. a replay's
  // device number, says so; the producer then partitions each key once).
  static constexpr uint32_t kNoKeyId = UINT32_MAX;
  std::string key;
  std::string value;
  EventTime time;
  uint32_t key_id = kNoKeyId;
  // The turnstile figures the message carries (zero from other sources), which the producer
  // adds up over the messages it publishes (SourceStats::Add): after Ctrl-C, the summary is
  // that of what was sent, not of the whole input.
  int64_t entries = 0;
  int64_t exits = 0;
  bool entries_anomaly = false;  // replay rule 3: ENTRIES was out of range and is sent as 0
  bool exits_anomaly = false;
};

// Turnstile figures of a run's messages, for the summary and --stats-json.
struct SourceStats {
  uint64_t entries_anomalies = 0;  // replay rule 3
  uint64_t exits_anomalies = 0;
  int64_t entries_sum = 0;
  int64_t exits_sum = 0;
  void Add(const SourceMessage& m) {
    entries_sum += m.entries;
    exits_sum += m.exits;
    entries_anomalies += m.entries_anomaly;
    exits_anomalies += m.exits_anomaly;
  }
};

class MessageSource {
 public:
  virtual ~MessageSource() = default;
  // Fills `m` (reusing its buffers) with the next message; false at the end.
  virtual bool Next(SourceMessage* m) = 0;
  // How many messages there will be, if known.
  virtual std::optional<uint64_t> Total() const { return std::nullopt; }
  // Whether event times follow the wall clock (the pacer must not wait on them).
  virtual bool LiveTime() const { return false; }
  // Input rows that were malformed and skipped (file:line, reason, text), in input order.
  virtual const std::vector<RejectedLine>& Issues() const = 0;
};

// Reports the rows `src` skipped: the first kRejectedShown on `log` ("skipped row:
// file:line: reason"), then how many more; with a `bad_rows_path`, every one as a JSON line
// there (AppendRejectedLineJson; the file is written even when empty, so a script can tell
// "none" from "not written"). The file's write error is returned.
inline constexpr size_t kRejectedShown = 10;
Status ReportRejectedRows(const MessageSource& src, const std::string& bad_rows_path, std::FILE* log);

struct MtaFileOptions {
  mta::WireFormat format = mta::WireFormat::kCsv;
  mta::ReplayOptions replay;
  bool shift_to_now = false;  // move timestamps so that the first reading is now
  // Progress while reading files: called once per file read.
  void (*on_file)(const std::string& path, const mta::SourceFile& f) = nullptr;
};

// Replays MTA weekly files through the replay rules (mta/replay.h).
Result<std::unique_ptr<MessageSource>> MakeMtaFileSource(const std::vector<std::string>& paths,
                                                         const MtaFileOptions& options);

struct SyntheticOptions {
  mta::WireFormat format = mta::WireFormat::kCsv;
  uint64_t count = 0;    // 0 = unlimited
  double rate = 0;       // messages/s; >0: event time = wall clock at generation
  uint64_t seed = 0;     // 0 = random
  EventTime start{0};    // first event time (when rate == 0); 0 = now
  int64_t interval_seconds = 10;  // the seed Provider's interval (when rate == 0)
};

// The seed's dummy Provider: random UUID key and ID, CA A001|A002, UNIT R001|R002,
// STATION Test-Station1|Test-Station2, SCP 02-00-00, LINENAME 456NQR, DIVISION BMT,
// DESC REGULAR, ENTRIES and EXITS increments in [5, 10].
std::unique_ptr<MessageSource> MakeSyntheticSource(const SyntheticOptions& options);

struct RidesOptions {
  bool shift_to_now = false;
};

// `--source rides:FILE` (produce and process): FILE if `source` names taxi rides.
inline std::optional<std::string_view> RidesPath(std::string_view source) {
  constexpr std::string_view kPrefix = "rides:";
  if (!source.starts_with(kPrefix)) return std::nullopt;
  return source.substr(kPrefix.size());
}

// Taxi rides CSV (18 columns) as typed JSON objects keyed by PULocationID, in
// pickup-time order (ties in file order).
Result<std::unique_ptr<MessageSource>> MakeRidesSource(const std::string& path,
                                                       const RidesOptions& options);

}  // namespace lakestream::produce
