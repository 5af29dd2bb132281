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

}  // namespace
}  // namespace lakestream
