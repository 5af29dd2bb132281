#include "kafka/producer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lakestream::kafka {
namespace {

// The producer turns idempotence on by default. Settings that rule it out are refused by
// librdkafka with a message about enable.idempotence: when the user did not set it, the
// error says where it comes from and how to turn it off. (Create needs no broker.)
TEST(Producer, SettingsThatIdempotenceRulesOutSayHowToTurnItOff) {
  const std::string hint =
      ". lakestream turns enable.idempotence on unless told otherwise (a retried batch is then neither doubled nor "
      "reordered); to publish with these settings, add -X enable.idempotence=false";
  struct Case {
    std::vector<std::string> overrides;
    std::string error;  // empty: created
  };
  const std::vector<Case> cases = {
      {{"acks=1"}, "cannot create Kafka client: `acks` must be set to `all` when `enable.idempotence` is true" + hint},
      {{"acks=0"}, "cannot create Kafka client: `acks` must be set to `all` when `enable.idempotence` is true" + hint},
      {{"max.in.flight=10"},
       "cannot create Kafka client: `max.in.flight` must be set <= 5 when `enable.idempotence` is true" + hint},
      // Set by the user: librdkafka's message alone.
      {{"enable.idempotence=true", "acks=1"},
       "cannot create Kafka client: `acks` must be set to `all` when `enable.idempotence` is true"},
      {{"enable.idempotence=false", "acks=1"}, ""},
      {{"acks=all"}, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.overrides.back());
    std::vector<std::string> overrides = c.overrides;
    overrides.push_back("bootstrap.servers=127.0.0.1:1");
    auto config = ClientConfig::Load("", overrides);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    auto producer = Producer::Create(std::move(*config), "t");
    if (c.error.empty()) {
      EXPECT_TRUE(producer.ok()) << producer.status().ToString();
    } else {
      ASSERT_FALSE(producer.ok());
      EXPECT_EQ(producer.status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(producer.status().message(), c.error);
    }
  }
}

}  // namespace
}  // namespace lakestream::kafka
