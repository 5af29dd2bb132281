#include "core/time.h"

#include <fmt/format.h>

namespace lakestream {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Parses exactly `n` decimal digits.
bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool ValidDate(CivilDate d) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d.month < 1 || d.month > 12 || d.day < 1) return false;
  int max = kDays[d.month - 1] + (d.month == 2 && IsLeap(d.year) ? 1 : 0);
  return d.day <= max;
}

void Split(EventTime t, CivilDate* d, int* sod) {
  int64_t days = FloorDiv(t.seconds, 86400);
  *sod = static_cast<int>(t.seconds - days * 86400);
  *d = CivilFromDays(days);
}

}  // namespace

int64_t DaysFromCivil(CivilDate d) {
  int64_t y = d.year - (d.month <= 2 ? 1 : 0);
  int64_t era = FloorDiv(y, 400);
  int64_t yoe = y - era * 400;
  int64_t mp = (d.month + 9) % 12;
  int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  int64_t era = FloorDiv(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return CivilDate{static_cast<int>(y + (m <= 2 ? 1 : 0)), m, d};
}

int WeekdayFromDays(int64_t days) {
  int64_t w = (days + 4) % 7;  // 1970-01-01 was a Thursday
  return static_cast<int>(w < 0 ? w + 7 : w);
}

std::optional<CivilDate> ParseDateMdy(std::string_view s) {
  CivilDate d;
  if (s.size() != 10 || s[2] != '/' || s[5] != '/') return std::nullopt;
  if (!Digits(s, 0, 2, &d.month) || !Digits(s, 3, 2, &d.day) || !Digits(s, 6, 4, &d.year)) {
    return std::nullopt;
  }
  if (!ValidDate(d)) return std::nullopt;
  return d;
}

std::optional<int> ParseTimeOfDay(std::string_view s) {
  int h, m, sec;
  if (s.size() != 8 || s[2] != ':' || s[5] != ':') return std::nullopt;
  if (!Digits(s, 0, 2, &h) || !Digits(s, 3, 2, &m) || !Digits(s, 6, 2, &sec)) return std::nullopt;
  if (h > 23 || m > 59 || sec > 59) return std::nullopt;
  return h * 3600 + m * 60 + sec;
}

std::optional<EventTime> ParseTimestamp(std::string_view s) {
  CivilDate d;
  if (s.size() != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ') return std::nullopt;
  if (!Digits(s, 0, 4, &d.year) || !Digits(s, 5, 2, &d.month) || !Digits(s, 8, 2, &d.day)) {
    return std::nullopt;
  }
  if (!ValidDate(d)) return std::nullopt;
  auto tod = ParseTimeOfDay(s.substr(11));
  if (!tod) return std::nullopt;
  return MakeEventTime(d, *tod);
}

namespace {

// Writes `v` as exactly `n` decimal digits at `p` (formatting is on the producer's hot
// path: snprintf was the largest single cost of rendering a message).
char* Put(char* p, int v, int n) {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + n;
}

// Four digits for 0000-9999; a sign and all the digits outside (see kMinEventSeconds).
char* PutYear(char* p, int year) {
  if (year >= 0 && year <= 9999) [[likely]] return Put(p, year, 4);
  return fmt::format_to(p, "{:+05d}", year);
}

char* PutDate(char* p, const CivilDate& d, char sep) {
  p = PutYear(p, d.year);
  *p++ = sep;
  p = Put(p, d.month, 2);
  *p++ = sep;
  return Put(p, d.day, 2);
}

char* PutTime(char* p, int sod) {
  p = Put(p, sod / 3600, 2);
  *p++ = ':';
  p = Put(p, sod / 60 % 60, 2);
  *p++ = ':';
  return Put(p, sod % 60, 2);
}

}  // namespace

std::string FormatTimestamp(EventTime t) {
  CivilDate d;
  int sod;
  Split(t, &d, &sod);
  char buf[32];
  char* p = PutDate(buf, d, '-');
  *p++ = ' ';
  p = PutTime(p, sod);
  return std::string(buf, p);
}

std::string FormatDateMdyDash(EventTime t) {
  CivilDate d;
  int sod;
  Split(t, &d, &sod);
  char buf[8];
  char* p = Put(buf, d.month, 2);
  *p++ = '-';
  p = Put(p, d.day, 2);
  *p++ = '-';
  Put(p, ((d.year % 100) + 100) % 100, 2);
  return std::string(buf, sizeof buf);
}

std::string FormatDateMdySlash(EventTime t) {
  CivilDate d;
  int sod;
  Split(t, &d, &sod);
  char buf[24];
  char* p = Put(buf, d.month, 2);
  *p++ = '/';
  p = Put(p, d.day, 2);
  *p++ = '/';
  p = PutYear(p, d.year);
  return std::string(buf, p);
}

std::string FormatIsoDate(EventTime t) {
  CivilDate d;
  int sod;
  Split(t, &d, &sod);
  char buf[24];
  return std::string(buf, PutDate(buf, d, '-'));
}

std::string FormatTimeOfDay(EventTime t) {
  CivilDate d;
  int sod;
  Split(t, &d, &sod);
  char buf[8];
  PutTime(buf, sod);
  return std::string(buf, sizeof buf);
}

}  // namespace lakestream
