// DuckDB's C API, loaded when first needed (dlopen) instead of linked.
//
// Linked, libduckdb made every start of the binary pay ~10 ms of relocation and
// initialisation (13.5 ms of `lakestream --version`, 2.8 ms without), while most commands
// never touch DuckDB: produce, topics,
// broker, and process into a CSV.gz lake. The Parquet writer and the warehouse load it
// through LoadDuckDb() before their first call; the functions are then reached as
// `Duck().duckdb_query(...)`, with the types and signatures of duckdb.h.
#pragma once

#include <duckdb.h>

#include "core/status.h"

namespace lakestream::lake {

// The C functions lakestream calls; a new one is added here once.
#define LS_DUCKDB_FUNCTIONS(X)                                                                       \
  X(duckdb_library_version)                                                                          \
  X(duckdb_create_config) X(duckdb_set_config) X(duckdb_destroy_config) X(duckdb_open_ext)           \
  X(duckdb_close) X(duckdb_connect) X(duckdb_disconnect) X(duckdb_free) X(duckdb_query)              \
  X(duckdb_result_error) X(duckdb_destroy_result) X(duckdb_column_count) X(duckdb_column_name)       \
  X(duckdb_column_type) X(duckdb_row_count) X(duckdb_value_is_null) X(duckdb_value_varchar)          \
  X(duckdb_appender_create) X(duckdb_appender_destroy) X(duckdb_appender_close)                      \
  X(duckdb_appender_end_row) X(duckdb_appender_error_data) X(duckdb_error_data_message)              \
  X(duckdb_destroy_error_data) X(duckdb_append_varchar_length) X(duckdb_append_double)               \
  X(duckdb_append_timestamp) X(duckdb_append_null) X(duckdb_append_int64)

struct DuckDbApi {
#define LS_DUCKDB_POINTER(name) decltype(&::name) name = nullptr;
  LS_DUCKDB_FUNCTIONS(LS_DUCKDB_POINTER)
#undef LS_DUCKDB_POINTER
};

// Loads libduckdb (once; thread-safe): LAKESTREAM_DUCKDB_LIBRARY if set, else the library
// CMake found (its absolute path), else libduckdb.so from the loader's usual places. The
// error names the library, what the loader said, and that scripts/setup.sh installs it.
Result<const DuckDbApi*> LoadDuckDb();

// The loaded API: only after LoadDuckDb succeeded (aborts otherwise: a programming error).
const DuckDbApi& Duck();

}  // namespace lakestream::lake
