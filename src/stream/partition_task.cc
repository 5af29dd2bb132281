#include "stream/partition_task.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace lakestream::stream {
namespace {

constexpr char kMagic[4] = {'L', 'S', 'P', 'T'};

std::vector<size_t> FieldIndexes(const PipelineSpec& spec, const std::vector<std::string>& names) {
  std::vector<size_t> out;
  for (const std::string& n : names) {
    for (size_t i = 0; i < spec.schema.size(); ++i) {
      if (spec.schema[i].name == n) out.push_back(i);
    }
  }
  return out;
}

std::vector<ColumnType> FieldTypes(const PipelineSpec& spec, const std::vector<size_t>& indexes) {
  std::vector<ColumnType> out;
  for (size_t i : indexes) out.push_back(spec.schema[i].type);
  return out;
}

uint64_t SpecHash(const PipelineSpec& spec) {
  std::string text = CanonicalSpecText(spec);
  return XXH3_64bits(text.data(), text.size());
}

}  // namespace

Result<std::unique_ptr<PartitionTask>> PartitionTask::Make(const PipelineSpec& spec, SourcePosition base) {
  LS_RETURN_NOT_OK(ValidatePipelineSpec(spec));
  return std::unique_ptr<PartitionTask>(new PartitionTask(spec, std::move(base)));
}

PartitionTask::PartitionTask(const PipelineSpec& spec, SourcePosition base)
    : spec_(spec),
      output_schema_(OutputSchema(spec)),
      plan_(std::make_shared<const AggregationPlan>(AggregationPlan::Make(spec))),
      dedup_fields_(FieldIndexes(spec, spec.dedup_key)),
      dedup_types_(FieldTypes(spec, dedup_fields_)),
      spec_hash_(SpecHash(spec)),
      topic_(std::move(base.topic)),
      partition_(base.partition),
      decoder_(spec_),
      window_bounds_(spec_.window),
      state_(spec_, plan_) {
  if (base.offset >= 0) state_.next_offset = KafkaOffset{base.offset};
}

RecordOutcome PartitionTask::Process(std::string_view value, KafkaOffset offset, SideOutput& side) {
  State& s = state_;
  if (s.next_offset && offset < *s.next_offset) {
    ++s.counters.skipped;
    return RecordOutcome::kSkipped;
  }
  s.next_offset = KafkaOffset{offset.value + 1};
  ++s.counters.records;
  s.counters.bytes += value.size();

  if (!decoder_.Decode(value, &reason_)) {
    ++s.counters.bad;
    side.OnDeadLetter(DeadLetter{SourcePosition{topic_, partition_, offset.value}, std::string(value), reason_});
    return RecordOutcome::kBad;
  }
  const EventTime t = decoder_.event_time();
  if (!window_bounds_.Fits(t)) [[unlikely]] {
    ++s.counters.bad;
    side.OnDeadLetter(DeadLetter{
        SourcePosition{topic_, partition_, offset.value}, std::string(value),
        fmt::format("event time {}: a window containing it would end after 9999-12-31 23:59:59 or start "
                    "before 0000-01-01, outside the timestamps lake readers take",
                    FormatTimestamp(t))});
    return RecordOutcome::kBad;
  }
  const int64_t newest = s.watermark.max_event_or(std::numeric_limits<int64_t>::max());
  if (!s.watermark.Admit(t)) {
    side.OnLate(LateRecord{SourcePosition{topic_, partition_, offset.value}, std::string(value), t,
                           s.watermark.current()});
    return RecordOutcome::kLate;
  }
  if (t.seconds > newest && t.seconds - newest > kEventTimeJumpSeconds) [[unlikely]] {
    side.OnEventTimeJump(EventTimeJump{SourcePosition{topic_, partition_, offset.value}, EventTime{newest}, t,
                                      s.watermark.current()});
  }
  // Closed as soon as the watermark passes them, even when this record turns out to be a
  // duplicate (which still moves the watermark). A record that is not late falls only in
  // windows that end after the watermark, so closing before adding it is safe.
  if (s.watermark.current() >= s.aggregation.next_close()) CloseWindows();
  if (!dedup_fields_.empty()) {
    const std::vector<FieldValue>& fields = decoder_.fields();
    const std::string_view key = EncodeKey(fields, dedup_fields_, dedup_types_, &dedup_key_buffer_);
    if (!s.dedup.Insert(FingerprintOf(key), t.seconds, s.watermark.current())) {
      ++s.counters.duplicates;
      return RecordOutcome::kDuplicate;
    }
  }
  s.aggregation.Add(decoder_.fields(), t);
  return RecordOutcome::kAccepted;
}

