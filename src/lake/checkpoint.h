// The per-partition checkpoint: the commit record of the lake's exactly-once protocol.
//
// Claiming a new checkpoint as `<lake root>/_checkpoints/<topic>/<partition>.commits/<commit_seq>`
// (a hard link, created only if the name is free) is THE commit point of a partition task;
// `<lake root>/_checkpoints/<topic>/<partition>` is its copy (see committer.h). What it says
// is true of the lake:
//   - `next_offset` is one past the last Kafka record reflected in `state` and in the
//     lake files of this and all earlier commits (exclusive bound: seek there to resume);
//   - `pending` lists the files of commit `commit_seq` as temp -> final; each final file
//     exists, or its temp file exists and recovery renames it (no other outcome is valid).
//
// On-disk format, version 1 (bump kCheckpointFormatVersion on any incompatible change,
// and keep reading old versions):
//
//   lakestream-checkpoint <format version> <body length in bytes> <crc32 of body, 8 hex>\n
//   <body: one line of JSON>\n
//
//   body = {"format_version":1, "topic":"mta-turnstile", "partition":0, "commit_seq":42,
//           "next_offset":12345, "state_base64":"...",
//           "pending":[{"temp":"turnstile/date=2024-07-22/.part-p0-000000000042-0000.csv.gz.tmp",
//                       "final":"turnstile/date=2024-07-22/part-p0-000000000042-0000.csv.gz",
//                       "rows":17}],
//           "source":"files turnstile_230603.csv.gz (60213445 bytes)",
//           "outputs":["turnstile (csv.gz)", "_dead_letters/mta-turnstile (jsonl)", ...],
//           "last_record":{"offset":12344,"check":"9f0c41d27a3b6e85"}}
//
// `source` and `outputs` say what the offsets count and where the rows go, so that a job
// over other input or into another table is refused instead of resuming from offsets that
// mean nothing to it. Both are optional (absent in checkpoints of lakestream before them,
// and `source` is empty when the job cannot name its input).
//
// `last_record` is the record just before `next_offset`, as the task read it (optional:
// absent in older checkpoints and when the task cannot name it). A resumed partition reads
// that record again before going on: another record there means the offsets now count
// another log (the topic was deleted and re-created, or refilled) and resuming at
// `next_offset` would skip records never processed.
//
// Paths in `pending` are relative to the lake root, so a lake can be moved or mounted
// elsewhere. `tail -n +2 <checkpoint> | jq .` shows the body.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace lakestream::lake {

inline constexpr int kCheckpointFormatVersion = 1;

struct PendingFile {
  std::string temp;   // relative to the lake root
  std::string final;  // relative to the lake root
  uint64_t rows = 0;  // informational
  friend bool operator==(const PendingFile&, const PendingFile&) = default;
};

// What `last_record` compares: a record's position, Kafka timestamp (ms; -1 if none),
// length and its first and last 8 bytes. Taken from every record by the processing thread,
// so it is a few loads, not a hash of the whole value.
struct RecordSample {
  int64_t offset = -1;
  int64_t timestamp_ms = -1;
  uint64_t length = 0;
  uint64_t head = 0;  // the first min(8, length) bytes
  uint64_t tail = 0;  // the last min(8, length) bytes

  static RecordSample Of(int64_t offset, int64_t timestamp_ms, std::string_view value) {
    RecordSample s{offset, timestamp_ms, value.size(), 0, 0};
    if (value.size() >= 8) {
      std::memcpy(&s.head, value.data(), 8);
      std::memcpy(&s.tail, value.data() + value.size() - 8, 8);
    } else if (!value.empty()) {
      std::memcpy(&s.head, value.data(), value.size());
      s.tail = s.head;
    }
    return s;
  }
  // A 64-bit hash of everything above but the offset.
  uint64_t Check() const;
};

struct LastRecord {
  int64_t offset = -1;  // next_offset - 1
  uint64_t check = 0;   // RecordSample::Check() of the record there
  friend bool operator==(const LastRecord&, const LastRecord&) = default;
};

struct Checkpoint {
  std::string topic;
  PartitionId partition;
  uint64_t commit_seq = 0;  // 1 for the first commit; strictly increasing
  KafkaOffset next_offset;  // exclusive: one past the last record reflected
  std::string state;        // the stream engine's serialized state, opaque bytes
  std::vector<PendingFile> pending;
  std::string source;                // what the offsets count; "" if unknown
  std::vector<std::string> outputs;  // "<dir> (<extension>)" of each output; empty if unknown
  std::optional<LastRecord> last_record;  // the record at next_offset - 1; unset if unknown
  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

std::string EncodeCheckpoint(const Checkpoint& checkpoint);
// DataLoss for anything but a well-formed version-1 checkpoint; the message names `path`
// and says what to do.
Result<Checkpoint> DecodeCheckpoint(std::string_view bytes, const std::string& path);
// nullopt if there is no checkpoint at `path` (a partition never committed). `header`, if
// given, receives the file's first line (its length and crc32 identify the file).
Result<std::optional<Checkpoint>> ReadCheckpoint(const std::string& path, std::string* header = nullptr);
// Only the first line of the checkpoint at `path` (nullopt if there is none): enough to
// tell whether it is still the file whose header one has (see ReadCheckpoint).
Result<std::optional<std::string>> ReadCheckpointHeader(const std::string& path);
// The first line of an encoded checkpoint.
std::string_view CheckpointHeader(std::string_view encoded);

}  // namespace lakestream::lake
