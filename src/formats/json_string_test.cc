#include "formats/json_string.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace lakestream {
namespace {

// Expected bytes are what Python's json.dumps(s) prints for the same string.
TEST(JsonString, MatchesPythonJsonDumps) {
  const std::pair<std::string, std::string> cases[] = {
      {"A002,R051,02-00-00,59 ST", "\"A002,R051,02-00-00,59 ST\""},
      {"say \"hi\"", "\"say \\\"hi\\\"\""},
      {"back\\slash", "\"back\\\\slash\""},
      {"tab\tnl\ncr\r", "\"tab\\tnl\\ncr\\r\""},
      {std::string("\x01\x1f", 2), "\"\\u0001\\u001f\""},
      {"caf\xC3\xA9", "\"caf\\u00e9\""},
      {"\xF0\x9F\x9A\x87", "\"\\ud83d\\ude87\""},  // U+1F687 metro
      {"\x7f", "\"\x7f\""},
  };
  for (const auto& [in, want] : cases) {
    std::string out;
    AppendJsonString(&out, in);
    EXPECT_EQ(out, want);
    // A standard JSON parser decodes it back to the same text, and so does ours.
    EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(), in);
    std::string back;
    ASSERT_TRUE(DecodeJsonString(out, &back)) << out;
    EXPECT_EQ(back, in);
  }
}

TEST(JsonString, DecodeRejectsMalformed) {
  std::string out;
  for (const char* bad : {"", "\"", "abc", "\"a\"b\"", "\"\\x\"", "\"\\u12\"", "\"\\ud83d\""}) {
    EXPECT_FALSE(DecodeJsonString(bad, &out)) << bad;
  }
}

}  // namespace
}  // namespace lakestream
