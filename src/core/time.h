// Event time: seconds since the Unix epoch, in UTC, as a strong type so that it is
// never confused with wall-clock time, offsets or durations.
//
// MTA readings carry local New York time without a zone; lakestream treats every
// event time as UTC (like Spark with spark.sql.session.timeZone=UTC), so window
// boundaries and the DATE/TIME columns keep the wall-clock values of the data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lakestream {

struct EventTime {
  int64_t seconds = 0;  // since 1970-01-01 00:00:00 UTC
  friend auto operator<=>(EventTime, EventTime) = default;
};

struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  friend auto operator<=>(const CivilDate&, const CivilDate&) = default;
};

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(CivilDate d);
CivilDate CivilFromDays(int64_t days);
// 0 = Sunday .. 6 = Saturday.
int WeekdayFromDays(int64_t days);

// Parsers return nullopt unless the whole text matches exactly.
// "MM/DD/YYYY" (MTA files, lake DATE column).
std::optional<CivilDate> ParseDateMdy(std::string_view text);
// "HH:MM:SS", 00:00:00..23:59:59.
std::optional<int> ParseTimeOfDay(std::string_view text);
// "YYYY-MM-DD HH:MM:SS".
std::optional<EventTime> ParseTimestamp(std::string_view text);

// Formatters.
std::string FormatTimestamp(EventTime t);  // YYYY-MM-DD HH:MM:SS
std::string FormatDateMdyDash(EventTime t);  // MM-DD-YY (the seed producer's DATE)
std::string FormatDateMdySlash(EventTime t);  // MM/DD/YYYY
std::string FormatIsoDate(EventTime t);  // YYYY-MM-DD
std::string FormatTimeOfDay(EventTime t);  // HH:MM:SS

// The event times lakestream accepts: those the text formats can write, years 0000-9999
// (BigQuery and Spark take 0001-9999). A `unix_seconds` field outside them is a bad record,
// and so is a record whose windows would reach past either end (stream::WindowBoundsCheck).
// A time outside is still formatted with its sign and every digit of the year (ISO 8601's
// expanded years: -0001-12-31, +10000-01-01), never with stray characters.
inline constexpr int64_t kMinEventSeconds = -62167219200;  // 0000-01-01 00:00:00
inline constexpr int64_t kMaxEventSeconds = 253402300799;  // 9999-12-31 23:59:59
inline bool InEventTimeRange(int64_t seconds) { return seconds >= kMinEventSeconds && seconds <= kMaxEventSeconds; }

inline EventTime MakeEventTime(CivilDate d, int seconds_of_day) {
  return EventTime{DaysFromCivil(d) * 86400 + seconds_of_day};
}

}  // namespace lakestream
