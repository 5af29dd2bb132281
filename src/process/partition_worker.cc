#include "process/partition_worker.h"

#include <fmt/format.h>

#include <cstdio>

#include "core/console.h"
#include "lake/layout.h"
#include "lake/side_outputs.h"
#include "lake/table_windows.h"

namespace lakestream::process {

Schema LateRecordSchema() {
  return Schema{{{"position", ColumnType::kString},
                 {"topic", ColumnType::kString},
                 {"partition", ColumnType::kInt64},
                 {"offset", ColumnType::kInt64},
                 {"event_time", ColumnType::kTimestamp},
                 {"watermark", ColumnType::kTimestamp},
                 {"value", ColumnType::kString}}};
}

namespace {

// A checkpoint the task refused to restore, with what to do about it. Its code says why:
// InvalidArgument, the job's pipeline is not the one that wrote it; FailedPrecondition, a
// format version this build does not read; DataLoss, bytes that are not a valid state (or
// another partition's).
Status RefusedCheckpoint(const Status& st, const std::string& path, const std::string& topic, int32_t partition) {
  std::string advice;
  switch (st.code()) {
    case StatusCode::kInvalidArgument:
      advice = "If the pipeline changed on purpose, process into a new --lake (or, for --source files, give "
               "another --source-name)";
      break;
    case StatusCode::kFailedPrecondition:
      advice = "Run the lakestream that wrote it (in a consumer group, upgrade every member), or restore the "
               "partition's checkpoint from a backup";
      break;
    default:
      advice = "Restore the checkpoint from a backup; or, to process the partition again from its earliest "
               "offset, " + lake::ReprocessAdvice(path, topic, PartitionId{partition});
      break;
  }
  return Status(st.code(), fmt::format("{} ({}). {}", st.message(), path, advice));
}

}  // namespace

Result<std::unique_ptr<PartitionWorker>> PartitionWorker::Open(const stream::PipelineSpec& spec,
                                                               const LakeOptions& lake,
                                                               const std::string& topic,
                                                               int32_t partition) {
  std::unique_ptr<PartitionWorker> w(new PartitionWorker());
  w->topic_ = topic;
  w->partition_ = partition;
  w->late_output_ = lake.late_output;
  w->dead_letter_topic_ = lake.dead_letter_topic;
  w->topic_guard_ = lake.topic_guard;

  const std::optional<size_t> window_end = stream::LakeOutputColumn(spec);
  if (!window_end) {
    return Status::InvalidArgument("pipeline '" + spec.name + "': output " + stream::CheckLakeOutput(spec).message());
  }
  w->window_end_column_ = *window_end;

  LS_ASSIGN_OR_RETURN(w->task_, stream::PartitionTask::Make(spec, SourcePosition{topic, partition, -1}));

  lake::OutputSpec table;
  table.dir = lake.table;
  table.file.schema = stream::OutputSchema(spec);
  table.file.format = lake.format;
  // Columns the pipeline keeps out of CSV.gz files (`csv: false`: the turnstile pipeline's
  // window timestamps, as the seed's warehouse reads its CSV columns by position).
  for (const stream::OutputColumnSpec& c : spec.output) {
    if (!c.csv) table.file.csv.omit_columns.push_back(c.name);
  }
  table.max_rows_per_file = lake.max_rows_per_file;
  lake::FileSpec late_file;
  late_file.schema = LateRecordSchema();
  late_file.format = lake::FileFormat::kJsonLines;

  lake::CommitterOptions co;
  co.lake_root = lake.root;
  co.topic = topic;
  co.partition = PartitionId{partition};
  co.crash_hook = lake.crash_hook;
  co.source = lake.source;
  co.outputs = {table, lake::DeadLetterOutput(topic, lake.max_rows_per_file),
                lake::LateDataOutput(topic, late_file, lake.max_rows_per_file)};
  LS_ASSIGN_OR_RETURN(w->committer_, lake::PartitionCommitter::Make(std::move(co)));
  LS_ASSIGN_OR_RETURN(lake::RecoveredState rec, w->committer_->Recover());
  if (rec.has_checkpoint) {
    Status st = w->task_->Restore(rec.state);
    if (!st.ok()) return RefusedCheckpoint(st, w->committer_->checkpoint_path(), topic, partition);
    w->resume_offset_ = rec.next_offset.value;
    w->committed_offset_ = rec.next_offset.value;
    if (rec.last_record && rec.last_record->offset >= 0) w->check_ = w->recovered_ = rec.last_record;
  } else {
    // A partition new to the lake (added to the topic, or empty until now) joins the job of
    // the topic's other partitions: a job with other settings would put its windows beside
    // theirs in the table (their own checkpoints refuse it, but only for them).
    LS_ASSIGN_OR_RETURN(auto other, w->committer_->OtherPartitionCheckpoint());
    if (other) {
      Status st = w->committer_->CheckSameJob(other->checkpoint, other->path);
      if (Status spec = st.ok() ? w->task_->CheckSpec(other->checkpoint.state) : Status::Ok(); !spec.ok()) {
        st = RefusedCheckpoint(spec, other->path, topic, other->checkpoint.partition.value);
      }
      if (!st.ok()) {
        return Status(st.code(), fmt::format("{}/{} has no checkpoint in the lake yet, and the lake's other partitions "
                                             "of the topic were processed by another job: {}",
                                             topic, partition, st.message()));
      }
    }
  }
  // For `load`, which refuses a table of hopping windows (lake/table_windows.h): marked once
  // the worker may write the table (a job refused by the checkpoint writes nothing), before
  // any of its files.
  LS_RETURN_NOT_OK(lake::MarkTableWindow(lake.root, lake.table, {spec.window.size, spec.window.slide}));
  return w;
}

bool PartitionWorker::CheckResumed(std::string_view value, int64_t offset, int64_t timestamp_ms) {
  if (!resume_status_.ok()) return false;  // the check failed: nothing more of this partition
  const lake::LastRecord want = *check_;
  if (offset < want.offset) return true;  // before the resume point: the task skips it
  if (offset > want.offset) {
    check_.reset();  // the record is gone (compaction, an aborted transaction): nothing to compare
    return true;
  }
  if (lake::RecordSample::Of(offset, timestamp_ms, value).Check() == want.check) {
    check_.reset();
    return false;  // processed before the checkpoint
  }
  resume_status_ = Status::DataLoss(fmt::format(
      "{}/{}: the record at offset {} is not the one the lake's checkpoint last processed there (other "
      "timestamp, length or bytes): the topic was deleted and re-created, or refilled, since. Resuming at "
      "offset {} would skip records never processed. To process this partition from its start, {}",
      topic_, partition_, offset, offset + 1,
      lake::ReprocessAdvice(committer_->checkpoint_path(), topic_, PartitionId{partition_})));
  return false;
}

std::optional<lake::LastRecord> PartitionWorker::LastRecordBefore(int64_t next) const {
  if (last_.offset >= 0 && last_.offset == next - 1) return lake::LastRecord{last_.offset, last_.Check()};
  if (recovered_ && recovered_->offset == next - 1) return recovered_;
  return std::nullopt;
}

int64_t PartitionWorker::position() const {
  auto next = task_->next_offset();
  return next ? next->value : committed_offset_;
}

EventTime PartitionWorker::SideOutputTime() const {
  // Deterministic (a re-run after a crash files a dead letter under the same date):
  // the latest event time this partition has seen.
  auto t = task_->max_event_time();
  return t ? *t : EventTime{0};
}

void PartitionWorker::OnDeadLetter(stream::DeadLetter letter) {
  side_bytes_ += letter.value.size() + letter.reason.size();
  lake::DeadLetter d{std::move(letter.position), std::move(letter.value), std::move(letter.reason),
                     SideOutputTime()};
  if (dead_letter_topic_ != nullptr) {
    letters_.push_back(std::move(d));
  } else {
    lake::AddDeadLetter(&batch_, kDeadLetterOutput, d);
  }
}

void PartitionWorker::OnLate(stream::LateRecord record) {
  if (!late_output_) return;  // counted by the task either way
  side_bytes_ += record.value.size();
  EventTime t = record.event_time;
  batch_.Add(kLateOutput, t,
             Row{record.position.ToString(), record.position.topic,
                 int64_t{record.position.partition}, record.position.offset, record.event_time,
                 EventTime{record.watermark}, std::move(record.value)});
}

void PartitionWorker::OnEventTimeJump(const stream::EventTimeJump& jump) {
  constexpr int kJumpsShown = 3;
  if (jumps_shown_ > kJumpsShown) return;
  if (jumps_shown_++ == kJumpsShown) {
    StderrConsole().Printf("lakestream: warning: %s/%d: more event-time jumps; not shown\n", topic_.c_str(), partition_);
    return;
  }
  StderrConsole().Printf(
      "lakestream: warning: %s: event time %s is %lld days after every earlier record of the partition "
      "(newest %s), and its watermark follows: records before %s are late from now on. If that time "
      "is wrong (a clock or data error), the records after it are in the late count (and in _late/ "
      "with --late-output)\n",
      jump.position.ToString().c_str(), FormatTimestamp(jump.to).c_str(),
      static_cast<long long>((jump.to.seconds - jump.from.seconds) / 86400),
      FormatTimestamp(jump.from).c_str(), FormatTimestamp(EventTime{jump.watermark}).c_str());
}

Result<int64_t> PartitionWorker::Commit(CommitQueue* queue) {
  if (failed_) {
    // Its cause too: with a queue this is usually the first error the job sees (the queue
    // reports the failure itself only after the commit thread has returned).
    std::lock_guard lock(failure_mu_);
    return Status::FailedPrecondition(fmt::format(
        "{}/{}: an earlier commit failed ({}), so nothing after it is committed in this run (its rows are not in "
        "the lake); the next start resumes from the last checkpoint",
        topic_, partition_, failure_.message()));
  }
  // The log is not the one the checkpoint read: nothing more of this partition, not even
  // a flush of its state (the available-now loop may flush it in the turn that found it).
  if (!resume_status_.ok()) return resume_status_;
  int64_t next = position();
  if (next < 0) return next;  // nothing read yet: nothing to commit
  auto rows = std::make_shared<const stream::ClosedRows>(task_->TakeClosedRows());
  if (batch_.row_count() == 0 && rows->empty() && letters_.empty() && next == committed_offset_) return next;
  // The snapshot: rows, offset and state belong together (invariant I2 of the committer).
  auto batch = std::make_shared<lake::CommitBatch>(std::move(batch_));
  batch_ = lake::CommitBatch(3);
  auto letters = std::make_shared<std::vector<lake::DeadLetter>>(std::move(letters_));
  letters_.clear();
  side_bytes_ = 0;
  auto state = std::make_shared<std::string>(task_->Serialize());
  const std::optional<lake::LastRecord> last = LastRecordBefore(next);
  const TopicGuard::Clock::time_point taken = TopicGuard::Clock::now();
  committed_offset_ = next;
  since_commit_ = 0;
  if (queue == nullptr) {
    LS_RETURN_NOT_OK(CommitSnapshot(*batch, rows, *letters, next, *state, last, taken));
  } else {
    queue->Submit(this, [this, batch, rows, letters, next, state, last, taken] {
      return CommitSnapshot(*batch, rows, *letters, next, *state, last, taken);
    });
  }
  return next;
}

Status PartitionWorker::CommitSnapshot(lake::CommitBatch& batch, const std::shared_ptr<const stream::ClosedRows>& rows,
                                       const std::vector<lake::DeadLetter>& letters, int64_t next,
                                       const std::string& state, const std::optional<lake::LastRecord>& last,
                                       TopicGuard::Clock::time_point taken) {
  Status st = CommitSnapshotSteps(batch, rows, letters, next, state, last, taken);
  if (st.ok()) return st;
  if (st.code() == StatusCode::kIoError) {
    st = Status::IoError(fmt::format(
        "{}/{}: commit failed: {}. The lake keeps the partition's last commit: fix the cause (a full or read-only "
        "file system, permissions) and run the job again, it resumes from there",
        topic_, partition_, st.message()));
  }
  {
    std::lock_guard lock(failure_mu_);
    failure_ = st;
  }
  failed_ = true;
  return st;
}

Status PartitionWorker::CommitSnapshotSteps(lake::CommitBatch& batch,
                                            const std::shared_ptr<const stream::ClosedRows>& rows,
                                            const std::vector<lake::DeadLetter>& letters, int64_t next,
                                            const std::string& state, const std::optional<lake::LastRecord>& last,
                                            TopicGuard::Clock::time_point taken) {
  // The closed windows go to the writers as ranges of one day each, read in place (no Row
  // objects); rows restored from a checkpoint are already Rows.
  for (const Row& row : rows->built()) {
    const auto* end = std::get_if<EventTime>(&row[window_end_column_]);
    batch.Add(kTableOutput, end ? *end : EventTime{0}, row);
  }
  rows->ForEachWindow([&](int64_t window_end, size_t begin, size_t end) {
    batch.AddRange(kTableOutput, EventTime{window_end}, rows, begin, end);  // a day's windows merge
  });
  // Records of a topic re-created while the job ran are not committed, nor their dead letters.
  if (topic_guard_ != nullptr) {
    if (Status st = topic_guard_->Check(topic_, taken); !st.ok()) {
      return Status(st.code(), fmt::format("{}/{}: {}{}", topic_, partition_, st.message(),
                                           st.code() == StatusCode::kDataLoss
                                               ? ". To process the new topic's partition from its start, " +
                                                     lake::ReprocessAdvice(committer_->checkpoint_path(), topic_,
                                                                           PartitionId{partition_})
                                               : std::string()));
    }
  }
  // Dead letters for a topic are delivered before the commit that passes their offsets
  // (at least once; see dead_letter_topic.h).
  if (dead_letter_topic_ != nullptr) LS_RETURN_NOT_OK(dead_letter_topic_->Publish(letters));
  Result<lake::CommitResult> r = committer_->Commit(batch, KafkaOffset{next}, state, last);
  if (!r.ok() && r.status().code() == StatusCode::kIoError) {
    // A commit that failed before its commit point leaves a whole snapshot: one retry after
    // recovery is safe (if that fails too the job stops, and a restart resumes from the last
    // checkpoint). One that failed after it happened (RecoverFailedCommit tells which).
    StderrConsole().Printf("lakestream: warning: %s/%d: commit failed (%s); recovering\n", topic_.c_str(),
                           partition_, r.status().message().c_str());
    LS_ASSIGN_OR_RETURN(std::optional<lake::CommitResult> committed, committer_->RecoverFailedCommit());
    r = committed ? Result<lake::CommitResult>(std::move(*committed))
                  : committer_->Commit(batch, KafkaOffset{next}, state, last);
  }
  if (!r.ok()) return r.status();
  ++commits_;
  files_ += r->files.size();
  rows_ += r->rows;
  return Status::Ok();
}

}  // namespace lakestream::process
