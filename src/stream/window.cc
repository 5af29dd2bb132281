#include "stream/window.h"

namespace lakestream::stream {

WindowRange WindowsContaining(EventTime t, WindowSpec spec) {
  // The last start is the slide multiple at or below t; the first is the smallest
  // slide multiple strictly above t - size.
  const int64_t last = FloorDiv(t.seconds, spec.slide) * spec.slide;
  const int64_t first = (FloorDiv(t.seconds - spec.size, spec.slide) + 1) * spec.slide;
  const int64_t count = last >= first ? (last - first) / spec.slide + 1 : 0;
  return WindowRange(first, count, spec);
}

int64_t LastClosedWindowEnd(int64_t watermark, WindowSpec spec) {
  return FloorDiv(watermark - spec.size, spec.slide) * spec.slide + spec.size;
}

WindowBoundsCheck::WindowBoundsCheck(WindowSpec spec) : spec_(spec) {
  // The last window containing t starts at the slide multiple at or below t: its end fits
  // while that start is at most the last multiple that still ends by kMaxEventSeconds.
  const int64_t last_start = FloorDiv(kMaxEventSeconds - spec.size, spec.slide) * spec.slide;
  hi_ = last_start + spec.slide - 1;
  // The first window containing t starts at the smallest slide multiple above t - size:
  // at or after the first multiple at or after kMinEventSeconds once t - size reaches the
  // multiple before it.
  const int64_t first_start = -FloorDiv(-kMinEventSeconds, spec.slide) * spec.slide;
  lo_ = first_start - spec.slide + spec.size;
}

bool WindowBoundsCheck::FitsExactly(EventTime t) const {
  const WindowRange windows = WindowsContaining(t, spec_);
  if (windows.empty()) return true;  // in a gap (slide > size): no window to write
  const int64_t first_start = windows.front().start;
  const int64_t last_end = first_start + (windows.size() - 1) * spec_.slide + spec_.size;
  return first_start >= kMinEventSeconds && last_end <= kMaxEventSeconds;
}

}  // namespace lakestream::stream
