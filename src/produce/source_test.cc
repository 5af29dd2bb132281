#include "produce/source.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
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
  SourceStats figures;
  for (const auto& m : msgs) figures.Add(m);
  EXPECT_EQ(figures.entries_sum, 41746);
  EXPECT_EQ(figures.exits_sum, 55365);
  EXPECT_EQ(figures.entries_anomalies + figures.exits_anomalies, 0u);
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

// Files given together are one replay: a device's second week continues its first (the
// interval across the weeks is a message), and a reading in both files counts once.
TEST(MtaFileSource, FilesGivenTogetherAreOneReplay) {
  const std::string header =
      "C/A,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS\n";
  testing::TempFile week1(".csv"), week2(".csv");
  week1.Write(header +
              "A002,R051,02-00-00,59 ST,NQR,BMT,05/26/2023,16:00:00,REGULAR,100,200\n"
              "A002,R051,02-00-00,59 ST,NQR,BMT,05/26/2023,20:00:00,REGULAR,110,205\n");
  week2.Write(header +
              "A002,R051,02-00-00,59 ST,NQR,BMT,05/26/2023,20:00:00,REGULAR,110,205\n"
              "A002,R051,02-00-00,59 ST,NQR,BMT,05/27/2023,00:00:00,REGULAR,130,206\n");
  std::vector<std::string> got;
  for (const auto& files : {std::vector<std::string>{week1.path(), week2.path()},
                            std::vector<std::string>{week2.path(), week1.path()}}) {
    auto src = MakeMtaFileSource(files, MtaFileOptions{});
    ASSERT_TRUE(src.ok()) << src.status().ToString();
    got.clear();
    for (const SourceMessage& m : Drain(**src)) {
      got.push_back(FormatTimestamp(m.time) + " " + std::to_string(m.entries) + "," +
                    std::to_string(m.exits));
    }
    EXPECT_EQ(got,
              (std::vector<std::string>{"2023-05-26 20:00:00 10,5", "2023-05-27 00:00:00 20,1"}));
  }
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

const std::string kRidesHeader =
    "VendorID,tpep_pickup_datetime,tpep_dropoff_datetime,passenger_count,trip_distance,RatecodeID,"
    "store_and_fwd_flag,PULocationID,DOLocationID,payment_type,fare_amount,extra,mta_tax,tip_amount,"
    "tolls_amount,improvement_surcharge,total_amount,congestion_surcharge\n";

TEST(RidesSource, TypedJsonKeyedByPickupLocationInPickupOrder) {
  auto src = MakeRidesSource("data/taxi/rides.csv", RidesOptions{});
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  auto msgs = Drain(**src);
  ASSERT_EQ(msgs.size(), 266u);
  EXPECT_EQ((*src)->Issues().size(), 0u);
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
  f.Write(kRidesHeader +
          "1,2020-07-01 00:25:32,2020-07-01 00:33:39,1,1.50,1,N,238,75,2,8,0.5,0.5,0,0,0.3,9.3,0\n"
          "1,2020-07-01 00:25:32,2020-07-01 00:33:39,1,abc,1,N,238,75,2,8,0.5,0.5,0,0,0.3,9.3,0\n"
          "1,07/01/2020,2020-07-01 00:33:39,1,1.5,1,N,238,75,2,8,0.5,0.5,0,0,0.3,9.3,0\n"
          "1,2020-07-01 00:25:32\n"
          ",2020-07-01 00:25:32,2020-07-01 00:33:39,,,,,238,75,,8,0.5,0.5,0,0,0.3,9.3,\n"
          "1,2020-07-01 00:25:32,2020-07-01 00:33:39,1,1e400,1,N,238,75,2,8,0.5,0.5,0,0,0.3,9.3,0\n"
          "1,2020-07-01 00:25:32,2020-07-01 00:33:39,1,1.5,1,N,238,75,2,8,0.5,0.5,0,0,0.3,-1e-400,0\n"
          "1,2020-07-01 00:25:32,2020-07-01 00:33:39,1,2.5e3,1,N,238,75,2,8,0.5,0.5,0,0,0.3,9.3,0\n"
          "1,2020-07-01 00:26:00,2020-07-01 00:33:39,01,1.5,1,N,007,75,2,8,0.5,0.5,0,0,0.3,9.3,0\n"
          "1,2020-07-01 00:27:00,2020-07-01 00:33:39,1,1.5,1,\xD1,238,75,2,8,0.5,0.5,0,0,0.3,9.3,0\n");
  auto src = MakeRidesSource(f.path(), RidesOptions{});
  ASSERT_TRUE(src.ok());
  auto msgs = Drain(**src);
  EXPECT_EQ(msgs.size(), 4u);
  EXPECT_NE(msgs[2].value.find("\"trip_distance\":2.5e3,"), std::string::npos) << msgs[2].value;
  // Integers are written as numbers (JSON has no leading zeros), and key their location so.
  EXPECT_TRUE(nlohmann::json::accept(msgs[3].value)) << msgs[3].value;
  EXPECT_NE(msgs[3].value.find("\"passenger_count\":1,"), std::string::npos) << msgs[3].value;
  EXPECT_NE(msgs[3].value.find("\"PULocationID\":7,"), std::string::npos) << msgs[3].value;
  EXPECT_EQ(msgs[3].key, "7");
  const auto& issues = (*src)->Issues();
  ASSERT_EQ(issues.size(), 6u);
  EXPECT_EQ(issues[5].ToString(), f.path() + ":11: not UTF-8 text (re-encode the file as UTF-8)");
  EXPECT_EQ(issues[3].ToString(), f.path() + ":7: bad trip_distance `1e400` (expected a number a double holds)");
  EXPECT_EQ(issues[4].ToString(), f.path() + ":8: bad total_amount `-1e-400` (expected a number a double holds)");
  EXPECT_EQ(issues[0].ToString(), f.path() + ":3: bad trip_distance `abc` (expected a number a double holds)");
  EXPECT_EQ(issues[1].ToString(), f.path() + ":4: bad tpep_pickup_datetime `07/01/2020` (expected YYYY-MM-DD HH:MM:SS)");
  EXPECT_EQ(issues[2].ToString(), f.path() + ":5: expected 18 fields, found 2");
  // Each keeps its row's text, for --bad-rows.
  EXPECT_EQ(issues[0].text, "1,2020-07-01 00:25:32,2020-07-01 00:33:39,1,abc,1,N,238,75,2,8,0.5,0.5,0,0,0.3,9.3,0");
  EXPECT_EQ(issues[2].text, "1,2020-07-01 00:25:32");
  EXPECT_NE(msgs[1].value.find("\"VendorID\":null"), std::string::npos);
}

// A CSV that pandas wrote from the TLC's Parquet files has 1.0 in the integer columns
// (passenger_count and RatecodeID are doubles there, for their NULLs): an exact integer
// is that integer, as the engine takes 1.0 for an int64 field; any other fraction is bad.
TEST(RidesSource, IntegerColumnsTakeAWholeDecimal) {
  struct Case {
    const char* text;
    const char* written;  // nullptr: a bad row
  };
  const Case cases[] = {{"1.0", "1"},      {"2.00", "2"},     {"5.", "5"},       {"-0.0", "0"},
                        {"007.0", "7"},    {"1.5", nullptr},  {"1.01", nullptr}, {".0", nullptr},
                        {"1.0e0", nullptr}, {"1.0.0", nullptr}, {"+3", "3"},     {"+3.0", "3"},
                        {"+-3", nullptr},   {"+", nullptr}};
  std::string text = kRidesHeader;
  for (size_t i = 0; i < std::size(cases); ++i) {
    text += fmt::format(
        "1,2020-07-01 00:{:02}:00,2020-07-01 00:33:39,{},1.5,1,N,238.0,75,2,8,0.5,0.5,0,0,0.3,9.3,0\n", i,
        cases[i].text);
  }
  testing::TempFile f(".csv");
  f.Write(text);
  auto src = MakeRidesSource(f.path(), RidesOptions{});
  ASSERT_TRUE(src.ok());
  auto msgs = Drain(**src);
  const auto& issues = (*src)->Issues();
  size_t m = 0, b = 0;
  for (size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(cases[i].text);
    if (cases[i].written == nullptr) {
      ASSERT_LT(b, issues.size());
      EXPECT_EQ(issues[b++].ToString(), fmt::format("{}:{}: bad passenger_count `{}` (expected an integer)",
                                                    f.path(), i + 2, cases[i].text));
      continue;
    }
    ASSERT_LT(m, msgs.size());
    EXPECT_EQ(msgs[m].key, "238");
    EXPECT_NE(msgs[m].value.find(fmt::format(",\"passenger_count\":{},", cases[i].written)),
              std::string::npos)
        << msgs[m].value;
    EXPECT_NE(msgs[m++].value.find(",\"PULocationID\":238,"), std::string::npos);
  }
  EXPECT_EQ(m, msgs.size());
  EXPECT_EQ(b, issues.size());
}

// What `--bad-rows` and the summary get: the first kRejectedShown rows on the log, then a
// count; every row, in file order, as a JSON line in the file.
TEST(ReportRejectedRows, ShowsTheFirstTenAndWritesEveryOne) {
  testing::TempFile week(".csv"), bad(".jsonl");
  std::string text = "C/A,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS\n";
  std::vector<std::string> bad_texts;
  for (int i = 0; i < 13; ++i) {
    text += "A002,R051,02-00-00,59 ST,NQR456W,BMT,05/27/2023,00:00:00,REGULAR,1,2\n";  // good
    bad_texts.push_back(fmt::format("A002,R051,02-00-00,59 ST,NQR456W,BMT,05/27/2023,00:00:00,REGULAR,{},2", i) +
                        std::string(i == 12 ? "\",\xFF" : "x"));
    text += bad_texts.back() + "\n";
  }
  week.Write(text);
  auto src = MakeMtaFileSource({week.path()}, MtaFileOptions{});
  ASSERT_TRUE(src.ok()) << src.status().message();
  ASSERT_EQ((*src)->Issues().size(), 13u);

  auto report = [&](const std::string& path) {
    std::FILE* log = std::tmpfile();
    EXPECT_TRUE(ReportRejectedRows(**src, path, log).ok());
    std::rewind(log);
    std::string out;
    for (int c; (c = std::fgetc(log)) != EOF;) out.push_back(static_cast<char>(c));
    std::fclose(log);
    return out;
  };
  std::string shown;
  for (int i = 0; i < 10; ++i) {
    shown += fmt::format("skipped row: {}:{}: bad EXITS `2x` (expected a non-negative integer)\n", week.path(),
                         3 + 2 * i);
  }
  EXPECT_EQ(report(""), shown + "skipped 3 more malformed rows (--bad-rows FILE keeps every one, with its text)\n");
  EXPECT_EQ(report(bad.path()), shown + "skipped 3 more malformed rows\n13 malformed rows written to " + bad.path() + "\n");

  std::ifstream in(bad.path());
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    ASSERT_LT(n, bad_texts.size());
    EXPECT_EQ(j["file"], week.path());
    EXPECT_EQ(j["line"], 3 + 2 * n);
    EXPECT_EQ(j["reason"], n == 12 ? "not UTF-8 text (re-encode the file as UTF-8)" : "bad EXITS `2x` (expected a non-negative integer)");
    // The text as written (a byte that is not UTF-8 reads back as U+00XX).
    EXPECT_EQ(j["text"], n == 12 ? bad_texts[n].substr(0, bad_texts[n].size() - 1) + "\u00ff" : bad_texts[n]);
    ++n;
  }
  EXPECT_EQ(n, 13u);
}

TEST(ReportRejectedRows, NoBadRowsStillWritesTheFile) {
  testing::TempFile week(".csv"), bad(".jsonl");
  week.Write("C/A,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS\n"
             "A002,R051,02-00-00,59 ST,NQR456W,BMT,05/27/2023,00:00:00,REGULAR,1,2\n");
  bad.Write("stale");
  auto src = MakeMtaFileSource({week.path()}, MtaFileOptions{});
  ASSERT_TRUE(src.ok());
  std::FILE* log = std::tmpfile();
  ASSERT_TRUE(ReportRejectedRows(**src, bad.path(), log).ok());
  EXPECT_EQ(std::ftell(log), 0);  // nothing to say
  std::fclose(log);
  std::ifstream in(bad.path());
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "");
  EXPECT_EQ(ReportRejectedRows(**src, "/nonexistent-dir/bad.jsonl", stderr).message(),
            "cannot create --bad-rows file '/nonexistent-dir/bad.jsonl': No such file or directory");
}

}  // namespace
}  // namespace lakestream::produce
