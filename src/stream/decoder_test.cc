#include "stream/decoder.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cstddef>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "formats/test_util.h"

namespace lakestream::stream {
namespace {

constexpr char kLine[] =
    "A001,R001,02-00-00,Test-Station1,456NQR,BMT,07-22-24,10:00:10,REGULAR,7,9,"
    "6f1c2c1e-0000-4000-8000-000000000001,2024-07-22 10:00:10";

PipelineSpec Turnstile(WireFormat f) {
  PipelineSpec s = TurnstilePipeline(std::chrono::minutes(5), std::chrono::minutes(5));
  s.format = f;
  return s;
}

PipelineSpec Taxi() {
  PipelineSpec s;
  s.name = "t";
  s.format = WireFormat::kJson;
  s.schema = {{"id", ColumnType::kInt64},
              {"ts", ColumnType::kTimestamp},
              {"flag", ColumnType::kString},
              {"amount", ColumnType::kDouble},
              {"epoch", ColumnType::kTimestamp, TimestampFormat::kUnixSeconds}};
  s.event_time_field = "ts";
  s.window = {600, 300};
  s.watermark_delay = 600;
  s.aggregates = {{"n", AggregateFunction::kCount, ""}};
  s.output = {{"n", "n"}};
  return s;
}

TEST(RecordDecoder, CsvTurnstileLine) {
  RecordDecoder d(Turnstile(WireFormat::kCsv));
  std::string reason;
  ASSERT_TRUE(d.Decode(kLine, &reason)) << reason;
  const auto& f = d.fields();
  EXPECT_EQ(f[0].text, "A001");
  EXPECT_EQ(f[3].text, "Test-Station1");
  EXPECT_EQ(f[9].i, 7);
  EXPECT_EQ(f[10].i, 9);
  EXPECT_EQ(f[11].text, "6f1c2c1e-0000-4000-8000-000000000001");
  EXPECT_EQ(d.event_time(), (EventTime{1721642410}));
}

TEST(RecordDecoder, RepeatedTimestampsDecodeLikeFreshOnes) {
  // The decoder remembers the last timestamp text per field: a sequence of repeats,
  // changes and bad values must decode exactly as each record alone would.
  const std::string prefix = "A001,R001,02-00-00,S,456NQR,BMT,07-22-24,10:00:10,REGULAR,7,9,id,";
  const std::vector<std::pair<std::string, int64_t>> sequence = {  // -1: a bad record
      {"2024-07-22 10:00:10", 1721642410}, {"2024-07-22 10:00:10", 1721642410},
      {"2024-07-22 10:00:11", 1721642411}, {"2024-07-22 10:00:1x", -1},
      {"2024-07-22 10:00:11", 1721642411}, {"2024-07-22 10:00:11 ", -1},
      {"1970-01-01 00:00:00", 0},          {"1970-01-01 00:00:00", 0},
  };
  RecordDecoder d(Turnstile(WireFormat::kCsv));
  for (const auto& [ts, seconds] : sequence) {
    std::string reason;
    const bool ok = d.Decode(prefix + ts, &reason);
    RecordDecoder fresh(Turnstile(WireFormat::kCsv));
    std::string fresh_reason;
    EXPECT_EQ(fresh.Decode(prefix + ts, &fresh_reason), ok) << ts;
    EXPECT_EQ(reason, fresh_reason) << ts;
    if (seconds < 0) {
      EXPECT_FALSE(ok) << ts;
      continue;
    }
    ASSERT_TRUE(ok) << ts << ": " << reason;
    EXPECT_EQ(d.event_time().seconds, seconds) << ts;
  }
}

TEST(RecordDecoder, CsvQuotedFieldKeepsItsComma) {
  RecordDecoder d(Turnstile(WireFormat::kCsv));
  std::string reason;
  ASSERT_TRUE(d.Decode("A,R,S,\"59 ST, \"\"X\"\"\",N,BMT,d,t,REGULAR,1,2,id,2024-07-22 10:00:00", &reason)) << reason;
  EXPECT_EQ(d.fields()[3].text, "59 ST, \"X\"");
}

// A message cut from a CRLF file (kcat splits at LF) ends in CR: the line ending, not data
// (RFC 4180). Not a bad last field, nor a group value with an invisible CR; a CR inside a
// quoted field stays.
TEST(RecordDecoder, CsvLineEndingCrIsNotData) {
  RecordDecoder d(Turnstile(WireFormat::kCsv));
  std::string reason;
  ASSERT_TRUE(d.Decode(std::string(kLine) + "\r", &reason)) << reason;
  EXPECT_EQ(d.event_time(), (EventTime{1721642410}));
  RecordDecoder seed(Turnstile(WireFormat::kSeed));
  ASSERT_TRUE(seed.Decode("\"" + std::string(kLine) + "\\r\"", &reason)) << reason;
  EXPECT_EQ(seed.event_time(), (EventTime{1721642410}));
  PipelineSpec s = Turnstile(WireFormat::kCsv);
  std::swap(s.schema[11], s.schema[12]);  // ID last
  RecordDecoder id_last(s);
  ASSERT_TRUE(id_last.Decode("A,R,S,ST,N,BMT,d,t,REGULAR,1,2,2024-07-22 10:00:00,id7\r", &reason)) << reason;
  EXPECT_EQ(id_last.fields()[12].text, "id7");
  ASSERT_TRUE(id_last.Decode("A,R,S,ST,N,BMT,d,t,REGULAR,1,2,2024-07-22 10:00:00,\"id7\"\r", &reason)) << reason;
  EXPECT_EQ(id_last.fields()[12].text, "id7");
  ASSERT_TRUE(id_last.Decode("A,R,S,ST,N,BMT,d,t,REGULAR,1,2,2024-07-22 10:00:00,\"id7\r\"", &reason)) << reason;
  EXPECT_EQ(id_last.fields()[12].text, "id7\r");
}

TEST(RecordDecoder, SeedJsonStringLiteral) {
  RecordDecoder d(Turnstile(WireFormat::kSeed));
  std::string reason;
  ASSERT_TRUE(d.Decode(std::string("\"") + kLine + "\"", &reason)) << reason;
  EXPECT_EQ(d.fields()[0].text, "A001");
  EXPECT_EQ(d.fields()[12].i, 1721642410);
  ASSERT_TRUE(d.Decode("\"A,R,S,ST \\u00c9,N,BMT,d,t,REGULAR,1,2,id,2024-07-22 10:00:00\"", &reason)) << reason;
  EXPECT_EQ(d.fields()[3].text, "ST \xC3\x89");
}

TEST(RecordDecoder, JsonObject) {
  RecordDecoder d(Taxi());
  std::string reason;
  ASSERT_TRUE(d.Decode(R"({"id": 3, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 9.3, "epoch": 10, "extra": [1]})",
                       &reason))
      << reason;
  const auto& f = d.fields();
  EXPECT_EQ(f[0].i, 3);
  EXPECT_EQ(d.event_time(), (EventTime{1593563132}));
  EXPECT_EQ(f[2].text, "N");
  EXPECT_EQ(f[3].d, 9.3);
  EXPECT_EQ(f[4].i, 10);
  // Integral floats are accepted for int64 fields, ints for doubles; null is NULL.
  ASSERT_TRUE(d.Decode(R"({"id": 4.0, "ts": "2020-07-01 00:25:32", "flag": null, "amount": 8, "epoch": 1})", &reason))
      << reason;
  EXPECT_EQ(f[0].i, 4);
  EXPECT_TRUE(f[2].is_null);
  EXPECT_EQ(f[3].d, 8.0);
}

struct BadCase {
  WireFormat format;
  std::string value;
  std::string reason;
};

TEST(RecordDecoder, CsvUtf8StationDecodes) {
  RecordDecoder d(Turnstile(WireFormat::kCsv));
  std::string reason;
  EXPECT_TRUE(d.Decode("A,R,S,\xC3\x9CNICODE \xE2\x9C\x93,N,BMT,d,t,REGULAR,1,2,id,2024-07-22 10:00:00", &reason))
      << reason;
}

TEST(RecordDecoder, BadRecordsAndTheirReasons) {
  const std::string ok_tail = ",07-22-24,10:00:10,REGULAR,7,9,id,2024-07-22 10:00:10";
  const std::vector<BadCase> cases = {
      {WireFormat::kCsv, "A,R,S,ST,N,BMT,d,t,REGULAR,1,2,id", "expected 13 fields, got 12"},
      {WireFormat::kCsv, "", "expected 13 fields, got 1"},
      {WireFormat::kCsv, "A,R,S,ST,N,BMT,d,t,REGULAR,1,2,id,2024-07-22 10:00:00,x", "expected 13 fields, got 14"},
      {WireFormat::kCsv, "A,R,S,ST,N,BMT,d,t,REGULAR,x1,2,id,2024-07-22 10:00:00", "field 'ENTRIES': bad int64 'x1'"},
      {WireFormat::kCsv, "A,R,S,ST,N,BMT,d,t,REGULAR,1,,id,2024-07-22 10:00:00", "field 'EXITS': bad int64 ''"},
      {WireFormat::kCsv, "A,R,S,ST,N,BMT,d,t,REGULAR,1,99999999999999999999,id,2024-07-22 10:00:00",
       "field 'EXITS': bad int64 '99999999999999999999'"},
      {WireFormat::kCsv, "A,R,S,ST,N,BMT,d,t,REGULAR,1,2,id,2024-13-22 10:00:00",
       "field 'TIMESTAMP': bad timestamp '2024-13-22 10:00:00' (expected YYYY-MM-DD HH:MM:SS)"},
      {WireFormat::kCsv, "A,R,S,ST,N,BMT,d,t,REGULAR,1,2,id,07/22/2024 10:00:00",
       "field 'TIMESTAMP': bad timestamp '07/22/2024 10:00:00' (expected YYYY-MM-DD HH:MM:SS)"},
      {WireFormat::kCsv, "A,R,S,\"ST,N,BMT,d,t,REGULAR,1,2,id,2024-07-22 10:00:00", "bad CSV quoting: field 4: the quote at byte 7 is never closed (a quote inside a quoted field is written twice: \"\")"},
      {WireFormat::kSeed, kLine, "not a JSON string literal"},
      // A Latin-1 byte (the lake's Parquet writer fails on it; DuckDB cannot load it from CSV).
      {WireFormat::kCsv, "A,R,S,LEX\xE9 AVE,N,BMT,d,t,REGULAR,1,2,id,2024-07-22 10:00:00",
       "not UTF-8 text (re-encode the source as UTF-8)"},
      {WireFormat::kSeed, "\"A,R,S\"", "expected 13 fields, got 3"},
      {WireFormat::kSeed, "\"A,R,S,ST,N,BMT,d,t,REGULAR,1,2.5,id,2024-07-22 10:00:00\"", "field 'EXITS': bad int64 '2.5'"},
  };
  for (const BadCase& c : cases) {
    RecordDecoder d(Turnstile(c.format));
    std::string reason;
    EXPECT_FALSE(d.Decode(c.value, &reason)) << c.value;
    EXPECT_EQ(reason, c.reason) << c.value;
  }
}

// A Kafka tombstone (no value at all) is named as such in every format; an empty value is
// decoded like any other text.
TEST(RecordDecoder, TombstoneIsNamedApartFromAnEmptyValue) {
  const std::string tombstone = "null value (a Kafka tombstone): no record to decode";
  for (WireFormat format : {WireFormat::kCsv, WireFormat::kSeed, WireFormat::kJson}) {
    RecordDecoder d(format == WireFormat::kJson ? Taxi() : Turnstile(format));
    std::string reason;
    EXPECT_FALSE(d.Decode(std::string_view(), &reason));
    EXPECT_EQ(reason, tombstone);
    EXPECT_FALSE(d.Decode(std::string_view("", 0), &reason));
    EXPECT_NE(reason, tombstone);
  }
}

// Seeded mutations of good records in every format (bytes changed, cut, doubled): each is
// decoded or refused with a reason, never a crash or an out-of-bounds read (ASan in CI); a
// refused one always says why.
TEST(RecordDecoder, MutatedRecordsAreDecodedOrRefusedWithAReason) {
  const std::string json =
      R"({"id": 7, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 8.5, "epoch": 1593563132})";
  const std::pair<WireFormat, std::string> seeds[] = {
      {WireFormat::kCsv, kLine}, {WireFormat::kSeed, std::string("\"") + kLine + "\""}, {WireFormat::kJson, json}};
  const std::string_view specials(",\"\\{}:\0\n\xC3\xFF-9 ", 13);
  std::mt19937 rng(20261124);
  for (const auto& [format, seed] : seeds) {
    RecordDecoder d(format == WireFormat::kJson ? Taxi() : Turnstile(format));
    size_t refused = 0;
    for (int k = 0; k < 4000; ++k) {
      const std::string value = testing::Mutate(seed, specials, rng);
      std::string reason;
      if (!d.Decode(value, &reason)) {
        ++refused;
        EXPECT_FALSE(reason.empty()) << WireFormatName(format) << " " << k;
      }
    }
    EXPECT_GT(refused, 1000u) << WireFormatName(format);
  }
}

// ENTRIES is read by a digit loop up to 18 digits and by from_chars beyond: both must
// accept and reject exactly what from_chars does, at every length and edge.
TEST(RecordDecoder, IntegersDecodeAsFromCharsDoes) {
  const std::string texts[] = {"0", "-0", "7", "-7", "1234567", "-1234567", "999999999999999999",
                               "-999999999999999999", "1000000000000000000", "9223372036854775807",
                               "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
                               "00000000000000000000042", "", "-", "+1", " 1", "1 ", "1a", "a1", "--1",
                               "12345678901234567x", "1.0", "0x10", std::string("1\0", 2)};
  for (const std::string& text : texts) {
    SCOPED_TRACE("ENTRIES '" + text + "'");
    int64_t want = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), want);
    const bool valid = !text.empty() && ec == std::errc() && end == text.data() + text.size();
    RecordDecoder d(Turnstile(WireFormat::kCsv));
    std::string reason;
    const std::string line = "A,R,S,ST,N,BMT,d,t,REGULAR," + text + ",2,id,2024-07-22 10:00:00";
    ASSERT_EQ(d.Decode(line, &reason), valid) << reason;
    if (valid) {
      EXPECT_EQ(d.fields()[9].i, want);
    }
  }
}

