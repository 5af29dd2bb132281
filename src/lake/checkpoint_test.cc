#include "lake/checkpoint.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lake/base64.h"

#include "lake/lake_test_util.h"

namespace lakestream::lake {
namespace {

Checkpoint Sample() {
  Checkpoint c;
  c.topic = "mta-turnstile";
  c.partition = PartitionId{2};
  c.commit_seq = 7;
  c.next_offset = KafkaOffset{1234};
  c.state = std::string("st\0\xff", 4);
  c.pending = {{"t/date=2024-07-22/.part-p2-000000000007-0000.csv.gz.tmp",
                "t/date=2024-07-22/part-p2-000000000007-0000.csv.gz", 5}};
  return c;
}

std::string WithHeader(int version, const std::string& body) {
  char header[96];
  uint32_t crc = static_cast<uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(body.data()), body.size()));
  std::snprintf(header, sizeof header, "lakestream-checkpoint %d %zu %08x\n", version, body.size(), crc);
  return header + body + "\n";
}

TEST(Checkpoint, ExactEncodingAndRoundTrip) {
  std::string body =
      "{\"format_version\":1,\"topic\":\"mta-turnstile\",\"partition\":2,\"commit_seq\":7,"
      "\"next_offset\":1234,\"state_base64\":\"c3QA/w==\",\"pending\":[{\"temp\":"
      "\"t/date=2024-07-22/.part-p2-000000000007-0000.csv.gz.tmp\",\"final\":"
      "\"t/date=2024-07-22/part-p2-000000000007-0000.csv.gz\",\"rows\":5}]}";
  std::string encoded = EncodeCheckpoint(Sample());
  EXPECT_EQ(encoded, WithHeader(1, body));
  auto decoded = DecodeCheckpoint(encoded, "/l/_checkpoints/mta-turnstile/2");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, Sample());
}

// EncodeCheckpoint writes the body in pieces; it must stay byte for byte the compact dump of
// the one JSON object it stands for, whatever the fields hold.
TEST(Checkpoint, EncodingIsTheDumpOfTheWholeObject) {
  std::mt19937 rng(20261124);
  for (int i = 0; i < 200; ++i) {
    Checkpoint c = Sample();
    c.topic = i % 3 == 0 ? "t\"q\\u\u00e9\n" : "files";
    c.commit_seq = rng();
    c.next_offset = KafkaOffset{static_cast<int64_t>(rng()) - 5};
    c.state.assign(static_cast<size_t>(i < 20 ? i : rng() % 5000), '\0');
    for (char& b : c.state) b = static_cast<char>(rng());
    if (i % 2) c.pending.clear();
    if (i % 4 == 1) c.source = "files \"a\".csv (10 bytes)";
    if (i % 5 == 2) c.outputs = {"t (csv.gz)", "_late/x (jsonl)"};
    if (i % 3 == 1) c.last_record = LastRecord{c.next_offset.value - 1, rng()};
    nlohmann::ordered_json whole;
    whole["format_version"] = kCheckpointFormatVersion;
    whole["topic"] = c.topic;
    whole["partition"] = c.partition.value;
    whole["commit_seq"] = c.commit_seq;
    whole["next_offset"] = c.next_offset.value;
    whole["state_base64"] = Base64Encode(c.state);
    whole["pending"] = nlohmann::ordered_json::array();
    for (const auto& p : c.pending) whole["pending"].push_back({{"temp", p.temp}, {"final", p.final}, {"rows", p.rows}});
    if (!c.source.empty()) whole["source"] = c.source;
    if (!c.outputs.empty()) whole["outputs"] = c.outputs;
    if (c.last_record) {
      whole["last_record"] = {{"offset", c.last_record->offset}, {"check", fmt::format("{:016x}", c.last_record->check)}};
    }
    const std::string encoded = EncodeCheckpoint(c);
    ASSERT_EQ(encoded, WithHeader(kCheckpointFormatVersion, whole.dump())) << i;
    auto decoded = DecodeCheckpoint(encoded, "/l/_checkpoints/x/2");
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, c);
  }
}

TEST(Checkpoint, SourceAndOutputsAreKeptWhenKnown) {
  Checkpoint c = Sample();
  c.source = "files a.csv (10 bytes)";
  c.outputs = {"t (csv.gz)", "_dead_letters/mta-turnstile (jsonl)"};
  const std::string encoded = EncodeCheckpoint(c);
  EXPECT_NE(encoded.find(",\"source\":\"files a.csv (10 bytes)\",\"outputs\":[\"t (csv.gz)\","
                         "\"_dead_letters/mta-turnstile (jsonl)\"]}"),
            std::string::npos)
      << encoded;
  auto decoded = DecodeCheckpoint(encoded, "/l/_checkpoints/mta-turnstile/2");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, c);
}

TEST(Checkpoint, LastRecordIsKeptWhenKnown) {
  Checkpoint c = Sample();
  c.last_record = LastRecord{1233, 0x9f0c41d27a3b6e85u};
  const std::string encoded = EncodeCheckpoint(c);
  EXPECT_NE(encoded.find(",\"last_record\":{\"offset\":1233,\"check\":\"9f0c41d27a3b6e85\"}}"), std::string::npos)
      << encoded;
  auto decoded = DecodeCheckpoint(encoded, "/l/_checkpoints/mta-turnstile/2");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, c);
  EXPECT_EQ(CheckpointHeader(encoded), encoded.substr(0, encoded.find('\n')));
}

