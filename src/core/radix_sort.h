// RadixSort: a stable LSD radix sort of items by a 64-bit unsigned key.
//
// Digits of 11 bits (2,048 buckets: the counts stay in L1 and the scatter writes to few
// enough places at once to stay cache-friendly), only as many as the largest key needs:
// keys below 2^22 (48 days in seconds) cost two passes. (With 16-bit digits the week's
// replay sort of 248,194 items took 5.0 ms instead of 4.2.) All digits are counted in
// one read of the items, and a pass in which every key has the same digit is skipped.
// Linear in the number of items, with a scratch copy of them: for hundreds of thousands
// of items several times faster than std::sort. Equal keys keep their order (stable).
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace lakestream {

template <typename T, typename KeyFn>
void RadixSort(std::vector<T>* items, KeyFn key) {
  constexpr int kBits = 11;
  constexpr size_t kBuckets = size_t{1} << kBits;
  const size_t n = items->size();
  if (n < 2) return;
  uint64_t any = 0;  // the OR of all keys: its width says how many digits matter
  for (const T& item : *items) any |= key(item);
  const int passes = (std::bit_width(any) + kBits - 1) / kBits;
  if (passes == 0) return;  // every key is 0
  std::vector<std::array<uint32_t, kBuckets>> count(static_cast<size_t>(passes));
  for (auto& c : count) c.fill(0);
  for (const T& item : *items) {
    const uint64_t k = key(item);
    for (int p = 0; p < passes; ++p) ++count[p][(k >> (p * kBits)) & (kBuckets - 1)];
  }
  std::vector<T> scratch(n);
  std::vector<T>* from = items;
  std::vector<T>* to = &scratch;
  for (int p = 0; p < passes; ++p) {
    const int shift = p * kBits;
    std::array<uint32_t, kBuckets>& c = count[p];
    if (c[(key((*from)[0]) >> shift) & (kBuckets - 1)] == n) continue;  // one digit: nothing moves
    uint32_t at = 0;
    for (uint32_t& b : c) at += std::exchange(b, at);
    for (T& item : *from) (*to)[c[(key(item) >> shift) & (kBuckets - 1)]++] = std::move(item);
    std::swap(from, to);
  }
  if (from != items) *items = std::move(*from);
}

}  // namespace lakestream