TEST(RecordDecoder, BadJsonRecordsAndTheirReasons) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1})", "missing key 'epoch'"},
      {R"([1, 2])", "expected a JSON object, got an array"},
      {R"({"id": "1", "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": 1})",
       "field 'id': expected a number, got a string"},
      {R"({"id": 1.5, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": 1})",
       "field 'id': bad int64 1.5"},
      {R"({"id": 1, "ts": null, "flag": "N", "amount": 1, "epoch": 1})", "field 'ts': event time is null"},
      {R"({"id": 1, "ts": "2020-07-01", "flag": "N", "amount": 1, "epoch": 1})",
       "field 'ts': bad timestamp '2020-07-01' (expected YYYY-MM-DD HH:MM:SS)"},
      {R"({"id": 1, "ts": "2020-07-01 00:25:32", "flag": 5, "amount": 1, "epoch": 1})",
       "field 'flag': expected a string, got a number"},
      {R"({"id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": "x"})",
       "field 'epoch': bad timestamp 'x' (expected unix_seconds, years 0000-9999)"},
      // Beyond int64: not wrapped to -1.
      {R"({"id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": 18446744073709551615})",
       "field 'epoch': bad timestamp 18446744073709551615 (expected unix_seconds, years 0000-9999)"},
      // Within int64 but before year 0000 / after 9999.
      {R"({"id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": -62167219201})",
       "field 'epoch': bad timestamp -62167219201 (expected unix_seconds, years 0000-9999)"},
      {R"({"id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": 253402300800})",
       "field 'epoch': bad timestamp 253402300800 (expected unix_seconds, years 0000-9999)"},
      {R"({"id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": "253402300800"})",
       "field 'epoch': bad timestamp '253402300800' (expected unix_seconds, years 0000-9999)"},
      // A number, but not whole seconds: named as such, not as a missing timestamp string.
      {R"({"id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": 1593563132.5})",
       "field 'epoch': bad timestamp 1593563132.5 (expected unix_seconds, years 0000-9999)"},
      {R"({"id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": 1e300})",
       "field 'epoch': bad timestamp 1e+300 (expected unix_seconds, years 0000-9999)"},
  };
  RecordDecoder d(Taxi());
  for (const auto& [value, expected] : cases) {
    std::string reason;
    EXPECT_FALSE(d.Decode(value, &reason)) << value;
    EXPECT_EQ(reason, expected) << value;
  }
  // Whole seconds written as a float (pandas writes integral columns as 1.0) are taken, as
  // for int64 fields.
  for (const char* epoch : {"1593563132.0", "1.593563132e9", "15935631320e-1"}) {
    std::string reason;
    const std::string value =
        std::string(R"({"id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": )") + epoch + "}";
    ASSERT_TRUE(d.Decode(value, &reason)) << value << ": " << reason;
    EXPECT_EQ(d.fields()[4].i, 1593563132) << value;
  }
  // The range's ends are in it, as numbers and as strings.
  for (const char* epoch : {"-62167219200", "253402300799", "\"-62167219200\"", "\"253402300799\""}) {
    std::string reason;
    const std::string value =
        std::string(R"({"id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": )") + epoch + "}";
    ASSERT_TRUE(d.Decode(value, &reason)) << value << ": " << reason;
    EXPECT_EQ(d.fields()[4].i, std::string(epoch).find("-62") != std::string::npos ? -62167219200 : 253402300799)
        << value;
  }
  std::string reason;
  EXPECT_FALSE(d.Decode(R"({"id": 1,)", &reason));
  EXPECT_EQ(reason.rfind("bad JSON: ", 0), 0u) << reason;
  // The parser's error quotes the bad token: an unterminated string of 100,000 bytes is
  // cut to 64 of them, like any text a reason quotes.
  EXPECT_FALSE(d.Decode(R"({"id": 1, "flag": ")" + std::string(100000, 'x'), &reason));
  EXPECT_EQ(reason, "bad JSON: [json.exception.parse_error.101] parse error at line 1, column 100020: syntax error "
                    "while parsing value - invalid string: missing closing quote; last read: '\"" +
                        std::string(63, 'x') + "...'");
}

