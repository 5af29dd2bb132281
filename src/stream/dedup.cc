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

DedupSet::DedupSet() { Allocate(kInitialCapacity); }

void DedupSet::Allocate(size_t capacity) {
  tags_.assign(capacity, 0);
  slots_.assign(capacity, Slot{});
  size_ = 0;
}

void DedupSet::Place(const Slot& s) {
  const size_t mask = tags_.size() - 1;
  for (size_t i = s.key.low & mask;; i = (i + 1) & mask) {
    if (tags_[i] == 0) {
      tags_[i] = TagOf(s.key);
      slots_[i] = s;
      ++size_;
      return;
    }
  }
}

void DedupSet::Rebuild(size_t capacity, int64_t watermark) {
  std::vector<uint16_t> old_tags = std::move(tags_);
  std::vector<Slot> old = std::move(slots_);
  Allocate(capacity);
  for (size_t i = 0; i < old_tags.size(); ++i) {
    if (old_tags[i] != 0 && old[i].time >= watermark) Place(old[i]);
  }
}

bool DedupSet::Insert(Fingerprint key, int64_t event_time, int64_t watermark) {
  const size_t mask = tags_.size() - 1;
  const uint16_t tag = TagOf(key);
  size_t i = key.low & mask;
  for (;; i = (i + 1) & mask) {
    if (tags_[i] == 0) break;
    if (tags_[i] != tag) continue;
    Slot& s = slots_[i];
    if (s.key == key) {
      if (s.time >= watermark) return false;
      s.time = event_time;  // expired: the key is new again
      return true;
    }
  }
  // Keep the load factor <= 1/2: first try to make room by sweeping, then grow.
  if ((size_ + 1) * 2 > tags_.size()) {
    Rebuild(tags_.size(), watermark);
    size_t capacity = tags_.size();
    while ((size_ + 1) * 4 > capacity) capacity *= 2;  // after a sweep, leave room to grow
    if (capacity != tags_.size()) Rebuild(capacity, watermark);
    Place(Slot{key, event_time});
    return true;
  }
  tags_[i] = tag;
  slots_[i] = Slot{key, event_time};
  ++size_;
  return true;
}

size_t DedupSet::EvictBelow(int64_t watermark) {
  size_t before = size_;
  Rebuild(tags_.size(), watermark);
  return before - size_;
}

void DedupSet::Save(ByteWriter& w, int64_t watermark) const {
  // Sorted, so that equal states give byte-identical checkpoints whatever the table's
  // capacity and insertion history.
  std::vector<Slot> live;
  for (size_t i = 0; i < tags_.size(); ++i) {
    if (tags_[i] != 0 && slots_[i].time >= watermark) live.push_back(slots_[i]);
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
  Allocate(capacity);
  for (uint64_t k = 0; k < n; ++k) {
    Slot s;
    LS_RETURN_NOT_OK(r.U64(&s.key.low));
    LS_RETURN_NOT_OK(r.U64(&s.key.high));
    LS_RETURN_NOT_OK(r.I64(&s.time));
    Place(s);
  }
  return Status::Ok();
}

}  // namespace lakestream::stream
