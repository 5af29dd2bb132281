// PartitionCommitter: exactly-once delivery of one partition task's output to the lake.
//
// A partition task (one per Kafka partition of a topic) buffers what it produced since its
// last commit in a CommitBatch: rows for any number of outputs (the aggregate table, dead
// letters, late data), each a "file set" written in one commit. Commit() then runs:
//
//   1. Write each output's rows, grouped by date=YYYY-MM-DD folder and rolled every
//      max_rows_per_file rows, to hidden temp files next to their final names; fsync each
//      file (once all are written: each one's writeback starts as soon as it is closed, so
//      disk writes overlap formatting) and each folder holding one.
//   2. Write the new checkpoint {commit_seq, next_offset, state, pending [temp -> final]}
//      to "_checkpoints/<topic>/.<partition>.<owner>.tmp" and fsync it. Claim the commit
//      number: a hard link of it as "_checkpoints/<topic>/<partition>.commits/<commit_seq>"
//      (link(2) creates a name only if it is free: of two owners claiming one number, one
//      wins), fsync that folder.
//      >>> THIS CLAIM IS THE COMMIT POINT. <<<  Before it the commit did not happen (its
//      temp files are orphans that recovery deletes); after it the commit happened, whatever
//      crashes next. Then the checkpoint is renamed over "_checkpoints/<topic>/<partition>",
//      a copy kept current for people and for the job's progress checks, and older claims
//      are removed.
//   3. Rename each pending temp file to its final name and fsync the folders. Idempotent;
//      recovery finishes it. The checkpoint keeps its pending list (harmless: a final file
//      already present counts as done).
//   4. The caller commits next_offset to Kafka: informational only (lag monitoring); the
//      checkpoint, not Kafka, is the source of truth for where to resume.
//
// Recover() at task start (and after any failed Commit):
//   - reads the checkpoint: the highest claim (none: the renamed copy, as lakes written
//     before claims have only it; none either: the partition starts from the beginning), or
//     the copy if it is further on (commits by rename alone after the claims: a member not
//     yet upgraded, or one whose link(2) was refused);
//   - fences: claims the next commit number with a link to that same checkpoint (a claim
//     whose number is above its checkpoint's commit_seq is a fence: it commits nothing new).
//     From here any other owner's commit in flight fails its claim, so it can never land
//     over this owner. This owner's next commit replaces its own fence (rename), so commit
//     numbers and file names stay those of an uninterrupted run;
//   - finishes pending renames whose temp exists (final present = done; neither = DataLoss);
//   - deletes this partition's temp files numbered up to its fence and not listed by the
//     checkpoint (uncommitted attempts, none of which can be committed any more; a higher
//     number is a later owner's commit under way, should this process have been paused since
//     its fence; other partitions' temp files are never touched);
//   - returns {commit_seq, next_offset, state}: the caller restores state and seeks there.
//
// Invariants (tested in committer_test.cc):
//   I1. A final file exists only if a checkpoint listing it (or a later one) was committed,
//       and it is complete: files become visible only by rename of a fsynced temp.
//   I2. next_offset is one past the last record reflected in the state and in the final files
//       of all commits up to commit_seq. State and offset are restored together, so
//       re-processing from next_offset reproduces exactly the uncommitted output.
//   I3. Names are deterministic (commit_seq, partition, file index): a re-run of an
//       uncommitted commit writes the same names, and a committed name is never written again
//       (commit numbers are claimed once and only grow), so nothing committed is ever written
//       twice. (An owner that recovered and stopped before committing leaves its fence's
//       number unused: the next owner's files skip it.) A final file found at a name before
//       its commit's claim (an earlier run's, whose checkpoint was removed or replaced by an
//       older one) fails the commit, which would otherwise take it for its own.
//   I4. Two processes taking the partition over one after the other (rebalance) recover the
//       same {commit_seq, next_offset, state} and the same lake.
//   I5. A zombie owner (stopped or paused while another member took the partition over)
//       never commits over the new owner: its claim fails once the new owner has fenced,
//       and a claim it wins below a higher one (a number whose claim was already removed)
//       publishes nothing. On a file system without hard links (link(2) refused) the
//       committer falls back to checking the checkpoint before renaming it, which leaves a
//       moment in which two owners may both commit. A commit by rename alone (a member not
//       yet upgraded) is seen the same way, by checking the copy before each claim.
//
// Thread-safety: none; a committer belongs to its partition task.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/table.h"
#include "core/time.h"
#include "core/types.h"
#include "lake/checkpoint.h"
#include "lake/file_writer.h"

