#include "stream/watermark.h"

#include <gtest/gtest.h>

namespace lakestream::stream {
namespace {

TEST(Watermark, StartsAtMinusInfinityAndNothingIsLate) {
  Watermark w(300);
  EXPECT_EQ(w.current(), kNoWatermark);
  EXPECT_FALSE(w.IsLate(EventTime{INT64_MIN + 1}));
  EXPECT_FALSE(w.max_event_time().has_value());
}

TEST(Watermark, MaxEventMinusDelayAndLateness) {
  struct Step {
    int64_t t;
    bool admitted;
    int64_t watermark_after;
  };
  Watermark w(300);
  const Step steps[] = {
      {1000, true, 700},  {699, false, 700},  // below the watermark: late
      {700, true, 700},                                         // at the watermark: on time
      {2000, true, 1700}, {1800, true, 1700}, {1699, false, 1700},
  };
  for (const Step& s : steps) {
    EXPECT_EQ(w.Admit(EventTime{s.t}), s.admitted) << s.t;
    EXPECT_EQ(w.current(), s.watermark_after) << s.t;
  }
  EXPECT_EQ(w.late_count(), 2u);
  EXPECT_EQ(w.max_event_time(), EventTime{2000});
}

TEST(Watermark, ZeroDelayAndAdvanceTo) {
  Watermark w(0);
  EXPECT_TRUE(w.Admit(EventTime{50}));
  EXPECT_EQ(w.current(), 50);
  w.AdvanceTo(40);  // never lowers
  EXPECT_EQ(w.current(), 50);
  w.AdvanceTo(5000);
  EXPECT_EQ(w.current(), 5000);
  EXPECT_FALSE(w.Admit(EventTime{4999}));
  EXPECT_TRUE(w.Admit(EventTime{5100}));  // 5100 - 0 > floor
  EXPECT_EQ(w.current(), 5100);
}

TEST(Watermark, SaturatesNearMinimum) {
  Watermark w(300);
  EXPECT_TRUE(w.Admit(EventTime{INT64_MIN + 5}));
  EXPECT_EQ(w.current(), kNoWatermark);
}

TEST(Watermark, SaveLoadRoundTrip) {
  Watermark w(60);
  ASSERT_TRUE(w.Admit(EventTime{100}));
  ASSERT_FALSE(w.Admit(EventTime{10}));
  w.AdvanceTo(70);
  ByteWriter out;
  w.Save(out);
  std::string bytes = out.Take();
  Watermark back(60);
  ByteReader in(bytes);
  ASSERT_TRUE(back.Load(in).ok());
  EXPECT_EQ(back.current(), 70);
  EXPECT_EQ(back.max_event_time(), EventTime{100});
  EXPECT_EQ(back.late_count(), 1u);
  EXPECT_EQ(in.remaining(), 0u);
  ByteReader truncated(std::string_view(bytes).substr(0, 10));
  EXPECT_EQ(Watermark(60).Load(truncated).code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace lakestream::stream
