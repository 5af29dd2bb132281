#include "process/job.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "core/console.h"
#include "kafka/client_log.h"
#include "kafka/consumer.h"
#include "kafka/topic_id.h"
#include "lake/checkpoint.h"
#include "lake/layout.h"
#include "produce/source.h"

namespace lakestream::process {
namespace {

using Clock = std::chrono::steady_clock;

// How long a commit waits for the cluster to say a topic's id (topic_guard.h); past it the
// commit goes on without the check (a stop with the cluster gone must end within seconds).
constexpr int kTopicIdTimeoutMs = 2000;

// Adds what a task did since `base`: a task restored from a checkpoint carries earlier
// runs' counters, and a job reports only its own work.
void AddStatsSince(const stream::TaskStats& now, const stream::TaskStats& base, JobFigures* f) {
  f->records += now.records - base.records;
  f->bytes += now.bytes - base.bytes;
  f->bad += now.bad - base.bad;
  f->late += now.late - base.late;
  f->duplicates += now.duplicates - base.duplicates;
  f->windows_emitted += now.windows_emitted - base.windows_emitted;
  f->rows_emitted += now.rows_emitted - base.rows_emitted;
}

void AddCommits(const CommitFigures& c, JobFigures* f) {
  f->commits += c.commits;
  f->files += c.files;
  f->rows_committed += c.rows;
}

class KafkaJob final : public kafka::RebalanceListener {
 public:
  explicit KafkaJob(const JobOptions& o) : o_(o), lake_(o.lake) {}

