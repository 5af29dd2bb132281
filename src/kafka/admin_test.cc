#include "kafka/admin.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lakestream::kafka {
namespace {

using ::testing::HasSubstr;

TEST(ParseTopicConfigArgs, SplitsOnTheFirstEquals) {
  Result<TopicConfig> c = ParseTopicConfigArgs({"retention.ms=3600000", "x=a=b", "empty="});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(*c, (TopicConfig{{"retention.ms", "3600000"}, {"x", "a=b"}, {"empty", ""}}));
}

TEST(ParseTopicConfigArgs, RejectsMissingKeyOrEquals) {
  for (const char* bad : {"retention.ms", "=5"}) {
    Result<TopicConfig> c = ParseTopicConfigArgs({bad});
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(c.status().message(), HasSubstr(std::string("'") + bad + "'"));
  }
}

TEST(ParseTopicConfigArgs, RejectsARepeatedKey) {
  Result<TopicConfig> c = ParseTopicConfigArgs({"retention.ms=1", "retention.ms=2"});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("retention.ms is given twice"));
}

// No broker listens on port 1: Connect must give up within its timeout, say where it
// looked, and pass on librdkafka's reason.
TEST(AdminConnect, UnreachableBrokerIsUnavailableWithinTheTimeout) {
  Result<ClientConfig> config = ClientConfig::Load("", {"bootstrap.servers=127.0.0.1:1"});
  ASSERT_TRUE(config.ok());
  const auto t0 = std::chrono::steady_clock::now();
  Result<Admin> admin = Admin::Connect(*config, 1500);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  ASSERT_FALSE(admin.ok());
  EXPECT_EQ(admin.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(admin.status().message(), HasSubstr("127.0.0.1:1"));
  EXPECT_THAT(admin.status().message(), HasSubstr("within 1.5 s"));  // not rounded down to 1
}

}  // namespace
}  // namespace lakestream::kafka
