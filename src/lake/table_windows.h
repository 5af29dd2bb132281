// The windows a lake table holds, marked in the table's folder by the jobs that write it:
//
//   <lake root>/<table>/_windows/<size>s-<slide>s      (empty files)
//
// `load` reads them: a table of hopping windows (slide < size) holds each record in several
// windows, so the warehouse's sums would count it that many times. The marks are names, not
// contents, so several jobs (a consumer group, other topics) mark a table without reading
// or rewriting each other's files. A lake written before the marks has none: nothing is
// known then, and nothing is refused. '_' folders are skipped by readers (Spark, pandas,
// pyarrow) and by `load`'s listing; DuckDB's `*` matches them, so readers glob by extension.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace lakestream::lake {

inline constexpr std::string_view kWindowsDir = "_windows";

struct TableWindow {
  int64_t size = 0;   // seconds
  int64_t slide = 0;  // seconds
  bool hopping() const { return slide < size; }
  friend bool operator==(const TableWindow&, const TableWindow&) = default;
};

// Marks `table` (a folder under `lake_root`) as holding `window`; a no-op when marked already.
Status MarkTableWindow(const std::string& lake_root, const std::string& table, TableWindow window);

// The windows marked on `table`, by size then slide; empty when none is (or no such table).
// Entries that are not marks are ignored.
Result<std::vector<TableWindow>> TableWindows(const std::string& lake_root, const std::string& table);

}  // namespace lakestream::lake
