#include "lake/file_writer.h"

#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/time.h"
#include "formats/csv.h"
#include "formats/decimal.h"
#include "formats/json_string.h"
#include "lake/duckdb_util.h"
#include "lake/fs_util.h"

namespace lakestream::lake {
namespace {

// ValidateRow with the row's index in the file and the path in the message.
Status ValidateRowAt(const Schema& schema, RowView row, size_t index, const std::string& path) {
  Status st = ValidateRow(schema, row);
  if (st.ok()) return st;
  return Status::InvalidArgument("row " + std::to_string(index) + " for '" + path + "': " + st.message());
}

// Every row of [begin, end) before anything is written (writers that cannot validate
// while formatting), unless the source knows they fit.
Status ValidateRows(const Schema& schema, const RowSource& rows, size_t begin, size_t end, const std::string& path) {
  if (rows.Fits(schema, begin, end)) return Status::Ok();
  return rows.ForEach(begin, end, [&](size_t i, RowView row) { return ValidateRowAt(schema, row, i - begin, path); });
}

// ---------------------------------------------------------------- CSV.gz

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

// One gzip member written as it is fed, with Intel ISA-L's igzip: at its level 1 it
// compressed this lake's CSV at 730 MB/s where libdeflate's level 1 did 335 MB/s and zlib's
// less, for the same size (18.5% of the text). The header carries no name and no time,
// so equal text gives equal bytes.
class GzipStream {
 public:
  explicit GzipStream(int level) : buffers_(ThreadBuffers()) {
    buffers_.level_buf.resize(std::max(buffers_.level_buf.size(), LevelBufSize(level)));
    // Zeroed for every file: igzip does not clear all of its hash state, and a previous
    // file's would change the bytes (equal text must give equal bytes).
    std::fill(buffers_.level_buf.begin(), buffers_.level_buf.end(), uint8_t{0});
    isal_deflate_init(&z_);
    z_.gzip_flag = IGZIP_GZIP;
    z_.level = static_cast<uint32_t>(level);
    z_.level_buf = buffers_.level_buf.data();
    z_.level_buf_size = static_cast<uint32_t>(buffers_.level_buf.size());
  }

  // Compresses `text` (the end of the stream if `last`) and writes what comes out.
  Status Write(FILE* f, const std::string& path, std::string_view text, bool last) {
    std::vector<uint8_t>& out = buffers_.out;
    z_.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(text.data()));
    z_.avail_in = static_cast<uint32_t>(text.size());
    z_.end_of_stream = last ? 1 : 0;
    z_.flush = NO_FLUSH;
    while (true) {
      z_.next_out = out.data();
      z_.avail_out = static_cast<uint32_t>(out.size());
      const int rc = isal_deflate(&z_);
      if (rc != COMP_OK) return Status::Internal("gzip compression of '" + path + "' failed (ISA-L error " + std::to_string(rc) + ")");
      const size_t n = out.size() - z_.avail_out;
      if (n > 0 && std::fwrite(out.data(), 1, n, f) != n) return Status::FromErrno(errno, "write", path);
      if (last ? z_.internal_state.state == ZSTATE_END : (z_.avail_in == 0 && z_.avail_out != 0)) return Status::Ok();
    }
  }

 private:
  // igzip's work buffers, kept per thread: a commit writes hundreds of files, and fresh
  // buffers for each were ~0.4 MB zeroed and faulted in every time. So at most one
  // GzipStream may be alive per thread (WriteRows makes one per file).
  struct Buffers {
    std::vector<uint8_t> level_buf;
    std::vector<uint8_t> out = std::vector<uint8_t>(size_t{1} << 18);
  };
  static Buffers& ThreadBuffers() {
    thread_local Buffers buffers;
    return buffers;
  }
  static size_t LevelBufSize(int level) {
    switch (level) {
      case 0: return ISAL_DEF_LVL0_DEFAULT;
      case 1: return ISAL_DEF_LVL1_DEFAULT;
      case 2: return ISAL_DEF_LVL2_DEFAULT;
      default: return ISAL_DEF_LVL3_DEFAULT;
    }
  }

