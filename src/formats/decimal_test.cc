#include "formats/decimal.h"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace lakestream