  Status Run(kafka::ClientConfig config, const std::function<bool()>& stop, const ProgressFn& progress,
             JobFigures* figures) {
    // available-now reads what is there: a fetch that waits on the broker for new data (up
    // to 500 ms by default) only delays the next fetch, which may be of a partition that has
    // data (one fetch is in flight per broker connection).
    if (o_.available_now) config.SetDefault("fetch.wait.max.ms", "10");
    // After a transaction's commit marker (or an aborted transaction's records, which the
    // consumer skips) the last record's offset + 1 falls short of the end offset: the
    // end-of-partition event is what says a partition was read to its end. available-now
    // is done there, and the lag counts from there (Slot::fetched_to). Forced: with the
    // user's enable.partition.eof=false, available-now waited forever after a transaction.
    config.Force("enable.partition.eof", "true");
    auto made = kafka::Consumer::Make(std::move(config), o_.group, o_.topics, this, o_.connect_timeout_ms, stop);
    if (!made.ok() && stop()) {
      // Ctrl-C / SIGTERM while waiting for the brokers: nothing was read, nothing to commit.
      *figures = Figures();
      return Status::Ok();
    }
    LS_ASSIGN_OR_RETURN(consumer_, std::move(made));
    session_timeout_ms_ = consumer_->session_timeout_ms();
    // The topics' ids before any record is read, for the commits' checks (topic_guard.h).
    topic_guard_ = TopicGuard::Start(o_.topics, [this](const std::string& topic) -> Result<std::optional<std::string>> {
      if (cluster_gone_) return Status::Unavailable("no broker answered at the stop");
      return kafka::DescribeTopicId(consumer_->handle(), topic, kTopicIdTimeoutMs);
    });
    lake_.topic_guard = topic_guard_.get();
    // available-now: what the topics' partitions look like before any of this run's commits
    // (OthersDone). Retried at the first check if a broker does not answer now.
    if (o_.available_now) (void)SnapshotOthers();
    Status status;
    auto last_trigger = Clock::now();
    auto last_turn = Clock::now();
    // A stall was seen, and the group coordinator has not confirmed this member since.
    bool unconfirmed = false;
    auto stalled = [&] {
      const auto turn = Clock::now();
      const bool long_turn = turn - last_turn > std::chrono::milliseconds(session_timeout_ms_);
      last_turn = turn;
      return long_turn;
    };
    auto dispatch = [this](const kafka::ConsumedMessage& m) {
      if (m.end_of_partition) {
        auto it = workers_.find({std::string(m.topic), m.partition});
        if (it != workers_.end()) it->second.fetched_to = std::max(it->second.fetched_to, m.offset);
        return;
      }
      PartitionWorker* w = Find(m.topic, m.partition);
      if (w != nullptr && !w->Process(m.value, m.offset, m.timestamp_ms) && fatal_.ok()) fatal_ = w->resume_status();
    };
    // Messages per turn: up to kMaxPoll, fewer while records close many rows each (heavy
    // hopping windows: a day sliding by a minute closes ~240 rows a record of the real week),
    // so that what a turn closes stays near max_commit_rows until the commit after it.
    size_t poll_max = kMaxPoll;
    while (status.ok() && fatal_.ok() && !stop()) {
      const int64_t emitted_before = RowsEmitted();
      auto polled = consumer_->Poll(poll_max, 100, dispatch);
      if (!polled.ok()) {
        status = polled.status();
        break;
      }
      // A partition that could not be opened (its checkpoint refused) or resumed ends the
      // job: not one to wait for (available-now took it for another member's), nor a turn
      // of commits before the final one.
      if (!fatal_.ok()) break;
      if (*polled > 0) {
        const double per_record =
            static_cast<double>(std::max<int64_t>(RowsEmitted() - emitted_before, 0)) / static_cast<double>(*polled);
        const double fits = static_cast<double>(o_.max_commit_rows) / std::max(per_record, 1e-9);
        poll_max = static_cast<size_t>(std::clamp(fits, 64.0, static_cast<double>(kMaxPoll)));
      }
      // A turn of this loop longer than the group session (the process was stopped or
      // starved, or a batch or commit was that slow): the group may have given the
      // partitions to another member, which librdkafka learns only at its next heartbeat.
      // Nothing is committed until the coordinator confirms this member (one round trip);
      // refused, librdkafka serves the loss at the next Poll and OnRevoked drops the work,
      // instead of committing over the new owner and so failing it by the fencing check.
      if (stalled()) unconfirmed = true;
      if (unconfirmed) unconfirmed = !consumer_->ConfirmMembership(kConfirmWait);
      if (unconfirmed) {
        if (progress) progress(Figures());
        continue;
      }
      for (auto& [tp, slot] : workers_) {
        if (status.ok() && (slot.worker->since_commit() >= o_.max_records_per_trigger ||
                            slot.worker->OutputDue(o_.max_pending_rows))) {
          status = CommitOne(slot);
        }
      }
      if (!o_.available_now && Clock::now() - last_trigger >= o_.trigger) {
        status = CommitAll();
        last_trigger = Clock::now();
      }
      if (o_.available_now) {
        bool all_done = ever_assigned_;
        for (auto& [tp, slot] : workers_) {
          if (slot.done) continue;
          const int64_t pos = slot.worker->position();
          // A resumed partition is done once its last committed record was read again and
          // checked (or the fetch passed it): a topic re-created with as many records as
          // before must not pass for the old one.
          const bool checked = !slot.worker->checking_resume() || slot.fetched_to >= slot.end;
          if (checked && (pos >= slot.end || slot.fetched_to >= slot.end || (pos < 0 && slot.low >= slot.end))) {
            // Closed and committed in pieces: a day sliding by a minute ends with ~1,440
            // windows open, millions of rows at once.
            // Ctrl-C between steps: what is closed is committed; a later run flushes the rest.
            while (status.ok() && !slot.worker->FlushStep(o_.max_commit_rows) && !stop()) status = CommitOne(slot);
            if (status.ok()) status = CommitOne(slot);
            slot.done = true;
          } else {
            all_done = false;
          }
        }
        if (all_done && status.ok()) {
          Result<bool> others = OthersDone();
          if (!others.ok()) {
            status = others.status();
          } else if (*others) {
            break;
          }
        }
      }
      if (status.ok()) status = queue_.error();
      if (progress) progress(Figures());
    }
    if (!fatal_.ok() && status.ok()) status = fatal_;
    // A stop right after a stall: confirmed first too. Refused, the work is dropped (the
    // next owner, or the next start, reads it again from the last checkpoint).
    if (stalled()) unconfirmed = true;
    if (unconfirmed && !consumer_->ConfirmMembership(kConfirmWait) && !workers_.empty()) {
      std::string parts;
      for (const auto& [tp, slot] : workers_) parts += fmt::format("{}{}/{}", parts.empty() ? "" : ", ", tp.first, tp.second);
      StderrConsole().Printf("lakestream: warning: %s: group '%s' did not confirm this member after a stall; their "
                             "uncommitted work is dropped, to be read again from their last checkpoints\n",
                             parts.c_str(), o_.group.c_str());
      DropAll();
    }
    // A cluster gone at the stop: the final commits do without the topic check rather than
    // wait for its answer (the consumer's close uses this answer too).
    if (!consumer_->BrokerAnswersAtStop()) cluster_gone_ = true;
    // Commit what was processed, then leave the group (revocation commits again: a no-op).
    Status final_commit = CommitAll();
    if (final_commit.ok()) final_commit = queue_.Drain();
    if (status.ok()) status = final_commit;
    consumer_->Close();
    if (!fatal_.ok() && status.ok()) status = fatal_;
    *figures = Figures();
    return status;
  }

