#include "lake/file_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "lake/duckdb_util.h"
#include "lake/lake_test_util.h"

namespace lakestream::lake {
namespace {

using testing::FreshTestDir;
using testing::Gunzip;
using Cells = std::vector<std::vector<std::optional<std::string>>>;

Schema TestSchema() {
  return Schema{{{"CA", ColumnType::kString},
                 {"UNIT", ColumnType::kString},
                 {"STATION", ColumnType::kString},
                 {"ENTRIES", ColumnType::kInt64},
                 {"RATIO", ColumnType::kDouble},
                 {"WINDOW_START", ColumnType::kTimestamp},
                 {"WINDOW_END", ColumnType::kTimestamp},
                 {"NOTE", ColumnType::kString}}};
}

EventTime At(int hour, int minute) { return MakeEventTime({2024, 7, 22}, hour * 3600 + minute * 60); }

std::vector<Row> TestRows() {
  return {
      {std::string("A001"), std::string("R001"), std::string("59 ST"), int64_t{12}, 0.1,
       At(10, 0), At(10, 5), std::string("plain")},
      {std::string("A002"), std::string("R002"), std::string("ST, \"X\""), int64_t{-5}, 1e21,
       At(10, 5), At(10, 10), std::monostate{}},
      {std::string("A003"), std::monostate{}, std::string("line\nbreak"), std::monostate{},
       std::monostate{}, std::monostate{}, std::monostate{}, std::string("")},
  };
}

FileSpec CsvSpec() {
  FileSpec spec;
  spec.schema = TestSchema();
  spec.format = FileFormat::kCsvGz;
  spec.csv.omit_columns = {"WINDOW_START", "WINDOW_END"};
  return spec;
}

std::unique_ptr<DuckDbConnection> OpenDuckDb() {
  auto db = DuckDbConnection::Open();
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return std::move(db).value();
}

TEST(CsvGzWriter, ExactBytesInTheSeedLayout) {
  std::string dir = FreshTestDir();
  auto writer = DefaultWriterFactoryInstance()->MakeWriter(CsvSpec());
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  auto rows = TestRows();
  ASSERT_TRUE((*writer)->WriteFile(dir + "/a.csv.gz", rows).ok());
  EXPECT_EQ(Gunzip(dir + "/a.csv.gz"),
            ",CA,UNIT,STATION,ENTRIES,RATIO,NOTE\n"
            "0,A001,R001,59 ST,12,0.1,plain\n"
            "1,A002,R002,\"ST, \"\"X\"\"\",-5,1e+21,\n"
            "2,A003,,\"line\nbreak\",,,\"\"\n");  // NULL is empty, an empty string ""
  // gzip bytes are deterministic (no name, no mtime), so a re-run writes identical files,
  // also after other files went through the same (per-thread) compression buffers.
  ASSERT_TRUE((*writer)->WriteFile(dir + "/other.csv.gz", std::vector<Row>(20000, rows[1])).ok());
  ASSERT_TRUE((*writer)->WriteFile(dir + "/b.csv.gz", rows).ok());
  EXPECT_EQ(*ReadWholeFile(dir + "/a.csv.gz"), *ReadWholeFile(dir + "/b.csv.gz"));
  // An empty batch is a header-only file.
  ASSERT_TRUE((*writer)->WriteFile(dir + "/c.csv.gz", {}).ok());
  EXPECT_EQ(Gunzip(dir + "/c.csv.gz"), ",CA,UNIT,STATION,ENTRIES,RATIO,NOTE\n");
}

TEST(CsvRow, WrittenWithinItsBound) {
  // The widest text of each kind: every byte a quote, the longest integer and shortest
  // round-trip doubles, NULLs. PutCsvRow must stay within CsvRowBound, exactly as
  // AppendCsvRow formats.
  const Schema schema{{{"S", ColumnType::kString}, {"I", ColumnType::kInt64}, {"D", ColumnType::kDouble},
                       {"T", ColumnType::kTimestamp}}};
  const std::vector<size_t> keep = {0, 1, 2, 3};
  struct Case {
    Row row;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{std::string(5, '"'), std::numeric_limits<int64_t>::min(), -1.7976931348623157e308, At(23, 59)},
       "18446744073709551615,\"\"\"\"\"\"\"\"\"\"\"\",-9223372036854775808,-1.7976931348623157e+308,2024-07-22 23:59:00\n"},
      {{std::string(""), std::monostate{}, 5e-324, std::monostate{}}, "18446744073709551615,\"\",,5e-324,\n"},
      {{std::string("a,b\r\n"), int64_t{0}, -2.2250738585072014e-308, EventTime{0}},
       "18446744073709551615,\"a,b\r\n\",0,-2.2250738585072014e-308,1970-01-01 00:00:00\n"},
  };
  for (const Case& c : cases) {
    const std::vector<const Value*> values = ViewOf(c.row);
    const RowView row(values);
    const size_t index = std::numeric_limits<size_t>::max();
    std::string buf(CsvRowBound(row, keep), '\0');
    char* end = PutCsvRow(buf.data(), index, row, keep);
    ASSERT_LE(static_cast<size_t>(end - buf.data()), buf.size()) << c.expected;
    EXPECT_EQ(std::string(buf.data(), end), c.expected);
    std::string appended = "x";
    AppendCsvRow(index, row, keep, &appended);
    EXPECT_EQ(appended, "x" + c.expected);
  }
}

TEST(ValueText, DoublesExactBytes) {
  // Infinities and NaN are written as Spark's CSV reader takes them by default (Inf, -Inf,
  // NaN; it reads to_chars's inf, -inf, nan and -nan as NULL); DuckDB, pandas and Python's
  // float() read these as the double too. Every NaN is NaN, whatever its sign bit.
  constexpr double kInf = std::numeric_limits<double>::infinity();
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  volatile double big = 1e308;
  const double overflow = big + big;
  volatile double pos = kInf, neg = -kInf;
  const double inf_minus_inf = pos + neg;  // -nan on x86: the sign bit set
  struct Case {
    double value;
    std::string_view expected;
  };
  const Case cases[] = {
      {kInf, "Inf"},
      {-kInf, "-Inf"},
      {overflow, "Inf"},
      {-overflow, "-Inf"},
      {kNaN, "NaN"},
      {std::copysign(kNaN, -1.0), "NaN"},
      {inf_minus_inf, "NaN"},
      {std::numeric_limits<double>::signaling_NaN(), "NaN"},
      {14.0, "14.0"},
      {-0.0, "-0.0"},
      {0.1, "0.1"},
      {1e21, "1e+21"},
      {-1.7976931348623157e308, "-1.7976931348623157e+308"},
      {5e-324, "5e-324"},
  };
  const std::vector<size_t> keep = {0};
  for (const Case& c : cases) {
    const Value v = c.value;
    EXPECT_EQ(FormatValueText(v), c.expected) << c.expected;
    // The same bytes in a CSV row, within its bound.
    const std::vector<const Value*> values = {&v};
    const RowView row(values);
    std::string buf(CsvRowBound(row, keep), '\0');
    char* end = PutCsvRow(buf.data(), 7, row, keep);
    ASSERT_LE(static_cast<size_t>(end - buf.data()), buf.size());
    EXPECT_EQ(std::string(buf.data(), end), "7," + std::string(c.expected) + "\n");
  }
}

TEST(JsonObject, NonFiniteDoublesAreNull) {
  // JSON has no infinity or NaN: a dead letter's or late row's JSON line stays valid JSON
  // for every reader, with null where the double was not finite.
  const Schema schema{{{"D", ColumnType::kDouble}}};
  struct Case {
    double value;
    std::string_view expected;
  };
  const Case cases[] = {
      {std::numeric_limits<double>::infinity(), R"({"D":null})"},
      {-std::numeric_limits<double>::infinity(), R"({"D":null})"},
      {std::numeric_limits<double>::quiet_NaN(), R"({"D":null})"},
      {std::copysign(std::numeric_limits<double>::quiet_NaN(), -1.0), R"({"D":null})"},
      {14.0, R"({"D":14.0})"},
      {1e21, R"({"D":1e+21})"},
  };
  for (const Case& c : cases) {
    const Value v = c.value;
    const std::vector<const Value*> values = {&v};
    std::string out;
    AppendJsonObject(schema, RowView(values), &out);
    EXPECT_EQ(out, c.expected);
  }
}

TEST(CsvGzWriter, NonFiniteDoublesReadByDuckDbAsDoubles) {
  std::string dir = FreshTestDir();
  auto writer = DefaultWriterFactoryInstance()->MakeWriter(CsvSpec());
  ASSERT_TRUE(writer.ok());
  auto row = [](const char* ca, double ratio) {
    return Row{std::string(ca), std::string("R001"), std::string("S"), int64_t{1}, ratio,
               At(10, 0),       At(10, 5),           std::string("n")};
  };
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::copysign(std::numeric_limits<double>::quiet_NaN(), -1.0);
  // a: a finite value first; b: an infinity first.
  const std::vector<Row> a = {row("A001", 1.5), row("A002", inf), row("A003", -inf), row("A004", nan)};
  const std::vector<Row> b = {row("A002", inf), row("A003", -inf), row("A004", nan), row("A001", 1.5)};
  ASSERT_TRUE((*writer)->WriteFile(dir + "/a.csv.gz", a).ok());
  ASSERT_TRUE((*writer)->WriteFile(dir + "/b.csv.gz", b).ok());
  EXPECT_EQ(Gunzip(dir + "/a.csv.gz"),
            ",CA,UNIT,STATION,ENTRIES,RATIO,NOTE\n"
            "0,A001,R001,S,1,1.5,n\n"
            "1,A002,R001,S,1,Inf,n\n"
            "2,A003,R001,S,1,-Inf,n\n"
            "3,A004,R001,S,1,NaN,n\n");
  // Typed as the README tells DuckDB users (header = true and the double column's type),
  // and as a reader that detects nothing types every column (so the warehouse reads its CSV
  // files: auto_detect = false): DOUBLE infinities and NaN, wherever they are. Detected,
  // only when a finite value comes first: DuckDB 1.4's sniffer takes a first Inf, inf or
  // Infinity for a DATE (DuckDB's infinite date), goes to VARCHAR at the next number, and
  // then takes the header for a row; no spelling of infinity avoids that.
  auto sources = [](const std::string& file, bool detect) {
    const std::string path = SqlStringLiteral(file);
    std::vector<std::string> out = {
        "read_csv(" + path + ", header = true, types = {'RATIO': 'DOUBLE'})",
        "read_csv(" + path + ", header = true, auto_detect = false, columns = {'i': 'BIGINT', 'CA': "
                             "'VARCHAR', 'UNIT': 'VARCHAR', 'STATION': 'VARCHAR', 'ENTRIES': 'BIGINT', "
                             "'RATIO': 'DOUBLE', 'NOTE': 'VARCHAR'})"};
    if (detect) out.push_back("read_csv(" + path + ")");
    return out;
  };
  std::vector<std::string> all = sources(dir + "/a.csv.gz", true);
  for (std::string& s : sources(dir + "/b.csv.gz", false)) all.push_back(std::move(s));
  auto db = OpenDuckDb();
  for (const std::string& source : all) {
    auto t = db->Query("SELECT CA, typeof(RATIO), RATIO = 'Infinity'::DOUBLE, RATIO = '-Infinity'::DOUBLE, "
                       "isnan(RATIO) FROM " + source + " ORDER BY CA");
    ASSERT_TRUE(t.ok()) << source << ": " << t.status().ToString();
    EXPECT_EQ(t->rows, (Cells{{"A001", "DOUBLE", "false", "false", "false"},
                              {"A002", "DOUBLE", "true", "false", "false"},
                              {"A003", "DOUBLE", "false", "true", "false"},
                              {"A004", "DOUBLE", "false", "false", "true"}}))
        << source;
  }
}

TEST(CsvGzWriter, ReadableByDuckDbReadCsv) {
  std::string dir = FreshTestDir();
  auto writer = DefaultWriterFactoryInstance()->MakeWriter(CsvSpec());
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->WriteFile(dir + "/a.csv.gz", TestRows()).ok());
  auto db = OpenDuckDb();
  auto t = db->Query("SELECT * FROM read_csv(" + SqlStringLiteral(dir + "/a.csv.gz") + ") ORDER BY 1");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->names, (std::vector<std::string>{"column0", "CA", "UNIT", "STATION", "ENTRIES",
                                                "RATIO", "NOTE"}));
  EXPECT_EQ(t->types, (std::vector<duckdb_type>{DUCKDB_TYPE_BIGINT, DUCKDB_TYPE_VARCHAR,
                                                DUCKDB_TYPE_VARCHAR, DUCKDB_TYPE_VARCHAR,
                                                DUCKDB_TYPE_BIGINT, DUCKDB_TYPE_DOUBLE,
                                                DUCKDB_TYPE_VARCHAR}));
  EXPECT_EQ(t->rows, (Cells{{"0", "A001", "R001", "59 ST", "12", "0.1", "plain"},
                            {"1", "A002", "R002", "ST, \"X\"", "-5", "1e+21", std::nullopt},
                            {"2", "A003", std::nullopt, "line\nbreak", std::nullopt, std::nullopt,
                             std::nullopt}}));
  // Told that "" is not NULL, DuckDB reads the NULL NOTE and the empty one apart.
  auto apart = db->Query("SELECT NOTE IS NULL, length(NOTE) FROM read_csv(" + SqlStringLiteral(dir + "/a.csv.gz") +
                         ", allow_quoted_nulls = false) WHERE CA IN ('A002', 'A003') ORDER BY CA");
  ASSERT_TRUE(apart.ok()) << apart.status().ToString();
  EXPECT_EQ(apart->rows, (Cells{{"true", std::nullopt}, {"false", "0"}}));
}

