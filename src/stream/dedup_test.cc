#include "stream/dedup.h"

#include <gtest/gtest.h>

#include <string>

namespace lakestream::stream {
namespace {

Fingerprint Key(int i) { return FingerprintOf("key-" + std::to_string(i)); }

TEST(DedupSet, DuplicateWithinHorizonThenForgottenBelowWatermark) {
  DedupSet d;
  EXPECT_TRUE(d.Insert(Key(1), 100, INT64_MIN));
  EXPECT_FALSE(d.Insert(Key(1), 100, 50));
  EXPECT_FALSE(d.Insert(Key(1), 180, 100));  // first time 100 >= watermark 100: still a duplicate
  EXPECT_TRUE(d.Insert(Key(2), 100, 100));
  EXPECT_TRUE(d.Insert(Key(1), 200, 101));   // 100 < 101: forgotten, accepted again at 200
  EXPECT_FALSE(d.Insert(Key(1), 200, 150));  // and remembered at 200
  EXPECT_EQ(d.size(), 2u);
}

TEST(DedupSet, EvictBelowDropsOnlyExpired) {
  DedupSet d;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(d.Insert(Key(i), i * 10, 0));
  EXPECT_EQ(d.EvictBelow(45), 5u);  // times 0..40
  EXPECT_EQ(d.size(), 5u);
  EXPECT_FALSE(d.Insert(Key(5), 50, 45));
  EXPECT_TRUE(d.Insert(Key(4), 60, 45));
}

TEST(DedupSet, SweepsBeforeGrowingSoMemoryFollowsLiveKeys) {
  DedupSet d;
  // 1,000,000 distinct keys, one per second, horizon 100 s: at most ~100 live.
  for (int i = 0; i < 1000000; ++i) ASSERT_TRUE(d.Insert(Key(i), i, i - 100));
  EXPECT_LE(d.capacity(), 1024u);
  EXPECT_LE(d.size(), 512u);
  // The last 100 are still duplicates.
  for (int i = 999900; i < 1000000; ++i) EXPECT_FALSE(d.Insert(Key(i), i, 999899)) << i;
}

TEST(DedupSet, GrowsWhenKeysAreLive) {
  DedupSet d;
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(d.Insert(Key(i), 1000, 0));
  EXPECT_EQ(d.size(), 5000u);
  EXPECT_GE(d.capacity(), 10000u);
  for (int i = 0; i < 5000; ++i) EXPECT_FALSE(d.Insert(Key(i), 1000, 0));
}

// Probing compares a 2-byte tag (the fingerprint's top 16 bits, low bit forced to 1)
// before the whole fingerprint: keys that share an index, a tag or both are still told
// apart by all 128 bits.
TEST(DedupSet, KeysSharingIndexAndTagAreDistinct) {
  const uint64_t top = uint64_t{0xABCD} << 48;
  const uint64_t even_top = uint64_t{0xABCC} << 48;  // the same tag as `top`
  struct Case {
    const char* what;
    Fingerprint a, b;
  } cases[] = {
      {"same index, same tag, high differs below the tag", {7, top | 1}, {7, top | 2}},
      {"same index, tags equal only after the forced low bit", {7, even_top}, {7, top}},
      {"same tag, index differs only above the mask", {7, top}, {7 + (uint64_t{1} << 40), top}},
      {"same high, low differs", {7, top}, {8, top}},
  };
  for (const Case& c : cases) {
    DedupSet d;
    EXPECT_TRUE(d.Insert(c.a, 100, 0)) << c.what;
    EXPECT_TRUE(d.Insert(c.b, 100, 0)) << c.what;
    EXPECT_FALSE(d.Insert(c.a, 100, 0)) << c.what;
    EXPECT_FALSE(d.Insert(c.b, 100, 0)) << c.what;
    EXPECT_EQ(d.size(), 2u) << c.what;
    // The same after a sweep moves them (Rebuild re-places by index and tag).
    EXPECT_EQ(d.EvictBelow(50), 0u) << c.what;
    EXPECT_FALSE(d.Insert(c.a, 100, 0)) << c.what;
    EXPECT_FALSE(d.Insert(c.b, 100, 0)) << c.what;
  }
}

TEST(DedupSet, SaveWritesLiveKeysOnly) {
  DedupSet d;
  ASSERT_TRUE(d.Insert(Key(1), 10, 0));
  ASSERT_TRUE(d.Insert(Key(2), 20, 0));
  ASSERT_TRUE(d.Insert(Key(3), 30, 0));
  ByteWriter w;
  d.Save(w, 20);
  std::string bytes = w.Take();
  EXPECT_EQ(bytes.size(), 8u + 2 * 24);
  DedupSet back;
  ByteReader r(bytes);
  ASSERT_TRUE(back.Load(r).ok());
  EXPECT_EQ(back.size(), 2u);
  EXPECT_TRUE(back.Insert(Key(1), 10, 0));
  EXPECT_FALSE(back.Insert(Key(2), 20, 0));
  EXPECT_FALSE(back.Insert(Key(3), 30, 0));
}

TEST(Fingerprint, DependsOnEveryByte) {
  EXPECT_EQ(FingerprintOf("abc"), FingerprintOf("abc"));
  EXPECT_FALSE(FingerprintOf("abc") == FingerprintOf("abd"));
}

}  // namespace
}  // namespace lakestream::stream