  static constexpr size_t kMaxPoll = 10000;
  // Rows of closed windows of the partitions held now, since each worker started.
  int64_t RowsEmitted() const {
    int64_t n = 0;
    for (const auto& [tp, slot] : workers_) n += static_cast<int64_t>(slot.worker->rows_emitted());
    return n;
  }

  std::vector<int64_t> OnAssigned(const std::vector<kafka::TopicPartition>& parts) override {
    ever_assigned_ = true;  // an empty assignment too: a member with nothing to do is done
    // The first and end offsets, read before these partitions' fetching starts (a query
    // sent behind a fetch that waits for data waits as long). available-now needs the ends;
    // a resume needs the first to know whether its last record is still there to check.
    std::vector<std::pair<int64_t, int64_t>> bounds(parts.size(), {-1, -1});
    // Inside the rebalance callback: streaming does without them (a warning) rather than
    // hold the group for a whole connect timeout.
    auto wm = consumer_->Watermarks(parts, o_.available_now ? o_.connect_timeout_ms : std::min(o_.connect_timeout_ms, 5000));
    if (wm.ok()) {
      bounds = std::move(*wm);
    } else if (o_.available_now && fatal_.ok()) {
      fatal_ = wm.status();
    }
    std::vector<int64_t> offsets;
    for (const auto& tp : parts) {
      auto w = PartitionWorker::Open(o_.spec, lake_, tp.topic, tp.partition);
      if (!w.ok()) {
        if (fatal_.ok()) fatal_ = w.status();
        offsets.push_back(-1);
        continue;
      }
      Slot slot;
      std::tie(slot.low, slot.end) = bounds[offsets.size()];
      // A log that ends before the checkpoint's offset is not the log the lake read (the
      // seek would fall at or before its end, without an error).
      if (slot.end >= 0 && (*w)->position() > slot.end && fatal_.ok()) {
        fatal_ = Status::DataLoss(fmt::format(
            "{}/{}: the lake's checkpoint is at offset {}, but the partition ends at {}: the topic was deleted and "
            "re-created, or truncated, since. To process this partition from its start, {}",
            tp.topic, tp.partition, (*w)->position(), slot.end,
            lake::ReprocessAdvice((*w)->checkpoint_path(), tp.topic, PartitionId{tp.partition})));
      }
      // The last committed record is checked only where it can be read: not when the first
      // offsets are unknown (the query failed) or retention has deleted it.
      if ((*w)->checking_resume() && (slot.low < 0 || slot.low > (*w)->resume_offset())) {
        if (slot.low < 0) {
          StderrConsole().Printf("lakestream: warning: %s/%d: resumed without checking its last committed record (the "
                                 "partition's first offset could not be read)\n", tp.topic.c_str(), tp.partition);
        }
        (*w)->SkipResumeCheck();
      }
      offsets.push_back((*w)->resume_offset());
      slot.base = (*w)->Stats();
      slot.worker = std::move(*w);
      workers_[{tp.topic, tp.partition}] = std::move(slot);
      ever_assigned_ = true;
    }
    cache_ = nullptr;
    return offsets;
  }

