#include "process/dead_letter_topic.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "lake/base64.h"

namespace lakestream::process {
namespace {

// A letter holds its record twice (raw as JSON text, raw_base64), so a record Kafka took may
// make a letter over the producer's message.max.bytes. Such a letter leaves raw out, then
// cuts raw_base64 at a whole group, and says so in its reason.
TEST(DeadLetterJson, BigLettersFitTheLimit) {
  struct Case {
    const char* name;
    size_t raw_bytes;
    size_t max_bytes;
    bool has_raw;
    size_t kept;  // bytes of the record in raw_base64
    const char* reason_end;
  };
  const Case cases[] = {
      {"fits", 1000, 10000, true, 1000, "expected 13 fields, got 1"},
      {"raw left out", 3000, 5000, false, 3000,
       "expected 13 fields, got 1 [raw left out to fit message.max.bytes; raw_base64 has the record]"},
      {"raw_base64 cut", 30000, 5000, false, 0, nullptr},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    lake::DeadLetter letter{SourcePosition{"t", 1, 42}, std::string(c.raw_bytes, 'A'), "expected 13 fields, got 1",
                            EventTime{0}};
    letter.raw[0] = '\xff';  // not UTF-8: raw escapes it, raw_base64 keeps it
    const std::string json = DeadLetterJson(letter, c.max_bytes);
    EXPECT_LE(json.size(), c.max_bytes);
    const auto j = nlohmann::json::parse(json);
    EXPECT_EQ(j.at("position"), "t/1@42");
    EXPECT_EQ(j.at("raw").get<std::string>().empty(), !c.has_raw);
    const auto bytes = lake::Base64Decode(j.at("raw_base64").get<std::string>());
    ASSERT_TRUE(bytes.has_value());
    EXPECT_EQ(*bytes, letter.raw.substr(0, bytes->size()));
    const std::string reason = j.at("reason");
    if (c.reason_end != nullptr) {
      EXPECT_EQ(bytes->size(), c.kept);
      EXPECT_EQ(reason, c.reason_end);
    } else {
      // As much as fits: within one 4-character group (and the count's digits) of the limit.
      EXPECT_GT(json.size() + 8, c.max_bytes);
      EXPECT_EQ(reason, "expected 13 fields, got 1 [raw left out and raw_base64 cut to fit message.max.bytes: the "
                        "first " + std::to_string(bytes->size()) + " of 30000 bytes; the whole record is at its "
                        "position in the source topic]");
    }
  }
}

// The last resort: a reason too long by itself keeps its first 1,000 bytes (at a character
// boundary), and the record's bytes get the room.
TEST(DeadLetterJson, AHugeReasonIsCutToo) {
  std::string reason;
  while (reason.size() < 20000) reason += "caf\xc3\xa9 ";
  lake::DeadLetter letter{SourcePosition{"t", 0, 7}, std::string(30000, 'x'), reason, EventTime{0}};
  const std::string json = DeadLetterJson(letter, 12000);
  EXPECT_LE(json.size(), 12000u);
  const auto j = nlohmann::json::parse(json);  // throws on invalid UTF-8
  const std::string cut = j.at("reason");
  const size_t mark = cut.find(" [reason cut]");
  ASSERT_NE(mark, std::string::npos);
  EXPECT_GE(mark, 990u);
  EXPECT_LE(mark, 1000u);
  EXPECT_TRUE(reason.starts_with(cut.substr(0, mark)));
  EXPECT_GT(lake::Base64Decode(j.at("raw_base64").get<std::string>())->size(), 1000u);
  // A limit below the letter's frame: as much of the reason as fits, still valid JSON.
  const std::string tiny = DeadLetterJson(letter, 600);
  EXPECT_LE(tiny.size(), 600u);
  EXPECT_NO_THROW(nlohmann::json::parse(tiny));
}

}  // namespace
}  // namespace lakestream::process
