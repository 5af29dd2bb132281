// PartitionWorker: one partition's stream task bound to its lake committer.
//
//   records -> stream::PartitionTask -> closed-window rows ┐
//                 │ bad / late (SideOutput)                ├─> lake::CommitBatch -> PartitionCommitter
//                 └────────────────────────────────────────┘        (exactly once, see lake/committer.h)
//
// Open() recovers the partition from its checkpoint (written by this process or by a
// previous owner of the partition): the lake is brought to the last commit and the task's
// state restored, so processing resumes with nothing lost or doubled. Commit() makes
// everything processed so far durable in one checkpoint.
//
// Resuming starts one record early, at the last record the checkpoint reflects
// (lake::Checkpoint::last_record), which is read again and compared, not processed: if
// another record stands there, the offsets now count another log (a topic deleted and
// re-created, a changed file) and Process() stops the partition with DataLoss instead of
// skipping records it never read. While the job runs, each commit point first asks
// LakeOptions::topic_guard (topic_guard.h) whether the topic was re-created meanwhile.
//
// Thread-safety: none; a worker belongs to the thread that polls its partition.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "lake/committer.h"
#include "lake/side_outputs.h"
#include "process/commit_queue.h"
#include "process/dead_letter_topic.h"
#include "process/topic_guard.h"
#include "lake/file_writer.h"
#include "stream/partition_task.h"
#include "stream/pipeline_spec.h"

namespace lakestream::process {

struct LakeOptions {
  std::string root = "lake";
  std::string table = "turnstile";  // folder of the aggregate rows under the root
  lake::FileFormat format = lake::FileFormat::kCsvGz;
  bool late_output = false;         // also write late records under _late/<topic>
  size_t max_rows_per_file = 100000;
  // Not owned. Set: dead letters go to this Kafka topic (published before each commit);
  // null: under _dead_letters/<topic> in the lake, inside the commit.
  DeadLetterTopic* dead_letter_topic = nullptr;
  // Not owned. Set (a Kafka job): each commit point waits for a check that the topic was not
  // re-created while the job ran (topic_guard.h).
  TopicGuard* topic_guard = nullptr;
  lake::CrashHook crash_hook;  // tests only: fault injection in the committer
  std::string source;          // what the offsets count, kept in checkpoints (CommitterOptions::source)
};

struct CommitFigures {
  uint64_t commits = 0;
  uint64_t files = 0;
  uint64_t rows = 0;
};

class PartitionWorker final : public stream::SideOutput {
 public:
  static Result<std::unique_ptr<PartitionWorker>> Open(const stream::PipelineSpec& spec,
                                                       const LakeOptions& lake, const std::string& topic,
                                                       int32_t partition);

  // Where to resume: the committed last record (to be checked), else one past it, or -1 for
  // the beginning.
  int64_t resume_offset() const { return check_ ? check_->offset : resume_offset_; }
  // The record at resume_offset() is not in the log any more (retention, compaction): resume
  // one past it, unchecked.
  void SkipResumeCheck() { check_.reset(); }
  // Still waiting for the record to check (it, or a later one, has not arrived yet).
  bool checking_resume() const { return check_.has_value(); }
  const std::string& topic() const { return topic_; }
  int32_t partition() const { return partition_; }

  // `timestamp_ms`: the Kafka record's timestamp (-1 if none). False if the partition must
  // stop: the record at the resume point is not the committed one (resume_status() says so).
  bool Process(std::string_view value, int64_t offset, int64_t timestamp_ms = -1) {
    if (check_) [[unlikely]] {
      if (!CheckResumed(value, offset, timestamp_ms)) return resume_status_.ok();
    }
    last_ = lake::RecordSample::Of(offset, timestamp_ms, value);
    // A record the state already holds (the file source replays its files from the start)
    // is no work toward --max-records-per-trigger.
    if (task_->Process(value, KafkaOffset{offset}, *this) != stream::RecordOutcome::kSkipped) ++since_commit_;
    return true;
  }
  const Status& resume_status() const { return resume_status_; }
  const std::string& checkpoint_path() const { return committer_->checkpoint_path(); }
  // End of input (available-now): close every open window.
  void Flush() { task_->Flush(); }
  // The same in steps of about `max_rows` rows (stream::PartitionTask::FlushStep): true
  // once every window is closed; commit between steps.
  bool FlushStep(size_t max_rows) { return task_->FlushStep(max_rows); }
  // Commits the closed windows, side outputs, state and offset, taken together now. With a
  // queue the commit itself runs on the queue's thread (Drain the queue before relying on
  // it); without, here. Returns the next offset the commit covers (-1: nothing read yet).
  // After a failed commit, FailedPrecondition: the partition resumes from its last
  // checkpoint at the next start.
  Result<int64_t> Commit(CommitQueue* queue = nullptr);

