#include "lake/committer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>

#include <sys/stat.h>

#include "core/topic_name.h"
#include "lake/fs_util.h"
#include "lake/layout.h"

namespace lakestream::lake {
namespace {

int64_t DayOf(EventTime t) {
  int64_t d = t.seconds / 86400;
  if (t.seconds % 86400 < 0) --d;  // floor for times before 1970
  return d;
}

std::string Join(const std::string& root, const std::string& rel) { return root + "/" + rel; }

}  // namespace

CommitBatch::Day& CommitBatch::DayFor(size_t output, EventTime date_time) {
  return days_.at(output)[DayOf(date_time)];
}

void CommitBatch::Add(size_t output, EventTime date_time, Row row) {
  DayFor(output, date_time).rows.push_back(std::move(row));
  ++row_count_;
}

void CommitBatch::AddRange(size_t output, EventTime date_time, std::shared_ptr<const RowSource> source,
                           size_t begin, size_t end) {
  if (begin >= end) return;
  std::vector<Range>& ranges = DayFor(output, date_time).ranges;
  row_count_ += end - begin;
  if (!ranges.empty() && ranges.back().source == source && ranges.back().end == begin) {
    ranges.back().end = end;  // continues the previous range: one run of files
    return;
  }
  ranges.push_back(Range{std::move(source), begin, end});
}

void CommitBatch::Clear() {
  for (auto& m : days_) m.clear();
  row_count_ = 0;
}

const char* CrashPointName(CrashPoint point) {
  switch (point) {
    case CrashPoint::kAfterTempFiles: return "after-temp-files";
    case CrashPoint::kAfterCheckpointTemp: return "after-checkpoint-temp";
    case CrashPoint::kAfterCheckpointRename: return "after-checkpoint-rename";
    case CrashPoint::kAfterFinalRename: return "after-final-rename";
    case CrashPoint::kFailedCommitChecked: return "failed-commit-checked";
    case CrashPoint::kRecoveryRead: return "recovery-read";
    case CrashPoint::kRecoveryFenced: return "recovery-fenced";
  }
  return "?";
}

PartitionCommitter::PartitionCommitter(CommitterOptions options) : options_(std::move(options)) {
  // This committer's temp files carry a random tag, so a zombie owner and the next owner
  // of the partition never write the same temp file (see layout.h).
  if (options_.owner) {
    owner_ = *options_.owner;
  } else {
    std::random_device random;
    owner_ = fmt::format("{:08x}", static_cast<uint32_t>(random()));
  }
  checkpoint_path_ = CheckpointPath(options_.lake_root, options_.topic, options_.partition);
  checkpoint_temp_path_ = ParentDir(checkpoint_path_) + "/" + CheckpointTempName(options_.partition, owner_);
  claims_dir_ = CommitClaimsDir(checkpoint_path_);
  hard_links_ = options_.hard_links;
}

Status PartitionCommitter::CheckStillOwner() const {
  // Without hard links, the fence against a zombie owner (a process whose group session
  // expired, or that was stopped, while another member took the partition over): if the
  // checkpoint is no longer the one this committer recovered or last wrote, another owner
  // has committed since, and committing now would roll the partition back over that
  // owner's commits. Not atomic with the rename (two owners committing in the same moment
  // are not excluded); claims are (ClaimCommit).
  // With claims, the check for a commit by rename alone (a member not yet upgraded, which
  // no fence stops): a copy further on than this committer's last commit. A copy behind it
  // is no one's commit (a crash before the copy's rename, a zombie's late rename of it).
  // Usually the file is the one this committer last saw: its first line says so (length
  // and crc32 of the body) without reading and decoding the state.
  LS_ASSIGN_OR_RETURN(std::optional<std::string> header, ReadCheckpointHeader(checkpoint_path_));
  if (header.value_or("") == checkpoint_header_) return Status::Ok();
  LS_ASSIGN_OR_RETURN(std::optional<Checkpoint> current, ReadCheckpoint(checkpoint_path_));
  const uint64_t on_disk = current ? current->commit_seq : 0;
  if (hard_links_ ? on_disk <= commit_seq_ : on_disk == commit_seq_) return Status::Ok();
  return AnotherOwner(on_disk);
}

Status PartitionCommitter::AnotherOwner(uint64_t seen) const {
  return Status::FailedPrecondition(
      "partition " + options_.topic + "/" + std::to_string(options_.partition.value) + ": the checkpoint '" +
      checkpoint_path_ + "' is at commit " + std::to_string(seen) + ", this process last saw commit " +
      std::to_string(commit_seq_) +
      ": another process owns the partition now; this one's uncommitted work is dropped (the new owner "
      "reprocesses it)");
}

Result<std::vector<uint64_t>> PartitionCommitter::Claims() const {
  std::vector<uint64_t> seqs;
  Result<std::vector<std::string>> names = ListDir(claims_dir_);
  if (!names.ok()) {
    if (names.status().code() == StatusCode::kNotFound) return seqs;
    return names.status();
  }
  for (const std::string& name : *names) {
    if (std::optional<uint64_t> seq = ParseCommitClaimName(name)) seqs.push_back(*seq);
  }
  std::sort(seqs.begin(), seqs.end());
  return seqs;
}

std::string PartitionCommitter::ClaimPath(uint64_t seq) const { return claims_dir_ + "/" + CommitClaimName(seq); }

Result<bool> PartitionCommitter::Fence(const std::string& path, uint64_t top, const std::string& header,
                                       const std::vector<uint64_t>& claims) {
  LS_RETURN_NOT_OK(MakeDirsDurable(claims_dir_));
  const std::string claim = ClaimPath(top + 1);
  Result<LinkOutcome> linked_file = LinkFile(path, claim);
  // The claim read is gone (a newer commit or fence removed it since): read again.
  if (!linked_file.ok() && !PathExists(path)) return false;
  LS_ASSIGN_OR_RETURN(LinkOutcome outcome, std::move(linked_file));
  if (outcome == LinkOutcome::kExists) return false;
  if (outcome == LinkOutcome::kUnsupported) {
    // EPERM is also the answer of fs.protected_hardlinks to a process linking another user's
    // file it cannot write. Committing by rename alone there would leave the claims behind
    // this process's commits, and the next process that can link would resume from them.
    LS_ASSIGN_OR_RETURN(bool links, CanLinkOwnFile());
    if (links) {
      return Status::FailedPrecondition(fmt::format(
          "partition {}/{}: cannot claim commit {} ('{}'): link(2) of '{}' was refused (Operation not permitted), "
          "though this file system has hard links: the file belongs to another user (fs.protected_hardlinks). "
          "Run the job as the user that owns the lake's files, or give this one write access to them",
          options_.topic, options_.partition.value, top + 1, claim, path));
    }
    hard_links_ = false;
    claim_seq_ = top;
    own_fence_ = false;
    return true;
  }
  LS_RETURN_NOT_OK(FsyncDir(claims_dir_));
  // The link names the file `path` named at that moment: another owner may have replaced it
  // since it was read (by renaming its commit over its own fence). Then the fence holds that
  // commit, a valid claim like any other, and recovery starts again from it.
  LS_ASSIGN_OR_RETURN(std::optional<std::string> linked, ReadCheckpointHeader(claim));
  if (linked.value_or("") != header) return false;
  claim_seq_ = top + 1;
  own_fence_ = true;
  // The claims below the one it links are read by no one any more (as after a commit). A
  // partition that never commits would otherwise gain a claim, and its checkpoint one more
  // link, at every start and rebalance, until link(2) refuses (EMLINK) and recovery fails.
  for (uint64_t older : claims) {
    if (older < top) LS_RETURN_NOT_OK(RemoveFileIfExists(ClaimPath(older)));
  }
  return true;
}

Result<bool> PartitionCommitter::CanLinkOwnFile() const {
  const std::string probe = claims_dir_ + "/.link-probe" + (owner_.empty() ? "" : "." + owner_);
  const std::string second = probe + ".2";
  LS_RETURN_NOT_OK(RemoveFileIfExists(second));
  LS_RETURN_NOT_OK(WriteFileDurable(probe, ""));
  Result<LinkOutcome> linked = LinkFile(probe, second);
  LS_RETURN_NOT_OK(RemoveFileIfExists(second));
  LS_RETURN_NOT_OK(RemoveFileIfExists(probe));
  LS_ASSIGN_OR_RETURN(LinkOutcome outcome, std::move(linked));
  return outcome == LinkOutcome::kLinked;
}

Result<std::unique_ptr<PartitionCommitter>> PartitionCommitter::Make(CommitterOptions options) {
  if (options.lake_root.empty()) return Status::InvalidArgument("the lake root folder is empty");
  while (options.lake_root.size() > 1 && options.lake_root.back() == '/') {
    options.lake_root.pop_back();
  }
  LS_RETURN_NOT_OK(ValidateTopicName(options.topic));
  if (options.partition.value < 0) {
    return Status::InvalidArgument("partition " + std::to_string(options.partition.value) +
                                   " is negative");
  }
  std::set<std::string> dirs;
  for (const auto& out : options.outputs) {
    LS_RETURN_NOT_OK(ValidateRelativeDir(out.dir));
    if (out.dir.starts_with(kCheckpointsDir)) {
      return Status::InvalidArgument("output folder '" + out.dir + "' is reserved for checkpoints");
    }
    if (!dirs.insert(out.dir).second) {
      return Status::InvalidArgument("two outputs write to lake folder '" + out.dir +
                                     "': their file names would collide");
    }
    if (out.max_rows_per_file == 0) {
      return Status::InvalidArgument("output '" + out.dir + "': max_rows_per_file must be > 0");
    }
  }
  if (options.writer_factory == nullptr) options.writer_factory = DefaultWriterFactoryInstance();
  std::unique_ptr<PartitionCommitter> c(new PartitionCommitter(std::move(options)));
  for (const auto& out : c->options_.outputs) {
    auto writer = c->options_.writer_factory->MakeWriter(out.file);
    if (!writer.ok()) {
      return Status(writer.status().code(), "output '" + out.dir + "': " + writer.status().message());
    }
    c->writers_.push_back(std::move(writer).value());
  }
  return c;
}

Status PartitionCommitter::Hook(CrashPoint point, size_t index) const {
  if (!options_.crash_hook) return Status::Ok();
  return options_.crash_hook(point, index);
}

Status PartitionCommitter::FinishRenames(const std::vector<PendingFile>& pending, bool call_hook,
                                         size_t* renamed) {
  std::set<std::string> dirs;
  for (size_t i = 0; i < pending.size(); ++i) {
    std::string temp = Join(options_.lake_root, pending[i].temp);
    std::string final = Join(options_.lake_root, pending[i].final);
    // A rename leaves the temp or the final file, never both: a final file is done (a temp
    // beside it is another attempt's, which must not replace it; DeleteOrphans removes it).
    const bool done = PathExists(final);
    // Its folder is fsynced whoever renamed it: a final file found here may have been renamed
    // by an owner killed before its fsync, and a later commit must not become the newest
    // claim while that rename could still be undone by a power loss (the temp file back,
    // then deleted as an orphan numbered below the fence).
    dirs.insert(ParentDir(final));
    if (!done && PathExists(temp)) {
      if (Status st = RenameFile(temp, final); !st.ok()) {
        // Renamed in between by the partition's previous owner, finishing its own commit.
        if (!PathExists(final)) return st;
      } else {
        ++*renamed;
      }
    } else if (!done) {
      return Status::DataLoss(
          "checkpoint '" + checkpoint_path_ + "' (commit " + std::to_string(commit_seq_) +
          ") lists '" + final + "' but neither it nor its temp file '" + temp +
          "' exists: someone removed committed lake files. Restore the file; or, to reprocess the partition from "
          "its earliest offset, " + ReprocessAdvice(checkpoint_path_, options_.topic, options_.partition));
    }
    if (call_hook) LS_RETURN_NOT_OK(Hook(CrashPoint::kAfterFinalRename, i));
  }
  for (const auto& dir : dirs) LS_RETURN_NOT_OK(FsyncDir(dir));
  return Status::Ok();
}

Status PartitionCommitter::DeleteOrphans(uint64_t up_to, bool unreadable_too, size_t* deleted) {
  for (const auto& out : options_.outputs) {
    std::string out_dir = Join(options_.lake_root, out.dir);
    Result<std::vector<std::string>> dates = ListDir(out_dir);
    if (!dates.ok()) {
      if (dates.status().code() == StatusCode::kNotFound) continue;
      return dates.status();
    }
    for (const auto& date : *dates) {
      if (!date.starts_with("date=")) continue;
      std::string dir = out_dir + "/" + date;
      Result<std::vector<std::string>> names = ListDir(dir);
      if (!names.ok()) {
        if (names.status().code() == StatusCode::kNotFound) continue;
        // A file named like a date folder holds no temp files: not the lake's, left alone.
        std::error_code ec;
        if (!std::filesystem::is_directory(dir, ec) && !ec) continue;
        return names.status();
      }
      bool removed = false;
      for (const auto& name : *names) {
        // After FinishRenames every temp file of a committed commit numbered up to `up_to` has
        // been renamed, so any such temp file of this partition left here belongs to an
        // uncommitted attempt. A higher number is a later owner's commit under way (this
        // process may have been paused since its fence): its files are not ours to delete.
        std::optional<uint64_t> seq = TempFileCommitSeq(name, options_.topic, options_.partition);
        if (!seq || *seq > up_to) continue;
        LS_RETURN_NOT_OK(RemoveFileIfExists(dir + "/" + name));
        ++*deleted;
        removed = true;
      }
      if (removed) LS_RETURN_NOT_OK(FsyncDir(dir));
    }
  }
  // Checkpoint temp files of this partition: this committer's, and other owners' of
  // commits numbered up to `up_to` (a later owner's stays). One that does not read (empty:
  // its writer was killed before writing; or being written now) goes only with
  // `unreadable_too`: at recovery, once this owner has fenced, every commit under way
  // elsewhere is one that can no longer publish.
  const std::string checkpoint_dir = ParentDir(checkpoint_path_);
  Result<std::vector<std::string>> names = ListDir(checkpoint_dir);
  if (!names.ok() && names.status().code() != StatusCode::kNotFound) return names.status();
  for (const std::string& name : names.ok() ? *names : std::vector<std::string>{}) {
    if (!IsCheckpointTempOfPartition(name, options_.partition)) continue;
    const std::string path = checkpoint_dir + "/" + name;
    if (path != checkpoint_temp_path_) {
      Result<std::optional<Checkpoint>> other = ReadCheckpoint(path);
      const bool read = other.ok() && other->has_value();
      if (read ? (*other)->commit_seq > up_to : !unreadable_too) continue;
    }
    LS_RETURN_NOT_OK(RemoveFileIfExists(path));
    ++*deleted;
  }
  return Status::Ok();
}

std::vector<std::string> PartitionCommitter::OutputNames() const {
  std::vector<std::string> names;
  for (const OutputSpec& out : options_.outputs) {
    names.push_back(out.dir + " (" + std::string(FileExtension(out.file.format)) + ")");
  }
  return names;
}

Result<std::optional<PartitionCommitter::OtherCheckpoint>> PartitionCommitter::OtherPartitionCheckpoint() const {
  const std::string checkpoint_dir = ParentDir(checkpoint_path_);
  Result<std::vector<std::string>> names = ListDir(checkpoint_dir);
  if (!names.ok() && names.status().code() != StatusCode::kNotFound) return names.status();
  // The copies <partition> (plain numbers) of the other partitions, smallest first: only
  // their job's identity is read, and a big state costs its whole read.
  std::vector<std::pair<off_t, std::string>> copies;
  for (const std::string& name : names.ok() ? *names : std::vector<std::string>{}) {
    if (name.empty() || name == std::to_string(options_.partition.value) ||
        name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    struct stat st {};
    const std::string path = checkpoint_dir + "/" + name;
    if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) copies.emplace_back(st.st_size, path);
  }
  std::sort(copies.begin(), copies.end());
  for (const auto& [size, path] : copies) {
    // One that does not read is its own partition's error, reported by its owner.
    Result<std::optional<Checkpoint>> c = ReadCheckpoint(path);
    if (c.ok() && c->has_value()) return std::optional<OtherCheckpoint>(OtherCheckpoint{path, std::move(**c)});
  }
  return std::optional<OtherCheckpoint>();
}

Status PartitionCommitter::CheckSameJob(const Checkpoint& checkpoint, const std::string& path) const {
  // A lake keeps one checkpoint per topic (or file source) and partition: a job over other
  // input, or into another table, would otherwise resume from offsets that are not its own
  // and skip its records without a word.
  const char* what_to_do =
      "Give this job another --lake (or, for --source files, another --source-name), or run it as the "
      "lake was started";
  if (const std::vector<std::string> outputs = OutputNames();
      !checkpoint.outputs.empty() && checkpoint.outputs != outputs) {
    return Status::InvalidArgument(fmt::format(
        "checkpoint '{}' belongs to a job writing {}; this job writes {}: its offsets would skip this job's "
        "records. {}",
        path, fmt::join(checkpoint.outputs, ", "), fmt::join(outputs, ", "), what_to_do));
  }
  if (!checkpoint.source.empty() && !options_.source.empty() && checkpoint.source != options_.source) {
    return Status::InvalidArgument(fmt::format(
        "checkpoint '{}' counts the records of {}; this job reads {}: its offsets would skip or misplace "
        "records. {}",
        path, checkpoint.source, options_.source, what_to_do));
  }
  return Status::Ok();
}

Status PartitionCommitter::RefreshCopy() {
  LS_ASSIGN_OR_RETURN(std::optional<std::string> copy, ReadCheckpointHeader(checkpoint_path_));
  if (copy.value_or("") == checkpoint_header_) return Status::Ok();
  // A copy of this committer's fence (no one else replaces it), not of the claim recovery
  // read: that claim may be another owner's fence, replaced since by its commit, which lost
  // to this fence (a copy of it would look further on than the claims to the next recovery).
  const std::string fence = ClaimPath(claim_seq_);
  LS_RETURN_NOT_OK(RemoveFileIfExists(checkpoint_temp_path_));
  Result<LinkOutcome> linked = LinkFile(fence, checkpoint_temp_path_);
  // The fence gone: a later owner fenced above it, and keeps the copy itself.
  if (!linked.ok() && !PathExists(fence)) return Status::Ok();
  LS_ASSIGN_OR_RETURN(LinkOutcome outcome, std::move(linked));
  if (outcome != LinkOutcome::kLinked) return Status::Ok();
  LS_ASSIGN_OR_RETURN(std::optional<std::string> linked_header, ReadCheckpointHeader(checkpoint_temp_path_));
  if (linked_header.value_or("") != checkpoint_header_) return RemoveFileIfExists(checkpoint_temp_path_);
  LS_RETURN_NOT_OK(RenameFile(checkpoint_temp_path_, checkpoint_path_));
  return FsyncDir(ParentDir(checkpoint_path_));
}

Result<RecoveredState> PartitionCommitter::Recover() { return RecoverImpl(/*as_before=*/false); }

Result<RecoveredState> PartitionCommitter::RecoverImpl(bool as_before) {
  ready_ = false;
  RecoveredState r;
  for (int attempt = 0;; ++attempt) {
    if (attempt == 20) {
      return Status::Unavailable(fmt::format(
          "partition {}/{}: other processes kept committing it while this one recovered it ('{}'); is another "
          "job writing the same lake from the same topic?",
          options_.topic, options_.partition.value, claims_dir_));
    }
    // The checkpoint: the highest claim; without claims (a lake written before them, or a
    // file system without hard links), the renamed copy.
    std::vector<uint64_t> claims;
    if (hard_links_) {
      LS_ASSIGN_OR_RETURN(claims, Claims());
    }
    std::string path = claims.empty() ? checkpoint_path_ : ClaimPath(claims.back());
    std::string header;
    Result<std::optional<Checkpoint>> read = ReadCheckpoint(path, &header);
    if (!read.ok() && read.status().code() == StatusCode::kDataLoss) {
      return Status::DataLoss(fmt::format("{} (the partition's checkpoint: '{}' and the claims in '{}')",
                                          read.status().message(), checkpoint_path_, claims_dir_));
    }
    LS_ASSIGN_OR_RETURN(std::optional<Checkpoint> checkpoint, std::move(read));
    if (!claims.empty() && !checkpoint) continue;  // gone since listed: read again
    uint64_t top = !claims.empty() ? claims.back() : checkpoint ? checkpoint->commit_seq : 0;
    // The copy further on than the newest claim: commits by rename alone came after the
    // claims (lakestream before claims, e.g. a member of the group not yet upgraded). With
    // claims the copy is only ever a committed checkpoint, so it is the partition's.
    // Usually the copy is the same file (its header says so): not read in full then.
    Result<std::optional<std::string>> copy_first_line =
        claims.empty() ? Result<std::optional<std::string>>(std::optional<std::string>())
                       : ReadCheckpointHeader(checkpoint_path_);
    if (copy_first_line.ok() && copy_first_line->has_value() && **copy_first_line != header) {
      std::string copy_header;
      Result<std::optional<Checkpoint>> copy = ReadCheckpoint(checkpoint_path_, &copy_header);
      if (copy.ok() && copy->has_value() && copy_header != header && (*copy)->commit_seq > checkpoint->commit_seq) {
        path = checkpoint_path_;
        header = std::move(copy_header);
        checkpoint = std::move(*copy);
        top = std::max(top, checkpoint->commit_seq);
      }
    }
    // After a failed commit: another owner that claimed since RecoverFailedCommit looked must
    // not be fenced over (this process would resume from that owner's commit and then retry
    // its own snapshot of the same records, and the owner's next commit would fail).
    if (as_before && (top != claim_seq_ || header != checkpoint_header_)) return AnotherOwner(top);
    if (checkpoint) {
      if (checkpoint->topic != options_.topic || checkpoint->partition != options_.partition) {
        return Status::DataLoss("checkpoint '" + path + "' belongs to topic '" + checkpoint->topic +
                                "' partition " + std::to_string(checkpoint->partition.value) +
                                ", not to this task: the lake's _checkpoints folder was edited; "
                                "restore the right file");
      }
      LS_RETURN_NOT_OK(CheckSameJob(*checkpoint, checkpoint_path_));
    }
    if (checkpoint && hard_links_) {
      // This committer's own fence, still the highest claim, needs no other.
      const bool own = own_fence_ && top == claim_seq_ && header == checkpoint_header_;
      if (!own) {
        LS_RETURN_NOT_OK(Hook(CrashPoint::kRecoveryRead, 0));
        LS_ASSIGN_OR_RETURN(bool fenced, Fence(path, top, header, claims));
        if (!fenced) continue;
        LS_RETURN_NOT_OK(Hook(CrashPoint::kRecoveryFenced, 0));
      }
    } else {
      claim_seq_ = top;
      own_fence_ = false;
    }
    checkpoint_header_ = std::move(header);
    commit_seq_ = checkpoint ? checkpoint->commit_seq : 0;
    next_offset_ = checkpoint ? checkpoint->next_offset : KafkaOffset{0};
    if (checkpoint) {
      LS_RETURN_NOT_OK(FinishRenames(checkpoint->pending, /*call_hook=*/false, &r.renames_finished));
      r.has_checkpoint = true;
      r.commit_seq = checkpoint->commit_seq;
      r.next_offset = checkpoint->next_offset;
      r.last_record = checkpoint->last_record;
      r.state = std::move(checkpoint->state);
    }
    // Temp files not listed are uncommitted attempts, once this owner has fenced: no other
    // can commit them any more. A partition never committed has no fence to claim, and a
    // first commit in flight elsewhere could still claim commit 1 with its files: they stay
    // until this committer's first commit has claimed it.
    orphans_left_ = !r.has_checkpoint && hard_links_;
    // Attempts numbered up to this owner's fence (without one, the next number).
    if (!orphans_left_) {
      // Unreadable checkpoint temps too once fenced (without hard links there is no fence).
      LS_RETURN_NOT_OK(DeleteOrphans(hard_links_ ? claim_seq_ : claim_seq_ + 1, /*unreadable_too=*/hard_links_,
                                     &r.orphans_deleted));
    }
    // The renamed copy, brought up to date if a crash came between a claim and its rename.
    if (r.has_checkpoint && hard_links_ && path != checkpoint_path_) LS_RETURN_NOT_OK(RefreshCopy());
    break;
  }
  ready_ = true;
  return r;
}

Result<CommitResult> PartitionCommitter::Commit(const CommitBatch& batch, KafkaOffset next_offset,
                                                std::string_view state, std::optional<LastRecord> last) {
  if (!ready_) {
    return Status::FailedPrecondition(
        "partition " + options_.topic + "/" + std::to_string(options_.partition.value) +
        " cannot commit before Recover() succeeds (at task start and after a failed commit)");
  }
  if (batch.output_count() != options_.outputs.size()) {
    return Status::InvalidArgument("the batch has " + std::to_string(batch.output_count()) +
                                   " outputs, the committer " +
                                   std::to_string(options_.outputs.size()));
  }
  if (next_offset < next_offset_) {
    return Status::InvalidArgument("next_offset " + std::to_string(next_offset.value) +
                                   " is before the committed " +
                                   std::to_string(next_offset_.value) + " for " + options_.topic +
                                   "/" + std::to_string(options_.partition.value));
  }
  attempt_seq_ = hard_links_ && own_fence_ ? claim_seq_ : claim_seq_ + 1;
  attempt_over_fence_ = hard_links_ && own_fence_;
  attempt_header_.clear();
  attempt_next_offset_ = next_offset;
  if (last && last->offset != next_offset.value - 1) {
    return Status::InvalidArgument("the last record's offset " + std::to_string(last->offset) + " is not next_offset " +
                                   std::to_string(next_offset.value) + " - 1");
  }
  Result<CommitResult> result = CommitSteps(batch, next_offset, state, last);
  if (!result.ok()) ready_ = false;
  return result;
}

Result<std::optional<CommitResult>> PartitionCommitter::RecoverFailedCommit() {
  std::optional<Checkpoint> done_checkpoint;  // the failed commit's, if it happened
  if (hard_links_) {
    LS_ASSIGN_OR_RETURN(std::vector<uint64_t> claims, Claims());
    const uint64_t top = claims.empty() ? 0 : claims.back();
    // Read in full only if it is the failed commit's checkpoint (its header says so).
    LS_ASSIGN_OR_RETURN(std::optional<std::string> header, ReadCheckpointHeader(ClaimPath(attempt_seq_)));
    std::optional<Checkpoint> claimed;
    if (header && !attempt_header_.empty() && *header == attempt_header_) {
      LS_ASSIGN_OR_RETURN(claimed, ReadCheckpoint(ClaimPath(attempt_seq_)));
    }
    const bool passed = claimed.has_value();
    // Not passed: the claim below it (or this committer's fence, still in place) is the
    // highest. Anything else was claimed by another owner.
    const uint64_t expected = passed || attempt_over_fence_ ? attempt_seq_ : attempt_seq_ - 1;
    if (top != expected) return AnotherOwner(top);
    if (passed) {
      done_checkpoint = std::move(claimed);
      // Committed: not a fence of this committer any more; recovery fences after it.
      commit_seq_ = claim_seq_ = attempt_seq_;
      own_fence_ = false;
      checkpoint_header_ = attempt_header_;
    }
  } else {
    std::string header;
    LS_ASSIGN_OR_RETURN(std::optional<Checkpoint> on_disk, ReadCheckpoint(checkpoint_path_, &header));
    const uint64_t disk_seq = on_disk ? on_disk->commit_seq : 0;
    const bool passed = on_disk && disk_seq == attempt_seq_ && on_disk->next_offset == attempt_next_offset_;
    if (!passed && disk_seq != attempt_seq_ - 1) return AnotherOwner(disk_seq);
    if (passed) {
      done_checkpoint = std::move(on_disk);
      commit_seq_ = claim_seq_ = attempt_seq_;
      checkpoint_header_ = header;
    }
  }
  LS_RETURN_NOT_OK(Hook(CrashPoint::kFailedCommitChecked, 0));
  // Recovers only what was checked above: the partition may have changed hands since.
  LS_RETURN_NOT_OK(RecoverImpl(/*as_before=*/true).status());
  if (!done_checkpoint) return std::optional<CommitResult>();
  CommitResult done;
  done.commit_seq = attempt_seq_;
  for (const PendingFile& f : done_checkpoint->pending) {
    done.files.push_back(f.final);
    done.rows += f.rows;
  }
  return std::optional<CommitResult>(std::move(done));
}

Status PartitionCommitter::ClaimCommit(uint64_t seq, const std::string& header) {
  LS_RETURN_NOT_OK(MakeDirsDurable(claims_dir_));
  const std::string claim = ClaimPath(seq);
  // A commit by rename alone since (not atomic with the claim, as without hard links).
  if (Status st = CheckStillOwner(); !st.ok()) {
    if (st.code() == StatusCode::kFailedPrecondition) LS_RETURN_NOT_OK(RemoveFileIfExists(checkpoint_temp_path_));
    return st;
  }
  if (attempt_over_fence_) {
    // This committer's own fence: no one else writes that name (another owner fences above it).
    LS_RETURN_NOT_OK(RenameFile(checkpoint_temp_path_, claim));
  } else {
    Result<LinkOutcome> linked = LinkFile(checkpoint_temp_path_, claim);
    if (!linked.ok() && !PathExists(checkpoint_temp_path_)) {
      // Its checkpoint deleted under it: the recovery of an owner that took over since.
      LS_ASSIGN_OR_RETURN(std::vector<uint64_t> claims, Claims());
      return AnotherOwner(claims.empty() ? 0 : claims.back());
    }
    LS_ASSIGN_OR_RETURN(LinkOutcome outcome, std::move(linked));
    if (outcome == LinkOutcome::kExists) return AnotherOwner(seq);
    if (outcome == LinkOutcome::kUnsupported) {
      hard_links_ = false;
      return RenameCommit(seq, header);
    }
  }
  // Committed from here on, even if what follows fails.
  commit_seq_ = claim_seq_ = seq;
  own_fence_ = false;
  checkpoint_header_ = header;
  next_offset_ = attempt_next_offset_;
  LS_RETURN_NOT_OK(FsyncDir(claims_dir_));
  // A claim below a higher one: this process is a zombie that won a number whose claim
  // had been removed after newer commits. That claim counts for nothing, and its files must
  // not be published.
  LS_ASSIGN_OR_RETURN(std::vector<uint64_t> claims, Claims());
  if (!claims.empty() && claims.back() > seq) {
    LS_RETURN_NOT_OK(RemoveFileIfExists(checkpoint_temp_path_));
    return AnotherOwner(claims.back());
  }
  // The renamed copy, for people and the job's progress checks.
  if (attempt_over_fence_) {
    LS_ASSIGN_OR_RETURN(LinkOutcome outcome, LinkFile(claim, checkpoint_temp_path_));
    if (outcome != LinkOutcome::kLinked) {
      return Status::IoError("cannot link '" + claim + "' to '" + checkpoint_temp_path_ + "'");
    }
  }
  LS_RETURN_NOT_OK(RenameFile(checkpoint_temp_path_, checkpoint_path_));
  LS_RETURN_NOT_OK(FsyncDir(ParentDir(checkpoint_path_)));
  for (uint64_t older : claims) {
    if (older < seq) LS_RETURN_NOT_OK(RemoveFileIfExists(ClaimPath(older)));
  }
  return Status::Ok();
}

Status PartitionCommitter::RenameCommit(uint64_t seq, const std::string& header) {
  LS_RETURN_NOT_OK(CheckStillOwner());
  LS_RETURN_NOT_OK(RenameFile(checkpoint_temp_path_, checkpoint_path_));
  commit_seq_ = claim_seq_ = seq;  // committed from here on, even if the fsync below fails
  checkpoint_header_ = header;
  next_offset_ = attempt_next_offset_;
  return FsyncDir(ParentDir(checkpoint_path_));
}

Status PartitionCommitter::CheckNoOtherOwner() const {
  if (hard_links_) {
    LS_ASSIGN_OR_RETURN(std::vector<uint64_t> claims, Claims());
    const uint64_t top = claims.empty() ? 0 : claims.back();
    if (top != claim_seq_) return AnotherOwner(top);
  }
  return CheckStillOwner();
}

Status PartitionCommitter::EarlierRunsFile(const std::string& final, uint64_t seq) const {
  // Not ours to judge if another owner claimed the partition since (its recovery may have
  // renamed its files of this number): that is the error then.
  LS_RETURN_NOT_OK(CheckNoOtherOwner());
  std::vector<std::string> dirs;
  for (const OutputSpec& out : options_.outputs) dirs.push_back(out.dir);
  // The file's name up to its number within the commit: part-<topic>-p<p>-<commit>.
  const std::string name = std::filesystem::path(final).filename().string();
  return Status::FailedPrecondition(fmt::format(
      "partition {}/{}: lake file '{}' exists, but the partition has no checkpoint (or an older one): it was "
      "committed by an earlier run whose checkpoint was removed or replaced, and publishing this commit would keep "
      "its rows instead of this one's. Move the partition's files from commit {} on ({}-* and higher numbers, in "
      "the date= folders of {}) away, or restore the checkpoint that committed them ('{}' and '{}/'); then run "
      "again",
      options_.topic, options_.partition.value, Join(options_.lake_root, final), seq, name.substr(0, name.rfind('-')),
      fmt::join(dirs, ", "), checkpoint_path_, claims_dir_));
}

Result<CommitResult> PartitionCommitter::CommitSteps(const CommitBatch& batch, KafkaOffset next_offset,
                                                     std::string_view state, const std::optional<LastRecord>& last) {
  const uint64_t seq = attempt_seq_;
  CommitResult result;
  result.commit_seq = seq;
  std::vector<PendingFile> pending;
  // Before writing anything: a zombie usually stops here, its files unwritten (the claim
  // decides).
  LS_RETURN_NOT_OK(CheckNoOtherOwner());

  // Step 1: temp files, fsynced, and their folders.
  std::set<std::string> temp_dirs;
  for (size_t o = 0; o < options_.outputs.size(); ++o) {
    const OutputSpec& out = options_.outputs[o];
    for (const auto& [day, rows] : batch.days(o)) {
      std::string rel_dir = out.dir + "/" + DatePartitionDir(EventTime{day * 86400});
      std::string abs_dir = Join(options_.lake_root, rel_dir);
      LS_RETURN_NOT_OK(MakeDirsDurable(abs_dir));
      uint32_t n = 0;
      // The day's Row objects, then each range, in files of at most max_rows_per_file.
      auto write = [&](const RowSource& source, size_t first, size_t last) -> Status {
        for (size_t begin = first; begin < last; begin += out.max_rows_per_file, ++n) {
          size_t count = std::min(out.max_rows_per_file, last - begin);
          std::string final_name =
              FinalFileName(options_.topic, options_.partition, seq, n, FileExtension(out.file.format));
          PendingFile f{rel_dir + "/" + TempFileName(final_name, owner_), rel_dir + "/" + final_name, count};
          // Step 3 takes a final file present for one already renamed (by a previous owner's
          // recovery): one there before the claim is another run's.
          if (PathExists(Join(options_.lake_root, f.final))) return EarlierRunsFile(f.final, seq);
          std::string temp_path = Join(options_.lake_root, f.temp);
          LS_RETURN_NOT_OK(writers_[o]->WriteRows(temp_path, source, begin, begin + count));
          // Its disk writes overlap the next files' formatting; fsynced below.
          StartWriteback(temp_path);
          result.rows += count;
          pending.push_back(std::move(f));
        }
        return Status::Ok();
      };
      LS_RETURN_NOT_OK(write(RowSpanSource(rows.rows), 0, rows.rows.size()));
      for (const CommitBatch::Range& r : rows.ranges) LS_RETURN_NOT_OK(write(*r.source, r.begin, r.end));
      temp_dirs.insert(abs_dir);
    }
  }
  for (const PendingFile& f : pending) LS_RETURN_NOT_OK(FsyncFile(Join(options_.lake_root, f.temp)));
  for (const auto& dir : temp_dirs) LS_RETURN_NOT_OK(FsyncDir(dir));
  LS_RETURN_NOT_OK(Hook(CrashPoint::kAfterTempFiles, 0));

  // Step 2: the checkpoint. Its claim is the commit point.
  Checkpoint checkpoint{options_.topic, options_.partition, seq,          next_offset, std::string(state),
                        pending,         options_.source,    OutputNames(), last};
  const std::string encoded = EncodeCheckpoint(checkpoint);
  attempt_header_ = std::string(CheckpointHeader(encoded));
  LS_RETURN_NOT_OK(MakeDirsDurable(ParentDir(checkpoint_path_)));
  // A new file, never the old one truncated: after a failed commit the temp name may still
  // be a link to a claim, which writing in place would change.
  LS_RETURN_NOT_OK(RemoveFileIfExists(checkpoint_temp_path_));
  LS_RETURN_NOT_OK(WriteFileDurable(checkpoint_temp_path_, encoded));
  LS_RETURN_NOT_OK(Hook(CrashPoint::kAfterCheckpointTemp, 0));
  LS_RETURN_NOT_OK(hard_links_ ? ClaimCommit(seq, attempt_header_) : RenameCommit(seq, attempt_header_));
  LS_RETURN_NOT_OK(Hook(CrashPoint::kAfterCheckpointRename, 0));

  // Step 3: publish the files.
  size_t renamed = 0;
  LS_RETURN_NOT_OK(FinishRenames(pending, /*call_hook=*/true, &renamed));
  if (orphans_left_) {
    size_t deleted = 0;
    // A later owner may be writing its checkpoint temp now: unreadable ones stay.
    LS_RETURN_NOT_OK(DeleteOrphans(seq, /*unreadable_too=*/false, &deleted));
    orphans_left_ = false;
  }
  for (const auto& f : pending) result.files.push_back(f.final);
  return result;
}

}  // namespace lakestream::lake