  void OnRevoked(const std::vector<kafka::TopicPartition>& parts, bool lost) override {
    for (const auto& tp : parts) {
      auto it = workers_.find({tp.topic, tp.partition});
      if (it == workers_.end()) continue;
      if (lost) {
        // Another member may own the partition already and have committed since: a commit
        // now would replace its checkpoint and files. The next owner reprocesses this work.
        StderrConsole().Printf("lakestream: warning: %s/%d: assignment lost (session expired); dropping its "
                               "uncommitted work, the partition's next owner reprocesses it\n",
                               tp.topic.c_str(), tp.partition);
        retired_.records_dropped += it->second.worker->since_commit();
        continue;
      }
      Status st = CommitOne(it->second);
      if (!st.ok() && fatal_.ok()) fatal_ = st;
    }
    // The next owner may start as soon as this returns: every commit must have happened.
    Status st = queue_.Drain();
    if (!st.ok() && fatal_.ok()) fatal_ = st;
    for (const auto& tp : parts) {
      auto it = workers_.find({tp.topic, tp.partition});
      if (it == workers_.end()) continue;
      // Counted here too when lost (the counters count work, and only go up): its next owner
      // processes and counts the uncommitted ones again.
      Retire(it->second);
      queue_.Forget(it->second.worker.get());
      workers_.erase(it);
    }
    cache_ = nullptr;
  }

 private:
  struct Slot {
    std::unique_ptr<PartitionWorker> worker;
    stream::TaskStats base;  // counters when opened (see AddStatsSince)
    int64_t low = -1;        // the first offset still in the topic when assigned, -1 unknown
    int64_t fetched_to = -1; // the offset of the last end-of-partition event, -1 none yet
    int64_t end = -1;        // available-now: the end offset to reach
    bool done = false;
  };
  using Key = std::pair<std::string, int32_t>;
  // available-now, once this process's partitions are done: are the topics' other
  // partitions (not assigned to it) done too? One is when its lake checkpoint has every
  // window emitted (as an available-now run leaves it; a streaming member keeps its last
  // windows open) and reaches the end offset read when this run started, or was written
  // since then (its first line changed: another available-now run flushed it, e.g. at a
  // transaction marker's end). Otherwise another member of the group holds it: a member
  // leaving (a streaming one stopped just before this run) hands it over at the next
  // rebalance, which polling serves, and this process then finishes it; a live one may
  // finish it itself. The wait ends session.timeout.ms + 10 s after the last progress seen
  // in those partitions' checkpoints (a new commit); then the job fails naming them.
  // Returns OK(true) when done, OK(false) to poll on.
  Result<bool> OthersDone() {
    const auto now = Clock::now();
    if (now - others_checked_ < std::chrono::milliseconds(500)) return false;
    others_checked_ = now;
    const auto patience = std::chrono::milliseconds(session_timeout_ms_ + 10000);
    if (!others_deadline_) others_deadline_ = now + patience;
    bool progress = false;
    Result<bool> done = OthersFlushed(&progress);
    if (done.ok() && *done) return true;
    if (progress) others_deadline_ = now + patience;  // a member still working on them
    // Is the cluster there? While it does not answer, no rebalance can hand partitions over
    // (an outage that cost this member its own does not end by waiting for members): the
    // wait goes on, for outages up to --connect-timeout, and starts again when it answers.
    // Asked, not read from librdkafka's log: its "brokers are down" may not come, and
    // failed reconnects are logged only now and then.
    if (!kafka::PartitionCount(consumer_->handle(), o_.topics.front(), consumer_->bootstrap(), kProbeWaitMs).ok()) {
      if (!outage_since_) outage_since_ = now;
      if (now - *outage_since_ < std::chrono::milliseconds(o_.connect_timeout_ms)) {
        others_deadline_ = Clock::now() + patience;
      }
    } else if (outage_since_) {
      outage_since_.reset();
      others_deadline_ = Clock::now() + patience;  // time for the rebalance that hands them back
    }
    if (!others_noted_) {
      others_noted_ = true;
      StderrConsole().Printf(
          "lakestream: %s: not assigned to this process, not processed to the end in the lake: waiting for "
          "the group's other members (or a rebalance that hands them over), up to %lld s without progress\n",
          done.ok() ? others_behind_.c_str() : done.status().message().c_str(),
          static_cast<long long>(patience.count() / 1000));
    }
    if (Clock::now() < *others_deadline_) return false;
    if (outage_since_) {
      return Status::Unavailable(fmt::format(
          "{}: not processed to the end by this run: the cluster did not answer for {} s while it waited for "
          "them (last error: {}; --connect-timeout sets how long an outage is waited out). When the cluster "
          "answers again, run again: it resumes from the lake's checkpoints",
          others_behind_,
          std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - *outage_since_).count(),
          kafka::LastClientError(consumer_->handle())));
    }
    if (!done.ok()) {
      return Status(done.status().code(),
                    fmt::format("cannot tell whether the partitions other members of group '{}' hold are done: {}",
                                o_.group, done.status().message()));
    }
    return Status::FailedPrecondition(fmt::format(
        "{}: not processed to the end by this run: other members of group '{}' hold them and have not finished "
        "them (run again when they are gone, or let them finish)",
        others_behind_, o_.group));
  }

