#include "stream/window.h"

#include <gtest/gtest.h>

#include <vector>

namespace lakestream::stream {
namespace {

std::vector<Window> Collect(int64_t t, WindowSpec spec) {
  std::vector<Window> out;
  for (Window w : WindowsContaining(EventTime{t}, spec)) out.push_back(w);
  return out;
}

struct AssignCase {
  int64_t t;
  WindowSpec spec;
  std::vector<Window> expected;
};

TEST(WindowsContaining, TumblingHoppingBoundariesAndNegativeTimes) {
  const WindowSpec tumble{300, 300};
  const WindowSpec hop{600, 300};
  const WindowSpec odd{10, 4};
  const std::vector<AssignCase> cases = {
      {0, tumble, {{0, 300}}},
      {299, tumble, {{0, 300}}},
      {300, tumble, {{300, 600}}},  // end is exclusive
      {-1, tumble, {{-300, 0}}},
      {-300, tumble, {{-300, 0}}},
      {-301, tumble, {{-600, -300}}},
      {1721642400, tumble, {{1721642400, 1721642700}}},  // 2024-07-22 10:00:00
      {0, hop, {{-300, 300}, {0, 600}}},
      {299, hop, {{-300, 300}, {0, 600}}},
      {300, hop, {{0, 600}, {300, 900}}},
      {-1, hop, {{-600, 0}, {-300, 300}}},
      {-600, hop, {{-900, -300}, {-600, 0}}},
      {9, odd, {{0, 10}, {4, 14}, {8, 18}}},
      {0, odd, {{-8, 2}, {-4, 6}, {0, 10}}},
      {10, odd, {{4, 14}, {8, 18}}},
      {-5, odd, {{-12, -2}, {-8, 2}}},
  };
  for (const AssignCase& c : cases) {
    EXPECT_EQ(Collect(c.t, c.spec), c.expected) << "t=" << c.t << " size=" << c.spec.size << " slide=" << c.spec.slide;
  }
}

TEST(WindowsContaining, GapsWhenSlideExceedsSize) {
  const WindowSpec gap{2, 5};
  EXPECT_EQ(Collect(1, gap), (std::vector<Window>{{0, 2}}));
  EXPECT_TRUE(Collect(3, gap).empty());
  EXPECT_TRUE(WindowsContaining(EventTime{4}, gap).empty());
  EXPECT_EQ(Collect(-4, gap), (std::vector<Window>{{-5, -3}}));
}

TEST(WindowsContaining, RangeSizeAndFront) {
  WindowRange r = WindowsContaining(EventTime{601}, WindowSpec{900, 300});
  EXPECT_EQ(r.size(), 3);
  EXPECT_EQ(r.front(), (Window{0, 900}));
}

TEST(IsClosed, EndInclusiveOfWatermark) {
  EXPECT_TRUE(IsClosed(300, 300));
  EXPECT_TRUE(IsClosed(300, 301));
  EXPECT_FALSE(IsClosed(300, 299));
  EXPECT_FALSE(IsClosed(-300, INT64_MIN));
}

TEST(LastClosedWindowEnd, Table) {
  struct Case {
    int64_t watermark;
    WindowSpec spec;
    int64_t expected;
  };
  const std::vector<Case> cases = {
      {600, {300, 300}, 600}, {599, {300, 300}, 300}, {0, {300, 300}, 0},
      {-1, {300, 300}, -300}, {900, {600, 300}, 900}, {899, {600, 300}, 600},
      {18, {10, 4}, 18},     {17, {10, 4}, 14},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(LastClosedWindowEnd(c.watermark, c.spec), c.expected) << c.watermark;
  }
}

// Each spec checked at the times around both ends against the windows themselves, and at
// hand-computed edges: with 5-minute windows, 9999-12-31 23:54:59 is the last time whose
// window ends by 23:59:59 (23:55:00 is in [23:55, +10000-01-01 00:00)).
TEST(WindowBoundsCheck, AcceptsExactlyTheTimesWhoseWindowsAreWritable) {
  struct Edge {
    WindowSpec spec;
    int64_t last_fit;   // the largest time that fits
    int64_t first_fit;  // the smallest time that fits
  };
  const std::vector<Edge> edges = {
      {{300, 300}, kMaxEventSeconds - 300, kMinEventSeconds},
      {{600, 300}, kMaxEventSeconds - 600, kMinEventSeconds + 300},
      {{86400, 60}, kMaxEventSeconds - 86400, kMinEventSeconds + 86400 - 60},
  };
  for (const Edge& e : edges) {
    SCOPED_TRACE(testing::Message() << e.spec.size << "/" << e.spec.slide);
    const WindowBoundsCheck check(e.spec);
    EXPECT_TRUE(check.Fits(EventTime{e.last_fit}));
    EXPECT_FALSE(check.Fits(EventTime{e.last_fit + 1}));
    EXPECT_TRUE(check.Fits(EventTime{e.first_fit}));
    EXPECT_FALSE(check.Fits(EventTime{e.first_fit - 1}));
    EXPECT_TRUE(check.Fits(EventTime{0}));
  }
  for (WindowSpec spec : {WindowSpec{300, 300}, WindowSpec{600, 300}, WindowSpec{700, 300}, WindowSpec{300, 700},
                          WindowSpec{3600, 900}, WindowSpec{7, 3}}) {
    SCOPED_TRACE(testing::Message() << spec.size << "/" << spec.slide);
    const WindowBoundsCheck check(spec);
    for (int64_t base : {kMinEventSeconds, kMaxEventSeconds - 2 * spec.size - 2 * spec.slide}) {
      for (int64_t t = base; t <= base + 2 * spec.size + 2 * spec.slide && t <= kMaxEventSeconds; ++t) {
        bool fits = true;
        for (Window w : WindowsContaining(EventTime{t}, spec)) {
          fits = fits && w.start >= kMinEventSeconds && w.end <= kMaxEventSeconds;
        }
        ASSERT_EQ(check.Fits(EventTime{t}), fits) << t;
      }
    }
  }
}

TEST(FloorDiv, RoundsTowardNegativeInfinity) {
  EXPECT_EQ(FloorDiv(7, 3), 2);
  EXPECT_EQ(FloorDiv(-7, 3), -3);
  EXPECT_EQ(FloorDiv(-6, 3), -2);
  EXPECT_EQ(FloorDiv(0, 3), 0);
}

}  // namespace
}  // namespace lakestream::stream
