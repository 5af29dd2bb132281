#include "lake/duckdb_util.h"

namespace lakestream::lake {
namespace {

// A failed statement's error names DuckDB's reason first, then the statement's start: the
// whole text of a load's statement is kilobytes of file paths, which bury the reason.
std::string FailedSql(const char* what, const std::string& sql, const char* error) {
  constexpr size_t kShown = 80;
  const size_t start = std::min(sql.find_first_not_of(" \t\r\n"), sql.size());  // raw strings start with \n
  const std::string body = sql.substr(start);
  std::string head = body.substr(0, body.find('\n'));
  const bool cut = head.size() > kShown || head.size() < body.size();
  if (head.size() > kShown) head.resize(kShown);
  // An internal error carries DuckDB's stack trace (70 lines of its own frames): left out.
  std::string text = error ? error : "unknown error";
  if (size_t trace = text.find("Stack Trace:"); trace != std::string::npos) {
    text.resize(text.find_last_not_of(" \n", trace == 0 ? 0 : trace - 1) + 1);
  }
  return std::string(what) + ": " + text + " (in: " + head + (cut ? " ...)" : ")");
}

// DuckDB opens an existing .csv, .parquet or .json file as data in an in-memory database,
// where everything written would be lost at exit without a word (read-only, it refuses with
// "Cannot launch in-memory database in read-only mode").
Status NotADatabaseFile(const std::string& path) {
  return Status::InvalidArgument("'" + path + "' is not a DuckDB database file: DuckDB reads it as data, in memory, "
                                 "so nothing written would be kept");
}

}  // namespace

Result<std::unique_ptr<DuckDbConnection>> DuckDbConnection::Open(
    const std::string& path, const std::vector<std::pair<std::string, std::string>>& settings) {
  LS_RETURN_NOT_OK(LoadDuckDb().status());
  duckdb_config config = nullptr;
  if (Duck().duckdb_create_config(&config) != DuckDBSuccess) {
    return Status::Internal("cannot create a DuckDB configuration");
  }
  struct ConfigGuard {
    duckdb_config* c;
    ~ConfigGuard() { Duck().duckdb_destroy_config(c); }
  } guard{&config};
  // Nothing from the network: lakestream needs only what libduckdb holds (Parquet, CSV).
  std::vector<std::pair<std::string, std::string>> all = {{"autoinstall_known_extensions", "false"}};
  all.insert(all.end(), settings.begin(), settings.end());
  for (const auto& [name, value] : all) {
    if (Duck().duckdb_set_config(config, name.c_str(), value.c_str()) != DuckDBSuccess) {
      return Status::InvalidArgument("DuckDB rejected setting " + name + "=" + value);
    }
  }
  std::unique_ptr<DuckDbConnection> c(new DuckDbConnection());
  c->db_.reset(new duckdb_database(nullptr));
  char* error = nullptr;
  const char* where = path.empty() ? nullptr : path.c_str();
  if (Duck().duckdb_open_ext(where, c->db_.get(), config, &error) != DuckDBSuccess) {
    std::string msg = error ? error : "unknown error";
    Duck().duckdb_free(error);
    if (!path.empty() && msg.find("in-memory database in read-only mode") != std::string::npos) {
      return NotADatabaseFile(path);
    }
    if (msg.find("it is not a valid DuckDB database file") != std::string::npos) {
      // Another file under that name: the command line is what is wrong (exit 2).
      return Status::InvalidArgument("cannot open DuckDB database '" + path + "': " + msg);
    }
    return Status::IoError("cannot open DuckDB database '" + (path.empty() ? ":memory:" : path) +
                           "': " + msg);
  }
  c->conn_.reset(new duckdb_connection(nullptr));
  if (Duck().duckdb_connect(*c->db_, c->conn_.get()) != DuckDBSuccess) {
    return Status::Internal("cannot connect to DuckDB database '" +
                            (path.empty() ? ":memory:" : path) + "'");
  }
  if (!path.empty()) {
    auto where_stored = c->Query(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()");
    if (!where_stored.ok()) return where_stored.status();
    if (where_stored->rows.empty() || !where_stored->rows[0][0]) {
      return NotADatabaseFile(path);
    }
  }
  return c;
}

Status DuckDbConnection::Execute(const std::string& sql) {
  DuckDbResult result;
  if (Duck().duckdb_query(*conn_, sql.c_str(), result.get()) != DuckDBSuccess) {
    const char* e = Duck().duckdb_result_error(result.get());
    return Status::IoError(FailedSql("DuckDB statement failed", sql, e));
  }
  return Status::Ok();
}

Result<QueryTable> DuckDbConnection::Query(const std::string& sql) {
  DuckDbResult result;
  if (Duck().duckdb_query(*conn_, sql.c_str(), result.get()) != DuckDBSuccess) {
    const char* e = Duck().duckdb_result_error(result.get());
    return Status::IoError(FailedSql("DuckDB query failed", sql, e));
  }
  QueryTable table;
  idx_t cols = Duck().duckdb_column_count(result.get());
  for (idx_t c = 0; c < cols; ++c) {
    table.names.emplace_back(Duck().duckdb_column_name(result.get(), c));
    table.types.push_back(Duck().duckdb_column_type(result.get(), c));
  }
  idx_t rows = Duck().duckdb_row_count(result.get());
  for (idx_t r = 0; r < rows; ++r) {
    auto& row = table.rows.emplace_back();
    for (idx_t c = 0; c < cols; ++c) {
      if (Duck().duckdb_value_is_null(result.get(), c, r)) {
        row.emplace_back(std::nullopt);
        continue;
      }
      char* text = Duck().duckdb_value_varchar(result.get(), c, r);
      row.emplace_back(text ? std::string(text) : std::string());
      Duck().duckdb_free(text);
    }
  }
  return table;
}

std::string SqlStringLiteral(std::string_view text) {
  std::string out = "'";
  for (char ch : text) {
    if (ch == '\'') out.push_back('\'');
    out.push_back(ch);
  }
  out.push_back('\'');
  return out;
}

std::string SqlIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char ch : name) {
    if (ch == '"') out.push_back('"');
    out.push_back(ch);
  }
  out.push_back('"');
  return out;
}

}  // namespace lakestream::lake