// What the check covers: timestamp, length, the first and the last 8 bytes; not the offset,
// not the bytes between.
TEST(Checkpoint, RecordSampleCheck) {
  const std::string v = "A001,R001,02-00-00,STATION,456NQR,BMT,07-22-24,10:00:00,REGULAR,5,1";
  const uint64_t base = RecordSample::Of(7, 1000, v).Check();
  std::string middle = v;
  middle[20] = 'X';
  std::string first = v;
  first[0] = 'B';
  std::string last = v;
  last.back() = '2';
  struct Case {
    const char* name;
    RecordSample sample;
    bool same;
  };
  const Case cases[] = {
      {"another offset", RecordSample::Of(8, 1000, v), true},
      {"a byte in the middle", RecordSample::Of(7, 1000, middle), true},
      {"the first byte", RecordSample::Of(7, 1000, first), false},
      {"the last byte", RecordSample::Of(7, 1000, last), false},
      {"the timestamp", RecordSample::Of(7, 1001, v), false},
      {"no timestamp", RecordSample::Of(7, -1, v), false},
      {"one byte longer", RecordSample::Of(7, 1000, v + " "), false},
      {"short value", RecordSample::Of(7, 1000, "abc"), false},
  };
  for (const Case& c : cases) EXPECT_EQ(c.sample.Check() == base, c.same) << c.name;
  // Values under 8 bytes: all their bytes count, and the empty value is one.
  EXPECT_NE(RecordSample::Of(0, 0, "abc").Check(), RecordSample::Of(0, 0, "abd").Check());
  EXPECT_NE(RecordSample::Of(0, 0, "").Check(), RecordSample::Of(0, 0, std::string(1, '\0')).Check());
}

TEST(Checkpoint, MissingFileIsNoCheckpoint) {
  std::string dir = testing::FreshTestDir();
  auto r = ReadCheckpoint(dir + "/none");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

TEST(Checkpoint, CorruptOrUnknownIsDataLoss) {
  const std::string good = EncodeCheckpoint(Sample());
  std::string flipped = good;
  flipped[flipped.size() - 10] ^= 0x01;
  const std::string body_end = good.substr(good.find('\n') + 1);
  struct Case {
    std::string name;
    std::string bytes;
    std::string message_part;
  };
  const std::string tail =
      ". The partition cannot resume safely: restore the file from a backup, or delete the partition's "
      "checkpoint to reprocess the partition from its earliest offset (which may duplicate rows already in "
      "the lake)";
  const Case cases[] = {
      {"empty", "", "checkpoint '/c' is corrupt: no header line" + tail},
      {"bad magic", "hello 1 2 00000000\n{}\n",
       "checkpoint '/c' is corrupt: the first line is not 'lakestream-checkpoint <version> "
       "<length> <crc32>'" + tail},
      {"truncated", good.substr(0, good.size() - 7),
       "checkpoint '/c' is corrupt: the body has " + std::to_string(body_end.size() - 7) +
           " bytes, the header says " + std::to_string(body_end.size()) +
           " (a torn or truncated write?)" + tail},
      {"bit flip", flipped, "checkpoint '/c' is corrupt: the crc32 of the body does not match the header" + tail},
      {"unknown version", WithHeader(2, "{}"),
       "checkpoint '/c' has format version 2 but this lakestream reads version 1: run the "
       "lakestream version that wrote it (or a newer one)"},
      {"not json", WithHeader(1, "{nope"), "checkpoint '/c' is corrupt: the body is not a JSON object" + tail},
      {"bad base64",
       WithHeader(1, "{\"format_version\":1,\"topic\":\"t\",\"partition\":0,\"commit_seq\":1,"
                     "\"next_offset\":1,\"state_base64\":\"@@@@\",\"pending\":[]}"),
       "checkpoint '/c' is corrupt: state_base64 is not valid base64" + tail},
      {"last_record not before next_offset",
       WithHeader(1, "{\"format_version\":1,\"topic\":\"t\",\"partition\":0,\"commit_seq\":1,"
                     "\"next_offset\":5,\"state_base64\":\"\",\"pending\":[],"
                     "\"last_record\":{\"offset\":5,\"check\":\"0000000000000001\"}}"),
       "checkpoint '/c' is corrupt: last_record.offset 5 is not next_offset - 1" + tail},
      {"last_record check not hex",
       WithHeader(1, "{\"format_version\":1,\"topic\":\"t\",\"partition\":0,\"commit_seq\":1,"
                     "\"next_offset\":5,\"state_base64\":\"\",\"pending\":[],"
                     "\"last_record\":{\"offset\":4,\"check\":\"00000000000000zz\"}}"),
       "checkpoint '/c' is corrupt: last_record.check '00000000000000zz' is not 16 hex digits" + tail},
      {"absolute pending path",
       WithHeader(1, "{\"format_version\":1,\"topic\":\"t\",\"partition\":0,\"commit_seq\":1,"
                     "\"next_offset\":1,\"state_base64\":\"\",\"pending\":[{\"temp\":\"/etc/x\","
                     "\"final\":\"y\",\"rows\":1}]}"),
       "checkpoint '/c' is corrupt: pending file path '/etc/x' or 'y' is not relative to the lake "
       "root" + tail},
  };
  for (const auto& c : cases) {
    auto r = DecodeCheckpoint(c.bytes, "/c");
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << c.name;
    EXPECT_EQ(r.status().message(), c.message_part) << c.name;
  }
  // A field missing: the message names the field.
  auto r = DecodeCheckpoint(WithHeader(1, "{\"format_version\":1,\"topic\":\"t\"}"), "/c");
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("a field is missing or has the wrong type"), std::string::npos);
  EXPECT_NE(r.status().message().find("partition"), std::string::npos);
}

}  // namespace
}  // namespace lakestream::lake
