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

// librdkafka's mock cluster of one broker, with a topic "t" of one partition.
struct MockCluster {
  rd_kafka_t* owner = nullptr;
  rd_kafka_mock_cluster_t* cluster = nullptr;
  MockCluster() {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (owner != nullptr) cluster = rd_kafka_mock_cluster_new(owner, 1);
    if (cluster != nullptr) rd_kafka_mock_topic_create(cluster, "t", 1, 1);
  }
  ~MockCluster() {
    if (cluster != nullptr) rd_kafka_mock_cluster_destroy(cluster);
    if (owner != nullptr) rd_kafka_destroy(owner);
  }
  std::string Bootstrap() const { return std::string("bootstrap.servers=") + rd_kafka_mock_cluster_bootstraps(cluster); }
};

// A message whose request reached the broker but was not acknowledged in time (the broker
// stopped, or slow) failed, but may be in the topic: it is counted apart, so that the report
// does not call it lost (re-sending it could double it). librdkafka's mock cluster holds
// its answers back.
TEST(Producer, AMessageSentButNotAcknowledgedCountsAsPossiblyDelivered) {
  MockCluster mock;
  ASSERT_NE(mock.cluster, nullptr);
  {
    auto config = ClientConfig::Load(
        "", {mock.Bootstrap(), "message.timeout.ms=1000", "log_level=0"});
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    auto producer = Producer::Make(std::move(*config), "t", 10000);
    ASSERT_TRUE(producer.ok()) << producer.status().ToString();
    Producer& p = **producer;
    ASSERT_TRUE(p.Send("k", "acknowledged").ok());
    EXPECT_EQ(p.Flush(10000), 0);
    ASSERT_EQ(rd_kafka_mock_broker_set_rtt(mock.cluster, 1, 3000), RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_TRUE(p.Send("k", "sent, never acknowledged").ok());
    EXPECT_EQ(p.Flush(10000), 0);
    EXPECT_EQ(p.delivered(), 1u);
    EXPECT_EQ(p.failed(), 1u);
    EXPECT_EQ(p.possibly_delivered(), 1u);
    rd_kafka_mock_broker_set_rtt(mock.cluster, 1, 0);
  }
}

// Ctrl-C while the local queue is full and no broker answers: the batch waiting for room
// gives up after kStopPatience without a delivery report, counted as not sent. It waited up
// to message.timeout.ms, then the flush as long again (found by review: a broker stopped
// with SIGSTOP, then Ctrl-C: the run ended 118 s later, saying nothing meanwhile).
TEST(Producer, AStopWhileTheQueueIsFullAndNoBrokerAnswersGivesUpTheBatch) {
  MockCluster mock;
  ASSERT_NE(mock.cluster, nullptr);
  {
    auto config = ClientConfig::Load(
        "", {mock.Bootstrap(), "message.timeout.ms=30000", "queue.buffering.max.messages=2", "log_level=0"});
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    auto producer = Producer::Make(std::move(*config), "t", 10000);
    ASSERT_TRUE(producer.ok()) << producer.status().ToString();
    Producer& p = **producer;
    ASSERT_EQ(rd_kafka_mock_broker_set_rtt(mock.cluster, 1, 20000), RD_KAFKA_RESP_ERR_NO_ERROR);
    const Producer::Message two[] = {{"k", "a"}, {"k", "b"}};
    ASSERT_TRUE(p.SendBatch(two).ok());  // the queue is full now
    int asked = 0;
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(p.SendBatch(two, [&] { return ++asked > 0; }).ok());
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(took, Producer::kStopPatience);
    EXPECT_LT(took, Producer::kStopPatience + std::chrono::seconds(2));
    EXPECT_EQ(p.sent(), 2u);
    EXPECT_EQ(p.failed(), 2u);
    EXPECT_EQ(p.first_error(), "t: 2 messages not sent: stopped while librdkafka's queue was full");
    rd_kafka_mock_broker_set_rtt(mock.cluster, 1, 0);
    EXPECT_EQ(p.Flush(30000), 0);
    EXPECT_EQ(p.delivered(), 2u);
  }
}

}  // namespace
}  // namespace lakestream::kafka