  // The topics' partitions, their first and end offsets, and their checkpoints' first lines,
  // as when this run starts (available-now): what OthersDone compares against.
  Status SnapshotOthers() {
    if (!other_partitions_.empty()) return Status::Ok();
    std::vector<kafka::TopicPartition> all;
    for (const std::string& topic : o_.topics) {
      LS_ASSIGN_OR_RETURN(int n, kafka::PartitionCount(consumer_->handle(), topic, consumer_->bootstrap(),
                                                       o_.connect_timeout_ms));
      for (int32_t p = 0; p < n; ++p) all.push_back({topic, p});
    }
    LS_ASSIGN_OR_RETURN(auto bounds, consumer_->Watermarks(all, o_.connect_timeout_ms));
    for (size_t i = 0; i < all.size(); ++i) {
      other_bounds_[{all[i].topic, all[i].partition}] = bounds[i];
      auto header = lake::ReadCheckpointHeader(CheckpointOf(all[i]));
      start_headers_[{all[i].topic, all[i].partition}] = header.ok() ? header->value_or("") : "?";
    }
    other_partitions_ = std::move(all);
    return Status::Ok();
  }

  std::string ReprocessAdvice(const kafka::TopicPartition& tp) const override {
    return lake::ReprocessAdvice(CheckpointOf(tp), tp.topic, PartitionId{tp.partition});
  }

  std::string CheckpointOf(const kafka::TopicPartition& tp) const {
    return lake::CheckpointPath(o_.lake.root, tp.topic, PartitionId{tp.partition});
  }

  // OthersDone's check; others_behind_ names the partitions not done. `progress`: a
  // partition not done has a checkpoint written since the last check (or since the start).
  Result<bool> OthersFlushed(bool* progress) {
    LS_RETURN_NOT_OK(SnapshotOthers());
    others_behind_.clear();
    for (const auto& tp : other_partitions_) {
      const Key key{tp.topic, tp.partition};
      if (workers_.contains(key) || others_done_.contains(key)) continue;
      const auto [low, end] = other_bounds_[key];
      if (end <= low || Flushed(tp, end, progress)) {
        others_done_.insert(key);  // done stays done (a later owner may open windows again)
        continue;
      }
      others_behind_ += fmt::format("{}{}/{}", others_behind_.empty() ? "" : ", ", tp.topic, tp.partition);
    }
    return others_behind_.empty();
  }