  Buffers& buffers_;
  isal_zstream z_{};
};

// One CSV cell at `p`, which has room for CsvCellBound(v) bytes: a string quoted only
// where it needs it, an integer inline (the aggregates of most rows), anything else as
// PutValueText writes it. Every CSV row and shared run is written through these two.
size_t CsvCellBound(const Value& v) {
  const auto* str = std::get_if<std::string>(&v);
  return str != nullptr ? CsvFieldBound(str->size()) : kValueTextBound;
}
//
// NULL is an empty cell and an empty string is "" (as Spark writes them), so a NULL group
// value and an empty one stay two visible keys. (DuckDB reads "" as NULL unless told
// allow_quoted_nulls = false.)
[[gnu::always_inline]] inline char* PutCsvCell(char* p, const Value& v) {
  if (const auto* str = std::get_if<std::string>(&v)) {
    if (str->empty()) {
      p[0] = '"';
      p[1] = '"';
      return p + 2;
    }
    return PutCsvField(p, *str);
  }
  if (const auto* i = std::get_if<int64_t>(&v)) return PutDecimal(p, *i);
  return PutValueText(p, v);
}

// The CSV text of a source's shared columns (RowSource::SharedColumns), rendered once per
// tag: a file of closed windows shows each group's key in every row of the group, and
// copying its text is cheaper than rendering each field again (on the turnstile lake, a
// row's group columns were ~40% of its formatting). The kept columns are cut into
// segments: a run of shared columns next to each other in the file (rendered as one text,
// commas inside), or one column of its own.
class SharedCsvText {
 public:
  SharedCsvText(std::span<const size_t> shared, const std::vector<size_t>& keep) {
    for (size_t c : keep) {
      const bool is_shared = std::find(shared.begin(), shared.end(), c) != shared.end();
      if (is_shared && !segments_.empty() && segments_.back().run >= 0) {
        segments_.back().columns.push_back(c);
        continue;
      }
      segments_.push_back(Segment{is_shared ? runs_++ : -1, {c}});
    }
  }
  bool active() const { return runs_ > 0; }

  // The texts of `tag`'s runs (rendered from `row` the first time the tag is seen).
  const uint32_t* Texts(const void* tag, RowView row) {
    if (2 * (entries_ + 1) > slots_.size()) Grow();
    const size_t mask = slots_.size() - 1;
    size_t i = Hash(tag) & mask;
    for (; slots_[i].tag != nullptr; i = (i + 1) & mask) {
      if (slots_[i].tag == tag) return &spans_[slots_[i].entry];
    }
    slots_[i] = Slot{tag, static_cast<uint32_t>(spans_.size())};
    ++entries_;
    for (const Segment& s : segments_) {
      if (s.run < 0) continue;
      const size_t at = text_.size();
      for (size_t c : s.columns) {
        const size_t used = text_.size();
        text_.resize(used + 1 + CsvCellBound(*row[c]));
        char* p = text_.data() + used;
        if (c != s.columns.front()) *p++ = ',';
        text_.resize(static_cast<size_t>(PutCsvCell(p, *row[c]) - text_.data()));
      }
      spans_.push_back(static_cast<uint32_t>(at));
      spans_.push_back(static_cast<uint32_t>(text_.size() - at));
    }
    return &spans_[slots_[i].entry];
  }

  // What PutRow writes at most.
  size_t Bound(const uint32_t* texts, RowView row) const {
    size_t bound = kValueTextBound + 1;  // the index and the newline
    for (const Segment& s : segments_) {
      bound += 1 + (s.run >= 0 ? texts[2 * s.run + 1] : CsvCellBound(*row[s.columns.front()]));
    }
    return bound;
  }

  // The row as PutCsvRow writes it, its shared runs copied.
  char* PutRow(char* p, std::string_view index, const uint32_t* texts, RowView row) const {
    swar::CopyShort(p, index.data(), index.size());
    p += index.size();
    for (const Segment& s : segments_) {
      *p++ = ',';
      if (s.run >= 0) {
        const uint32_t n = texts[2 * s.run + 1];
        std::memcpy(p, text_.data() + texts[2 * s.run], n);
        p += n;
      } else {
        p = PutCsvCell(p, *row[s.columns.front()]);
      }
    }
    *p++ = '\n';
    return p;
  }

