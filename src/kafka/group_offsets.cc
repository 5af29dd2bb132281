#include "kafka/group_offsets.h"

#include <algorithm>

namespace lakestream::kafka {

GroupOffsets::Entry* GroupOffsets::Find(const TopicPartition& tp) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.tp == tp; });
  return it == entries_.end() ? nullptr : &*it;
}

void GroupOffsets::Record(const TopicPartition& tp, int64_t next_offset) {
  Entry* e = Find(tp);
  if (e == nullptr) e = &entries_.emplace_back(Entry{tp});
  e->recorded = next_offset;
  unsent_ = unsent_ || e->recorded != e->sent;
}

std::vector<std::pair<TopicPartition, int64_t>> GroupOffsets::TakeUnsent() {
  std::vector<std::pair<TopicPartition, int64_t>> out;
  for (Entry& e : entries_) {
    if (e.recorded == e.sent) continue;
    out.emplace_back(e.tp, e.recorded);
    e.sent = e.recorded;
  }
  unsent_ = false;
  return out;
}

std::vector<std::pair<TopicPartition, int64_t>> GroupOffsets::Confirmed() const {
  std::vector<std::pair<TopicPartition, int64_t>> out;
  for (const Entry& e : entries_) {
    if (e.confirmed >= 0) out.emplace_back(e.tp, e.confirmed);
  }
  return out;
}

void GroupOffsets::OnAnswer(const TopicPartition& tp, int64_t offset, bool confirmed) {
  Entry* e = Find(tp);
  if (e == nullptr || e->sent != offset) return;
  if (confirmed) {
    e->confirmed = offset;
  } else {
    e->sent = -1;
    unsent_ = unsent_ || e->recorded != e->sent;
  }
}

void GroupOffsets::Forget(const std::vector<TopicPartition>& parts) {
  std::erase_if(entries_, [&](const Entry& e) { return std::find(parts.begin(), parts.end(), e.tp) != parts.end(); });
  unsent_ = std::any_of(entries_.begin(), entries_.end(), [](const Entry& e) { return e.recorded != e.sent; });
}

void GroupOffsets::ResendUnconfirmed() {
  for (Entry& e : entries_) {
    if (e.recorded == e.confirmed) continue;
    e.sent = -1;
    unsent_ = true;
  }
}

}  // namespace lakestream::kafka
