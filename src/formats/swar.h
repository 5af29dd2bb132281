// Byte tests on 8 bytes at a time in a 64-bit word ("SWAR"), for the scans of the text
// formats (CSV quoting, JSON string literals).
#pragma once

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

}  // namespace lakestream::swar