  // See OthersDone. The answer is kept per checkpoint (its first line).
  bool Flushed(const kafka::TopicPartition& tp, int64_t end, bool* progress) {
    const Key key{tp.topic, tp.partition};
    const std::string path = CheckpointOf(tp);
    auto header = lake::ReadCheckpointHeader(path);
    if (!header.ok() || !header->has_value()) return false;
    auto [cached, fresh] = flushed_.try_emplace(key);
    if (!fresh && cached->second.first == **header) return cached->second.second;
    const bool written_since_start = start_headers_[key] != **header;
    // A new commit is progress also at the same offset: a member flushing its end of input
    // commits in steps (FlushStep), its offset staying where it is.
    if (!fresh || written_since_start) *progress = true;
    bool flushed = false;
    auto c = lake::ReadCheckpoint(path);
    if (c.ok() && c->has_value()) {
      const int64_t next = (*c)->next_offset.value;
      if (next >= end || written_since_start) {
        auto task = stream::PartitionTask::Make(o_.spec, SourcePosition{tp.topic, tp.partition, -1});
        flushed = task.ok() && (*task)->Restore((*c)->state).ok() && (*task)->Stats().open_windows == 0;
      }
    }
    cached->second = {**header, flushed};
    return flushed;
  }

  std::vector<kafka::TopicPartition> other_partitions_;       // OthersDone: the topics' partitions
  std::map<Key, std::pair<int64_t, int64_t>> other_bounds_;  // ... their first and end offsets at start
  std::map<Key, std::string> start_headers_;                 // ... their checkpoints' first lines at start
  std::map<Key, std::pair<std::string, bool>> flushed_;      // ... (header, Flushed) last seen
  std::set<Key> others_done_;
  std::string others_behind_;
  Clock::time_point others_checked_{};
  std::optional<Clock::time_point> others_deadline_;
  std::optional<Clock::time_point> outage_since_;  // the brokers failing since, as OthersDone saw
  bool others_noted_ = false;
  int64_t session_timeout_ms_ = 45000;  // the consumer's, once made
  static constexpr std::chrono::milliseconds kConfirmWait{2000};
  // How long OthersDone waits for the cluster to answer whether it is there.
  static constexpr int kProbeWaitMs = 1000;

  PartitionWorker* Find(std::string_view topic, int32_t partition) {
    if (cache_ != nullptr && cache_partition_ == partition && cache_topic_ == topic) return cache_;
    auto it = workers_.find({std::string(topic), partition});
    if (it == workers_.end()) return nullptr;  // a message of a partition just revoked
    cache_ = it->second.worker.get();
    cache_partition_ = partition;
    cache_topic_ = it->first.first;
    return cache_;
  }

  // `position` (the next record to process), or past the end-of-partition event that came
  // after it: an end-of-partition event comes after every record before it, so the offsets
  // between hold no record for this job (a transaction's marker, aborted records).
  static int64_t ReadTo(const Slot& slot, int64_t position) { return std::max(position, slot.fetched_to); }

  // Takes the partition's snapshot and queues its commit (Drain the queue to wait for it).
  // The Kafka offset is informational: it may run ahead of the lake by the queued commits,
  // and past a transaction's marker (ReadTo), where the checkpoint keeps the records' offset.
  Status CommitOne(Slot& slot) {
    auto next = slot.worker->Commit(&queue_);
    if (!next.ok()) return next.status();
    if (*next >= 0) consumer_->CommitOffset({slot.worker->topic(), slot.worker->partition()}, ReadTo(slot, *next));
    return Status::Ok();
  }

  // Every partition's uncommitted work is dropped (commits already taken still finish): the
  // partitions are read again from their last checkpoints by whoever owns them next.
  void DropAll() {
    Status st = queue_.Drain();
    if (!st.ok() && fatal_.ok()) fatal_ = st;
    for (auto& [tp, slot] : workers_) {
      retired_.records_dropped += slot.worker->since_commit();
      Retire(slot);
      queue_.Forget(slot.worker.get());
    }
    workers_.clear();
    cache_ = nullptr;
  }

