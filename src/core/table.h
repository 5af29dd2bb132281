// Typed rows leaving the stream engine for the lake: the contract between stream/ and lake/.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/status.h"
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

// "string", "int64", "double", "timestamp".
const char* ColumnTypeName(ColumnType type);

// One row seen through pointers to its values, without copying them: what writers read.
using RowView = std::span<const Value* const>;

// The addresses of a Row's values, to view it as a RowView.
inline std::vector<const Value*> ViewOf(const Row& row) {
  std::vector<const Value*> view;
  view.reserve(row.size());
  for (const Value& v : row) view.push_back(&v);
  return view;
}

// Rows a writer reads one at a time as RowViews, so that whoever produces them need not
// build Row objects (stream::ClosedRows builds each row's view from shared group values
// and accumulators). A view is valid only during the callback.
class RowSource {
 public:
  using RowFn = std::function<Status(size_t index, RowView row)>;
  virtual ~RowSource() = default;
  virtual size_t size() const = 0;
  // Calls fn for rows [begin, end) in order; returns the first non-OK status fn returns.
  virtual Status ForEach(size_t begin, size_t end, const RowFn& fn) const = 0;
  // True when every row in [begin, end) is known to fit `schema` (ValidateRow) without
  // looking at it, because of how the rows were made: writers then skip their check of
  // each row. By default nothing is known.
  virtual bool Fits(const Schema& /*schema*/, size_t /*begin*/, size_t /*end*/) const { return false; }
  // Columns whose values rows share, as the rows of one group of closed windows all show
  // the group's key values. Two rows with the same SharedTag (not null) have equal values
  // in every one of SharedColumns(); a null tag: the row shares nothing. Tags stay valid
  // while the source lives. A writer may render shared values once per tag instead of
  // once per row. By default nothing is shared.
  virtual std::span<const size_t> SharedColumns() const { return {}; }
  virtual const void* SharedTag(size_t /*index*/) const { return nullptr; }
};

// InvalidArgument unless `row` has one value per column, each NULL or of the column's type.
Status ValidateRow(const Schema& schema, RowView row);

// Row objects as a RowSource.
class RowSpanSource final : public RowSource {
 public:
  explicit RowSpanSource(std::span<const Row> rows) : rows_(rows) {}
  size_t size() const override { return rows_.size(); }
  Status ForEach(size_t begin, size_t end, const RowFn& fn) const override {
    for (size_t i = begin; i < end; ++i) LS_RETURN_NOT_OK(fn(i, ViewOf(rows_[i])));
    return Status::Ok();
  }

 private:
  std::span<const Row> rows_;
};

}  // namespace lakestream
