// Decides when the next message may be sent: as fast as possible, N x real time
// following event time, or a fixed message rate.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "core/time.h"

namespace lakestream::produce {

struct PaceOptions {
  double speed = 0;  // 0 = max; N = N x real time on event time
  double rate = 0;   // messages per second; 0 = no limit
};

class Pacer {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Pacer(PaceOptions o) : o_(o) {}

  // No rate and no speed: every message may go at once.
  bool unpaced() const { return o_.rate <= 0 && o_.speed <= 0; }

  // How long to wait before sending the message number `index` (0-based) whose event
  // time is `t`, given that `now` it is; zero if it may go now.
  Clock::duration Delay(uint64_t index, EventTime t, Clock::time_point now) {
    if (!started_) {
      started_ = true;
      wall0_ = now;
      event0_ = t;
    }
    Clock::time_point due = wall0_;
    if (o_.rate > 0) {
      due = std::max(due, wall0_ + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(index / o_.rate)));
    }
    if (o_.speed > 0) {
      double seconds = static_cast<double>(t.seconds - event0_.seconds) / o_.speed;
      due = std::max(due, wall0_ + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(seconds)));
    }
    return due > now ? due - now : Clock::duration::zero();
  }

  // How long to wait at once for a `delay` above zero, in the whole milliseconds that
  // polling the producer takes: rounded up (rounded down, a delay under 1 ms became a
  // poll of 0 ms and the wait a busy loop), at most 100 ms so that Ctrl-C is seen soon.
  // Messages due within the same millisecond then go together, at most ~1 ms late.
  static int WaitSliceMs(Clock::duration delay) {
    return static_cast<int>(
        std::min<int64_t>(std::chrono::ceil<std::chrono::milliseconds>(delay).count(), 100));
  }

 private:
  PaceOptions o_;
  bool started_ = false;
  Clock::time_point wall0_;
  EventTime event0_;
};

}  // namespace lakestream::produce