  // Records processed since the last commit.
  uint64_t since_commit() const { return since_commit_; }
  // Closed-window rows waiting for the next commit (they hold most of a worker's memory).
  size_t pending_rows() const { return task_->pending_rows(); }
  // Rows of closed windows so far (this worker's task, since its start or checkpoint).
  uint64_t rows_emitted() const { return task_->rows_emitted(); }
  // The output held calls for a commit: closed-window rows, dead letters and late records
  // together, at least `max_pending_rows`, and at least as many as the open windows' cells.
  // Each commit writes the whole state to the checkpoint; where the state is larger than
  // 60,000 rows (long windows over many groups), committing that often would rewrite it for
  // every few rows. Held output then stays below the state's own size. (Dead letters were
  // held until --max-records-per-trigger: a flood of bad records, ~950 bytes a letter,
  // took ~950 MB a partition.)
  // Cheap while fewer rows than `max_pending_rows` are held (the open cells are counted
  // only past that). Dead letters and late records are also due by their bytes, at
  // kMaxHeldSideBytes: they hold their record's text, up to message.max.bytes each (a flood
  // of big bad records held 60,000 of them per commit, and up to 8 commits queue).
  bool OutputDue(size_t max_pending_rows) const {
    if (side_bytes_ >= kMaxHeldSideBytes) return true;
    const size_t held = task_->pending_rows() + batch_.row_count() + letters_.size();
    return held >= max_pending_rows && held >= task_->open_cells();
  }
  static constexpr size_t kMaxHeldSideBytes = size_t{16} << 20;
  stream::TaskStats Stats() const { return task_->Stats(); }
  CommitFigures commits() const { return {commits_.load(), files_.load(), rows_.load()}; }
  // One past the last record processed (committed or not), or -1.
  int64_t position() const;

  // stream::SideOutput
  void OnDeadLetter(stream::DeadLetter letter) override;
  void OnLate(stream::LateRecord record) override;
  void OnEventTimeJump(const stream::EventTimeJump& jump) override;

 private:
  PartitionWorker() : batch_(3) {}
  // The first record(s) after a resume: false if this record is not to be processed (it is
  // the checked one, or the check failed).
  bool CheckResumed(std::string_view value, int64_t offset, int64_t timestamp_ms);
  // The checkpoint's last_record for a commit up to `next`, if this worker knows it.
  std::optional<lake::LastRecord> LastRecordBefore(int64_t next) const;
  EventTime SideOutputTime() const;
  // Runs the commit protocol (lake/committer.h) for one snapshot; any thread, one at a time.
  // Adds the closed rows to `batch` first (by day, read in place by the writers).
  // `taken`: when the snapshot was taken (every record in it was read before).
  Status CommitSnapshot(lake::CommitBatch& batch, const std::shared_ptr<const stream::ClosedRows>& rows,
                        const std::vector<lake::DeadLetter>& letters, int64_t next, const std::string& state,
                        const std::optional<lake::LastRecord>& last, TopicGuard::Clock::time_point taken);
  Status CommitSnapshotSteps(lake::CommitBatch& batch, const std::shared_ptr<const stream::ClosedRows>& rows,
                             const std::vector<lake::DeadLetter>& letters, int64_t next, const std::string& state,
                             const std::optional<lake::LastRecord>& last, TopicGuard::Clock::time_point taken);

  std::string topic_;
  int32_t partition_ = 0;
  bool late_output_ = false;
  int jumps_shown_ = 0;  // OnEventTimeJump warnings printed (the first kJumpsShown)
  size_t window_end_column_ = 0;  // the output column that chooses the date= folder
  std::unique_ptr<stream::PartitionTask> task_;
  std::unique_ptr<lake::PartitionCommitter> committer_;
  lake::CommitBatch batch_;
  size_t side_bytes_ = 0;  // the record text of the dead letters and late records held
  DeadLetterTopic* dead_letter_topic_ = nullptr;
  TopicGuard* topic_guard_ = nullptr;
  std::vector<lake::DeadLetter> letters_;  // for dead_letter_topic_, until the next commit
  int64_t resume_offset_ = -1;
  std::optional<lake::LastRecord> check_;      // the committed last record, until it is checked
  std::optional<lake::LastRecord> recovered_;  // the checkpoint's last record, for a commit before new ones
  lake::RecordSample last_;                    // the last record processed
  Status resume_status_;
  int64_t committed_offset_ = -1;  // of the last commit taken (it may still be queued)
  uint64_t since_commit_ = 0;
  // Updated by the thread that runs commits, read for progress by the processing thread.
  std::atomic<uint64_t> commits_{0}, files_{0}, rows_{0};
  // A commit failed: its snapshot's rows are not in the lake, and a later commit (whose
  // offset is further on) would pass over them. Nothing more is committed.
  std::atomic<bool> failed_{false};
  std::mutex failure_mu_;
  Status failure_;  // the failed commit's error (set before failed_)
};

// Output 0 of every committer: the aggregate table; 1: dead letters; 2: late records.
inline constexpr size_t kTableOutput = 0;
inline constexpr size_t kDeadLetterOutput = 1;
inline constexpr size_t kLateOutput = 2;

// The schema of late-record lines under _late/<topic>.
Schema LateRecordSchema();

}  // namespace lakestream::process
