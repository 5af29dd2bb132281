#include "produce/pacer.h"

#include <gtest/gtest.h>

namespace lakestream::produce {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(Pacer, Table) {
  struct Step {
    uint64_t index;
    int64_t event_seconds;
    int64_t now_ms;     // since the first call
    int64_t delay_ms;   // expected
  };
  struct Case {
    const char* name;
    PaceOptions options;
    std::vector<Step> steps;
  };
  const Case cases[] = {
      {"max: never waits", {0, 0}, {{0, 100, 0, 0}, {1, 10000, 0, 0}, {2, 99999, 1, 0}}},
      {"speed 2: half of the event-time distance",
       {2, 0},
       {{0, 100, 0, 0}, {1, 110, 0, 5000}, {1, 110, 4000, 1000}, {2, 120, 12000, 0}}},
      {"rate 4/s: 250 ms apart", {0, 4}, {{0, 5, 0, 0}, {1, 5, 0, 250}, {4, 5, 500, 500}}},
      {"speed and rate: the later of both", {10, 2}, {{0, 0, 0, 0}, {1, 1, 0, 500}, {2, 60, 0, 6000}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Pacer p(c.options);
    const auto t0 = Pacer::Clock::time_point(seconds(1000));
    for (const auto& s : c.steps) {
      auto d = p.Delay(s.index, EventTime{s.event_seconds}, t0 + milliseconds(s.now_ms));
      EXPECT_EQ(std::chrono::duration_cast<milliseconds>(d).count(), s.delay_ms) << s.index;
    }
  }
}

// The wait is served by polling the producer in whole milliseconds: a delay under one
// rounded down to 0 made a paced run (--rate 20000: 50 us apart) spin on a whole core.
TEST(Pacer, WaitSliceIsWholeMillisecondsRoundedUpToAtMost100) {
  using std::chrono::microseconds;
  const std::pair<Pacer::Clock::duration, int> cases[] = {
      {microseconds(1), 1},     {microseconds(50), 1},   {microseconds(999), 1},
      {microseconds(1000), 1},  {microseconds(1001), 2}, {milliseconds(99), 99},
      {milliseconds(100), 100}, {seconds(3600), 100},
  };
  for (const auto& [delay, ms] : cases) {
    EXPECT_EQ(Pacer::WaitSliceMs(delay), ms)
        << std::chrono::duration_cast<microseconds>(delay).count() << " us";
  }
}

}  // namespace
}  // namespace lakestream::produce