namespace lakestream::lake {

// One output of a partition task: a lake table, its dead letters or its late data.
struct OutputSpec {
  // Folder relative to the lake root: "turnstile", "_dead_letters/mta-turnstile", ...
  // Unique among a committer's outputs.
  std::string dir;
  FileSpec file;
  // Roll to a new file after this many rows, so one trigger does not make a huge file.
  size_t max_rows_per_file = 100000;
};

// What a partition task produced since its last commit: rows per output and day.
// Plain data; the task owns it and clears it after a successful commit.
class CommitBatch {
 public:
  // Rows [begin, end) of a shared RowSource (rows not built as Row objects).
  struct Range {
    std::shared_ptr<const RowSource> source;
    size_t begin = 0;
    size_t end = 0;
  };
  // One day of one output: its Row objects, then its ranges, each in the order added.
  struct Day {
    std::vector<Row> rows;
    std::vector<Range> ranges;
  };

  explicit CommitBatch(size_t output_count) : days_(output_count) {}

  // Adds a row to `output` (an index into CommitterOptions::outputs). `date_time` chooses the
  // date=YYYY-MM-DD folder (the window end for aggregates). An out-of-range `output` is a
  // bug in the caller: std::out_of_range.
  void Add(size_t output, EventTime date_time, Row row);
  // Adds rows [begin, end) of `source`, all of the day of `date_time`. A range that
  // continues the day's previous one (same source, begin == its end) extends it.
  void AddRange(size_t output, EventTime date_time, std::shared_ptr<const RowSource> source, size_t begin,
                size_t end);
  void Clear();

  size_t output_count() const { return days_.size(); }
  size_t row_count() const { return row_count_; }
  // Rows of `output` by day (days since 1970-01-01).
  const std::map<int64_t, Day>& days(size_t output) const { return days_[output]; }

 private:
  Day& DayFor(size_t output, EventTime date_time);

  std::vector<std::map<int64_t, Day>> days_;
  size_t row_count_ = 0;
};

// Steps of Commit() where a test can simulate a crash.
enum class CrashPoint {
  kAfterTempFiles,         // temp files written and fsynced; no checkpoint written
  kAfterCheckpointTemp,    // new checkpoint at its temp name, not yet renamed (not committed)
  kAfterCheckpointRename,  // committed; no temp file renamed yet
  kAfterFinalRename,       // committed; temp files 0..index renamed
  // Not in Commit() (tests place other processes' steps here):
  kFailedCommitChecked,    // RecoverFailedCommit read the claims, has not recovered yet
  kRecoveryRead,           // Recover() read the checkpoint it will fence with, not fenced yet
  kRecoveryFenced,         // Recover() claimed its fence; nothing finished, swept or copied yet
};
const char* CrashPointName(CrashPoint point);

// Called at each CrashPoint (index: the pending file just renamed, else 0). A non-OK return
// makes Commit() stop right there and return it, as if the process had died; the committer
// then refuses to commit until Recover() (tests discard it and build a new one instead).
using CrashHook = std::function<Status(CrashPoint point, size_t index)>;

struct CommitterOptions {
  std::string lake_root;
  std::string topic;
  PartitionId partition;
  std::vector<OutputSpec> outputs;
  WriterFactory* writer_factory = nullptr;  // not owned; nullptr = the real writers
  CrashHook crash_hook;                     // tests only
  // What the offsets count (a file source's files, a topic's id), kept in the checkpoint:
  // Recover refuses a checkpoint written for another source, or for other outputs (table
  // folder or file format). Empty: not checked.
  std::string source;
  // The tag in this committer's temp file names (layout.h TempFileName); unset: 8 random hex
  // digits. Tests set it ("" = untagged names) to compare whole lakes, checkpoints included.
  std::optional<std::string> owner;
  // False: commit as on a file system without hard links (tests of that fallback).
  bool hard_links = true;
};

struct RecoveredState {
  bool has_checkpoint = false;  // false: never committed; start from the earliest offset
  uint64_t commit_seq = 0;      // the last committed commit, 0 if none
  KafkaOffset next_offset;      // seek here (exclusive bound of what was committed)
  std::optional<LastRecord> last_record;  // the record before next_offset, if the checkpoint names it
  std::string state;            // restore the stream engine from this
  size_t renames_finished = 0;  // pending renames this recovery completed
  size_t orphans_deleted = 0;   // temp files of uncommitted attempts it removed
};

struct CommitResult {
  uint64_t commit_seq = 0;
  std::vector<std::string> files;  // final paths relative to the lake root, in write order
  uint64_t rows = 0;
};

class PartitionCommitter {
 public:
  // Validates the options and builds one writer per output. Touches no file.
  static Result<std::unique_ptr<PartitionCommitter>> Make(CommitterOptions options);

