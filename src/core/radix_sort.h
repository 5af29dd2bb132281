// RadixSort: a stable LSD radix sort of items by a 64-bit unsigned key.
//
// Four passes of 16 bits at most; a pass in which every key has the same digit is
// skipped, so keys that fit in 32 bits cost two passes. Linear in the number of items,
// with a scratch copy of them: for hundreds of thousands of items several times faster
// than std::sort. Equal keys keep their order (stable).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace lakestream {

template <typename T, typename KeyFn>
void RadixSort(std::vector<T>* items, KeyFn key) {
  constexpr int kBits = 16;
  constexpr size_t kBuckets = size_t{1} << kBits;
  const size_t n = items->size();
  if (n < 2) return;
  std::vector<T> scratch(n);
  std::vector<uint32_t> count(kBuckets);
  std::vector<T>* from = items;
  std::vector<T>* to = &scratch;
  for (int shift = 0; shift < 64; shift += kBits) {
    std::fill(count.begin(), count.end(), 0);
    for (const T& item : *from) ++count[(key(item) >> shift) & (kBuckets - 1)];
    if (count[(key((*from)[0]) >> shift) & (kBuckets - 1)] == n) continue;  // one digit: nothing moves
    uint32_t at = 0;
    for (uint32_t& c : count) at += std::exchange(c, at);
    for (T& item : *from) (*to)[count[(key(item) >> shift) & (kBuckets - 1)]++] = std::move(item);
    std::swap(from, to);
  }
  if (from != items) *items = std::move(*from);
}

}  // namespace lakestream
