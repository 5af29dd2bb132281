// PartitionTask: everything one Kafka partition needs between poll and lake file.
//
//   value -> decode -> late check -> dedup -> window/aggregate -> closed windows -> rows
//              |bad         |late      |duplicate (dropped, counted)
//              v            v
//           SideOutput (dead letters, late records)
//
// Semantics (exact; see src/stream/README.md for the worked rules):
//  - Watermark = max(max event time seen in this partition - delay, AdvanceTo floor).
//  - Late: event time < watermark when the record is read. Late records are in no window
//    and never reach dedup: a record that is both late and a duplicate counts as late.
//  - Dedup: a record whose key was first seen at time t0 >= watermark (the watermark
//    after this record is folded in) is a duplicate; keys below the watermark are
//    forgotten, so the same key later is accepted again.
//  - Windows: [start, start + size), start a multiple of slide, aligned to the epoch.
//    A window is emitted exactly once, when watermark >= its end, in append mode.
//  - Rows come out sorted by (window end, group values), identical however the input is
//    batched and across Serialize/Restore.
//
// Thread-safety: none inside. A task is used by one thread at a time (its consumer
// thread); different tasks share nothing and may run on different threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/table.h"
#include "core/types.h"
#include "stream/aggregation.h"
#include "stream/decoder.h"
#include "stream/dedup.h"
#include "stream/pipeline_spec.h"
#include "stream/watermark.h"

namespace lakestream::stream {

// A record that does not fit the pipeline's schema.
struct DeadLetter {
  SourcePosition position;
  std::string value;   // the raw message bytes
  std::string reason;  // e.g. "field 'ENTRIES': bad int64 'x1'"
};

// A record that arrived below the watermark.
struct LateRecord {
  SourcePosition position;
  std::string value;
  EventTime event_time;
  int64_t watermark = 0;  // when it was read
};

// A record whose event time is more than kEventTimeJumpSeconds after every earlier one in its
// partition: the watermark follows it, so if its time is wrong (a clock or data error, a
// year 2099) every record after it is late. Not an error (a gap in the data looks the same);
// the job says so, naming the record.
inline constexpr int64_t kEventTimeJumpSeconds = 30 * 86400;
struct EventTimeJump {
  SourcePosition position;
  EventTime from;  // the newest event time before the record
  EventTime to;    // the record's
  int64_t watermark;  // the partition's, after it
};

// Receives the records a task sets aside, synchronously, on the task's thread.
class SideOutput {
 public:
  virtual ~SideOutput() = default;
  virtual void OnDeadLetter(DeadLetter letter) = 0;
  virtual void OnLate(LateRecord record) = 0;
  virtual void OnEventTimeJump(const EventTimeJump&) {}
};

// Keeps everything; for tests and small tools.
class CollectingSideOutput final : public SideOutput {
 public:
  void OnDeadLetter(DeadLetter letter) override { dead_letters.push_back(std::move(letter)); }
  void OnLate(LateRecord record) override { late.push_back(std::move(record)); }
  void OnEventTimeJump(const EventTimeJump& jump) override { jumps.push_back(jump); }
  std::vector<DeadLetter> dead_letters;
  std::vector<LateRecord> late;
  std::vector<EventTimeJump> jumps;
};

// Drops everything (the counters still count).
class NullSideOutput final : public SideOutput {
 public:
  void OnDeadLetter(DeadLetter) override {}
  void OnLate(LateRecord) override {}
};

enum class RecordOutcome {
  kAccepted,   // added to its windows
  kBad,        // sent to OnDeadLetter
  kLate,       // sent to OnLate
  kDuplicate,  // dropped
  kSkipped,    // offset below next_offset: already reflected in the state (redelivery)
};

struct Message {
  KafkaOffset offset;
  std::string_view value;
};

struct TaskStats {
  // Counters, monotonic over the task's life (checkpointed).
  uint64_t records = 0;  // records processed, whatever their outcome (skipped excluded)
  uint64_t bytes = 0;    // message value bytes of those records
  uint64_t bad = 0;
  uint64_t late = 0;
  uint64_t duplicates = 0;
  uint64_t windows_emitted = 0;
  uint64_t rows_emitted = 0;  // rows placed in the output buffer
  uint64_t skipped = 0;
  // Gauges.
  int64_t watermark = kNoWatermark;
  std::optional<EventTime> max_event_time;
  std::optional<KafkaOffset> next_offset;
  size_t open_windows = 0;
  size_t open_cells = 0;  // (group, pane) cells of the open windows
  size_t groups = 0;
  size_t dedup_keys = 0;  // stored, including expired keys not yet swept
  size_t pending_rows = 0;
};

class PartitionTask {
 public:
  // Validates the spec. `base` names the topic and partition (used in dead letters and
  // checked on Restore); base.offset >= 0 is the first offset expected: records below it
  // are skipped.
  static Result<std::unique_ptr<PartitionTask>> Make(const PipelineSpec& spec, SourcePosition base);

  // Processes one record. Offsets must not decrease; an offset below next_offset is
  // skipped (a redelivery of something the state already holds). Closed windows go to
  // the output buffer (TakeClosed).
  RecordOutcome Process(std::string_view value, KafkaOffset offset, SideOutput& side);
  void ProcessBatch(std::span<const Message> batch, SideOutput& side);