void PartitionTask::ProcessBatch(std::span<const Message> batch, SideOutput& side) {
  for (const Message& m : batch) Process(m.value, m.offset, side);
}

void PartitionTask::CloseWindows() {
  State& s = state_;
  size_t before = s.pending.size();
  s.counters.windows_emitted += s.aggregation.CloseUpTo(s.watermark.current(), &s.pending);
  s.counters.rows_emitted += s.pending.size() - before;
}

void PartitionTask::AdvanceTo(EventTime watermark) {
  state_.watermark.AdvanceTo(watermark.seconds);
  CloseWindows();
}

void PartitionTask::Flush() {
  if (std::optional<int64_t> end = state_.aggregation.last_end()) state_.watermark.AdvanceTo(*end);
  CloseWindows();
}

bool PartitionTask::FlushStep(size_t max_rows) {
  State& s = state_;
  const std::optional<int64_t> end = s.aggregation.last_end();
  if (!end) return true;
  // At least one window a step (a corrupt checkpoint may hold a pane without cells).
  const size_t enough = std::max({max_rows, s.aggregation.open_cells(), size_t{1}});
  while (s.pending.size() < enough) {
    const int64_t next = s.aggregation.next_close();
    if (next >= *end) {
      Flush();
      return true;
    }
    s.watermark.AdvanceTo(next);
    CloseWindows();
  }
  return false;
}

std::vector<Row> PartitionTask::TakeClosed() {
  std::vector<Row> out;
  TakeClosedRows().AppendTo(&out);
  return out;
}

ClosedRows PartitionTask::TakeClosedRows() {
  ClosedRows out(plan_);
  std::swap(out, state_.pending);
  return out;
}

TaskStats PartitionTask::Stats() const {
  TaskStats st = state_.counters;
  st.late = state_.watermark.late_count();
  st.watermark = state_.watermark.current();
  st.max_event_time = state_.watermark.max_event_time();
  st.next_offset = state_.next_offset;
  st.open_windows = state_.aggregation.open_windows();
  st.open_cells = state_.aggregation.open_cells();
  st.groups = state_.aggregation.groups();
  st.dedup_keys = state_.dedup.size();
  st.pending_rows = state_.pending.size();
  return st;
}

std::string PartitionTask::Serialize() const {
  const State& s = state_;
  ByteWriter w;
  w.buffer().append(kMagic, 4);
  w.U32(kCheckpointVersion);
  w.U64(spec_hash_);
  w.Bytes(topic_);
  w.U32(static_cast<uint32_t>(partition_));
  w.U8(s.next_offset ? 1 : 0);
  w.I64(s.next_offset ? s.next_offset->value : 0);
  const TaskStats& c = s.counters;
  for (uint64_t v : {c.records, c.bytes, c.bad, c.duplicates, c.windows_emitted, c.rows_emitted, c.skipped}) w.U64(v);
  s.watermark.Save(w);
  s.dedup.Save(w, s.watermark.current());
  s.aggregation.Save(w);
  std::vector<Row> pending;
  s.pending.AppendTo(&pending);
  w.U64(pending.size());
  for (const Row& row : pending) w.PutRow(row);
  const std::string& b = w.buffer();
  w.U64(XXH3_64bits(b.data(), b.size()));
  return w.Take();
}

