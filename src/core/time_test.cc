#include "core/time.h"

#include <gtest/gtest.h>

namespace lakestream {
namespace {

TEST(CivilTime, DaysRoundTripAndKnownDates) {
  struct Case {
    CivilDate date;
    int64_t days;
    int weekday;
  };
  const Case cases[] = {
      {{1970, 1, 1}, 0, 4},       {{1969, 12, 31}, -1, 3},  {{2000, 2, 29}, 11016, 2},
      {{2023, 5, 27}, 19504, 6},  {{2023, 6, 2}, 19510, 5}, {{2015, 9, 12}, 16690, 6},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(DaysFromCivil(c.date), c.days) << c.date.year << "-" << c.date.month;
    EXPECT_EQ(CivilFromDays(c.days), c.date);
    EXPECT_EQ(WeekdayFromDays(c.days), c.weekday);
  }
}

TEST(CivilTime, ParsersAcceptExactFormsOnly) {
  EXPECT_EQ(ParseDateMdy("05/27/2023"), (CivilDate{2023, 5, 27}));
  EXPECT_FALSE(ParseDateMdy("5/27/2023"));
  EXPECT_FALSE(ParseDateMdy("02/30/2023"));
  EXPECT_FALSE(ParseDateMdy("13/01/2023"));
  EXPECT_EQ(ParseTimeOfDay("23:59:59"), 86399);
  EXPECT_FALSE(ParseTimeOfDay("24:00:00"));
  EXPECT_FALSE(ParseTimeOfDay("1:00:00"));
  auto t = ParseTimestamp("2023-05-27 04:00:00");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->seconds, 19504 * 86400 + 4 * 3600);
  EXPECT_FALSE(ParseTimestamp("2023-05-27T04:00:00"));
  EXPECT_FALSE(ParseTimestamp("2023-05-27 04:00"));
}

TEST(CivilTime, Formatters) {
  EventTime t{19504 * 86400LL + 4 * 3600 + 5 * 60 + 6};
  EXPECT_EQ(FormatTimestamp(t), "2023-05-27 04:05:06");
  EXPECT_EQ(FormatDateMdyDash(t), "05-27-23");
  EXPECT_EQ(FormatDateMdySlash(t), "05/27/2023");
  EXPECT_EQ(FormatIsoDate(t), "2023-05-27");
  EXPECT_EQ(FormatTimeOfDay(t), "04:05:06");
  EXPECT_EQ(FormatTimestamp(EventTime{-1}), "1969-12-31 23:59:59");
}

// The accepted event times are years 0000-9999; a window bound a window past either end
// is written with its sign and every digit of its year, never with stray characters (a
// comma there would have added a column to a CSV row).
TEST(CivilTime, YearsOutsideFourDigitsKeepTheirSign) {
  struct Case {
    int64_t seconds;
    const char* timestamp;
    const char* mdy;
  };
  const Case cases[] = {
      {kMinEventSeconds, "0000-01-01 00:00:00", "01/01/0000"},
      {kMaxEventSeconds, "9999-12-31 23:59:59", "12/31/9999"},
      {kMinEventSeconds - 1, "-0001-12-31 23:59:59", "12/31/-0001"},
      {kMaxEventSeconds + 1, "+10000-01-01 00:00:00", "01/01/+10000"},
      // 4,392 days back: 12 years (-0012..-0001, 3 of them leap: -12, -8, -4) are 4,383.
      {kMinEventSeconds - 4392LL * 86400, "-0013-12-23 00:00:00", "12/23/-0013"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.seconds);
    EXPECT_EQ(FormatTimestamp(EventTime{c.seconds}), c.timestamp);
    EXPECT_EQ(FormatDateMdySlash(EventTime{c.seconds}), c.mdy);
    EXPECT_EQ(FormatIsoDate(EventTime{c.seconds}), std::string(c.timestamp).substr(0, std::string(c.timestamp).find(' ')));
  }
  EXPECT_TRUE(InEventTimeRange(kMinEventSeconds) && InEventTimeRange(kMaxEventSeconds));
  EXPECT_FALSE(InEventTimeRange(kMinEventSeconds - 1) || InEventTimeRange(kMaxEventSeconds + 1));
  EXPECT_EQ(MakeEventTime(CivilDate{0, 1, 1}, 0).seconds, kMinEventSeconds);
  EXPECT_EQ(MakeEventTime(CivilDate{9999, 12, 31}, 86399).seconds, kMaxEventSeconds);
}

}  // namespace
}  // namespace lakestream