// The fields of two decoders after the same record: NULL alike, and the member each
// field's type uses equal (doubles bit for bit, so -0.0 is not 0.0).
void ExpectSameFields(const RecordDecoder& x, const RecordDecoder& y, const PipelineSpec& spec,
                      const std::string& record) {
  for (size_t i = 0; i < spec.schema.size(); ++i) {
    const FieldValue& a = x.fields()[i];
    const FieldValue& b = y.fields()[i];
    EXPECT_EQ(a.is_null, b.is_null) << record << " field " << i;
    if (a.is_null || b.is_null) continue;
    switch (spec.schema[i].type) {
      case ColumnType::kString: EXPECT_EQ(a.text, b.text) << record << " field " << i; break;
      case ColumnType::kInt64:
      case ColumnType::kTimestamp: EXPECT_EQ(a.i, b.i) << record << " field " << i; break;
      case ColumnType::kDouble:
        EXPECT_EQ(std::memcmp(&a.d, &b.d, sizeof a.d), 0) << record << " field " << i << ": " << a.d << " vs " << b.d;
        break;
    }
  }
}

// The flat-object fast path must decode exactly as the full parser does. The same object
// with one more, non-ASCII key (ignored by both) takes the full parser: both must agree on
// success, and on every field, bit for bit.
TEST(RecordDecoder, FlatJsonDecodesAsTheFullParserDoes) {
  const std::string ts = R"("ts": "2020-07-01 00:25:32")";
  auto obj = [&](const std::string& id, const std::string& flag, const std::string& amount,
                 const std::string& epoch) {
    return "{\"id\": " + id + ", " + ts + ", \"flag\": " + flag + ", \"amount\": " + amount +
           ", \"epoch\": " + epoch + "}";
  };
  const std::vector<std::string> cases = {
      obj("3", R"("N")", "9.3", "10"),
      R"({"epoch":10,"amount":9.3,"flag":"N","ts":"2020-07-01 00:25:32","id":3})",
      R"({"x": "y", "id": 3, "n": null, "ts": "2020-07-01 00:25:32", "z": -1.5e3, "flag": "N", "amount": 1, "epoch": 1})",
      " \n\t{ \"id\" :\r\n3 ,\"ts\":\"2020-07-01 00:25:32\",\"flag\":\"N\" , "
      "\"amount\":1,\"epoch\":1 } \n",
      obj("3", R"("a\"b\\c\/d\u00e9\n\t\ud83d\ude87")", "1", "1"),
      obj("-0", R"("")", "-0", "0"),
      obj("9223372036854775807", R"("N")", "12345678901234567890", "-62167219200"),
      obj("1", R"("N")", "1", "-9223372036854775808"),  // a time before year 0000
      obj("1", R"("N")", "1", "18446744073709551615"),  // beyond int64
      obj("-9223372036854775808", R"("N")", "123456789012345678901234", "1"),
      obj("9223372036854775808", R"("N")", "1", "1"),
      obj("4.0", R"("N")", "1e3", "1"),
      obj("1E+2", R"("N")", "2.5e-1", "1"),
      obj("1.5", R"("N")", "1", "1"),
      obj("1e19", R"("N")", "1", "1"),
      obj("1", R"("N")", "1e308", "1"),
      obj("1", R"("N")", "1e400", "1"),
      obj("1", R"("N")", "5e-324", "1"),
      obj("1", R"("N")", "-0.0", "1"),
      obj("null", "null", "null", "null"),
      R"({"id": 1, "ts": null, "flag": "N", "amount": 1, "epoch": 1})",
      obj("true", R"("N")", "1", "1"),
      R"({"id": 1, "ok": true, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": 1})",
      R"({"id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": 1, "id": 2})",
      R"({"id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1})",
      R"({"i\u0064": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": 1})",
      obj("1", R"("N")", "1", R"("10")"),
      obj("1", R"("N")", "1", "1.5"),
      obj("01", R"("N")", "1", "1"),
      obj("+1", R"("N")", "1", "1"),
      obj("1", R"("N")", ".5", "1"),
      obj("1", R"("N")", "1.", "1"),
      obj("1", R"("N")", "-", "1"),
      obj("1", "\"a\tb\"", "1", "1"),
      obj("1", R"("a\x")", "1", "1"),
      obj("1", R"("\u12")", "1", "1"),
      obj("1", R"("N")", "1", "1") + "x",
      R"({"id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": 1,})",
      R"({"id" 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": 1})",
      R"({"id": 1, "ts": "2020-07-01 00:25:32", "flag": "N, "amount": 1, "epoch": 1})",
      R"({})",
      R"({"id": {"a": 1}, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": 1})",
      R"({"zz": "a\x", "id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": 1})",
      R"({"zz": "a\"\u00e9", "id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": 1})",
      R"({"zz": 1e400, "id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": 1})",
      R"({"zz": 1e-400, "id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": 1})",
      R"({"zz": 123456789012345678901234567890, "id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": 1})",
      R"({"zz": -0.0e+0, "id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 1, "epoch": 1})",
  };
  RecordDecoder flat(Taxi());
  RecordDecoder full(Taxi());
  uint64_t accepted = 0;
  for (const std::string& c : cases) {
    const size_t close = c.rfind('}');
    std::string padded = c;
    if (close != std::string::npos) {
      const bool empty = c.find_first_not_of(" \t\r\n", c.find('{') + 1) == close;
      padded.insert(close, empty ? "\"pad\": \"\xC3\xA9\"" : ", \"pad\": \"\xC3\xA9\"");
    }
    std::string r1, r2;
    const bool ok1 = flat.Decode(c, &r1);
    const bool ok2 = full.Decode(padded, &r2);
    ASSERT_EQ(ok1, ok2) << c << "\nfast: " << r1 << "\nfull: " << r2;
    if (!ok1) continue;
    ++accepted;
    ExpectSameFields(flat, full, Taxi(), c);
  }
  EXPECT_EQ(accepted, 22u);
  EXPECT_EQ(full.flat_json_records(), 0u);  // every padded one took the full parser
  // The plain ones did not, but for a boolean, a repeated key and an escaped key.
  EXPECT_EQ(flat.flat_json_records(), 19u);
}