  Status CommitAll() {
    Status first;
    for (auto& [tp, slot] : workers_) {
      Status st = CommitOne(slot);
      if (!st.ok() && first.ok()) first = st;
    }
    return first;
  }

  void Retire(const Slot& slot) {
    AddStatsSince(slot.worker->Stats(), slot.base, &retired_);
    AddCommits(slot.worker->commits(), &retired_);
  }

  JobFigures Figures() {
    JobFigures f = retired_;
    f.partitions = workers_.size();
    int64_t lag = 0;
    bool lag_known = !workers_.empty();
    for (auto& [tp, slot] : workers_) {
      stream::TaskStats s = slot.worker->Stats();
      AddStatsSince(s, slot.base, &f);
      AddCommits(slot.worker->commits(), &f);
      if (s.watermark != stream::kNoWatermark) {
        f.min_watermark = f.min_watermark == INT64_MIN ? s.watermark : std::min(f.min_watermark, s.watermark);
        f.max_watermark = std::max(f.max_watermark, s.watermark);
      }
      int64_t hi = consumer_->CachedHighWatermark({tp.first, tp.second});
      // Nothing read yet: the next record is the partition's first (retention or a deletion
      // may have removed those before it, which are no lag).
      int64_t pos = slot.worker->position();
      if (pos < 0) pos = std::max<int64_t>(slot.low, 0);
      pos = ReadTo(slot, pos);
      if (hi < 0) lag_known = false;
      else lag += std::max<int64_t>(hi - pos, 0);
      f.by_partition.push_back({tp.first, tp.second, pos, hi, s.watermark, s.open_windows, s.open_cells, s.groups,
                                s.dedup_keys});
    }
    f.lag = lag_known ? lag : -1;
    return f;
  }

  const JobOptions& o_;
  LakeOptions lake_;  // o_.lake, with topic_guard_
  std::unique_ptr<kafka::Consumer> consumer_;
  // Declared before workers_ and queue_: the commits that use it are done before it goes.
  std::unique_ptr<TopicGuard> topic_guard_;
  std::atomic<bool> cluster_gone_{false};  // BrokerAnswersAtStop said no: topic_guard_ asks nothing
  std::map<Key, Slot> workers_;
  // Declared after workers_: destroyed (drained) first, while the workers its jobs use live.
  CommitQueue queue_;
  PartitionWorker* cache_ = nullptr;
  int32_t cache_partition_ = -1;
  std::string cache_topic_;
  bool ever_assigned_ = false;
  Status fatal_;
  JobFigures retired_;
};

}  // namespace

Status RunKafkaJob(const JobOptions& options, kafka::ClientConfig config,
                   const std::function<bool()>& stop, const ProgressFn& progress, JobFigures* figures) {
  KafkaJob job(options);
  return job.Run(std::move(config), stop, progress, figures);
}

