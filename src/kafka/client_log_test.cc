#include "kafka/client_log.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "kafka/client_config.h"

namespace lakestream::kafka {
namespace {

// Counts occurrences of `needle` in `text`.
size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// A client whose broker refuses every connection and that retries every 10 ms.
HandlePtr RefusedClient() {
  auto config = ClientConfig::Load("", {"bootstrap.servers=127.0.0.1:1", "reconnect.backoff.ms=10",
                                        "reconnect.backoff.max.ms=10"});
  EXPECT_TRUE(config.ok());
  auto conf = config->Build();
  EXPECT_TRUE(conf.ok());
  auto handle = CreateHandle(RD_KAFKA_PRODUCER, std::move(*conf));
  EXPECT_TRUE(handle.ok());
  return std::move(*handle);
}

TEST(ClientLog, RepeatKey) {
  const std::string refused = "b:9092/bootstrap: Connect to ipv4#10.0.0.5:9092 failed: Connection refused";
  struct Case {
    std::string a, b;
    bool same;
  } cases[] = {
      {refused + " (after 0ms in state CONNECT)", refused + " (after 12ms in state CONNECT)", true},
      // librdkafka's own count of repeats, appended now and then.
      {refused + " (after 0ms in state CONNECT)", refused + " (after 1ms in state CONNECT, 558 identical error(s) suppressed)",
       true},
      {refused + " (after 0ms in state CONNECT)",
       "b:9092/bootstrap: Failed to resolve 'b:9092': Name or service not known (after 2ms in state CONNECT)", false},
      {"Topic t [3]: offset 10 out of range", "Topic t [3]: offset 99 out of range", true},
      {"Topic t [3]: offset 10 out of range", "Topic u [3]: offset 10 out of range", false},
  };
  for (const Case& c : cases) EXPECT_EQ(RepeatKey(c.a) == RepeatKey(c.b), c.same) << c.a << " | " << c.b;
  EXPECT_EQ(RepeatKey("x (after 1ms in state CONNECT, 3 identical error(s) suppressed)"), "x (after ms in state CONNECT)");
}

TEST(ClientLog, ConnectingClientIsQuietAndItsLastErrorEndsTheMessage) {
  ::testing::internal::CaptureStderr();
  HandlePtr h = RefusedClient();
  Status st = WaitForBroker(h.get(), "127.0.0.1:1", 500);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("within 0.5 s"), std::string::npos) << st.message();  // not "0 s"
  EXPECT_NE(st.message().find("Last client error: 127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: "
                              "Connection refused"),
            std::string::npos)
      << st.message();
  EXPECT_EQ(err, "");
  EXPECT_EQ(LastClientError(h.get()).rfind("127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed", 0), 0u);
}

TEST(ClientLog, AfterConnectingARepeatedErrorIsPrintedOnce) {
  HandlePtr h = RefusedClient();
  // Captured from before MarkConnected: the first failure may be printed right after it.
  ::testing::internal::CaptureStderr();
  const uint64_t before = SuppressedLogLines();
  MarkConnected(h.get());  // as if the broker had answered, then gone away
  // Await a few reconnect attempts (each logs the same failure), bounded.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (SuppressedLogLines() < before + 3 && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_poll(h.get(), 10);
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_GE(SuppressedLogLines(), before + 3);
  EXPECT_EQ(Count(err, "Connection refused"), 1u) << err;
  EXPECT_EQ(err.rfind("lakestream: kafka: 127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed", 0), 0u) << err;
}

}  // namespace
}  // namespace lakestream::kafka