// A double reads the same in every wire format: a number too small for a double is its
// nearest value (0 or a subnormal, as JSON parsers, strtod and DuckDB give it); one too big
// is a bad record.
TEST(RecordDecoder, CsvDoublesDecodeAsJsonOnes) {
  PipelineSpec csv_spec = Taxi();
  csv_spec.format = WireFormat::kCsv;
  struct Case {
    std::string text;
    bool ok;
  };
  const std::vector<Case> cases = {
      {"2.5", true},     {"1e-400", true}, {"-1e-400", true}, {"5e-324", true},  {"2e-324", true},
      {"1e308", true},   {"1e400", false}, {"-1e400", false}, {"1e-400x", false},
  };
  for (const Case& c : cases) {
    RecordDecoder csv(csv_spec);
    RecordDecoder json(Taxi());
    std::string r1, r2;
    const std::string line = "1,2020-07-01 00:25:32,N," + c.text + ",1";  // fields point into it
    const std::string object =
        R"({"id": 1, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": )" + c.text + R"(, "epoch": 1})";
    const bool ok1 = csv.Decode(line, &r1);
    const bool ok2 = json.Decode(object, &r2);
    EXPECT_EQ(ok1, c.ok) << c.text << ": " << r1;
    EXPECT_EQ(ok2, c.ok) << c.text << ": " << r2;
    if (ok1 && ok2) ExpectSameFields(csv, json, Taxi(), c.text);
    if (!ok1) {
      EXPECT_EQ(r1, "field 'amount': bad double '" + c.text + "'");
    }
  }
}