// Gzip members in `bytes` (0 if it is not valid gzip).
int CountGzipMembers(const std::string& bytes) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return 0;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  std::string out(1 << 16, '\0');
  int members = 0;
  while (z.avail_in > 0) {
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = inflate(&z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      ++members;
      inflateReset(&z);
    } else if (rc != Z_OK) {
      members = 0;
      break;
    }
  }
  inflateEnd(&z);
  return members;
}

TEST(CsvGzWriter, LargeFileIsOneMemberCompressedInChunks) {
  std::string dir = FreshTestDir();
  auto writer = DefaultWriterFactoryInstance()->MakeWriter(CsvSpec());
  ASSERT_TRUE(writer.ok());
  // ~10 MB of CSV text: compressed 1 MiB at a time into one stream.
  const Row row = TestRows()[0];
  const std::vector<Row> rows(300000, row);
  ASSERT_TRUE((*writer)->WriteFile(dir + "/big.csv.gz", rows).ok());
  EXPECT_EQ(CountGzipMembers(*ReadWholeFile(dir + "/big.csv.gz")), 1);
  std::string expected = ",CA,UNIT,STATION,ENTRIES,RATIO,NOTE\n";
  for (size_t i = 0; i < rows.size(); ++i) expected += std::to_string(i) + ",A001,R001,59 ST,12,0.1,plain\n";
  EXPECT_EQ(Gunzip(dir + "/big.csv.gz"), expected);
  auto db = OpenDuckDb();
  auto t = db->Query("SELECT count(*), sum(column0) FROM read_csv(" + SqlStringLiteral(dir + "/big.csv.gz") + ")");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->rows, (Cells{{"300000", "44999850000"}}));
}

