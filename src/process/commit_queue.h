// CommitQueue: runs lake commits on one background thread, in submission order, so that
// formatting, compressing and fsyncing lake files overlaps with reading and aggregating.
//
// Exactly once is unchanged: each job is one PartitionCommitter::Commit of a snapshot
// (rows, next offset and state taken together on the processing thread). Jobs run one at
// a time in FIFO order, so a partition's commits happen in the order they were taken.
// Before a partition is released (rebalance) or the job ends, the caller Drain()s: every
// submitted commit has then either happened or failed.
//
// Thread-safety: Submit, Drain and error are called from the processing thread only.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "core/status.h"

namespace lakestream::process {

class CommitQueue {
 public:
  // At most `max_queued` jobs wait at once; Submit blocks beyond that (bounds the memory
  // held by rows in flight).
  explicit CommitQueue(size_t max_queued = 2);
  ~CommitQueue();  // drains, then stops the thread
  CommitQueue(const CommitQueue&) = delete;
  CommitQueue& operator=(const CommitQueue&) = delete;

  void Submit(std::function<Status()> job);
  // Waits until every submitted job has run; returns the first failure so far.
  Status Drain();
  // The first failure so far, without waiting.
  Status error();

 private:
  void Run();

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::function<Status()>> jobs_;
  bool running_job_ = false;
  bool stopping_ = false;
  Status error_;
  std::thread thread_;
};

}  // namespace lakestream::process
