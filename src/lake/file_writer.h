// Lake file writers: one interface, three formats.
//
//   kCsvGz     the seed's positional layout, read by the seed's warehouse BY POSITION:
//              header ",CA,UNIT,...", a leading unnamed row index (0,1,2,... per file),
//              then the schema's columns in order minus CsvOptions::omit_columns.
//   kParquet   through an in-memory DuckDB: appender into a table, COPY ... (FORMAT PARQUET).
//   kJsonLines one JSON object per line keyed by column name (dead letters: human-readable).
//
// A writer writes whole files. It does not fsync and does not choose names: the
// committer (committer.h) writes to hidden temp names, fsyncs and renames.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/table.h"

namespace lakestream::lake {

enum class FileFormat { kCsvGz, kParquet, kJsonLines };

// "csv.gz", "parquet", "jsonl": the final file name's extension (no dot).
std::string_view FileExtension(FileFormat format);
// "csv", "parquet", "jsonl" (the CLI's names); InvalidArgument otherwise.
Result<FileFormat> ParseFileFormat(std::string_view name);

struct CsvOptions {
  // Columns (by name) that only Parquet carries, e.g. WINDOW_START and WINDOW_END: the
  // seed's warehouse reads CSV columns by position, so CSV must keep the seed's columns.
  std::vector<std::string> omit_columns;
  // ISA-L igzip level 0..3. 1: the size of libdeflate's or zlib's level 1 at twice their
  // speed (compression was 45% of `process`'s CPU at zlib level 6).
  int gzip_level = 1;
};

struct ParquetOptions {
  std::string compression = "zstd";
};

// What to write: the schema every row matches, the format and its options.
struct FileSpec {
  Schema schema;
  FileFormat format = FileFormat::kCsvGz;
  CsvOptions csv;
  ParquetOptions parquet;
};

// Writes batches of rows of one schema to files. Not thread-safe: one per output and task.
class FileWriter {
 public:
  virtual ~FileWriter() = default;
  // Writes rows [begin, end) of `rows` to a new file at `path` (replacing any file there)
  // and closes it; it does not fsync. On error a partial file may be left at `path`: write
  // to temp names. Each row must match the schema (InvalidArgument naming row and column
  // otherwise).
  virtual Status WriteRows(const std::string& path, const RowSource& rows, size_t begin, size_t end) = 0;
  // The same for Row objects.
  Status WriteFile(const std::string& path, std::span<const Row> rows) {
    return WriteRows(path, RowSpanSource(rows), 0, rows.size());
  }
};

// Builds writers. The committer takes one so that tests can inject failing writers.
class WriterFactory {
 public:
  virtual ~WriterFactory() = default;
  virtual Result<std::unique_ptr<FileWriter>> MakeWriter(const FileSpec& spec) = 0;
};

// The real writers. One DuckDB database per Parquet writer object, reused for every file.
class DefaultWriterFactory : public WriterFactory {
 public:
  Result<std::unique_ptr<FileWriter>> MakeWriter(const FileSpec& spec) override;
};
// A process-wide DefaultWriterFactory.
WriterFactory* DefaultWriterFactoryInstance();

// The uncompressed CSV text the kCsvGz writer produces (header and rows); exposed for
// tests and tools. `keep` lists the schema's column indexes to write.
void AppendCsvHeader(const Schema& schema, const std::vector<size_t>& keep, std::string* out);
void AppendCsvRow(size_t index, RowView row, const std::vector<size_t>& keep, std::string* out);
// The same row written at `p`, which has room for CsvRowBound(row, keep) bytes; returns
// the end of what was written.
size_t CsvRowBound(RowView row, const std::vector<size_t>& keep);
char* PutCsvRow(char* p, size_t index, RowView row, const std::vector<size_t>& keep);
// The same with the index column's text given (a DecimalCounter's), at most 20 digits.
char* PutCsvRow(char* p, std::string_view index, RowView row, const std::vector<size_t>& keep);
// A row as one JSON object, keys = column names (the JSON-lines writer's line):
// timestamps "YYYY-MM-DD HH:MM:SS", NULL and non-finite doubles null.
void AppendJsonObject(const Schema& schema, RowView row, std::string* out);
// Formats a value as CSV text: int64 decimal, double shortest round-trip (a whole one
// with ".0"; infinities Inf and -Inf, any NaN NaN, as Spark's CSV reader takes them),
// timestamp "YYYY-MM-DD HH:MM:SS", NULL empty; strings as they are (unquoted).
// AppendValueText appends the same to *out; PutValueText writes it at `p`, which has room
// for kValueTextBound bytes, or for a string its size, and returns the end.
std::string FormatValueText(const Value& value);
void AppendValueText(const Value& value, std::string* out);
inline constexpr size_t kValueTextBound = 32;  // int64 20, shortest double 24, timestamp 19
char* PutValueText(char* p, const Value& value);

}  // namespace lakestream::lake
