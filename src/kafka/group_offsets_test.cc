#include "kafka/group_offsets.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace lakestream::kafka {
namespace {

// One step of a scenario on partitions of topic "t".
struct Step {
  enum Op { kRecord, kSend, kConfirm, kRefuse, kForget, kResendUnconfirmed, kConfirmed } op;
  int32_t partition = 0;
  int64_t offset = -1;
  // kSend: what TakeUnsent must give, as (partition, offset); has_unsent() must agree.
  // kConfirmed: what Confirmed() must give.
  std::vector<std::pair<int32_t, int64_t>> sent = {};
};

struct Case {
  std::string name;
  std::vector<Step> steps;
};

TopicPartition P(int32_t partition) { return {"t", partition}; }

TEST(GroupOffsets, Scenarios) {
  const std::vector<Case> cases = {
      {"a recorded offset is sent once",
       {{Step::kRecord, 0, 10}, {Step::kSend, 0, -1, {{0, 10}}}, {Step::kRecord, 0, 10}, {Step::kSend}}},
      {"a newer offset replaces one not sent yet",
       {{Step::kRecord, 0, 5}, {Step::kRecord, 0, 10}, {Step::kSend, 0, -1, {{0, 10}}}}},
      {"a refused offset is sent again with the next ones",
       {{Step::kRecord, 0, 10},
        {Step::kRecord, 1, 20},
        {Step::kSend, 0, -1, {{0, 10}, {1, 20}}},
        {Step::kRefuse, 0, 10},
        {Step::kConfirm, 1, 20},
        {Step::kSend, 0, -1, {{0, 10}}}}},
      {"the refusal of an offset older than the last sent changes nothing",
       {{Step::kRecord, 0, 10},
        {Step::kSend, 0, -1, {{0, 10}}},
        {Step::kRecord, 0, 20},
        {Step::kSend, 0, -1, {{0, 20}}},
        {Step::kRefuse, 0, 10},
        {Step::kSend}}},
      {"a revoked partition's refused offset is the next owner's",
       {{Step::kRecord, 0, 10},
        {Step::kSend, 0, -1, {{0, 10}}},
        {Step::kForget, 0},
        {Step::kRefuse, 0, 10},
        {Step::kSend}}},
      {"a revoked partition's unsent offset is not sent",
       {{Step::kRecord, 0, 10}, {Step::kForget, 0}, {Step::kSend}}},
      {"at the stop, what was sent and not confirmed is sent again",
       {{Step::kRecord, 0, 10},
        {Step::kRecord, 1, 20},
        {Step::kSend, 0, -1, {{0, 10}, {1, 20}}},
        {Step::kConfirm, 0, 10},
        {Step::kResendUnconfirmed},
        {Step::kSend, 0, -1, {{1, 20}}}}},
      {"at the stop, everything confirmed: nothing to send",
       {{Step::kRecord, 0, 10}, {Step::kSend, 0, -1, {{0, 10}}}, {Step::kConfirm, 0, 10}, {Step::kResendUnconfirmed},
        {Step::kSend}}},
      {"assigned again after a revocation: the same offset is sent again",
       {{Step::kRecord, 0, 10},
        {Step::kSend, 0, -1, {{0, 10}}},
        {Step::kConfirm, 0, 10},
        {Step::kForget, 0},
        {Step::kRecord, 0, 10},
        {Step::kSend, 0, -1, {{0, 10}}}}},
      {"the confirmed offsets (a membership check commits them again): the last confirmed of each partition still "
       "held",
       {{Step::kRecord, 0, 10},
        {Step::kRecord, 1, 20},
        {Step::kRecord, 2, 30},
        {Step::kConfirmed},
        {Step::kSend, 0, -1, {{0, 10}, {1, 20}, {2, 30}}},
        {Step::kConfirm, 0, 10},
        {Step::kConfirm, 1, 20},
        {Step::kRefuse, 2, 30},
        {Step::kRecord, 0, 15},
        {Step::kSend, 0, -1, {{0, 15}, {2, 30}}},
        {Step::kConfirmed, 0, -1, {{0, 10}, {1, 20}}},
        {Step::kForget, 1},
        {Step::kConfirm, 0, 15},
        {Step::kConfirmed, 0, -1, {{0, 15}}}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    GroupOffsets offsets;
    for (size_t i = 0; i < c.steps.size(); ++i) {
      SCOPED_TRACE("step " + std::to_string(i));
      const Step& s = c.steps[i];
      switch (s.op) {
        case Step::kRecord: offsets.Record(P(s.partition), s.offset); break;
        case Step::kConfirm: offsets.OnAnswer(P(s.partition), s.offset, true); break;
        case Step::kRefuse: offsets.OnAnswer(P(s.partition), s.offset, false); break;
        case Step::kForget: offsets.Forget({P(s.partition)}); break;
        case Step::kResendUnconfirmed: offsets.ResendUnconfirmed(); break;
        case Step::kConfirmed: {
          std::vector<std::pair<int32_t, int64_t>> got;
          for (const auto& [tp, offset] : offsets.Confirmed()) got.emplace_back(tp.partition, offset);
          EXPECT_EQ(got, s.sent);
          break;
        }
        case Step::kSend: {
          EXPECT_EQ(offsets.has_unsent(), !s.sent.empty());
          std::vector<std::pair<int32_t, int64_t>> got;
          for (const auto& [tp, offset] : offsets.TakeUnsent()) {
            EXPECT_EQ(tp.topic, "t");
            got.emplace_back(tp.partition, offset);
          }
          EXPECT_EQ(got, s.sent);
          EXPECT_FALSE(offsets.has_unsent());
          break;
        }
      }
    }
  }
}

}  // namespace
}  // namespace lakestream::kafka
