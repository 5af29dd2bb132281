#include "stream/dedup.h"

#include <xxhash.h>

#include <algorithm>
#include <tuple>

namespace lakestream::stream {
namespace {
constexpr size_t kInitialCapacity = 1024;
}

Fingerprint FingerprintOf(std::string_view encoded_key) {
  XXH128_hash_t h = XXH3_128bits(encoded_key.data(), encoded_key.size());
  return Fingerprint{h.low64, h.high64};
}

DedupSet::DedupSet() : slots_(kInitialCapacity) {}

void DedupSet::Place(const Slot& s) {
  const size_t mask = slots_.size() - 1;
  for (size_t i = s.key.low & mask;; i = (i + 1) & mask) {
    if (slots_[i].time == kEmpty) {
      slots_[i] = s;
      ++size_;
      return;
    }
  }
}

void DedupSet::Rebuild(size_t capacity, int64_t watermark) {
  std::vector<Slot> old(capacity);
  old.swap(slots_);
  size_ = 0;
  for (const Slot& s : old) {
    if (s.time != kEmpty && s.time >= watermark) Place(s);
  }
}

bool DedupSet::Insert(Fingerprint key, int64_t event_time, int64_t watermark) {
  const size_t mask = slots_.size() - 1;
  size_t i = key.low & mask;
  for (;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.time == kEmpty) break;
    if (s.key == key) {
      if (s.time >= watermark) return false;
      s.time = event_time;  // expired: the key is new again
      return true;
    }
  }
  // Keep the load factor <= 1/2: first try to make room by sweeping, then grow.
  if ((size_ + 1) * 2 > slots_.size()) {
    Rebuild(slots_.size(), watermark);
    size_t capacity = slots_.size();
    while ((size_ + 1) * 4 > capacity) capacity *= 2;  // after a sweep, leave room to grow
    if (capacity != slots_.size()) Rebuild(capacity, watermark);
    Place(Slot{key, event_time});
    return true;
  }
  slots_[i] = Slot{key, event_time};
  ++size_;
  return true;
}

size_t DedupSet::EvictBelow(int64_t watermark) {
  size_t before = size_;
  Rebuild(slots_.size(), watermark);
  return before - size_;
}

void DedupSet::Save(ByteWriter& w, int64_t watermark) const {
  // Sorted, so that equal states give byte-identical checkpoints whatever the table's
  // capacity and insertion history.
  std::vector<Slot> live;
  for (const Slot& s : slots_) {
    if (s.time != kEmpty && s.time >= watermark) live.push_back(s);
  }
  std::sort(live.begin(), live.end(), [](const Slot& a, const Slot& b) {
    return std::tie(a.time, a.key.low, a.key.high) < std::tie(b.time, b.key.low, b.key.high);
  });
  w.U64(live.size());
  for (const Slot& s : live) {
    w.U64(s.key.low);
    w.U64(s.key.high);
    w.I64(s.time);
  }
}

Status DedupSet::Load(ByteReader& r) {
  uint64_t n = 0;
  LS_RETURN_NOT_OK(r.Count(24, &n));
  size_t capacity = kInitialCapacity;
  while ((n + 1) * 4 > capacity) capacity *= 2;
  slots_.assign(capacity, Slot{});
  size_ = 0;
  for (uint64_t k = 0; k < n; ++k) {
    Slot s;
    LS_RETURN_NOT_OK(r.U64(&s.key.low));
    LS_RETURN_NOT_OK(r.U64(&s.key.high));
    LS_RETURN_NOT_OK(r.I64(&s.time));
    if (s.time == kEmpty) return Status::DataLoss("checkpoint: dedup entry without a time");
    Place(s);
  }
  return Status::Ok();
}

}  // namespace lakestream::stream