  // Brings the lake and the checkpoint to the last committed state (see the top of this
  // file). Must be called before the first Commit() and after a failed one. Idempotent.
  Result<RecoveredState> Recover();

  // After Commit failed: the checkpoint on disk (the newest claim; without hard links the
  // file <partition>) tells where it failed.
  // - Still this committer's last one (or its fence): before the commit point (the claim;
  //   without hard links the checkpoint rename); the lake is recovered (orphans deleted) and
  //   nullopt says "not committed": the same snapshot may be committed again.
  // - The failed commit's own (its header; without hard links its number and offset):
  //   after the commit point (an fsync, the copy's rename, a rename of its files); recovery
  //   finishes it, and its files and rows are returned: committing it again would double them.
  // - Another (a higher claim, or this number claimed by someone else): another process
  //   owns the partition now (this one is a zombie): FailedPrecondition, and nothing is
  //   touched.
  Result<std::optional<CommitResult>> RecoverFailedCommit();

  // Commits `batch` and the task's state. `next_offset`: one past the last record reflected
  // in `batch` and `state`; it never goes backwards. `last`: the record at next_offset - 1,
  // kept in the checkpoint for the next resume to check (Checkpoint::last_record). An empty
  // batch still commits the offset and state. On error nothing may be assumed: call
  // Recover().
  Result<CommitResult> Commit(const CommitBatch& batch, KafkaOffset next_offset, std::string_view state,
                              std::optional<LastRecord> last = std::nullopt);

  // A partition with no checkpoint yet (Recover found none) still belongs to the job that
  // processed the topic's other partitions into this lake: the checkpoint of one of them
  // (`_checkpoints/<topic>/<other partition>`, the smallest that reads), and its path, for
  // CheckSameJob and the caller's check of its state. nullopt if none reads.
  struct OtherCheckpoint {
    std::string path;
    Checkpoint checkpoint;
  };
  Result<std::optional<OtherCheckpoint>> OtherPartitionCheckpoint() const;
  // InvalidArgument (naming `path`, the checkpoint's file) if `checkpoint` was written for
  // another source or other outputs than this committer's (Recover checks its own with it).
  Status CheckSameJob(const Checkpoint& checkpoint, const std::string& path) const;

  // The last commit's number (0 if none), not counting fences.
  uint64_t commit_seq() const { return commit_seq_; }
  const std::string& checkpoint_path() const { return checkpoint_path_; }

