#include "core/table.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace lakestream {
namespace {

TEST(Table, ValidateRowAcceptsNullOrTheColumnsTypeOnly) {
  const std::vector<std::pair<ColumnType, const char*>> types = {
      {ColumnType::kString, "string"}, {ColumnType::kInt64, "int64"}, {ColumnType::kDouble, "double"},
      {ColumnType::kTimestamp, "timestamp"}};
  const std::vector<Value> values = {std::monostate{}, std::string("x"), int64_t{1}, 1.5, EventTime{60}};
  for (size_t t = 0; t < types.size(); ++t) {
    for (size_t v = 0; v < values.size(); ++v) {
      // The checked column sits after a valid one, so the whole row is looked at.
      Schema schema{{Column{"A", ColumnType::kString}, Column{"B", types[t].first}}};
      Row row{std::string("a"), values[v]};
      Status st = ValidateRow(schema, ViewOf(row));
      const bool expected_ok = v == 0 || v == t + 1;
      EXPECT_EQ(st.ok(), expected_ok) << types[t].second << " column, value kind " << v;
      if (!expected_ok) {
        EXPECT_EQ(st.message(), std::string("column B (") + types[t].second + ") holds a value of another type");
      }
    }
  }
}

TEST(Table, ValidateRowChecksTheWidth) {
  Schema schema{{Column{"A", ColumnType::kString}, Column{"B", ColumnType::kInt64}}};
  Row row{std::string("a")};
  EXPECT_EQ(ValidateRow(schema, ViewOf(row)).message(), "row has 1 values but the schema has 2 columns");
}

TEST(Table, ARowSourceVouchesForNothingByDefault) {
  Schema schema{{Column{"A", ColumnType::kString}}};
  std::vector<Row> rows{{std::string("a")}};
  EXPECT_FALSE(RowSpanSource(rows).Fits(schema, 0, 1));
}

}  // namespace
}  // namespace lakestream