// Rows that say some of their columns are shared (RowSource::SharedColumns), tagged by
// group as ClosedRows tags them; some rows share nothing (null tag).
class SharedRowsSource final : public RowSource {
 public:
  SharedRowsSource(std::vector<Row> rows, std::vector<size_t> shared, std::vector<const void*> tags)
      : rows_(std::move(rows)), shared_(std::move(shared)), tags_(std::move(tags)) {}
  size_t size() const override { return rows_.size(); }
  Status ForEach(size_t begin, size_t end, const RowFn& fn) const override {
    return RowSpanSource(rows_).ForEach(begin, end, fn);
  }
  std::span<const size_t> SharedColumns() const override { return shared_; }
  const void* SharedTag(size_t index) const override { return tags_[index]; }

 private:
  std::vector<Row> rows_;
  std::vector<size_t> shared_;
  std::vector<const void*> tags_;
};

TEST(CsvGzWriter, SharedColumnsWriteTheSameBytes) {
  // 300 groups (the writer's memo grows several times), each row a group's values with its
  // own ENTRIES; shared values that need quotes, NULLs, a double, columns the CSV omits,
  // runs broken by unshared columns; every 7th row untagged. The file must be byte for
  // byte the one written from the same rows with nothing shared.
  const std::string dir = FreshTestDir();
  auto writer = DefaultWriterFactoryInstance()->MakeWriter(CsvSpec());
  ASSERT_TRUE(writer.ok());
  std::vector<Row> groups;
  for (int g = 0; g < 300; ++g) {
    Row r = TestRows()[static_cast<size_t>(g % 3)];
    r[0] = std::string("A") + std::to_string(g);
    if (g % 5 == 0) r[2] = std::string("ST, \"") + std::to_string(g) + "\"";
    groups.push_back(r);
  }
  std::vector<Row> rows;
  std::vector<const void*> tags;
  for (int i = 0; i < 5000; ++i) {
    const size_t g = static_cast<size_t>(i * 7919) % groups.size();
    Row r = groups[g];
    r[3] = int64_t{i};
    rows.push_back(r);
    tags.push_back(i % 7 == 0 ? nullptr : &groups[g]);
  }
  const std::vector<std::vector<size_t>> shared_sets = {
      {0, 1, 2}, {1, 2, 4, 5, 7}, {0, 2, 4, 6, 7}, {7}, {5, 6}, {}};
  ASSERT_TRUE((*writer)->WriteFile(dir + "/plain.csv.gz", rows).ok());
  const std::string expected = Gunzip(dir + "/plain.csv.gz");
  for (const auto& shared : shared_sets) {
    SharedRowsSource source(rows, shared, tags);
    ASSERT_TRUE((*writer)->WriteRows(dir + "/shared.csv.gz", source, 0, source.size()).ok());
    EXPECT_EQ(Gunzip(dir + "/shared.csv.gz"), expected) << "shared columns: " << shared.size();
    // A range that starts mid-way numbers its rows from 0, as any file does.
    ASSERT_TRUE((*writer)->WriteRows(dir + "/part.csv.gz", source, 2500, 2600).ok());
    std::vector<Row> part(rows.begin() + 2500, rows.begin() + 2600);
    ASSERT_TRUE((*writer)->WriteFile(dir + "/part-plain.csv.gz", part).ok());
    EXPECT_EQ(Gunzip(dir + "/part.csv.gz"), Gunzip(dir + "/part-plain.csv.gz"));
  }
}

