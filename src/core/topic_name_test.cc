#include "core/topic_name.h"

#include <gtest/gtest.h>

#include <string>

namespace lakestream {
namespace {

TEST(TopicName, KafkasRule) {
  struct Case {
    std::string name;
    std::string error;  // empty: valid
  };
  const Case cases[] = {
      {"mta-turnstile", ""},
      {"a.b_C-9", ""},
      {std::string(249, 'x'), ""},
      {"", "topic name must not be empty"},
      {".", "topic name cannot be '.' or '..'"},
      {"..", "topic name cannot be '.' or '..'"},
      {std::string(250, 'x'), "topic name '" + std::string(250, 'x') + "' is longer than 249 characters"},
      {"a/b", "topic name 'a/b' has the character '/'; Kafka allows only ASCII letters, digits, '.', '_' and '-'"},
      {"a b", "topic name 'a b' has the character ' '; Kafka allows only ASCII letters, digits, '.', '_' and '-'"},
  };
  for (const Case& c : cases) {
    const Status st = ValidateTopicName(c.name);
    EXPECT_EQ(st.ok(), c.error.empty()) << c.name;
    if (!c.error.empty()) {
      EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(st.message(), c.error);
    }
  }
}

}  // namespace
}  // namespace lakestream
