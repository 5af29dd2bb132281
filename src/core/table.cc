#include "core/table.h"

#include <string>

namespace lakestream {
namespace {

bool ValueHasType(const Value& v, ColumnType type) {
  switch (type) {
    case ColumnType::kString: return std::holds_alternative<std::string>(v);
    case ColumnType::kInt64: return std::holds_alternative<int64_t>(v);
    case ColumnType::kDouble: return std::holds_alternative<double>(v);
    case ColumnType::kTimestamp: return std::holds_alternative<EventTime>(v);
  }
  return false;
}

}  // namespace

const char* ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kString: return "string";
    case ColumnType::kInt64: return "int64";
    case ColumnType::kDouble: return "double";
    case ColumnType::kTimestamp: return "timestamp";
  }
  return "?";
}

Status ValidateRow(const Schema& schema, RowView row) {
  // The usual case, once per row written, without a branch per column: each value NULL or
  // of its column's type (Value's alternatives follow ColumnType's order, after NULL).
  static_assert(std::variant_size_v<Value> == 5 && static_cast<int>(ColumnType::kTimestamp) == 3);
  if (row.size() == schema.columns.size()) {
    bool typed = true;
    for (size_t c = 0; c < row.size(); ++c) {
      const size_t i = row[c]->index();
      typed &= (i == 0) | (i == static_cast<size_t>(schema.columns[c].type) + 1);
    }
    if (typed) return Status::Ok();
  }
  if (row.size() != schema.columns.size()) {
    return Status::InvalidArgument("row has " + std::to_string(row.size()) +
                                   " values but the schema has " +
                                   std::to_string(schema.columns.size()) + " columns");
  }
  for (size_t c = 0; c < row.size(); ++c) {
    const Column& col = schema.columns[c];
    if (!std::holds_alternative<std::monostate>(*row[c]) && !ValueHasType(*row[c], col.type)) {
      return Status::InvalidArgument("column " + col.name + " (" + ColumnTypeName(col.type) +
                                     ") holds a value of another type");
    }
  }
  return Status::Ok();
}

}  // namespace lakestream
