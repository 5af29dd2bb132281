// TopicGuard: no commit of records read from a topic that was deleted and created again
// while the job ran.
//
// librdkafka keeps fetching a re-created topic at the offsets it had reached in the old one:
// the new topic's records before them were never read, and a commit would pass over them
// without a word (found by review: a topic deleted, created again and filled while `process
// --trigger 1s` ran; 30 of its 40 records were skipped). Between runs the resume check
// catches it (partition_worker.h); while the job runs this does: before each commit point,
// the topic's id (kafka/topic_id.h) must still be the one seen when the job started, in a
// check that began after every record of the commit was read. One check covers every commit
// whose records were all read before it began, so commits queued together share one.
//
// Thread-safety: Check may be called from any thread (the commit queue's).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace lakestream::process {

class TopicGuard {
 public:
  using Clock = std::chrono::steady_clock;
  // A topic's id: nullopt if it cannot be known (a librdkafka without DescribeTopics: the
  // guard then checks nothing); NotFound if the topic does not exist.
  using DescribeFn = std::function<Result<std::optional<std::string>>(const std::string& topic)>;

  // Asks for the ids of `topics` now, before the job reads any record. A topic whose id
  // cannot be had now (missing: the job says so when it reads; no answer) gets it from its
  // first check, which then compares nothing.
  // `warn` prints a warning (default: to stderr).
  static std::unique_ptr<TopicGuard> Start(const std::vector<std::string>& topics, DescribeFn describe,
                                           std::function<void(const std::string&)> warn = nullptr);

  // OK if `topic` was not re-created since the start, as seen by a check that began at or
  // after `read_before` (made now unless an earlier one did). DataLoss naming both ids if
  // it was, FailedPrecondition if it was deleted: the commit must not happen. A cluster that
  // does not answer (gone at a stop, which commits what was read) is warned of, once an
  // outage, and the commit goes on: a topic re-created in the time a commit covers, and then
  // the cluster gone before it, is what that leaves unseen.
  Status Check(const std::string& topic, Clock::time_point read_before);

  bool active() const { return active_; }

 private:
  struct Seen {
    std::string id;             // at the start (empty: not known yet)
    Clock::time_point checked;  // when the last check that found `id` began
  };
  TopicGuard(DescribeFn describe, std::function<void(const std::string&)> warn)
      : describe_(std::move(describe)), warn_(std::move(warn)) {}

  DescribeFn describe_;
  std::function<void(const std::string&)> warn_;
  bool warned_ = false;  // of the cluster not answering, since it last did
  bool active_ = true;
  std::mutex mu_;  // one check at a time: a commit waiting for it uses its answer
  std::map<std::string, Seen> seen_;
};

}  // namespace lakestream::process
