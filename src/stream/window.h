// Window arithmetic: pure functions, no state.
//
// Windows are aligned to the Unix epoch: a window is the half-open interval
// [start, start + size) with start a multiple of `slide` (floor division, so negative
// times work the same way). Tumbling windows are the case slide == size.
#pragma once

#include <cstdint>

#include "core/time.h"

namespace lakestream::stream {

struct WindowSpec {
  int64_t size = 0;   // seconds, > 0
  int64_t slide = 0;  // seconds, 0 < slide <= size
  friend bool operator==(const WindowSpec&, const WindowSpec&) = default;
};

// One window: [start, end), end exclusive.
struct Window {
  int64_t start = 0;
  int64_t end = 0;
  friend auto operator<=>(const Window&, const Window&) = default;
};

// The windows that contain one instant, in ascending start order; iterating allocates nothing.
class WindowRange {
 public:
  class Iterator {
   public:
    Iterator(int64_t start, int64_t slide, int64_t size) : start_(start), slide_(slide), size_(size) {}
    Window operator*() const { return Window{start_, start_ + size_}; }
    Iterator& operator++() {
      start_ += slide_;
      return *this;
    }
    bool operator==(const Iterator& o) const { return start_ == o.start_; }

   private:
    int64_t start_, slide_, size_;
  };

  WindowRange(int64_t first_start, int64_t count, WindowSpec spec)
      : first_start_(first_start), count_(count), spec_(spec) {}
  int64_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  Window front() const { return Window{first_start_, first_start_ + spec_.size}; }
  Iterator begin() const { return Iterator(first_start_, spec_.slide, spec_.size); }
  Iterator end() const { return Iterator(first_start_ + count_ * spec_.slide, spec_.slide, spec_.size); }

 private:
  int64_t first_start_;
  int64_t count_;  // ceil(size / slide) or one less; 0 only when slide > size leaves gaps
  WindowSpec spec_;
};

// Floor division (rounds toward negative infinity); b > 0.
inline int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && (a < 0)); }

// Every window [start, start + size) with start % slide == 0 and start <= t < start + size.
WindowRange WindowsContaining(EventTime t, WindowSpec spec);

// A window is closed (final, may be emitted) once the watermark has reached its end:
// every record still to come is at or after the watermark, so none can fall inside it.
inline bool IsClosed(int64_t window_end, int64_t watermark) { return window_end <= watermark; }

// The end of the latest window that IsClosed at `watermark` (Proton's
// getLastFinalizedWindow): the largest start + size <= watermark with start % slide == 0.
int64_t LastClosedWindowEnd(int64_t watermark, WindowSpec spec);

// Whether every window that contains an event time lies in the times the lake can write
// (core/time.h: kMinEventSeconds..kMaxEventSeconds, years 0000-9999). A record near either
// end would otherwise give a window bound such as +10000-01-01, which readers (DuckDB,
// Spark, BigQuery) do not take as a timestamp: a whole glob of files then reads as text.
class WindowBoundsCheck {
 public:
  explicit WindowBoundsCheck(WindowSpec spec);
  // Cheap for every time at least a window away from either end.
  bool Fits(EventTime t) const {
    if (t.seconds >= lo_ && t.seconds <= hi_) [[likely]] return true;
    return FitsExactly(t);
  }

 private:
  bool FitsExactly(EventTime t) const;
  WindowSpec spec_;
  int64_t lo_, hi_;  // every time in [lo_, hi_] fits; outside, FitsExactly decides
};

}  // namespace lakestream::stream
