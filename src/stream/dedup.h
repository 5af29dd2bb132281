// DedupSet: the dedup keys a partition has seen within the watermark horizon.
//
// Keys are stored as 128-bit XXH3 fingerprints of their encoded fields (16 bytes per key
// however long the key), with the event time of the first record that carried them. Two
// different keys share a fingerprint with probability about n^2 / 2^129 (1e-26 for a
// billion live keys): treated as impossible.
//
// Eviction is by event time and lazy: an entry whose time is below the watermark counts
// as absent from the moment the watermark passes it (so answers are exact), and is
// physically dropped by the next sweep, which runs only when the table would otherwise
// grow. A sweep costs O(capacity) and, as it leaves the table at most 1/4 full, runs at
// most once per capacity/4 inserts: O(1) amortized. The capacity (26 bytes a slot) never
// shrinks below its peak: about 2-4 slots per live key at the busiest moment.
//
// Probing reads a 2-byte tag per slot (bits of the fingerprint that the slot's index does
// not use; 0 = empty), and a slot's 24 bytes only where the tag matches. A set with a long
// horizon outgrows the caches, and most keys are new: their probe then misses on the
// small tag array, not on the slots (a day's horizon spent ~80% of its insert time
// waiting for the first slot it read).
//
// Not thread-safe; owned by one PartitionTask.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "stream/byte_codec.h"

namespace lakestream::stream {

struct Fingerprint {
  uint64_t low = 0;
  uint64_t high = 0;
  friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
};

Fingerprint FingerprintOf(std::string_view encoded_key);

class DedupSet {
 public:
  DedupSet();

  // Returns true (and remembers the key at `event_time`) if the key is absent or was last
  // stored at a time below `watermark`; false if it is a duplicate. A duplicate keeps the
  // first time, so a key is forgotten a fixed horizon after it was first seen.
  bool Insert(Fingerprint key, int64_t event_time, int64_t watermark);

  // Drops every entry below the watermark now; returns how many.
  size_t EvictBelow(int64_t watermark);

  // Entries stored, including expired ones not yet swept.
  size_t size() const { return size_; }
  size_t capacity() const { return tags_.size(); }

  // Layout: u64 count, then count x (u64 low, u64 high, i64 time); only entries at or
  // above `watermark` are written.
  void Save(ByteWriter& w, int64_t watermark) const;
  Status Load(ByteReader& r);

 private:
  // Meaningful only where the slot's tag is set.
  struct Slot {
    Fingerprint key;
    int64_t time = 0;
  };
  // Never 0 (an empty slot's tag); from the high half, which the index (low bits) does not use.
  static uint16_t TagOf(const Fingerprint& key) { return static_cast<uint16_t>(key.high >> 48) | 1; }

  void Allocate(size_t capacity);
  void Rebuild(size_t capacity, int64_t watermark);
  void Place(const Slot& s);

  // Open addressing, linear probing, power-of-two size; tags_[i] == 0: slot i is empty.
  std::vector<uint16_t> tags_;
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace lakestream::stream