 private:
  struct Segment {
    int run;                      // index of a shared run, or -1: one unshared column
    std::vector<size_t> columns;  // in file order
  };
  struct Slot {
    const void* tag = nullptr;
    uint32_t entry = 0;  // into spans_: (offset, size) in text_ per run
  };
  static size_t Hash(const void* tag) {
    return static_cast<size_t>((reinterpret_cast<uintptr_t>(tag) >> 4) * 0x9E3779B97F4A7C15ull >> 20);
  }
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(std::max<size_t>(64, 2 * old.size()), Slot{});
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.tag == nullptr) continue;
      size_t i = Hash(s.tag) & mask;
      while (slots_[i].tag != nullptr) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::vector<Segment> segments_;
  int runs_ = 0;
  std::vector<Slot> slots_;
  size_t entries_ = 0;
  std::vector<uint32_t> spans_;
  std::string text_;
};

// CSV text is compressed a chunk (1 MiB, per thread) at a time as it is formatted: one
// gzip member per file, bounded memory.
class CsvGzWriter : public FileWriter {
 public:
  CsvGzWriter(Schema schema, std::vector<size_t> keep, int level)
      : schema_(std::move(schema)), keep_(std::move(keep)), level_(level) {}

  Status WriteRows(const std::string& path, const RowSource& rows, size_t begin, size_t end) override {
    // Per file, not per writer: a writer may be used from more than one thread.
    GzipStream gz(level_);
    std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "wb"));
    if (!f) return Status::FromErrno(errno, "create", path);
    // Rows are formatted straight into a per-thread chunk (no per-field string appends)
    // and compressed a chunk at a time.
    std::vector<char>& chunk = ThreadChunk();
    std::string header;
    AppendCsvHeader(schema_, keep_, &header);
    LS_RETURN_NOT_OK(gz.Write(f.get(), path, header, false));
    size_t used = 0;
    const bool fits = rows.Fits(schema_, begin, end);
    DecimalCounter index;  // the rows' numbers, 0 up (the pandas index column)
    SharedCsvText shared(rows.SharedColumns(), keep_);
    LS_RETURN_NOT_OK(rows.ForEach(begin, end, [&](size_t i, RowView row) {
      // Validated row by row, while the row is in cache for formatting.
      if (!fits) {
        LS_RETURN_NOT_OK(ValidateRowAt(schema_, row, i - begin, path));
      }
      const void* tag = shared.active() ? rows.SharedTag(i) : nullptr;
      const uint32_t* texts = tag != nullptr ? shared.Texts(tag, row) : nullptr;
      const size_t bound = texts != nullptr ? shared.Bound(texts, row) : CsvRowBound(row, keep_);
      if (used + bound > chunk.size()) {
        LS_RETURN_NOT_OK(gz.Write(f.get(), path, std::string_view(chunk.data(), used), false));
        used = 0;
        if (bound > chunk.size()) chunk.resize(bound);
      }
      char* at = chunk.data() + used;
      char* row_end = texts != nullptr ? shared.PutRow(at, index.text(), texts, row)
                                       : PutCsvRow(at, index.text(), row, keep_);
      used = static_cast<size_t>(row_end - chunk.data());
      index.Increment();
      return Status::Ok();
    }));
    LS_RETURN_NOT_OK(gz.Write(f.get(), path, std::string_view(chunk.data(), used), true));
    if (std::fclose(f.release()) != 0) return Status::FromErrno(errno, "close", path);
    return Status::Ok();
  }

 private:
  static std::vector<char>& ThreadChunk() {
    thread_local std::vector<char> chunk(size_t{1} << 20);
    return chunk;
  }

  Schema schema_;
  std::vector<size_t> keep_;
  int level_;
};

// ---------------------------------------------------------------- JSON lines

void AppendJsonValue(const Value& v, std::string* out) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    AppendJsonString(out, *s);
  } else if (std::holds_alternative<int64_t>(v)) {
    AppendValueText(v, out);
  } else if (const auto* d = std::get_if<double>(&v)) {
    if (std::isfinite(*d)) {
      AppendValueText(v, out);
    } else {
      out->append("null");  // JSON has no NaN or infinity
    }
  } else if (const auto* t = std::get_if<EventTime>(&v)) {
    out->push_back('"');
    out->append(FormatTimestamp(*t));
    out->push_back('"');
  } else {
    out->append("null");
  }
}

}  // namespace