TEST(ParquetWriter, ReadableByDuckDbWithExactTypesAndValues) {
  std::string dir = FreshTestDir();
  FileSpec spec;
  spec.schema = TestSchema();
  spec.format = FileFormat::kParquet;
  auto writer = DefaultWriterFactoryInstance()->MakeWriter(spec);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  auto rows = TestRows();
  ASSERT_TRUE((*writer)->WriteFile(dir + "/a.parquet", rows).ok());
  // The same writer (one DuckDB database) writes the next file with only its own rows.
  Status st = (*writer)->WriteFile(dir + "/b.parquet", std::span<const Row>(rows).subspan(1, 1));
  ASSERT_TRUE(st.ok()) << st.ToString();

  auto db = OpenDuckDb();
  auto t = db->Query("SELECT * FROM read_parquet(" + SqlStringLiteral(dir + "/a.parquet") + ")");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->names, (std::vector<std::string>{"CA", "UNIT", "STATION", "ENTRIES", "RATIO",
                                                "WINDOW_START", "WINDOW_END", "NOTE"}));
  EXPECT_EQ(t->types,
            (std::vector<duckdb_type>{DUCKDB_TYPE_VARCHAR, DUCKDB_TYPE_VARCHAR, DUCKDB_TYPE_VARCHAR,
                                      DUCKDB_TYPE_BIGINT, DUCKDB_TYPE_DOUBLE, DUCKDB_TYPE_TIMESTAMP,
                                      DUCKDB_TYPE_TIMESTAMP, DUCKDB_TYPE_VARCHAR}));
  EXPECT_EQ(t->rows,
            (Cells{{"A001", "R001", "59 ST", "12", "0.1", "2024-07-22 10:00:00",
                    "2024-07-22 10:05:00", "plain"},
                   {"A002", "R002", "ST, \"X\"", "-5", "1e+21", "2024-07-22 10:05:00",
                    "2024-07-22 10:10:00", std::nullopt},
                   {"A003", std::nullopt, "line\nbreak", std::nullopt, std::nullopt, std::nullopt,
                    std::nullopt, ""}}));
  auto b = db->Query("SELECT CA, ENTRIES FROM read_parquet(" + SqlStringLiteral(dir + "/b.parquet") + ")");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->rows, (Cells{{"A002", "-5"}}));
  // Rewriting a file replaces it in place, with no other file appearing beside it.
  ASSERT_TRUE((*writer)->WriteFile(dir + "/b.parquet", std::span<const Row>(rows).first(1)).ok());
  b = db->Query("SELECT CA FROM read_parquet(" + SqlStringLiteral(dir + "/b.parquet") + ")");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->rows, (Cells{{"A001"}}));
  EXPECT_EQ(*ListDir(dir), (std::vector<std::string>{"a.parquet", "b.parquet"}));
  auto codec = db->Query("SELECT DISTINCT compression FROM parquet_metadata(" +
                         SqlStringLiteral(dir + "/a.parquet") + ")");
  ASSERT_TRUE(codec.ok()) << codec.status().ToString();
  EXPECT_EQ(codec->rows, (Cells{{"ZSTD"}}));
}

