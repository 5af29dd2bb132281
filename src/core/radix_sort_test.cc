#include "core/radix_sort.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace lakestream {
namespace {

struct Item {
  uint64_t key;
  uint32_t id;  // position before sorting: shows stability
  bool operator==(const Item&) const = default;
};

std::vector<Item> Items(const std::vector<uint64_t>& keys) {
  std::vector<Item> items;
  for (uint32_t i = 0; i < keys.size(); ++i) items.push_back({keys[i], i});
  return items;
}

TEST(RadixSort, Table) {
  struct Case {
    std::string name;
    std::vector<uint64_t> keys;
    std::vector<uint32_t> expected_ids;  // in sorted order
  };
  const uint64_t kMax = ~uint64_t{0};
  const std::vector<Case> cases = {
      {"empty", {}, {}},
      {"one", {7}, {0}},
      {"sorted", {1, 2, 3}, {0, 1, 2}},
      {"reversed", {3, 2, 1}, {2, 1, 0}},
      {"ties keep their order", {5, 1, 5, 1, 5}, {1, 3, 0, 2, 4}},
      {"all equal (every pass skipped)", {9, 9, 9}, {0, 1, 2}},
      {"each 16-bit digit decides", {uint64_t{1} << 48, uint64_t{1} << 32, uint64_t{1} << 16, 1, 0}, {4, 3, 2, 1, 0}},
      {"each 11-bit digit decides", {uint64_t{1} << 55, uint64_t{1} << 44, uint64_t{1} << 33, uint64_t{1} << 22, uint64_t{1} << 11, 1, 0}, {6, 5, 4, 3, 2, 1, 0}},
      {"all zero", {0, 0, 0}, {0, 1, 2}},
      {"the top digit only (bits 55..63)", {uint64_t{3} << 62, uint64_t{1} << 62, uint64_t{1} << 55}, {2, 1, 0}},
      {"top bits", {kMax, 0, kMax - 1, uint64_t{1} << 63}, {1, 3, 2, 0}},
      {"low digits equal, high differ", {0x20000, 0x10000, 0x30000}, {1, 0, 2}},
  };
  for (const Case& c : cases) {
    std::vector<Item> items = Items(c.keys);
    RadixSort(&items, [](const Item& i) { return i.key; });
    std::vector<uint32_t> ids;
    for (const Item& i : items) ids.push_back(i.id);
    EXPECT_EQ(ids, c.expected_ids) << c.name;
  }
}

TEST(RadixSort, SameAsStableSortOnRandomKeys) {
  std::mt19937_64 rng(42);
  for (uint64_t range : {uint64_t{10}, uint64_t{1} << 20, uint64_t{1} << 40, ~uint64_t{0}}) {
    std::vector<uint64_t> keys(50000);
    for (auto& k : keys) k = range == ~uint64_t{0} ? rng() : rng() % range;
    std::vector<Item> got = Items(keys);
    std::vector<Item> want = got;
    RadixSort(&got, [](const Item& i) { return i.key; });
    std::stable_sort(want.begin(), want.end(), [](const Item& a, const Item& b) { return a.key < b.key; });
    EXPECT_TRUE(got == want) << "range " << range;
  }
}

}  // namespace
}  // namespace lakestream
