// RAII owners for DuckDB C API handles, and a small in-process connection wrapper.
//
// Used by the Parquet writer (and by lake tests to read files back). Not thread-safe:
// one DuckDbConnection per thread.
#pragma once


#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "lake/duckdb_api.h"

namespace lakestream::lake {

struct DuckDbDatabaseCloser {
  void operator()(duckdb_database* db) const {
    Duck().duckdb_close(db);
    delete db;
  }
};
struct DuckDbConnectionCloser {
  void operator()(duckdb_connection* c) const {
    Duck().duckdb_disconnect(c);
    delete c;
  }
};
struct DuckDbAppenderCloser {
  void operator()(duckdb_appender* a) const {
    Duck().duckdb_appender_destroy(a);
    delete a;
  }
};

// A destroyed-on-scope-exit duckdb_result.
class DuckDbResult {
 public:
  DuckDbResult() = default;
  DuckDbResult(const DuckDbResult&) = delete;
  DuckDbResult& operator=(const DuckDbResult&) = delete;
  ~DuckDbResult() { Duck().duckdb_destroy_result(&result_); }
  duckdb_result* get() { return &result_; }

 private:
  duckdb_result result_{};
};

// Text of a query result, for tests and small metadata queries. NULL is nullopt.
struct QueryTable {
  std::vector<std::string> names;
  std::vector<duckdb_type> types;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

// One DuckDB database (in memory unless `path` is given) with one connection.
class DuckDbConnection {
 public:
  // `settings` are passed to duckdb_set_config, e.g. {{"threads", "1"}}.
  static Result<std::unique_ptr<DuckDbConnection>> Open(
      const std::string& path = "",
      const std::vector<std::pair<std::string, std::string>>& settings = {});

  // Runs a statement; the error names the statement and DuckDB's message.
  Status Execute(const std::string& sql);
  Result<QueryTable> Query(const std::string& sql);

  duckdb_connection handle() const { return *conn_; }

 private:
  DuckDbConnection() = default;
  // Declared first so it is destroyed last.
  std::unique_ptr<duckdb_database, DuckDbDatabaseCloser> db_;
  std::unique_ptr<duckdb_connection, DuckDbConnectionCloser> conn_;
};

// 'it''s' : a SQL string literal.
std::string SqlStringLiteral(std::string_view text);
// "col" : a SQL identifier.
std::string SqlIdentifier(std::string_view name);

}  // namespace lakestream::lake