TEST(ParquetWriter, KeepsNonFiniteDoubles) {
  std::string dir = FreshTestDir();
  FileSpec spec;
  spec.schema = Schema{{{"CA", ColumnType::kString}, {"RATIO", ColumnType::kDouble}}};
  spec.format = FileFormat::kParquet;
  auto writer = DefaultWriterFactoryInstance()->MakeWriter(spec);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<Row> rows = {{std::string("A"), inf},
                                 {std::string("B"), -inf},
                                 {std::string("C"), std::numeric_limits<double>::quiet_NaN()}};
  ASSERT_TRUE((*writer)->WriteFile(dir + "/a.parquet", rows).ok());
  auto db = OpenDuckDb();
  auto t = db->Query("SELECT CA, typeof(RATIO), RATIO = 'Infinity'::DOUBLE, RATIO = '-Infinity'::DOUBLE, "
                     "isnan(RATIO) FROM read_parquet(" + SqlStringLiteral(dir + "/a.parquet") + ") ORDER BY CA");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->rows, (Cells{{"A", "DOUBLE", "true", "false", "false"},
                            {"B", "DOUBLE", "false", "true", "false"},
                            {"C", "DOUBLE", "false", "false", "true"}}));
}

TEST(JsonLinesWriter, ExactLines) {
  std::string dir = FreshTestDir();
  FileSpec spec;
  spec.schema = TestSchema();
  spec.format = FileFormat::kJsonLines;
  auto writer = DefaultWriterFactoryInstance()->MakeWriter(spec);
  ASSERT_TRUE(writer.ok());
  auto rows = TestRows();
  ASSERT_TRUE((*writer)->WriteFile(dir + "/a.jsonl", std::span<const Row>(rows).subspan(1, 2)).ok());
  EXPECT_EQ(*ReadWholeFile(dir + "/a.jsonl"),
            "{\"CA\":\"A002\",\"UNIT\":\"R002\",\"STATION\":\"ST, \\\"X\\\"\",\"ENTRIES\":-5,"
            "\"RATIO\":1e+21,\"WINDOW_START\":\"2024-07-22 10:05:00\",\"WINDOW_END\":"
            "\"2024-07-22 10:10:00\",\"NOTE\":null}\n"
            "{\"CA\":\"A003\",\"UNIT\":null,\"STATION\":\"line\\nbreak\",\"ENTRIES\":null,"
            "\"RATIO\":null,\"WINDOW_START\":null,\"WINDOW_END\":null,\"NOTE\":\"\"}\n");
}

