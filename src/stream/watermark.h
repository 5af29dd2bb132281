// The event-time watermark of one partition: a small checkpointable object.
//
// watermark = max(max event time seen - delay, floor), where floor is raised by
// AdvanceTo() (idle partitions, end of input). Before any event and any AdvanceTo the
// watermark is kNoWatermark (minus infinity): nothing is late, nothing is closed.
// The watermark never decreases.
//
// A record is late when its event time is strictly below the watermark at the moment it
// is read. Folding the record's own time in first cannot change that verdict (t - delay
// <= t), so "below the watermark before or after this record" is the same test.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

#include "core/status.h"
#include "core/time.h"
#include "stream/byte_codec.h"

namespace lakestream::stream {

inline constexpr int64_t kNoWatermark = std::numeric_limits<int64_t>::min();

class Watermark {
 public:
  explicit Watermark(int64_t delay_seconds) : delay_(delay_seconds) {}

  // Folds in one event time. Returns false, counts it and leaves the watermark unchanged
  // if the event is late; returns true otherwise.
  bool Admit(EventTime t) {
    if (t.seconds < current_) {
      ++late_;
      return false;
    }
    if (!has_max_ || t.seconds > max_event_) {
      has_max_ = true;
      max_event_ = t.seconds;
      // Saturating: an event near INT64_MIN must not wrap the watermark upward.
      int64_t from_events =
          max_event_ < kNoWatermark + delay_ ? kNoWatermark : max_event_ - delay_;
      if (from_events > current_) current_ = from_events;
    }
    return true;
  }

  // Raises the watermark to at least `floor`; never lowers it.
  void AdvanceTo(int64_t floor) {
    if (floor > floor_) floor_ = floor;
    if (floor_ > current_) current_ = floor_;
  }

  bool IsLate(EventTime t) const { return t.seconds < current_; }
  int64_t current() const { return current_; }  // kNoWatermark if none yet
  int64_t delay() const { return delay_; }
  std::optional<EventTime> max_event_time() const {
    return has_max_ ? std::optional<EventTime>(EventTime{max_event_}) : std::nullopt;
  }
  uint64_t late_count() const { return late_; }
  // The newest event time seen, or `none` before any.
  int64_t max_event_or(int64_t none) const { return has_max_ ? max_event_ : none; }

  // Layout: u8 has_max, i64 max_event, i64 floor, i64 current, u64 late. The delay is part
  // of the pipeline spec, not of the state.
  void Save(ByteWriter& w) const;
  Status Load(ByteReader& r);

 private:
  int64_t delay_;
  bool has_max_ = false;
  int64_t max_event_ = 0;
  int64_t floor_ = kNoWatermark;
  int64_t current_ = kNoWatermark;
  uint64_t late_ = 0;
};

}  // namespace lakestream::stream