Result<uint32_t> PartitionTask::CheckHeader(std::string_view bytes, bool verify_checksum) const {
  if (bytes.size() < 4 + 4 + 8 || std::memcmp(bytes.data(), kMagic, 4) != 0) {
    return Status::DataLoss("checkpoint: not a lakestream partition checkpoint (bad magic)");
  }
  ByteReader r(bytes.substr(4));
  uint32_t version = 0;
  LS_RETURN_NOT_OK(r.U32(&version));
  if (version < kOldestCheckpointVersion || version > kCheckpointVersion) {
    return Status::FailedPrecondition("checkpoint: format version " + std::to_string(version) +
                                      " is not supported (this build reads versions " +
                                      std::to_string(kOldestCheckpointVersion) + " to " +
                                      std::to_string(kCheckpointVersion) + ")");
  }
  uint64_t stored_sum = 0;
  std::memcpy(&stored_sum, bytes.data() + bytes.size() - 8, 8);
  if (verify_checksum && XXH3_64bits(bytes.data(), bytes.size() - 8) != stored_sum) {
    return Status::DataLoss("checkpoint: checksum mismatch (corrupt or truncated)");
  }
  r = ByteReader(bytes.substr(8, bytes.size() - 16));
  uint64_t spec_hash = 0;
  LS_RETURN_NOT_OK(r.U64(&spec_hash));
  if (spec_hash != spec_hash_) {
    // The request is what differs (window, format, schema): exit 2, as for another table.
    return Status::InvalidArgument("checkpoint: written by a different pipeline spec than '" + spec_.name +
                                      "' (its window, schema, keys or output changed)");
  }
  return version;
}

Status PartitionTask::CheckSpec(std::string_view bytes) const {
  return CheckHeader(bytes, /*verify_checksum=*/false).status();
}

Status PartitionTask::Load(std::string_view bytes, State* s) const {
  LS_ASSIGN_OR_RETURN(const uint32_t version, CheckHeader(bytes, /*verify_checksum=*/true));
  // Past the magic, the version and the spec hash, before the checksum.
  ByteReader r(bytes.substr(16, bytes.size() - 24));
  std::string topic;
  uint32_t partition = 0;
  LS_RETURN_NOT_OK(r.Bytes(&topic));
  LS_RETURN_NOT_OK(r.U32(&partition));
  if (topic != topic_ || static_cast<int32_t>(partition) != partition_) {
    return Status::DataLoss("checkpoint: belongs to " + topic + "/" + std::to_string(static_cast<int32_t>(partition)) +
                                      ", not " + topic_ + "/" + std::to_string(partition_));
  }
  uint8_t has_next = 0;
  int64_t next = 0;
  LS_RETURN_NOT_OK(r.U8(&has_next));
  LS_RETURN_NOT_OK(r.I64(&next));
  if (has_next) s->next_offset = KafkaOffset{next};
  TaskStats& c = s->counters;
  for (uint64_t* v : {&c.records, &c.bytes, &c.bad, &c.duplicates, &c.windows_emitted, &c.rows_emitted, &c.skipped}) {
    LS_RETURN_NOT_OK(r.U64(v));
  }
  LS_RETURN_NOT_OK(s->watermark.Load(r));
  LS_RETURN_NOT_OK(s->dedup.Load(r));
  LS_RETURN_NOT_OK(s->aggregation.Load(r, version));
  uint64_t rows = 0;
  LS_RETURN_NOT_OK(r.Count(4, &rows));
  for (uint64_t k = 0; k < rows; ++k) {
    Row row;
    LS_RETURN_NOT_OK(r.GetRow(&row));
    if (row.size() != output_schema_.columns.size()) return Status::DataLoss("checkpoint: a pending row has the wrong width");
    s->pending.AddBuilt(std::move(row));
  }
  if (r.remaining() != 0) return Status::DataLoss("checkpoint: " + std::to_string(r.remaining()) + " unexpected trailing bytes");
  return Status::Ok();
}

Status PartitionTask::Restore(std::string_view bytes) {
  State fresh(spec_, plan_);
  LS_RETURN_NOT_OK(Load(bytes, &fresh));
  state_ = std::move(fresh);
  return Status::Ok();
}

}  // namespace lakestream::stream
