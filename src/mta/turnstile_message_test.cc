#include "mta/turnstile_message.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "formats/csv.h"

namespace lakestream::mta {
namespace {

TurnstileMessage Sample(std::string_view station = "59 ST") {
  TurnstileMessage m;
  m.ca = "A002";
  m.unit = "R051";
  m.scp = "02-00-00";
  m.station = station;
  m.linename = "NQR456W";
  m.division = "BMT";
  m.desc = "REGULAR";
  m.time = *ParseTimestamp("2023-05-27 04:00:00");
  m.entries = 9;
  m.exits = 5;
  m.id = "0c7e2a44-6a5b-8f4e-9d1c-3b2a1f0e9d8c";
  return m;
}

TEST(TurnstileMessage, CsvHasThe13FieldsInOrder) {
  std::string out;
  RenderValue(Sample(), WireFormat::kCsv, &out);
  EXPECT_EQ(out,
            "A002,R051,02-00-00,59 ST,NQR456W,BMT,05-27-23,04:00:00,REGULAR,9,5,"
            "0c7e2a44-6a5b-8f4e-9d1c-3b2a1f0e9d8c,2023-05-27 04:00:00");
}

TEST(TurnstileMessage, AGivenCsvHeadRendersTheSameValue) {
  for (auto station : {"59 ST", "A, \"B\""}) {
    const TurnstileMessage m = Sample(station);
    std::string head;
    AppendCsvHead(m, &head);
    for (auto format : {WireFormat::kCsv, WireFormat::kSeed, WireFormat::kJson}) {
      std::string plain, with_head;
      RenderValue(m, format, &plain);
      RenderValue(m, format, &with_head, head);
      EXPECT_EQ(plain, with_head) << station;
    }
  }
  std::string head;
  AppendCsvHead(Sample("A, \"B\""), &head);
  EXPECT_EQ(head, "A002,R051,02-00-00,\"A, \"\"B\"\"\",NQR456W,BMT,");
}

TEST(TurnstileMessage, CsvQuotesOnlyWhereNeeded) {
  std::string out;
  RenderValue(Sample("A, \"B\""), WireFormat::kCsv, &out);
  std::vector<std::string_view> fields;
  std::string scratch;
  ASSERT_TRUE(SplitCsvLine(out, &fields, &scratch));
  ASSERT_EQ(fields.size(), 13u);
  EXPECT_EQ(fields[3], "A, \"B\"");
  EXPECT_NE(out.find(",\"A, \"\"B\"\"\","), std::string::npos);
}

TEST(TurnstileMessage, SeedDecodesToExactlyTheCsvLine) {
  for (std::string_view station : {"59 ST", "JAY ST-METROTECH", "ST. GEORGE", "B'WAY", "A, \"B\""}) {
    std::string csv, seed;
    RenderValue(Sample(station), WireFormat::kCsv, &csv);
    RenderValue(Sample(station), WireFormat::kSeed, &seed);
    EXPECT_EQ(seed.front(), '"');
    EXPECT_EQ(nlohmann::json::parse(seed).get<std::string>(), csv) << station;
  }
  std::string seed;
  RenderValue(Sample(), WireFormat::kSeed, &seed);
  EXPECT_EQ(seed,
            "\"A002,R051,02-00-00,59 ST,NQR456W,BMT,05-27-23,04:00:00,REGULAR,9,5,"
            "0c7e2a44-6a5b-8f4e-9d1c-3b2a1f0e9d8c,2023-05-27 04:00:00\"");
}

TEST(TurnstileMessage, JsonHasThe13KeysWithNumbers) {
  std::string out;
  RenderValue(Sample("B'WAY \"X\""), WireFormat::kJson, &out);
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j.size(), 13u);
  EXPECT_EQ(j["CA"], "A002");
  EXPECT_EQ(j["STATION"], "B'WAY \"X\"");
  EXPECT_EQ(j["DATE"], "05-27-23");
  EXPECT_EQ(j["TIME"], "04:00:00");
  EXPECT_EQ(j["TIMESTAMP"], "2023-05-27 04:00:00");
  EXPECT_TRUE(j["ENTRIES"].is_number_integer());
  EXPECT_EQ(j["ENTRIES"], 9);
  EXPECT_EQ(j["EXITS"], 5);
}

TEST(TurnstileMessage, IdsAreDeterministicUuids) {
  EventTime t = *ParseTimestamp("2023-05-27 04:00:00");
  std::string a = MakeMessageId("A002", "R051", "02-00-00", t);
  EXPECT_EQ(a, MakeMessageId("A002", "R051", "02-00-00", t));
  EXPECT_NE(a, MakeMessageId("A002", "R051", "02-00-01", t));
  EXPECT_NE(a, MakeMessageId("A002", "R051", "02-00-00", EventTime{t.seconds + 1}));
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[8], '-');
  EXPECT_EQ(a[14], '8');  // version 8
  EXPECT_TRUE(std::string("89ab").find(a[19]) != std::string::npos);  // RFC 9562 variant
}

// The IDs of earlier releases, pinned: re-publishing a file with a newer lakestream must
// give its messages the same IDs, or the processor's dedup would not see the repeats.
TEST(TurnstileMessage, IdsStayTheSameAcrossReleases) {
  struct Case {
    const char *ca, *unit, *scp, *time, *id;
  };
  const Case cases[] = {
      {"A002", "R051", "02-00-00", "2023-05-27 04:00:00", "dc0affc7-efaf-856d-91ad-d8877048c799"},
      {"R550", "R072", "00-00-00", "2015-09-12 00:00:00", "7d5ebde3-9dba-8b03-af86-c8e769deda43"},
      {"N063A", "R011", "00-00-08", "2023-06-02 20:00:00", "3252fa02-1a50-8ca9-b615-3335ab6b5e9d"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.ca);
    EXPECT_EQ(MakeMessageId(c.ca, c.unit, c.scp, *ParseTimestamp(c.time)), c.id);
  }
}

TEST(TurnstileMessage, DeviceKey) {
  const std::vector<std::array<std::string, 4>> cases = {
      {"A002", "R051", "02-00-00", "A002,R051,02-00-00"},
      {"A,B", "C", "D", "\"A,B\",C,D"},
      {"A", "B,C", "D", "A,\"B,C\",D"},
      {"A", "B", "say \"x\"", "A,B,\"say \"\"x\"\"\""},
  };
  for (const auto& [ca, unit, scp, key] : cases) {
    std::string k;
    RenderDeviceKey(ca, unit, scp, &k);
    EXPECT_EQ(k, key);
  }
  // Two devices that a plain join would merge keep two IDs.
  const EventTime t{1685750400};
  EXPECT_NE(MakeMessageId("A,B", "C", "D", t), MakeMessageId("A", "B,C", "D", t));
}

}  // namespace
}  // namespace lakestream::mta
