// The consumer group's committed offsets as lakestream keeps them: informational (for lag
// monitors; the lake's checkpoints are the commit point), so what matters is that the last
// one of each partition reaches the coordinator, not every one.
//
// Pure bookkeeping of what was recorded, sent and confirmed per partition; kafka::Consumer
// does the sending. Thread-safety: none (the consumer's thread).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lakestream::kafka {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  friend bool operator==(const TopicPartition&, const TopicPartition&) = default;
};

class GroupOffsets {
 public:
  // `next_offset` is the partition's position to commit. An offset already sent is not
  // sent again (a revocation right after a commit records the same one).
  void Record(const TopicPartition& tp, int64_t next_offset);
  // Some recorded offset is still to be sent.
  bool has_unsent() const { return unsent_; }
  // The offsets to send now, each marked as sent.
  std::vector<std::pair<TopicPartition, int64_t>> TakeUnsent();
  // The coordinator answered for `offset` of `tp`: confirmed, or refused (e.g.
  // REBALANCE_IN_PROGRESS), then it is sent again with the next ones. An answer for an
  // offset older than the last sent, or for a partition forgotten since, changes nothing.
  void OnAnswer(const TopicPartition& tp, int64_t offset, bool confirmed);
  // The partitions are no longer this member's: their offsets are forgotten (a refused
  // one is the next owner's to commit, from the lake's checkpoint).
  void Forget(const std::vector<TopicPartition>& parts);
  // The offsets the coordinator has confirmed, one per partition that has one.
  std::vector<std::pair<TopicPartition, int64_t>> Confirmed() const;
  // At the stop: every recorded offset the coordinator has not confirmed (sent but not
  // answered yet, or answered and not yet seen) is to be sent again.
  void ResendUnconfirmed();

 private:
  struct Entry {
    TopicPartition tp;
    int64_t recorded = -1;  // the last Record
    int64_t sent = -1;      // the last sent to the coordinator
    int64_t confirmed = -1; // the last the coordinator confirmed
  };
  Entry* Find(const TopicPartition& tp);
  std::vector<Entry> entries_;  // one per partition recorded and not forgotten
  bool unsent_ = false;         // some recorded != sent
};

}  // namespace lakestream::kafka