TEST(FileWriter, RejectsRowsThatDoNotMatchTheSchema) {
  std::string dir = FreshTestDir();
  for (FileFormat format : {FileFormat::kCsvGz, FileFormat::kParquet, FileFormat::kJsonLines}) {
    FileSpec spec;
    spec.schema = TestSchema();
    spec.format = format;
    auto writer = DefaultWriterFactoryInstance()->MakeWriter(spec);
    ASSERT_TRUE(writer.ok());
    std::vector<Row> wrong_type = TestRows();
    wrong_type[1][3] = std::string("12");
    Status st = (*writer)->WriteFile(dir + "/x", wrong_type);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(st.message(), "row 1 for '" + dir + "/x': column ENTRIES (int64) holds a value of another type");
    std::vector<Row> short_row = {Row{std::string("A001")}};
    EXPECT_EQ((*writer)->WriteFile(dir + "/x", short_row).message(),
              "row 0 for '" + dir + "/x': row has 1 values but the schema has 8 columns");
  }
}

TEST(FileWriter, OptionErrors) {
  FileSpec spec = CsvSpec();
  spec.csv.omit_columns = {"WINDOW_BEGIN"};
  auto w = DefaultWriterFactoryInstance()->MakeWriter(spec);
  EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.status().message(),
            "CSV omit column 'WINDOW_BEGIN' is not in the schema: check the column name");
  spec = CsvSpec();
  spec.format = FileFormat::kParquet;
  spec.parquet.compression = "zstd); DROP TABLE x; --";
  EXPECT_EQ(DefaultWriterFactoryInstance()->MakeWriter(spec).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseFileFormat("parquet").value(), FileFormat::kParquet);
  EXPECT_EQ(ParseFileFormat("csv").value(), FileFormat::kCsvGz);
  EXPECT_EQ(ParseFileFormat("orc").status().message(), "unknown lake file format 'orc': use csv or parquet");
}

TEST(FileWriter, ErrorsNameThePath) {
  auto writer = DefaultWriterFactoryInstance()->MakeWriter(CsvSpec());
  ASSERT_TRUE(writer.ok());
  Status st = (*writer)->WriteFile("/nonexistent-folder/a.csv.gz", TestRows());
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_EQ(st.message(), "cannot create '/nonexistent-folder/a.csv.gz': No such file or directory");
}

}  // namespace
}  // namespace lakestream::lake
