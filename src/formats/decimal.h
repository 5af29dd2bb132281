// Decimal digits without std::from_chars's overflow check at every digit, for the counters
// of MTA files and the integer fields of records (~40 instead of ~120 instructions for a
// 7-digit number).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace lakestream {

// The most digits ParseShortDigits takes: 10^18 - 1 fits in a uint64_t (and an int64_t).
inline constexpr size_t kMaxShortDigits = 18;

// The whole of `s` as decimal digits only (no sign, no spaces), 1 to kMaxShortDigits of
// them; false otherwise.
inline bool ParseShortDigits(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > kMaxShortDigits) return false;
  uint64_t v = 0;
  for (const char c : s) {
    const auto d = static_cast<unsigned>(static_cast<unsigned char>(c) - '0');
    if (d > 9) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

// `value` in decimal at `p`, which has room for 20 bytes, exactly as std::to_chars writes
// it; returns the end. Inline, and two digits a step from a table: the lake writes two
// integers a row (~60 instructions each where to_chars and its call took ~110).
inline char* PutDecimal(char* p, int64_t value) {
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  uint64_t v = static_cast<uint64_t>(value);
  if (value < 0) {
    *p++ = '-';
    v = 0 - v;  // INT64_MIN too: its magnitude fits a uint64_t
  }
  // Digits: log10 from the bit width (1233 / 4096 ~ log10(2)), corrected by one compare.
  static constexpr uint64_t kPow10[] = {1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
                                        10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
                                        100000000000ull, 1000000000000ull, 10000000000000ull,
                                        100000000000000ull, 1000000000000000ull, 10000000000000000ull,
                                        100000000000000000ull, 1000000000000000000ull,
                                        10000000000000000000ull};
  const uint64_t u = v | 1;  // 0 has one digit, as 1 has
  const auto t = static_cast<size_t>((std::bit_width(u) * 1233) >> 12);
  const size_t n = t + (u >= kPow10[t] ? 1 : 0);
  char* const end = p + n;
  char* q = end;
  while (v >= 100) {
    q -= 2;
    std::memcpy(q, kPairs + 2 * (v % 100), 2);
    v /= 100;
  }
  if (v >= 10) {
    q -= 2;
    std::memcpy(q, kPairs + 2 * v, 2);
  } else {
    *--q = static_cast<char>('0' + v);
  }
  return end;
}

// A count from 0 kept as its decimal text and counted up in place: the row numbers of a
// CSV file (0, 1, 2, ...), ~5 instructions a row where to_chars took ~70.
class DecimalCounter {
 public:
  DecimalCounter() { std::memset(digits_, '0', kMax); }
  std::string_view text() const { return {digits_ + kMax - len_, len_}; }
  void Increment() {
    for (size_t i = kMax; i-- > 0;) {
      if (digits_[i] != '9') {
        ++digits_[i];
        if (kMax - i > len_) len_ = kMax - i;
        return;
      }
      digits_[i] = '0';
    }
  }

 private:
  static constexpr size_t kMax = 20;  // UINT64_MAX has 20 digits
  char digits_[kMax];
  size_t len_ = 1;
};

}  // namespace lakestream