void AppendJsonObject(const Schema& schema, RowView row, std::string* out) {
  out->push_back('{');
  for (size_t c = 0; c < schema.columns.size(); ++c) {
    if (c > 0) out->push_back(',');
    AppendJsonString(out, schema.columns[c].name);
    out->push_back(':');
    AppendJsonValue(*row[c], out);
  }
  out->push_back('}');
}

namespace {

class JsonLinesWriter : public FileWriter {
 public:
  explicit JsonLinesWriter(Schema schema) : schema_(std::move(schema)) {}

  Status WriteRows(const std::string& path, const RowSource& rows, size_t begin, size_t end) override {
    LS_RETURN_NOT_OK(ValidateRows(schema_, rows, begin, end, path));
    std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "wb"));
    if (!f) return Status::FromErrno(errno, "create", path);
    std::string line;
    LS_RETURN_NOT_OK(rows.ForEach(begin, end, [&](size_t, RowView row) {
      line.clear();
      AppendJsonObject(schema_, row, &line);
      line.push_back('\n');
      if (std::fwrite(line.data(), 1, line.size(), f.get()) != line.size()) {
        return Status::FromErrno(errno, "write", path);
      }
      return Status::Ok();
    }));
    if (std::fclose(f.release()) != 0) return Status::FromErrno(errno, "close", path);
    return Status::Ok();
  }

 private:
  Schema schema_;
};

// ---------------------------------------------------------------- Parquet

const char* SqlTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kString: return "VARCHAR";
    case ColumnType::kInt64: return "BIGINT";
    case ColumnType::kDouble: return "DOUBLE";
    case ColumnType::kTimestamp: return "TIMESTAMP";
  }
  return "VARCHAR";
}

std::string AppenderError(duckdb_appender appender) {
  duckdb_error_data e = Duck().duckdb_appender_error_data(appender);
  std::string msg = e ? Duck().duckdb_error_data_message(e) : "unknown error";
  Duck().duckdb_destroy_error_data(&e);
  return msg;
}

class ParquetWriter : public FileWriter {
 public:
  static Result<std::unique_ptr<FileWriter>> Make(Schema schema, ParquetOptions options) {
    for (char ch : options.compression) {
      if (!std::isalnum(static_cast<unsigned char>(ch))) {
        return Status::InvalidArgument("Parquet compression '" + options.compression +
                                       "' is not a codec name: use zstd, snappy or uncompressed");
      }
    }
    // One thread: lake files are small and the stream engine owns the cores.
    LS_ASSIGN_OR_RETURN(auto db, DuckDbConnection::Open("", {{"threads", "1"}}));
    std::string ddl = "CREATE TABLE " + std::string(kTable) + " (";
    for (size_t c = 0; c < schema.columns.size(); ++c) {
      if (c > 0) ddl += ", ";
      ddl += SqlIdentifier(schema.columns[c].name) + " " + SqlTypeName(schema.columns[c].type);
    }
    ddl += ")";
    LS_RETURN_NOT_OK(db->Execute(ddl));
    return std::unique_ptr<FileWriter>(
        new ParquetWriter(std::move(schema), std::move(options), std::move(db)));
  }

  Status WriteRows(const std::string& path, const RowSource& rows, size_t begin, size_t end) override {
    LS_RETURN_NOT_OK(ValidateRows(schema_, rows, begin, end, path));
    // A failed earlier file may have left rows behind.
    LS_RETURN_NOT_OK(db_->Execute(std::string("DELETE FROM ") + kTable));
    LS_RETURN_NOT_OK(Append(path, rows, begin, end));
    // DuckDB writes straight to `path` when it does not exist (over an existing file it
    // would go through a visible "tmp_<name>" file): start from no file.
    LS_RETURN_NOT_OK(RemoveFileIfExists(path));
    Status st = db_->Execute("COPY " + std::string(kTable) + " TO " + SqlStringLiteral(path) +
                             " (FORMAT PARQUET, COMPRESSION " + options_.compression + ")");
    Status cleared = db_->Execute(std::string("DELETE FROM ") + kTable);
    if (!st.ok()) return Status::IoError("cannot write Parquet file '" + path + "': " + st.message());
    return cleared;
  }

