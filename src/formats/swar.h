// Byte tests on 8 bytes at a time in a 64-bit word ("SWAR"), for the scans of the text
// formats (CSV quoting, JSON string literals), and short-text equality and copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace lakestream::swar {

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighs = 0x8080808080808080ULL;

// Non-zero iff some byte of `w` is `c` (c != 0): the classic zero-byte test on w ^ c...c,
// exact for "any" (the bit it sets may not mark the first such byte, which is not asked).
inline uint64_t HasByte(uint64_t w, char c) {
  const uint64_t v = w ^ (kOnes * static_cast<unsigned char>(c));
  return (v - kOnes) & ~v & kHighs;
}
// Non-zero iff some byte of `w` is below `n` (n <= 128), exact for "any" as above.
inline uint64_t HasLess(uint64_t w, unsigned char n) { return (w - kOnes * n) & ~w & kHighs; }

inline uint64_t Load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}
inline uint64_t Load32(const char* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

// a == b, short texts (up to 16 bytes, most table cells) without a call: two overlapping
// loads from each end.
[[gnu::always_inline]] inline bool SameText(const char* a, const char* b, size_t n) {
  if (n >= 8 && n <= 16) return Load64(a) == Load64(b) && Load64(a + n - 8) == Load64(b + n - 8);
  if (n >= 4 && n < 8) return Load32(a) == Load32(b) && Load32(a + n - 4) == Load32(b + n - 4);
  return std::memcmp(a, b, n) == 0;
}

// memcpy of n bytes, with the usual short texts (4 to 16 bytes) copied inline by two
// overlapping loads and stores instead of a call.
[[gnu::always_inline]] inline void CopyShort(char* dst, const char* src, size_t n) {
  if (n >= 8 && n <= 16) {
    const uint64_t a = Load64(src), b = Load64(src + n - 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    const auto a = static_cast<uint32_t>(Load32(src)), b = static_cast<uint32_t>(Load32(src + n - 4));
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else {
    std::memcpy(dst, src, n);
  }
}

}  // namespace lakestream::swar
