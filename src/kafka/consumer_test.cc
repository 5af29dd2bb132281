#include "kafka/consumer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lakestream::kafka {
namespace {

// Settings that would change which group the job joins or what it reads are refused, naming
// where they were set and what to do; the ones that agree with the job's own pass.
TEST(Consumer, SettingsThatChangeWhatTheJobReadsAreRefused) {
  struct Case {
    std::vector<std::string> overrides;
    const char* message;  // empty: accepted
  };
  const Case cases[] = {
      {{}, ""},
      {{"group.id=mta"}, ""},
      {{"auto.offset.reset=earliest"}, ""},
      {{"auto.offset.reset=smallest"}, ""},
      {{"auto.offset.reset=error"}, ""},
      {{"isolation.level=read_committed"}, ""},
      {{"group.id=other", "group.id=mta"}, ""},  // the last setting counts, as in librdkafka
      {{"group.id=hopping"},
       "-X: group.id=hopping, but this job joins group 'mta' (--group): give one of them, --group or group.id (in "
       "group 'mta' the job would share the partitions with that group's other members, each lake getting a part "
       "of them)"},
      {{"auto.offset.reset=latest"},
       "-X: auto.offset.reset=latest: lakestream reads a partition that has no checkpoint in the lake from its "
       "first offset, and stops when a checkpoint's offset is no longer in the topic; it cannot start at the end "
       "(remove the setting; earliest is what it does)"},
      {{"auto.offset.reset=end"},
       "-X: auto.offset.reset=end: lakestream reads a partition that has no checkpoint in the lake from its "
       "first offset, and stops when a checkpoint's offset is no longer in the topic; it cannot start at the end "
       "(remove the setting; earliest is what it does)"},
      {{"isolation.level=read_uncommitted"},
       "-X: isolation.level=read_uncommitted would put records of open and aborted transactions into the lake: "
       "lakestream reads committed records only (remove the setting)"},
      // Below the session timeout Make sets unless told: librdkafka refused it, blaming a
      // session.timeout.ms the user never set.
      {{"max.poll.interval.ms=4000"},
       "-X: max.poll.interval.ms=4000 is below the session timeout lakestream sets (session.timeout.ms=10000, so "
       "that a member that died is replaced within 10 s), which librdkafka does not allow: set a larger "
       "max.poll.interval.ms, or session.timeout.ms too, at most 4000 (brokers take 6000 and up by default)"},
      {{"max.poll.interval.ms=10000"}, ""},
      {{"max.poll.interval.ms=8000", "session.timeout.ms=6000"}, ""},
      {{"max.poll.interval.ms=4000", "group.protocol=consumer"}, ""},
  };
  for (const Case& c : cases) {
    auto loaded = ClientConfig::Load("", c.overrides);
    ASSERT_TRUE(loaded.ok());
    Status st = CheckConsumerSettings(*loaded, "mta");
    if (std::string(c.message).empty()) {
      EXPECT_TRUE(st.ok()) << st.ToString();
    } else {
      EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(st.message(), c.message);
    }
  }
}

}  // namespace
}  // namespace lakestream::kafka