 private:
  static constexpr const char* kTable = "lake_rows";

  ParquetWriter(Schema schema, ParquetOptions options, std::unique_ptr<DuckDbConnection> db)
      : schema_(std::move(schema)), options_(std::move(options)), db_(std::move(db)) {}

  Status Append(const std::string& path, const RowSource& rows, size_t begin, size_t end) {
    std::unique_ptr<duckdb_appender, DuckDbAppenderCloser> appender(new duckdb_appender(nullptr));
    if (Duck().duckdb_appender_create(db_->handle(), nullptr, kTable, appender.get()) != DuckDBSuccess) {
      return Status::Internal("cannot create a DuckDB appender for '" + path +
                              "': " + AppenderError(*appender));
    }
    duckdb_appender a = *appender;
    LS_RETURN_NOT_OK(rows.ForEach(begin, end, [&](size_t, RowView row) {
      for (const Value* value : row) {
        const Value& v = *value;
        duckdb_state s;
        if (const auto* str = std::get_if<std::string>(&v)) {
          s = Duck().duckdb_append_varchar_length(a, str->data(), str->size());
        } else if (const auto* i = std::get_if<int64_t>(&v)) {
          s = Duck().duckdb_append_int64(a, *i);
        } else if (const auto* d = std::get_if<double>(&v)) {
          s = Duck().duckdb_append_double(a, *d);
        } else if (const auto* t = std::get_if<EventTime>(&v)) {
          s = Duck().duckdb_append_timestamp(a, duckdb_timestamp{t->seconds * 1000000});
        } else {
          s = Duck().duckdb_append_null(a);
        }
        if (s != DuckDBSuccess) {
          return Status::Internal("cannot append a value for '" + path + "': " + AppenderError(a));
        }
      }
      if (Duck().duckdb_appender_end_row(a) != DuckDBSuccess) {
        return Status::Internal("cannot append a row for '" + path + "': " + AppenderError(a));
      }
      return Status::Ok();
    }));
    if (Duck().duckdb_appender_close(a) != DuckDBSuccess) {
      return Status::Internal("cannot flush rows for '" + path + "': " + AppenderError(a));
    }
    return Status::Ok();
  }

  Schema schema_;
  ParquetOptions options_;
  std::unique_ptr<DuckDbConnection> db_;
};

}  // namespace

std::string_view FileExtension(FileFormat format) {
  switch (format) {
    case FileFormat::kCsvGz: return "csv.gz";
    case FileFormat::kParquet: return "parquet";
    case FileFormat::kJsonLines: return "jsonl";
  }
  return "bin";
}

Result<FileFormat> ParseFileFormat(std::string_view name) {
  if (name == "csv" || name == "csv.gz") return FileFormat::kCsvGz;
  if (name == "parquet") return FileFormat::kParquet;
  if (name == "jsonl") return FileFormat::kJsonLines;
  return Status::InvalidArgument("unknown lake file format '" + std::string(name) +
                                 "': use csv or parquet");
}

char* PutValueText(char* p, const Value& value) {
  switch (value.index()) {
    case 0: return p;
    case 1: {
      const auto& str = std::get<std::string>(value);
      std::memcpy(p, str.data(), str.size());
      return p + str.size();
    }
    case 2: return PutDecimal(p, std::get<int64_t>(value));
    case 3: {
      const double d = std::get<double>(value);
      if (!std::isfinite(d)) [[unlikely]] {
        // Inf, -Inf and NaN: Spark's CSV reader's defaults (positiveInf, negativeInf,
        // nanValue; it reads to_chars's inf, -inf and nan as NULL, or the column as text),
        // and DuckDB, pandas and Python's float() read them as doubles too. A NaN's sign is
        // dropped: inf + -inf is -nan on x86, which no reader needs and Spark refuses.
        const std::string_view text = std::isnan(d) ? "NaN" : d > 0 ? "Inf" : "-Inf";
        std::memcpy(p, text.data(), text.size());
        return p + text.size();
      }
      char* end = std::to_chars(p, p + kValueTextBound, d).ptr;  // shortest round-trip
      // A whole number keeps ".0" (14.0, as Spark writes it): a file whose values are all
      // whole would otherwise read as integers (pandas, pyarrow, BigQuery's detection),
      // and the next file's 5.8 then fails or splits the column's type.
      if (std::find_if(p, end, [](char c) { return c == '.' || c == 'e'; }) == end) {
        *end++ = '.';
        *end++ = '0';
      }
      return end;
    }
    case 4: {
      const std::string ts = FormatTimestamp(std::get<EventTime>(value));
      std::memcpy(p, ts.data(), ts.size());
      return p + ts.size();
    }
  }
  return p;
}

