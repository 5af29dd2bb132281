#include "kafka/producer.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka_mock.h>

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

// A message whose request reached the broker but was not acknowledged in time (the broker
// stopped, or slow) failed, but may be in the topic: it is counted apart, so that the report
// does not call it lost (re-sending it could double it). librdkafka's mock cluster holds
// its answers back.
TEST(Producer, AMessageSentButNotAcknowledgedCountsAsPossiblyDelivered) {
  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  ASSERT_EQ(rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err), RD_KAFKA_CONF_OK);
  rd_kafka_t* owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  ASSERT_NE(owner, nullptr) << err;
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(owner, 1);
  ASSERT_NE(cluster, nullptr);
  ASSERT_EQ(rd_kafka_mock_topic_create(cluster, "t", 1, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  {
    auto config = ClientConfig::Load(
        "", {std::string("bootstrap.servers=") + rd_kafka_mock_cluster_bootstraps(cluster), "message.timeout.ms=1000",
             "log_level=0"});
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    auto producer = Producer::Make(std::move(*config), "t", 10000);
    ASSERT_TRUE(producer.ok()) << producer.status().ToString();
    Producer& p = **producer;
    ASSERT_TRUE(p.Send("k", "acknowledged").ok());
    EXPECT_EQ(p.Flush(10000), 0);
    ASSERT_EQ(rd_kafka_mock_broker_set_rtt(cluster, 1, 3000), RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_TRUE(p.Send("k", "sent, never acknowledged").ok());
    EXPECT_EQ(p.Flush(10000), 0);
    EXPECT_EQ(p.delivered(), 1u);
    EXPECT_EQ(p.failed(), 1u);
    EXPECT_EQ(p.possibly_delivered(), 1u);
    rd_kafka_mock_broker_set_rtt(cluster, 1, 0);
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(owner);
}

}  // namespace
}  // namespace lakestream::kafka
