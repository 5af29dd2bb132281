#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "stream/aggregation.h"
#include "stream/decoder.h"

namespace lakestream::stream {
namespace {

Row Values(int i) { return Row{std::string("g") + std::to_string(i)}; }
std::string Key(int i) { return "k" + std::to_string(i); }

TEST(GroupTable, ReleasedGroupStaysFindableWithItsIdUntilEvicted) {
  GroupTable t;
  const uint32_t a = t.Add(Key(1), Values(1));
  t.AddRef(a);
  EXPECT_EQ(t.size(), 1u);
  t.Release(a);
  EXPECT_EQ(t.size(), 0u);  // in use by no window
  EXPECT_EQ(t.idle(), 1u);
  EXPECT_FALSE(t.in_use(a));
  EXPECT_EQ(t.Find(Key(1)), a);  // revived without re-interning
  t.AddRef(a);
  EXPECT_TRUE(t.in_use(a));
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.idle(), 0u);
  EXPECT_EQ(t.values(a), Values(1));
}

TEST(GroupTable, RefsCountEveryWindowUsingTheGroup) {
  GroupTable t;
  const uint32_t a = t.Add(Key(1), Values(1));
  t.AddRef(a);
  t.AddRef(a);  // a second (hopping) window
  t.Release(a);
  EXPECT_TRUE(t.in_use(a));
  EXPECT_EQ(t.refs(a), 1u);
  t.Release(a);
  EXPECT_FALSE(t.in_use(a));
}

TEST(GroupTable, MoreThanMaxIdleEvictsEveryIdleGroupAndReusesTheirIds) {
  GroupTable t;
  const int n = static_cast<int>(GroupTable::kMaxIdle) + 1;
  const uint32_t kept = t.Add(Key(-1), Values(-1));
  t.AddRef(kept);
  for (int i = 0; i < n; ++i) {
    const uint32_t id = t.Add(Key(i), Values(i));
    t.AddRef(id);
    t.Release(id);
    // Up to kMaxIdle idle groups are kept; the next release evicts them all.
    EXPECT_EQ(t.idle(), i + 1 < n ? static_cast<size_t>(i + 1) : 0u) << i;
  }
  EXPECT_EQ(t.Find(Key(0)), GroupTable::kNone);
  EXPECT_EQ(t.Find(Key(n - 1)), GroupTable::kNone);
  EXPECT_EQ(t.Find(Key(-1)), kept);  // in use: never evicted
  EXPECT_EQ(t.size(), 1u);
  const uint32_t again = t.Add(Key(0), Values(0));
  EXPECT_LT(again, t.id_limit());  // a freed id, no growth
  EXPECT_EQ(t.id_limit(), static_cast<size_t>(n) + 1);
}

std::string SortKey(const Row& row) {
  std::string k;
  for (const Value& v : row) AppendSortKeyPart(&k, v);
  return k;
}

TEST(SortKey, OrdersRowsAsTheirValuesDo) {
  using S = std::string;
  const std::string nul("a\0b", 3);
  // Each list is in ascending Value order; rows are single values or pairs.
  const std::vector<std::vector<Row>> ascending = {
      {{std::monostate{}}, {S("")}, {S("a")}, {nul}, {S("a\x01")}, {S("ab")}, {S("b")}, {S("\xC3\xA9")}},
      {{std::monostate{}}, {int64_t{INT64_MIN}}, {int64_t{-1}}, {int64_t{0}}, {int64_t{1}}, {int64_t{INT64_MAX}}},
      {{std::monostate{}}, {-1e300}, {-1.5}, {-0.0}, {1e-300}, {2.5}, {1e300}},
      {{std::monostate{}}, {EventTime{-86400}}, {EventTime{0}}, {EventTime{1721606400}}},
      // A shorter string then anything sorts before a longer one with the same start.
      {{S("a"), S("z")}, {S("ab"), S("a")}, {S("b"), std::monostate{}}, {S("b"), S("")}},
  };
  for (const auto& list : ascending) {
    for (size_t i = 0; i < list.size(); ++i) {
      for (size_t j = 0; j < list.size(); ++j) {
        const bool values_less = list[i] < list[j];
        EXPECT_EQ(values_less, i < j) << "list order " << i << " " << j;  // the table itself
        EXPECT_EQ(SortKey(list[i]) < SortKey(list[j]), values_less) << i << " vs " << j;
      }
    }
  }
  // -0.0 and 0.0 are one group: one key.
  EXPECT_EQ(SortKey({-0.0}), SortKey({0.0}));
}

TEST(KeyEncoding, DecodedFieldsAndValuesGiveTheSameBytes) {
  // A group's key is built from decoded fields (EncodeKey) and, after a restore, from its
  // Values (AppendKeyPart): the bytes must be the same, or restored groups would split.
  const std::string with_nul("a\0b", 3);
  struct Case {
    ColumnType type;
    FieldValue field;
    Value value;
  };
  const std::vector<Case> cases = {
      {ColumnType::kString, {false, "59 ST", 0, 0}, std::string("59 ST")},
      {ColumnType::kString, {false, "", 0, 0}, std::string("")},
      {ColumnType::kString, {false, with_nul, 0, 0}, with_nul},
      {ColumnType::kString, {true, "", 0, 0}, std::monostate{}},
      {ColumnType::kInt64, {false, "", INT64_MIN, 0}, int64_t{INT64_MIN}},
      {ColumnType::kInt64, {false, "", 42, 0}, int64_t{42}},
      {ColumnType::kDouble, {false, "", 0, -0.0}, 0.0},  // -0.0 and 0.0: one group
      {ColumnType::kDouble, {false, "", 0, 2.5}, 2.5},
      {ColumnType::kTimestamp, {false, "", 1721642410, 0}, EventTime{1721642410}},
      {ColumnType::kTimestamp, {true, "", 0, 0}, std::monostate{}},
  };
  std::vector<FieldValue> fields;
  std::vector<size_t> indexes;
  std::vector<ColumnType> types;
  std::string all_values;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    std::string buffer, from_value;
    const std::string from_field(EncodeKey({c.field}, {0}, {c.type}, &buffer));
    AppendKeyPart(&from_value, c.value);
    EXPECT_EQ(from_field, from_value) << "case " << i;
    std::string appended = "prefix";
    AppendKeyPart(&appended, c.type, c.field);
    EXPECT_EQ(appended, "prefix" + from_value) << "case " << i;
    fields.push_back(c.field);
    indexes.insert(indexes.begin(), i);  // encoded in reverse order: indexes matter
    types.insert(types.begin(), c.type);
    all_values = from_value + all_values;
  }
  // Into a buffer too small at first and then holding a longer key: it grows, and only
  // the key's bytes count.
  std::string buffer(3, 'x');
  EXPECT_EQ(EncodeKey(fields, indexes, types, &buffer), all_values);
  buffer.assign(4096, 'x');
  EXPECT_EQ(EncodeKey(fields, indexes, types, &buffer), all_values);
}

