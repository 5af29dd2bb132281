#include "formats/decimal.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

namespace lakestream {
namespace {

TEST(DecimalCounter, CountsAsToStringDoes) {
  // Every count up to 100,000 (every carry up to five digits), then across a 10^k edge.
  DecimalCounter c;
  for (uint64_t n = 0; n <= 100000; ++n) {
    ASSERT_EQ(c.text(), std::to_string(n));
    c.Increment();
  }
  DecimalCounter d;
  for (uint64_t n = 0; n < 999999; ++n) d.Increment();
  EXPECT_EQ(d.text(), "999999");
  d.Increment();
  EXPECT_EQ(d.text(), "1000000");
  d.Increment();
  EXPECT_EQ(d.text(), "1000001");
}

TEST(PutDecimal, WritesWhatToCharsWrites) {
  // Every value around every power of ten and its negative, the int64 ends, and a sweep.
  std::vector<int64_t> values = {0, INT64_MIN, INT64_MIN + 1, INT64_MAX, INT64_MAX - 1};
  for (int64_t p = 1; p <= INT64_MAX / 10; p *= 10) {
    for (int64_t d : {-1, 0, 1}) values.insert(values.end(), {10 * p + d, -(10 * p + d), p + d, -(p + d)});
  }
  for (int64_t v = -100000; v <= 100000; v += 7) values.push_back(v);
  for (const int64_t v : values) {
    char got[32], want[32];
    char* got_end = PutDecimal(got, v);
    char* want_end = std::to_chars(want, want + sizeof want, v).ptr;
    ASSERT_EQ(std::string(got, got_end), std::string(want, want_end)) << v;
  }
}

}  // namespace
}  // namespace lakestream
