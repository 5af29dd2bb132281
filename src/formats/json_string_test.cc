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

TEST(JsonString, Utf8PrefixNeverSplitsACharacter) {
  const std::string text = "ab\xc3\xa9\xe2\x82\xac!";  // a b é € !
  const char* want[] = {"", "a", "ab", "ab", "ab\xc3\xa9", "ab\xc3\xa9", "ab\xc3\xa9",
                        "ab\xc3\xa9\xe2\x82\xac", "ab\xc3\xa9\xe2\x82\xac!", "ab\xc3\xa9\xe2\x82\xac!"};
  for (size_t n = 0; n < std::size(want); ++n) EXPECT_EQ(Utf8Prefix(text, n), want[n]) << n;
}

// ASCII is skipped 8 bytes at a time: a sequence (valid or not) must be judged the same
// at every position, also across an 8-byte step.
TEST(JsonString, IsValidUtf8AtEveryPosition) {
  const std::pair<const char*, bool> cases[] = {
      {"\xc3\xa9", true},      {"\xe2\x82\xac", true},  {"\xf0\x9f\x98\x80", true},
      {"\xc9", false},          {"\xc3", false},          {"\xe2\x82", false},
      {"\xed\xa0\x80", false},  {"\xc0\xaf", false},      {"\xff", false}};
  for (const auto& [sequence, valid] : cases) {
    for (size_t at = 0; at < 20; ++at) {
      const std::string text = std::string(at, 'a') + sequence + "bc";
      EXPECT_EQ(IsValidUtf8(text), valid) << at << " " << text;
    }
  }
}

TEST(JsonString, DecodeRejectsMalformed) {
  std::string out;
  for (const char* bad : {"", "\"", "abc", "\"a\"b\"", "\"\\x\"", "\"\\u12\"", "\"\\ud83d\""}) {
    EXPECT_FALSE(DecodeJsonString(bad, &out)) << bad;
  }
}

// Plain bytes are copied in runs found 8 at a time: an escape, a bare quote or a control
// character must be seen at every position of a run, across the 8-byte steps.
TEST(JsonString, DecodeFindsEachSpecialByteAtEveryPosition) {
  const std::string plain = "ABCDEFGHIJKLMNOPQRSTU";  // 21 bytes: two steps and a tail
  struct Case {
    std::string insert;  // as it appears inside the literal
    bool valid;
  };
  const Case cases[] = {
      {"\\n", true},     {"\\\\", true},     {"\\\"", true},
      {"\\u00e9", true}, {"\xC3\xA9", true}, {"\x7f", true},
      {"\"", false},     {"\n", false},      {std::string(1, '\0'), false},
      {"\x1f", false},
  };
  for (const Case& c : cases) {
    for (size_t at = 0; at <= plain.size(); ++at) {
      const std::string literal = "\"" + plain.substr(0, at) + c.insert + plain.substr(at) + "\"";
      std::string out;
      const bool ok = DecodeJsonString(literal, &out);
      ASSERT_EQ(ok, c.valid) << "insert " << nlohmann::json(c.insert).dump() << " at " << at;
      if (ok) {
        EXPECT_EQ(out, nlohmann::json::parse(literal).get<std::string>()) << "at " << at;
      }
    }
  }
}

// Plain bytes are appended in runs found 8 at a time: each byte that needs an escape must
// be escaped at every position of a run, across the 8-byte steps.
TEST(JsonString, AppendEscapesEachSpecialByteAtEveryPosition) {
  const std::string plain = "ABCDEFGHIJKLMNOPQRSTU";  // 21 bytes: two steps and a tail
  const std::pair<std::string, std::string> cases[] = {
      {"\"", "\\\""},         {"\\", "\\\\"},     {"\n", "\\n"},           {"\t", "\\t"},
      {std::string(1, '\0'), "\\u0000"}, {"\x1f", "\\u001f"}, {"\x7f", "\x7f"}, {"\xC3\xA9", "\\u00e9"},
      {"\xF0\x9F\x9A\x87", "\\ud83d\\ude87"}, {"\xff", "\\u00ff"},
  };
  for (const auto& [insert, escaped] : cases) {
    for (size_t at = 0; at <= plain.size(); ++at) {
      std::string out;
      AppendJsonString(&out, plain.substr(0, at) + insert + plain.substr(at));
      EXPECT_EQ(out, "\"" + plain.substr(0, at) + escaped + plain.substr(at) + "\"")
          << "insert " << nlohmann::json(escaped).dump() << " at " << at;
    }
  }
}

}  // namespace
}  // namespace lakestream
