#include "produce/source.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "formats/csv.h"
#include "formats/test_util.h"

namespace lakestream::produce {
namespace {

std::vector<SourceMessage> Drain(MessageSource& s) {
  std::vector<SourceMessage> out;
  SourceMessage m;
  while (s.Next(&m)) out.push_back(m);
  return out;
}

TEST(MtaFileSource, SmallSampleRendersEveryMessage) {
  auto src = MakeMtaFileSource({"data/mta/turnstile_150919_hudsonyd_raw.csv"}, MtaFileOptions{});
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  auto msgs = Drain(**src);
  ASSERT_EQ(msgs.size(), 824u);
  EXPECT_EQ((*src)->Total(), 824u);
  int64_t entries = 0, exits = 0;
  std::vector<std::string_view> f;
  std::string scratch;
  for (const auto& m : msgs) {
    ASSERT_TRUE(SplitCsvLine(m.value, &f, &scratch));
    ASSERT_EQ(f.size(), 13u);
    EXPECT_EQ(m.key, std::string(f[0]) + "," + std::string(f[1]) + "," + std::string(f[2]));
    EXPECT_EQ(std::string(f[12]), FormatTimestamp(m.time));
    EXPECT_EQ(std::string(f[11]), mta::MakeMessageId(f[0], f[1], f[2], m.time));
    entries += std::stoll(std::string(f[9]));
    exits += std::stoll(std::string(f[10]));
  }
  EXPECT_EQ(entries, 41746);
  EXPECT_EQ(exits, 55365);
  EXPECT_EQ((*src)->Stats().entries_sum, 41746);
}

// A device's key and CSV head are rendered once and reused: a reading that names another
// station, line or division still carries its own (rule 4), and a key id stands for one key.
TEST(MtaFileSource, EachMessageCarriesItsReadingsTexts) {
  testing::TempFile f(".csv");
  f.Write(
      "C/A,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS\n"
      "A002,R051,02-00-00,59 ST,NQR456W,BMT,05/27/2023,00:00:00,REGULAR,100,200\n"
      "A002,R051,02-00-00,59 ST,NQR456W,BMT,05/27/2023,04:00:00,REGULAR,110,205\n"
      "A002,R051,02-00-00,60 ST,NQR,BMT,05/27/2023,08:00:00,REGULAR,120,215\n"
      "A002,R051,02-00-00,59 ST,NQR456W,BMT,05/27/2023,12:00:00,REGULAR,130,216\n"
      "B001,R052,01-00-00,\"X, Y\",1,IRT,05/27/2023,00:00:00,REGULAR,5,5\n"
      "B001,R052,01-00-00,\"X, Y\",1,IRT,05/27/2023,04:00:00,REGULAR,6,7\n");
  for (auto format : {mta::WireFormat::kCsv, mta::WireFormat::kSeed}) {
    MtaFileOptions o;
    o.format = format;
    auto src = MakeMtaFileSource({f.path()}, o);
    ASSERT_TRUE(src.ok()) << src.status().ToString();
    auto msgs = Drain(**src);
    struct Want {
      const char* key;
      const char* head;
      const char* time;
      const char* counts;
    };
    const Want want[] = {
        {"A002,R051,02-00-00", "A002,R051,02-00-00,59 ST,NQR456W,BMT,", "2023-05-27 04:00:00", "10,5"},
        {"B001,R052,01-00-00", "B001,R052,01-00-00,\"X, Y\",1,IRT,", "2023-05-27 04:00:00", "1,2"},
        {"A002,R051,02-00-00", "A002,R051,02-00-00,60 ST,NQR,BMT,", "2023-05-27 08:00:00", "10,10"},
        {"A002,R051,02-00-00", "A002,R051,02-00-00,59 ST,NQR456W,BMT,", "2023-05-27 12:00:00", "10,1"},
    };
    ASSERT_EQ(msgs.size(), std::size(want));
    for (size_t i = 0; i < msgs.size(); ++i) {
      const Want& w = want[i];
      const EventTime t = *ParseTimestamp(w.time);
      std::string id = mta::MakeMessageId(std::string_view(w.key).substr(0, 4), std::string_view(w.key).substr(5, 4),
                                          std::string_view(w.key).substr(10), t);
      std::string line = std::string(w.head) + FormatDateMdyDash(t) + "," + FormatTimeOfDay(t) + ",REGULAR," +
                         w.counts + "," + id + "," + w.time;
      EXPECT_EQ(msgs[i].key, w.key);
      EXPECT_EQ(msgs[i].value, format == mta::WireFormat::kCsv ? line : nlohmann::json(line).dump()) << i;
      EXPECT_EQ(msgs[i].key_id, msgs[i].key == msgs[0].key ? msgs[0].key_id : msgs[1].key_id);
    }
    EXPECT_NE(msgs[0].key_id, msgs[1].key_id);
  }
}

TEST(MtaFileSource, RepublishingGivesTheSameIds) {
  auto a = MakeMtaFileSource({"data/mta/turnstile_150627_subset.csv"}, MtaFileOptions{});
  auto b = MakeMtaFileSource({"data/mta/turnstile_150627_subset.csv"}, MtaFileOptions{});
  ASSERT_TRUE(a.ok() && b.ok());
  auto ma = Drain(**a), mb = Drain(**b);
  ASSERT_EQ(ma.size(), 1681u);
  ASSERT_EQ(ma.size(), mb.size());
  for (size_t i = 0; i < ma.size(); ++i) ASSERT_EQ(ma[i].value, mb[i].value);
}

TEST(MtaFileSource, ShiftToNowMovesTheFirstReadingToNow) {
  MtaFileOptions o;
  o.shift_to_now = true;
  auto before = std::chrono::system_clock::now();
  auto src = MakeMtaFileSource({"data/mta/turnstile_150919_hudsonyd_raw.csv"}, o);
  ASSERT_TRUE(src.ok());
  auto msgs = Drain(**src);
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(before.time_since_epoch()).count();
  EXPECT_GE(msgs.front().time.seconds, now);
  EXPECT_LE(msgs.front().time.seconds, now + 60);
  // Distances between messages are kept.
  auto orig = MakeMtaFileSource({"data/mta/turnstile_150919_hudsonyd_raw.csv"}, MtaFileOptions{});
  auto om = Drain(**orig);
  EXPECT_EQ(msgs.back().time.seconds - msgs.front().time.seconds,
            om.back().time.seconds - om.front().time.seconds);
}

TEST(SyntheticSource, FollowsTheSeedProvider) {
  SyntheticOptions o;
  o.count = 500;
  o.seed = 42;
  o.start = *ParseTimestamp("2024-07-22 10:00:00");
  auto src = MakeSyntheticSource(o);
  auto msgs = Drain(*src);
  ASSERT_EQ(msgs.size(), 500u);
  std::vector<std::string_view> f;
  std::string scratch;
  std::map<std::string, int> cas;
  for (size_t i = 0; i < msgs.size(); ++i) {
    ASSERT_TRUE(SplitCsvLine(msgs[i].value, &f, &scratch));
    ASSERT_EQ(f.size(), 13u);
    cas[std::string(f[0])]++;
    EXPECT_TRUE(f[1] == "R001" || f[1] == "R002");
    EXPECT_EQ(f[2], "02-00-00");
    EXPECT_TRUE(f[3] == "Test-Station1" || f[3] == "Test-Station2");
    EXPECT_EQ(f[4], "456NQR");
    EXPECT_EQ(f[5], "BMT");
    EXPECT_EQ(f[8], "REGULAR");
    int e = std::stoi(std::string(f[9])), x = std::stoi(std::string(f[10]));
    EXPECT_TRUE(e >= 5 && e <= 10 && x >= 5 && x <= 10);
    EXPECT_EQ(msgs[i].key, f[11]);  // keyed by the random ID
    EXPECT_EQ(f[11].size(), 36u);
    EXPECT_EQ(f[11][14], '4');
    EXPECT_EQ(msgs[i].time.seconds, o.start.seconds + 10 * static_cast<int64_t>(i));
  }
  EXPECT_EQ(cas.size(), 2u);
  EXPECT_TRUE(cas.count("A001") && cas.count("A002"));
  SourceMessage extra;
  EXPECT_FALSE(src->Next(&extra));
}

TEST(RidesSource, TypedJsonKeyedByPickupLocationInPickupOrder) {
  auto src = MakeRidesSource("data/taxi/rides.csv", RidesOptions{});
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  auto msgs = Drain(**src);
  ASSERT_EQ(msgs.size(), 266u);
  EXPECT_EQ((*src)->Stats().bad_rows, 0u);
  for (size_t i = 0; i < msgs.size(); ++i) {
    auto j = nlohmann::json::parse(msgs[i].value);
    ASSERT_EQ(j.size(), 18u);
    EXPECT_TRUE(j["VendorID"].is_number_integer() || j["VendorID"].is_null());
    EXPECT_TRUE(j["PULocationID"].is_number_integer());
    EXPECT_TRUE(j["trip_distance"].is_number());
    EXPECT_TRUE(j["store_and_fwd_flag"].is_string() || j["store_and_fwd_flag"].is_null());
    EXPECT_EQ(msgs[i].key, std::to_string(j["PULocationID"].get<int>()));
    EXPECT_EQ(j["tpep_pickup_datetime"].get<std::string>(), FormatTimestamp(msgs[i].time));
    if (i > 0) {
      EXPECT_LE(msgs[i - 1].time, msgs[i].time);
    }
  }
  // The first ride in the file, rendered exactly.
  auto first = std::find_if(msgs.begin(), msgs.end(), [](const SourceMessage& m) {
    return m.value.find("\"tpep_pickup_datetime\":\"2020-07-01 00:25:32\"") != std::string::npos;
  });
  ASSERT_NE(first, msgs.end());
  EXPECT_EQ(first->value,
            "{\"VendorID\":1,\"tpep_pickup_datetime\":\"2020-07-01 00:25:32\",\"tpep_dropoff_datetime\":"
            "\"2020-07-01 00:33:39\",\"passenger_count\":1,\"trip_distance\":1.50,\"RatecodeID\":1,"
            "\"store_and_fwd_flag\":\"N\",\"PULocationID\":238,\"DOLocationID\":75,\"payment_type\":2,"
            "\"fare_amount\":8,\"extra\":0.5,\"mta_tax\":0.5,\"tip_amount\":0,\"tolls_amount\":0,"
            "\"improvement_surcharge\":0.3,\"total_amount\":9.3,\"congestion_surcharge\":0}");
  EXPECT_EQ(first->key, "238");
}

TEST(RidesSource, BadRowsAreReportedWithFileAndLine) {
  testing::TempFile f(".csv");
  std::string header =
      "VendorID,tpep_pickup_datetime,tpep_dropoff_datetime,passenger_count,trip_distance,RatecodeID,"
      "store_and_fwd_flag,PULocationID,DOLocationID,payment_type,fare_amount,extra,mta_tax,tip_amount,"
      "tolls_amount,improvement_surcharge,total_amount,congestion_surcharge\n";
  f.Write(header +
          "1,2020-07-01 00:25:32,2020-07-01 00:33:39,1,1.50,1,N,238,75,2,8,0.5,0.5,0,0,0.3,9.3,0\n"
          "1,2020-07-01 00:25:32,2020-07-01 00:33:39,1,abc,1,N,238,75,2,8,0.5,0.5,0,0,0.3,9.3,0\n"
          "1,07/01/2020,2020-07-01 00:33:39,1,1.5,1,N,238,75,2,8,0.5,0.5,0,0,0.3,9.3,0\n"
          "1,2020-07-01 00:25:32\n"
          ",2020-07-01 00:25:32,2020-07-01 00:33:39,,,,,238,75,,8,0.5,0.5,0,0,0.3,9.3,\n");
  auto src = MakeRidesSource(f.path(), RidesOptions{});
  ASSERT_TRUE(src.ok());
  auto msgs = Drain(**src);
  EXPECT_EQ(msgs.size(), 2u);
  EXPECT_EQ((*src)->Stats().bad_rows, 3u);
  const auto& issues = (*src)->Issues();
  ASSERT_EQ(issues.size(), 3u);
  EXPECT_EQ(issues[0], f.path() + ":3: bad trip_distance `abc` (expected a number)");
  EXPECT_EQ(issues[1], f.path() + ":4: bad tpep_pickup_datetime `07/01/2020` (expected YYYY-MM-DD HH:MM:SS)");
  EXPECT_EQ(issues[2], f.path() + ":5: expected 18 fields, found 2");
  EXPECT_NE(msgs[1].value.find("\"VendorID\":null"), std::string::npos);
}

}  // namespace
}  // namespace lakestream::produce