  // Raises the watermark to at least `watermark` and closes the windows it passes. Never
  // lowers it. (The jobs move a partition's watermark only with its records and at the end
  // of input; an idle partition's windows stay open. This is the hook for a policy that
  // would close them, and the tests' way to move the watermark alone.)
  void AdvanceTo(EventTime watermark);

  // End of input (--trigger available-now): closes every open window by advancing the
  // watermark to the end of the latest one. Records arriving afterwards for those windows
  // are late, so each window is still emitted exactly once.
  void Flush();
  // Flush in steps, window by window, for output held in bounded pieces: closes windows
  // (raising the watermark to each one's end) until at least `max_rows` rows (or as many
  // as the open panes' cells, if more) are waiting; true once every window is closed,
  // with the watermark and rows of Flush. (A day sliding by a minute ends with ~1,440
  // windows open: 7 million rows of the real week at once.)
  bool FlushStep(size_t max_rows);

  // Moves out the rows of the windows closed so far, sorted by (window end, group
  // values), typed as output_schema().
  std::vector<Row> TakeClosed();
  // The same, not built yet (ClosedRows::AppendTo builds them, on any thread).
  ClosedRows TakeClosedRows();

  // The full state as bytes (format below); const, so it can run between batches.
  // Rows not yet taken are included, so nothing is lost if the caller checkpoints first.
  std::string Serialize() const;
  // Replaces the whole state with a checkpoint's. On error the task is unchanged.
  // DataLoss: corrupt or truncated; FailedPrecondition: written by another pipeline spec,
  // topic or partition, or by an unknown format version.
  Status Restore(std::string_view bytes);
  // Restore's checks of the pipeline spec and format version alone (a few bytes, not the
  // whole state): InvalidArgument if `bytes` were written by another pipeline spec.
  Status CheckSpec(std::string_view bytes) const;

  TaskStats Stats() const;
  // Stats().pending_rows, .rows_emitted and .open_cells without the rest (Stats counts the
  // open windows, a walk of the panes): cheap enough to ask after every record.
  size_t pending_rows() const { return state_.pending.size(); }
  uint64_t rows_emitted() const { return state_.counters.rows_emitted; }
  size_t open_cells() const { return state_.aggregation.open_cells(); }
  // Stats().max_event_time without the rest (Stats walks the open windows).
  std::optional<EventTime> max_event_time() const { return state_.watermark.max_event_time(); }
  int64_t watermark() const { return state_.watermark.current(); }
  std::optional<KafkaOffset> next_offset() const { return state_.next_offset; }
  const Schema& output_schema() const { return output_schema_; }
  const PipelineSpec& spec() const { return spec_; }

  // Checkpoint format, version 2 (little-endian; strings are u32 length + bytes):
  //   "LSPT" magic, u32 version = 2, u64 XXH3-64 of CanonicalSpecText(spec),
  //   string topic, i32 partition,
  //   u8 has_next_offset, i64 next_offset,
  //   u64 x 7 counters: records, bytes, bad, duplicates, windows_emitted, rows_emitted, skipped,
  //   watermark: u8 has_max, i64 max_event, i64 floor, i64 current, u64 late,
  //   dedup: u64 n, n x (u64 fp_low, u64 fp_high, i64 first_event_time) (live keys only),
  //   aggregation: u32 G, G x row (group values); u32 P panes, P x (i64 start, u32 C,
  //     C x (u32 group, A x (i64 int_acc, f64 double_acc, i64 count))); u8 has_emitted,
  //     i64 end of the last window emitted; u32 W whole windows restored from version 1,
  //     as the panes (AggregationState::Save),
  //   pending rows: u64 R, R x row,
  //   u64 XXH3-64 of every byte before it.
  // A row is u32 n, n x value; a value is u8 tag (0 null, 1 string, 2 int64, 3 double,
  // 4 timestamp) + payload (string, i64, f64 bits, i64 seconds).
  // Version 1 (before panes) still reads: its aggregation ends after W whole windows in
  // the place of the panes (for tumbling windows the same thing).
  static constexpr uint32_t kCheckpointVersion = 2;
  static constexpr uint32_t kOldestCheckpointVersion = 1;

 private:
  // Everything that changes while processing; the rest of the task is immutable config
  // and scratch buffers. Serialize/Restore move exactly this.
  struct State {
    explicit State(const PipelineSpec& spec, const std::shared_ptr<const AggregationPlan>& plan)
        : watermark(spec.watermark_delay), aggregation(plan), pending(plan) {}
    Watermark watermark;
    DedupSet dedup;
    AggregationState aggregation;
    std::optional<KafkaOffset> next_offset;
    TaskStats counters;  // only the counter fields are used
    ClosedRows pending;
  };

  PartitionTask(const PipelineSpec& spec, SourcePosition base);
  void CloseWindows();
  Status Load(std::string_view bytes, State* state) const;
  // The magic, format version, spec hash and (`verify_checksum`) checksum of a state; its
  // format version.
  Result<uint32_t> CheckHeader(std::string_view bytes, bool verify_checksum) const;

  const PipelineSpec spec_;
  const Schema output_schema_;
  const std::shared_ptr<const AggregationPlan> plan_;
  const std::vector<size_t> dedup_fields_;
  const std::vector<ColumnType> dedup_types_;
  const uint64_t spec_hash_;
  const std::string topic_;
  const int32_t partition_;
  RecordDecoder decoder_;
  WindowBoundsCheck window_bounds_;
  std::string reason_;     // scratch
  std::string dedup_key_buffer_;  // scratch (EncodeKey)
  State state_;
};

}  // namespace lakestream::stream
