// Typed rows leaving the stream engine for the lake: the contract between stream/ and lake/.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/time.h"

namespace lakestream {

enum class ColumnType { kString, kInt64, kDouble, kTimestamp };

struct Column {
  std::string name;
  ColumnType type = ColumnType::kString;
  friend bool operator==(const Column&, const Column&) = default;
};

// monostate is SQL NULL.
using Value = std::variant<std::monostate, std::string, int64_t, double, EventTime>;
using Row = std::vector<Value>;

struct Schema {
  std::vector<Column> columns;
  friend bool operator==(const Schema&, const Schema&) = default;
};

}  // namespace lakestream
