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

}  // namespace lakestream::stream