// Every pair of interned groups: rank order == sort-key order.
void ExpectRanksFollowKeys(const GroupTable& t) {
  std::vector<std::pair<std::string, uint64_t>> by_key;
  for (uint32_t id = 0; id < t.id_limit(); ++id) {
    if (t.interned(id)) by_key.emplace_back(t.sort_key(id), t.rank(id));
  }
  ASSERT_FALSE(by_key.empty());
  std::sort(by_key.begin(), by_key.end());
  for (size_t i = 1; i < by_key.size(); ++i) {
    ASSERT_LT(by_key[i - 1].second, by_key[i].second) << "at " << i << " of " << by_key.size();
  }
}

TEST(GroupRank, OrdersGroupsAsTheirValuesDo) {
  // Groups sort by rank in EmitWindow. Orders of arrival: ascending (appends), descending
  // (a new first each time), alternating ends, and one gap filled again and again (uses up
  // the room between two neighbours: every rank is spread out again).
  auto row = [](int i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "k%08d", i);
    return Row{std::string(buf)};
  };
  std::vector<int> ascending, descending, alternating, one_gap;
  for (int i = 0; i < 300; ++i) {
    ascending.push_back(i);
    descending.push_back(1000 - i);
    alternating.push_back(i % 2 == 0 ? i : 100000 - i);
  }
  one_gap = {0, 1000000};
  for (int i = 1; i < 200; ++i) one_gap.push_back(1000000 / (i + 1));  // always just above 0
  for (const auto& [name, order] : std::vector<std::pair<const char*, std::vector<int>>>{
           {"ascending", ascending}, {"descending", descending}, {"alternating", alternating}, {"one gap", one_gap}}) {
    SCOPED_TRACE(name);
    GroupTable t;
    for (int i : order) {
      t.AddRef(t.Add(Key(i), row(i)));
      ExpectRanksFollowKeys(t);  // after every add: a respread can hide an earlier clash
    }
  }
}

TEST(GroupRank, StaysInOrderThroughEvictionsAndReuse) {
  std::mt19937 rng(7);
  GroupTable t;
  std::vector<uint32_t> in_use;
  for (int round = 0; round < 40000; ++round) {
    const int i = static_cast<int>(rng() % 100000);
    const std::string key = Key(i);
    uint32_t id = t.Find(key);
    if (id == GroupTable::kNone) id = t.Add(key, Row{std::string("v") + std::to_string(i)});
    t.AddRef(id);
    in_use.push_back(id);
    if (in_use.size() > 500) {  // release the oldest: idle groups pile up and get evicted
      t.Release(in_use.front());
      in_use.erase(in_use.begin());
    }
  }
  ExpectRanksFollowKeys(t);
}

}  // namespace
}  // namespace lakestream::stream