void AppendValueText(const Value& value, std::string* out) {
  if (const auto* str = std::get_if<std::string>(&value)) {
    out->append(*str);
    return;
  }
  char buf[kValueTextBound];
  out->append(buf, PutValueText(buf, value));
}

std::string FormatValueText(const Value& value) {
  std::string out;
  AppendValueText(value, &out);
  return out;
}

void AppendCsvHeader(const Schema& schema, const std::vector<size_t>& keep, std::string* out) {
  // The leading unnamed column is the pandas row index of the seed's files.
  for (size_t c : keep) {
    out->push_back(',');
    AppendCsvField(out, schema.columns[c].name);
  }
  out->push_back('\n');
}

size_t CsvRowBound(RowView row, const std::vector<size_t>& keep) {
  size_t bound = kValueTextBound + 1;  // the index and the newline
  for (size_t c : keep) bound += 1 + CsvCellBound(*row[c]);
  return bound;
}

char* PutCsvRow(char* p, size_t index, RowView row, const std::vector<size_t>& keep) {
  char text[kValueTextBound];
  const char* end = std::to_chars(text, text + sizeof text, index).ptr;
  return PutCsvRow(p, std::string_view(text, static_cast<size_t>(end - text)), row, keep);
}

char* PutCsvRow(char* p, std::string_view index, RowView row, const std::vector<size_t>& keep) {
  swar::CopyShort(p, index.data(), index.size());
  p += index.size();
  for (size_t c : keep) {
    *p++ = ',';
    p = PutCsvCell(p, *row[c]);
  }
  *p++ = '\n';
  return p;
}

void AppendCsvRow(size_t index, RowView row, const std::vector<size_t>& keep, std::string* out) {
  const size_t at = out->size();
  out->resize(at + CsvRowBound(row, keep));
  char* end = PutCsvRow(out->data() + at, index, row, keep);
  out->resize(static_cast<size_t>(end - out->data()));
}

Result<std::unique_ptr<FileWriter>> DefaultWriterFactory::MakeWriter(const FileSpec& spec) {
  if (spec.schema.columns.empty()) return Status::InvalidArgument("a lake file needs at least one column");
  switch (spec.format) {
    case FileFormat::kCsvGz: {
      std::vector<size_t> keep;
      for (size_t c = 0; c < spec.schema.columns.size(); ++c) {
        const auto& omit = spec.csv.omit_columns;
        if (std::find(omit.begin(), omit.end(), spec.schema.columns[c].name) == omit.end()) {
          keep.push_back(c);
        }
      }
      for (const auto& name : spec.csv.omit_columns) {
        bool found = false;
        for (const auto& col : spec.schema.columns) found = found || col.name == name;
        if (!found) {
          return Status::InvalidArgument("CSV omit column '" + name +
                                         "' is not in the schema: check the column name");
        }
      }
      if (spec.csv.gzip_level < 0 || spec.csv.gzip_level > 3) {
        return Status::InvalidArgument("gzip level must be 0..3 (ISA-L igzip), got " + std::to_string(spec.csv.gzip_level));
      }
      return std::unique_ptr<FileWriter>(new CsvGzWriter(spec.schema, std::move(keep), spec.csv.gzip_level));
    }
    case FileFormat::kParquet:
      return ParquetWriter::Make(spec.schema, spec.parquet);
    case FileFormat::kJsonLines:
      return std::unique_ptr<FileWriter>(new JsonLinesWriter(spec.schema));
  }
  return Status::InvalidArgument("unknown file format");
}

WriterFactory* DefaultWriterFactoryInstance() {
  static DefaultWriterFactory factory;
  return &factory;
}

}  // namespace lakestream::lake
