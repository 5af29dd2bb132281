// CommitQueue: runs lake commits on background threads, so that formatting, compressing
// and fsyncing lake files overlaps with reading and aggregating.
//
// Exactly once is unchanged: each job is one PartitionCommitter::Commit of a snapshot
// (rows, next offset and state taken together on the processing thread). Jobs carry a key
// (their partition): jobs with the same key run one at a time, in submission order, so a
// partition's commits happen in the order they were taken; jobs with different keys may run
// at once on different threads (partitions share nothing in the lake but its folders).
// Before a partition is released (rebalance) or the job ends, the caller Drain()s: every
// submitted commit has then either happened or failed.
//
// A failed job stops its key: the key's later jobs are dropped, not run. A later snapshot
// of a partition covers the records of the failed one (its offset is further on), so
// committing it would pass over rows that never reached the lake; the partition must
// resume from its last checkpoint instead (a restart).
//
// Thread-safety: Submit, Drain and error are called from the processing thread only.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/status.h"

namespace lakestream::process {

class CommitQueue {
 public:
  struct Options {
    // Threads running jobs. Two: with one, a partition's commit burst (each fills up at
    // about the same time, and available-now ends with all of them) ran while the other
    // core idled; and a processing thread that found the queue full waited for it.
    size_t threads = 2;  // at nice 10: behind the processing thread (commit_queue.cc)
    // At most this many jobs wait at once (running ones not counted); Submit blocks beyond
    // that. Bounds the memory held by rows in flight: a job holds one commit's rows (which
    // JobOptions::max_pending_rows and max_records_per_trigger bound). Two made the
    // processing thread wait for room ~10% of a 4-partition run.
    size_t max_queued = 6;
  };
  CommitQueue() : CommitQueue(Options{}) {}
  explicit CommitQueue(Options options);
  ~CommitQueue();  // drains, then stops the threads
  CommitQueue(const CommitQueue&) = delete;
  CommitQueue& operator=(const CommitQueue&) = delete;

  // Queues `job` behind every job of the same `key` (any stable address: the partition's
  // worker). Dropped if a job of `key` failed.
  void Submit(const void* key, std::function<Status()> job);
  // Waits until every submitted job has run; returns the first failure so far.
  Status Drain();
  // After a Drain, before `key`'s owner goes: a new owner at the same address (a worker
  // allocated where a failed one was) starts unstopped. The first failure stays.
  void Forget(const void* key);
  // The first failure so far, without waiting.
  Status error();

 private:
  struct Job {
    const void* key;
    std::function<Status()> run;
  };
  void Run();
  // The first queued job whose key no thread is running (jobs_.end() if none). Taking the
  // first such job keeps each key's order: an earlier job of the same key would be taken
  // first, and a running key's jobs are all skipped.
  std::deque<Job>::iterator NextRunnable();

  const Options options_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Job> jobs_;
  std::vector<const void*> running_;  // keys of the jobs running now
  std::vector<const void*> failed_;   // keys with a failed job: their later jobs are dropped
  bool stopping_ = false;
  Status error_;
  std::vector<std::thread> threads_;
};

}  // namespace lakestream::process
