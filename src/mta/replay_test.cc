#include "mta/replay.h"

#include <gtest/gtest.h>

#include "formats/test_util.h"

namespace lakestream::mta {
namespace {

struct Row {
  const char* scp;
  const char* time;  // HH:MM:SS on 01/02/2020
  const char* desc;
  int64_t entries, exits;
};

struct Want {
  const char* scp;
  const char* time;
  int64_t entries, exits;
};

struct Case {
  const char* rule;
  std::vector<Row> rows;
  std::vector<Want> messages;  // in publishing order
  uint64_t entries_anomalies = 0, exits_anomalies = 0;
};

TurnstileData Load(const std::vector<Row>& rows) {
  std::string text = "C/A,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS\n";
  for (const auto& r : rows) {
    text += std::string("A,U,") + r.scp + ",ST,L,D,01/02/2020," + r.time + "," + r.desc + "," +
            std::to_string(r.entries) + "," + std::to_string(r.exits) + "\n";
  }
  testing::TempFile f(".csv");
  f.Write(text);
  TurnstileData d;
  EXPECT_TRUE(ReadTurnstileFile(f.path(), &d).ok());
  return d;
}

TEST(Replay, RulesTable) {
  const Case cases[] = {
      {"3: the first reading yields nothing; later ones yield differences",
       {{"1", "00:00:00", "REGULAR", 100, 50}, {"1", "04:00:00", "REGULAR", 130, 55},
        {"1", "08:00:00", "REGULAR", 131, 75}},
       {{"1", "04:00:00", 30, 5}, {"1", "08:00:00", 1, 20}}},
      {"1: a device's readings are ordered by timestamp, not by file position",
       {{"1", "08:00:00", "REGULAR", 131, 75}, {"1", "00:00:00", "REGULAR", 100, 50},
        {"1", "04:00:00", "REGULAR", 130, 55}},
       {{"1", "04:00:00", 30, 5}, {"1", "08:00:00", 1, 20}}},
      {"2: same timestamp: REGULAR kept over RECOVR AUD even when it comes later",
       {{"1", "00:00:00", "REGULAR", 100, 50}, {"1", "04:00:00", "RECOVR AUD", 900, 900},
        {"1", "04:00:00", "REGULAR", 110, 60}, {"1", "08:00:00", "REGULAR", 120, 70}},
       {{"1", "04:00:00", 10, 10}, {"1", "08:00:00", 10, 10}}},
      {"2: same timestamp, same DESC: the first in the file is kept",
       {{"1", "00:00:00", "REGULAR", 100, 50}, {"1", "04:00:00", "RECOVR AUD", 110, 60},
        {"1", "04:00:00", "RECOVR AUD", 500, 500}},
       {{"1", "04:00:00", 10, 10}}},
      {"3: negative and too-large differences become 0, counted per counter",
       {{"1", "00:00:00", "REGULAR", 100, 50}, {"1", "04:00:00", "REGULAR", 90, 60},
        {"1", "08:00:00", "REGULAR", 10091, 10061}, {"1", "12:00:00", "REGULAR", 20092, 10062}},
       {{"1", "04:00:00", 0, 10}, {"1", "08:00:00", 0, 0}, {"1", "12:00:00", 0, 1}},
       3,
       1},
      {"5: devices interleave by event time, ties in file order",
       {{"1", "00:00:00", "REGULAR", 0, 0}, {"1", "04:00:00", "REGULAR", 1, 1},
        {"1", "08:00:00", "REGULAR", 2, 2}, {"2", "02:00:00", "REGULAR", 0, 0},
        {"2", "04:00:00", "REGULAR", 5, 5}, {"2", "06:00:00", "REGULAR", 7, 7}},
       {{"1", "04:00:00", 1, 1}, {"2", "04:00:00", 5, 5}, {"2", "06:00:00", 2, 2},
        {"1", "08:00:00", 1, 1}}},
      {"1: a device's readings split across the file are still one device",
       {{"1", "00:00:00", "REGULAR", 100, 50}, {"2", "00:00:00", "REGULAR", 0, 0},
        {"1", "08:00:00", "REGULAR", 120, 60}, {"2", "04:00:00", "REGULAR", 3, 3},
        {"1", "04:00:00", "REGULAR", 110, 55}},
       // The 04:00 tie: device 2's reading comes first in the file.
       {{"2", "04:00:00", 3, 3}, {"1", "04:00:00", 10, 5}, {"1", "08:00:00", 10, 5}}},
      {"5: devices listed together, one out of time order: the tie still in file order",
       {{"1", "08:00:00", "REGULAR", 120, 60}, {"1", "00:00:00", "REGULAR", 100, 50},
        {"1", "04:00:00", "REGULAR", 110, 55}, {"2", "00:00:00", "REGULAR", 0, 0},
        {"2", "04:00:00", "REGULAR", 3, 3}},
       {{"1", "04:00:00", 10, 5}, {"2", "04:00:00", 3, 3}, {"1", "08:00:00", 10, 5}}},
      {"2: no REGULAR reading at all: the first in the file is kept",
       {{"1", "00:00:00", "RECOVR AUD", 100, 50}, {"1", "04:00:00", "RECOVR AUD", 110, 60},
        {"1", "04:00:00", "DOOR OPEN", 500, 500}},
       {{"1", "04:00:00", 10, 10}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.rule);
    TurnstileData d = Load(c.rows);
    ReplayResult r = Replay(d, ReplayOptions{});
    EXPECT_EQ(r.entries_anomalies, c.entries_anomalies);
    EXPECT_EQ(r.exits_anomalies, c.exits_anomalies);
    ASSERT_EQ(r.messages.size(), c.messages.size());
    for (size_t i = 0; i < c.messages.size(); ++i) {
      const Reading& rd = d.readings[r.messages[i].reading];
      EXPECT_EQ(d.pool.Get(rd.scp), c.messages[i].scp) << i;
      EXPECT_EQ(FormatTimeOfDay(rd.time), c.messages[i].time) << i;
      EXPECT_EQ(r.messages[i].entries, c.messages[i].entries) << i;
      EXPECT_EQ(r.messages[i].exits, c.messages[i].exits) << i;
    }
  }
}

TEST(Replay, AnomalyCountsAndMaxDelta) {
  TurnstileData d = Load({{"1", "00:00:00", "REGULAR", 100, 50},
                          {"1", "04:00:00", "REGULAR", 90, 60},       // entries < 0
                          {"1", "08:00:00", "REGULAR", 10191, 10161},  // both > 10000
                          {"1", "12:00:00", "REGULAR", 10192, 10100}});  // exits < 0
  ReplayResult r = Replay(d, ReplayOptions{});
  EXPECT_EQ(r.entries_anomalies, 2u);
  EXPECT_EQ(r.exits_anomalies, 2u);
  EXPECT_EQ(r.entries_sum, 1);
  EXPECT_EQ(r.exits_sum, 10);
  // A larger --max-delta accepts the jump.
  ReplayResult wide = Replay(d, ReplayOptions{20000});
  EXPECT_EQ(wide.entries_anomalies, 1u);
  EXPECT_EQ(wide.exits_anomalies, 1u);
  EXPECT_EQ(wide.entries_sum, 10101 + 1);
  EXPECT_EQ(wide.exits_sum, 10 + 10101);
}

// Figures the issue states for the shipped files, computed independently of this code.
TEST(Replay, ShippedFilesGiveTheExpectedFigures) {
  struct Case {
    const char* path;
    size_t messages;
    int64_t entries, exits;
    uint64_t anomalies;
  };
  const Case cases[] = {
      {"data/mta/turnstile_230603.csv.gz", 248194, 13067489, 21312168, 2868},
      {"data/mta/turnstile_150627_subset.csv", 1681, 370081, 207557, 287},
      {"data/mta/turnstile_150919_hudsonyd_raw.csv", 824, 41746, 55365, 0},
  };
  for (const auto& c : cases) {
    TurnstileData d;
    ASSERT_TRUE(ReadTurnstileFile(c.path, &d).ok());
    ReplayResult r = Replay(d, ReplayOptions{});
    EXPECT_EQ(r.messages.size(), c.messages) << c.path;
    EXPECT_EQ(r.entries_sum, c.entries) << c.path;
    EXPECT_EQ(r.exits_sum, c.exits) << c.path;
    EXPECT_EQ(r.entries_anomalies + r.exits_anomalies, c.anomalies) << c.path;
    // Each message says whether it was one (what an interrupted producer counts).
    uint64_t flagged = 0;
    for (const ReplayMessage& m : r.messages) {
      flagged += m.entries_anomaly + m.exits_anomaly;
      if (m.entries_anomaly) {
        ASSERT_EQ(m.entries, 0);
      }
      if (m.exits_anomaly) {
        ASSERT_EQ(m.exits, 0);
      }
    }
    EXPECT_EQ(flagged, c.anomalies) << c.path;
    for (size_t i = 1; i < r.messages.size(); ++i) {
      ASSERT_LE(d.readings[r.messages[i - 1].reading].time, d.readings[r.messages[i].reading].time);
    }
  }
}

}  // namespace
}  // namespace lakestream::mta