// The same comparison over mutants of valid objects (bytes replaced, inserted, deleted and
// repeated), against a decoder that always takes the full parser: the same answer, the
// same fields, and the same reason when both refuse.
TEST(RecordDecoder, FlatJsonAgreesWithTheFullParserOnMutants) {
  const std::vector<std::string> seeds = {
      R"({"id": 3, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 9.3, "epoch": 10})",
      R"({"epoch":-1,"amount":-0.5e-3,"flag":"a\"b\u00e9","ts":"2020-07-01 00:25:32","id":9223372036854775807,"x":[1]})",
      R"({"x":null,"id":4.0,"ts":"2020-07-01 00:25:32","flag":null,"amount":1E+2,"epoch":"7","y":"\\"})",
  };
  const std::string alphabet = "{}[]\":,\\ -+.eE0123456789nultrafsx\t\n\x01\x7f\xC3\xA9";
  RecordDecoder flat(Taxi());
  flat.set_flat_json_pause(false);  // most mutants miss the flat path: it must still be tried
  RecordDecoder full(Taxi());
  full.set_flat_json(false);
  uint64_t state = 42;
  auto next = [&](uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  size_t both_ok = 0;
  for (int round = 0; round < 30000; ++round) {
    std::string m = seeds[next(seeds.size())];
    for (uint64_t k = 0, edits = 1 + next(3); k < edits && !m.empty(); ++k) {
      const size_t at = next(m.size());
      const char c = alphabet[next(alphabet.size())];
      switch (next(4)) {
        case 0: m[at] = c; break;
        case 1: m.insert(m.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        case 2: m.erase(at, 1); break;
        default: m.insert(at, m.substr(at, next(12))); break;
      }
    }
    std::string r1, r2;
    const bool ok1 = flat.Decode(m, &r1);
    const bool ok2 = full.Decode(m, &r2);
    ASSERT_EQ(ok1, ok2) << m << "\nflat: " << r1 << "\nfull: " << r2;
    if (!ok1) {
      ASSERT_EQ(r1, r2) << m;
      continue;
    }
    ++both_ok;
    ExpectSameFields(flat, full, Taxi(), m);
    if (::testing::Test::HasFailure()) return;
  }
  // Enough mutants stay valid, and enough of those take the fast path, to mean something.
  EXPECT_GT(both_ok, 1000u);
  EXPECT_GT(flat.flat_json_records(), 500u);
  EXPECT_EQ(full.flat_json_records(), 0u);
}

// A topic of nested records: after 64 misses in a row the flat path rests for 4,096
// records (decoded by the full parser, the same fields), then is tried again.
TEST(RecordDecoder, FlatJsonRestsAfterAStreakOfMisses) {
  const std::string nested = R"({"id": 3, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 9.3, "epoch": 10, "x": {"y": 1}})";
  const std::string flat_record = R"({"id": 3, "ts": "2020-07-01 00:25:32", "flag": "N", "amount": 9.3, "epoch": 10})";
  RecordDecoder d(Taxi());
  std::string reason;
  for (int i = 0; i < 63; ++i) ASSERT_TRUE(d.Decode(nested, &reason)) << reason;
  ASSERT_TRUE(d.Decode(flat_record, &reason));
  EXPECT_EQ(d.flat_json_records(), 1u);  // 63 misses, then a hit: the streak starts again
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(d.Decode(nested, &reason));
  for (int i = 0; i < 4096; ++i) ASSERT_TRUE(d.Decode(flat_record, &reason));
  EXPECT_EQ(d.flat_json_records(), 1u);  // resting: the full parser took them
  EXPECT_EQ(d.fields()[0].i, 3);
  ASSERT_TRUE(d.Decode(flat_record, &reason));
  EXPECT_EQ(d.flat_json_records(), 2u);  // tried again
}

}  // namespace
}  // namespace lakestream::stream