Status RunFileJob(const JobOptions& options, const std::vector<std::string>& sources,
                  const std::string& source_name, const std::function<bool()>& stop,
                  const ProgressFn& progress, JobFigures* figures) {
  std::unique_ptr<produce::MessageSource> src;
  const std::optional<std::string_view> rides = sources.size() == 1 ? produce::RidesPath(sources[0]) : std::nullopt;
  for (size_t i = 0; !rides && i < sources.size(); ++i) {
    // Among other sources it would be read as an MTA file named "rides:...".
    if (produce::RidesPath(sources[i])) {
      return Status::InvalidArgument("--source " + sources[i] +
                                     " stands alone: give one rides file a run, without other sources");
    }
  }
  if (rides) {
    if (options.spec.format != WireFormat::kJson) {
      return Status::InvalidArgument("--source rides: gives taxi rides as JSON objects, and pipeline '" +
                                     options.spec.name + "' reads " + std::string(WireFormatName(options.spec.format)) +
                                     ": use a json pipeline, e.g. --pipeline pipelines/taxi-rides.yaml (without --format)");
    }
    LS_ASSIGN_OR_RETURN(src, produce::MakeRidesSource(std::string(*rides), produce::RidesOptions{}));
  } else {
    produce::MtaFileOptions mo;
    mo.format = options.spec.format;
    LS_ASSIGN_OR_RETURN(src, produce::MakeMtaFileSource(sources, mo));
  }
  LS_RETURN_NOT_OK(produce::ReportRejectedRows(*src, options.bad_rows_file, stderr));

  // The offsets count the replay of exactly these files: the checkpoint keeps their names
  // and sizes, and other files under the same --source-name are refused.
  LakeOptions lake = options.lake;
  lake.source = "files";
  for (size_t i = 0; i < sources.size(); ++i) {
    const std::optional<std::string_view> rides_path = produce::RidesPath(sources[i]);
    const std::filesystem::path path(rides_path.value_or(std::string_view(sources[i])));
    std::error_code ec;
    const uintmax_t size = std::filesystem::file_size(path, ec);
    lake.source += fmt::format("{} {}{} ({} bytes)", i == 0 ? "" : ",", rides_path ? "rides:" : "",
                               path.filename().string(), ec ? 0 : size);
  }
  LS_ASSIGN_OR_RETURN(auto worker, PartitionWorker::Open(options.spec, lake, source_name, 0));
  CommitQueue queue;  // after the worker: drained before the worker goes
  const stream::TaskStats base = worker->Stats();
  auto fill = [&] {
    stream::TaskStats s = worker->Stats();
    JobFigures f;
    AddStatsSince(s, base, &f);
    AddCommits(worker->commits(), &f);
    f.partitions = 1;
    f.skipped_rows = src->Issues().size();
    f.min_watermark = f.max_watermark = s.watermark;
    auto total = src->Total();
    f.lag = total ? static_cast<int64_t>(*total) - std::max<int64_t>(worker->position(), 0) : -1;
    return f;
  };
  produce::SourceMessage m;
  int64_t offset = 0;
  auto last_trigger = Clock::now();
  bool stopped = false;
  while (src->Next(&m)) {
    if (!worker->Process(m.value, offset++)) return worker->resume_status();
    // Checked after every record: see JobOptions::max_commit_rows.
    const bool output_due = worker->OutputDue(options.max_commit_rows);
    if (output_due || (offset & 0xFFF) == 0) {
      if (stop()) {
        stopped = true;
        break;
      }
      bool due = output_due || worker->since_commit() >= options.max_records_per_trigger ||
                 worker->OutputDue(options.max_pending_rows) ||
                 (!options.available_now && Clock::now() - last_trigger >= options.trigger);
      if (due) {
        LS_RETURN_NOT_OK(worker->Commit(&queue).status());
        LS_RETURN_NOT_OK(queue.error());
        last_trigger = Clock::now();
      }
      if (progress) progress(fill());
    }
  }
  if (!stopped && worker->checking_resume()) {
    return Status::DataLoss(fmt::format(
        "{}: the files hold fewer messages ({}) than the lake's checkpoint counted ({}): they changed since. To "
        "process them from the start, {}",
        source_name, offset, worker->resume_offset() + 1,
        lake::ReprocessAdvice(worker->checkpoint_path(), source_name, PartitionId{0})));
  }
  // A file source is bounded: its end is the end of input, as with available-now.
  // Closed and committed in pieces (see the Kafka job's end of a partition).
  while (!stopped && !worker->FlushStep(options.max_commit_rows)) {
    LS_RETURN_NOT_OK(worker->Commit(&queue).status());
    LS_RETURN_NOT_OK(queue.error());
    stopped = stop();  // Ctrl-C between steps: a later run flushes the rest
  }
  LS_RETURN_NOT_OK(worker->Commit(&queue).status());
  LS_RETURN_NOT_OK(queue.Drain());
  *figures = fill();
  return Status::Ok();
}

}  // namespace lakestream::process