 private:
  explicit PartitionCommitter(CommitterOptions options);
  // Recover(); `as_before`: only if the partition's checkpoint (highest claim, or the copy)
  // is still the one this committer last claimed (claim_seq_, checkpoint_header_), else
  // FailedPrecondition and nothing fenced or touched (RecoverFailedCommit).
  Result<RecoveredState> RecoverImpl(bool as_before);
  Result<CommitResult> CommitSteps(const CommitBatch& batch, KafkaOffset next_offset, std::string_view state,
                                   const std::optional<LastRecord>& last);
  Status Hook(CrashPoint point, size_t index) const;
  // Step 3: temp -> final for every pending file (idempotent). Counts renames done.
  Status FinishRenames(const std::vector<PendingFile>& pending, bool call_hook, size_t* renamed);
  // Deletes this partition's temp files of attempts numbered up to `up_to`, and with
  // `unreadable_too` other owners' checkpoint temps that do not read (see the .cc).
  Status DeleteOrphans(uint64_t up_to, bool unreadable_too, size_t* deleted);
  std::vector<std::string> OutputNames() const;  // Checkpoint::outputs
  Status CheckStillOwner() const;  // FailedPrecondition if another owner committed since
  // FailedPrecondition if another owner claimed or committed since: a higher claim, or
  // CheckStillOwner.
  Status CheckNoOtherOwner() const;
  // The error for a final file `final` (relative) of commit `seq` found before its claim.
  Status EarlierRunsFile(const std::string& final, uint64_t seq) const;
  Status AnotherOwner(uint64_t seen) const;  // that FailedPrecondition
  // The commit numbers claimed in claims_dir_, ascending (none if the folder is missing).
  Result<std::vector<uint64_t>> Claims() const;
  std::string ClaimPath(uint64_t seq) const;
  // Recover's step for the checkpoint read from `path` (commit `top`, claimed or not):
  // claims top + 1 with a link to it, then removes the `claims` (as listed) below top. False:
  // someone claimed a number first; read again.
  Result<bool> Fence(const std::string& path, uint64_t top, const std::string& header,
                     const std::vector<uint64_t>& claims);
  // Whether a file of this process's own can be hard-linked in the claims folder (link(2)'s
  // EPERM: a file system without hard links, or another user's file).
  Result<bool> CanLinkOwnFile() const;
  // Recover's last step: the copy <partition> made this committer's fence's checkpoint, if
  // it is not (a crash came between a claim and its rename).
  Status RefreshCopy();
  // Step 2 with claims: the claim, the renamed copy, older claims removed.
  Status ClaimCommit(uint64_t seq, const std::string& header);
  // Step 2 without hard links: check, then rename (not one atomic step).
  Status RenameCommit(uint64_t seq, const std::string& header);

  CommitterOptions options_;
  std::vector<std::unique_ptr<FileWriter>> writers_;
  std::string checkpoint_path_;
  std::string checkpoint_temp_path_;
  std::string claims_dir_;
  std::string owner_;  // 8 random hex digits in this committer's temp file names
  uint64_t commit_seq_ = 0;  // the last commit's number (its checkpoint's commit_seq)
  // The highest claim this committer made or recovered: its fence or its last commit.
  uint64_t claim_seq_ = 0;
  bool own_fence_ = false;   // claim_seq_ is this committer's fence: the next commit replaces it
  bool hard_links_ = true;   // false: the lake's file system refused a link; RenameCommit
  // The header line of the checkpoint this committer recovered or last wrote ("" if none):
  // its length and crc32 identify the file for CheckStillOwner without decoding it.
  std::string checkpoint_header_;
  KafkaOffset next_offset_;
  bool ready_ = false;  // recovered, and no commit failed since
  bool orphans_left_ = false;  // Recover left other attempts' temp files for the first commit
  // The last Commit's: its number, whether it replaced this committer's fence, the header
  // of the checkpoint it wrote and the offset it was given.
  uint64_t attempt_seq_ = 0;
  bool attempt_over_fence_ = false;
  std::string attempt_header_;
  KafkaOffset attempt_next_offset_;
};

}  // namespace lakestream::lake
