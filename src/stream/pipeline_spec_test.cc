#include "stream/pipeline_spec.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "formats/test_util.h"

namespace lakestream::stream {
namespace {

using std::chrono::minutes;

TEST(PipelineSpec, ShippedTurnstileYamlEqualsBuiltIn) {
  Result<PipelineSpec> loaded = LoadPipelineYaml("pipelines/mta-turnstile.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(*loaded, TurnstilePipeline(minutes(5), minutes(5)));
  EXPECT_EQ(CanonicalSpecText(*loaded), CanonicalSpecText(TurnstilePipeline(minutes(5), minutes(5))));
  // The window timestamps are Parquet-only (the seed's CSV layout is read by position); a
  // layout choice, not state: checkpoints of either layout restore into the other.
  std::vector<std::string> parquet_only;
  for (const OutputColumnSpec& c : loaded->output) {
    if (!c.csv) parquet_only.push_back(c.name);
  }
  EXPECT_EQ(parquet_only, (std::vector<std::string>{"WINDOW_START", "WINDOW_END"}));
  PipelineSpec all_csv = *loaded;
  for (OutputColumnSpec& c : all_csv.output) c.csv = true;
  EXPECT_EQ(CanonicalSpecText(all_csv), CanonicalSpecText(*loaded));
  EXPECT_TRUE(ValidatePipelineSpec(TurnstilePipeline(minutes(10), minutes(5))).ok());
}

TEST(PipelineSpec, TurnstileOutputSchema) {
  Schema s = OutputSchema(TurnstilePipeline(minutes(5), minutes(5)));
  const std::vector<Column> expected = {
      {"CA", ColumnType::kString},       {"UNIT", ColumnType::kString},    {"SCP", ColumnType::kString},
      {"STATION", ColumnType::kString},  {"LINENAME", ColumnType::kString}, {"DIVISION", ColumnType::kString},
      {"DATE", ColumnType::kString},     {"TIME", ColumnType::kString},    {"DESC", ColumnType::kString},
      {"ENTRIES", ColumnType::kInt64},   {"EXITS", ColumnType::kInt64},    {"WINDOW_START", ColumnType::kTimestamp},
      {"WINDOW_END", ColumnType::kTimestamp},
  };
  EXPECT_EQ(s.columns, expected);
}

TEST(PipelineSpec, ShippedTaxiYaml) {
  Result<PipelineSpec> loaded = LoadPipelineYaml("pipelines/taxi-rides.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const PipelineSpec& s = *loaded;
  EXPECT_EQ(s.format, WireFormat::kJson);
  EXPECT_EQ(s.schema.size(), 18u);
  EXPECT_EQ(s.schema[1], (FieldSpec{"tpep_pickup_datetime", ColumnType::kTimestamp}));
  EXPECT_EQ(s.schema[16], (FieldSpec{"total_amount", ColumnType::kDouble}));
  EXPECT_EQ(s.event_time_field, "tpep_pickup_datetime");
  EXPECT_EQ(s.window, (WindowSpec{600, 300}));
  EXPECT_EQ(s.watermark_delay, 600);
  EXPECT_TRUE(s.dedup_key.empty());
  const std::vector<Column> expected = {{"PULocationID", ColumnType::kInt64},
                                        {"window_start", ColumnType::kTimestamp},
                                        {"window_end", ColumnType::kTimestamp},
                                        {"rides", ColumnType::kInt64},
                                        {"total_amount", ColumnType::kDouble}};
  EXPECT_EQ(OutputSchema(s).columns, expected);
  // Its window bounds are asked-for columns: in CSV.gz files too.
  for (const OutputColumnSpec& c : s.output) EXPECT_TRUE(c.csv) << c.name;
}

constexpr char kMinimal[] = R"(name: p
format: csv
schema:
  - {name: k, type: string}
  - {name: v, type: int64}
  - {name: ts, type: timestamp}
event_time: {field: ts}
window: {size: 1h}
group_by: [k]
aggregates:
  - {name: total, function: sum, field: v}
  - {name: n, function: count}
output:
  - {name: k, from: k}
  - {name: day, from: window_end, format: YYYY-MM-DD}
  - {name: total}
  - {name: n}
  - {name: end, from: window_end}
)";

TEST(PipelineSpec, DefaultsSlideAndDelayToSize) {
  Result<PipelineSpec> s = ParsePipelineYaml(kMinimal, "p.yaml");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->window, (WindowSpec{3600, 3600}));
  EXPECT_EQ(s->watermark_delay, 3600);
  EXPECT_EQ(s->output[2], (OutputColumnSpec{"total", "total", TimeRender::kTimestamp}));
  EXPECT_EQ(OutputSchema(*s).columns[1], (Column{"day", ColumnType::kString}));
  EXPECT_EQ(OutputSchema(*s).columns[3], (Column{"n", ColumnType::kInt64}));
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(PipelineSpec, YamlErrorsNameFileLineAndKey) {
  struct Case {
    std::string from, to, error;
  };
  const std::vector<Case> cases = {
      {"group_by: [k]", "grup_by: [k]",
       "p.yaml:9: unknown key 'grup_by' in pipeline (expected one of: version, name, format, schema, event_time, "
       "dedup_key, window, watermark_delay, group_by, aggregates, output)"},
      {"format: csv", "format: xml", "p.yaml:2: 'format': expected csv, seed or json, got 'xml'"},
      {"name: p\n", "", "p.yaml:1: missing key 'name' in pipeline"},
      {"{name: v, type: int64}", "{name: v, type: int}",
       "p.yaml:5: 'type' of field 'v': expected string, int64, double or timestamp, got 'int'"},
      {"{size: 1h}", "{size: 1y}", "p.yaml:8: 'size': expected a duration like 300, 30s, 5m or 1h, got '1y'"},
      {"{size: 1h}", "{size: 1h, slide: 2h}", "p.yaml:8: 'slide': must be > 0 and <= size"},
      {"{size: 1h}", "{size: 3651d}", "p.yaml:8: 'size': at most 3650d (ten years), got '3651d'"},
      {"{size: 1h}", "{size: 9223372036854775807}",
       "p.yaml:8: 'size': at most 3650d (ten years), got '9223372036854775807'"},
      {"format: csv\n", "format: csv\nformat: json\n", "p.yaml:3: key 'format' appears twice in pipeline: keep one"},
      {"{size: 1h}", "{size: 1h, size: 2h}", "p.yaml:8: key 'size' appears twice in window: keep one"},
      {"group_by: [k]", "group_by: [k, kk]", "p.yaml:9: 'group_by': field 'kk' is not in the schema"},
      {"{field: ts}", "{field: v}", "p.yaml:7: 'event_time.field': 'v' must have type timestamp"},
      {"{name: total, function: sum, field: v}", "{name: total, function: median, field: v}",
       "p.yaml:11: 'function' of aggregate 'total': expected sum, count, min, max or avg, got 'median'"},
      {"{name: total, function: sum, field: v}", "{name: total, function: sum, field: k}",
       "p.yaml:11: aggregate 'total': sum over string field 'k' is not supported: sum and avg take int64 and double "
       "fields, min and max those and timestamp ones, count any field (or none, to count records)"},
      {"{name: total, function: sum, field: v}", "{name: total, function: avg, field: ts}",
       "p.yaml:11: aggregate 'total': avg over timestamp field 'ts' is not supported: sum and avg take int64 and "
       "double fields, min and max those and timestamp ones, count any field (or none, to count records)"},
      {"{name: total, function: sum, field: v}", "{name: k, function: sum, field: v}",
       "p.yaml:11: aggregate name 'k' is also a group_by field or window bound"},
      {"  - {name: n}\n", "  - {name: n}\n  - {name: x, from: v}\n",
       "p.yaml:18: output column 'x': field 'v' is neither grouped by nor aggregated: add it to group_by, or add an "
       "aggregate of it under aggregates and output that"},
      {"  - {name: n}\n", "  - {name: n}\n  - {name: x, from: nothing}\n",
       "p.yaml:18: output column 'x': 'nothing' is not a group_by field, an aggregate, window_start or window_end"},
      {"{name: k, from: k}", "{name: k, from: k, format: HH:MM:SS}",
       "p.yaml:14: output column 'k': format applies only to window_start/window_end"},
      {"{name: k, from: k}", "{name: k, form: k}",
       "p.yaml:14: unknown key 'form' in output column (expected one of: name, from, format, csv)"},
      {"{name: k, from: k}", "{name: k, from: k, csv: no}",
       "p.yaml:14: 'csv' of output column 'k': expected true or false, got 'no'"},
      {"name: p\n", "name: ''\n", "p.yaml:1: 'name': must not be empty: it names the lake's table folder"},
      {"{size: 1h}", "{size: 1d, slide: 1s}",
       "p.yaml:8: 'window': size 86400s sliding by 1s puts each record in 86400 windows, more than the 10000 "
       "allowed: make the slide longer (at least 9s) or the window shorter"},
      {"name: p\n", "name: _dead_letters\n",
       "p.yaml:1: 'name': table name '_dead_letters' starts with '_', as the lake's own folders do (_checkpoints, "
       "_dead_letters, _late): it is the lake's table folder, so give one folder name such as 'turnstile' or "
       "'taxi-rides'"},
      {"name: p\n", "name: ../escape\n",
       "p.yaml:1: 'name': table name '../escape' starts with '.', as hidden and temporary files do: it is the lake's "
       "table folder, so give one folder name such as 'turnstile' or 'taxi-rides'"},
      {"name: p\n", "name: a/b\n",
       "p.yaml:1: 'name': table name 'a/b' holds a '/' or '\\': it is the lake's table folder, so give one folder "
       "name such as 'turnstile' or 'taxi-rides'"},
      {"  - {name: end, from: window_end}\n", "  - {name: end, from: window_end, format: YYYY-MM-DD}\n",
       "p.yaml:14: 'output': needs a column `from: window_end` as a timestamp (format: timestamp, the default): it "
       "chooses each row's date= folder in the lake; add `- {name: WINDOW_END, from: window_end, csv: false}` to "
       "keep it out of CSV files"},
      // At the field, not at the first later line that re-checks the whole spec (group_by's).
      {"{name: v, type: int64}", "{name: '', type: int64}",
       "p.yaml:5: 'schema': a field has an empty name: give each field its column's (csv) or key's (json) name"},
      // YAML syntax: yaml-cpp's words, said to be syntax, with the column and what to check.
      {"format: csv", "format: csv: json",
       "p.yaml:2:12: YAML syntax error: illegal map value (check the quotes, brackets and indentation here and "
       "on the lines before)"},
      {"{name: v, type: int64}", "{name: v, type: int64", ""},
      {"schema:\n", "schema: [\n", ""},  // message from yaml-cpp, file and line checked below
  };
  for (const Case& c : cases) {
    Result<PipelineSpec> s = ParsePipelineYaml(Replace(kMinimal, c.from, c.to), "p.yaml");
    ASSERT_FALSE(s.ok()) << c.to;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    if (!c.error.empty()) {
      EXPECT_EQ(s.status().message(), c.error);
    } else {
      EXPECT_EQ(s.status().message().rfind("p.yaml:", 0), 0u) << s.status().message();
      EXPECT_NE(s.status().message().find(": YAML syntax error: "), std::string::npos) << s.status().message();
    }
  }
}

TEST(PipelineSpec, AFileWithoutADocumentSaysSo) {
  for (const char* text : {"", "\n\n", "# only a comment\n", "---\n"}) {
    Result<PipelineSpec> s = ParsePipelineYaml(text, "p.yaml");
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.status().message(),
              "p.yaml: the file holds no pipeline: expected a mapping of keys (version, name, format, schema, "
              "...), as in pipelines/mta-turnstile.yaml")
        << text;
  }
  Result<PipelineSpec> list = ParsePipelineYaml("- a\n- b\n", "p.yaml");
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().message(), "p.yaml:1: a pipeline must be a mapping of keys");
}

// A file holds one pipeline: a second YAML document ("---") was ignored in silence, so a
// pipeline written after the first one in the file never ran.
TEST(PipelineSpec, ASecondDocumentIsRefused) {
  const std::string second = Replace(kMinimal, "name: p\n", "name: q\n");
  Result<PipelineSpec> s = ParsePipelineYaml(std::string(kMinimal) + "---\n" + second, "p.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "p.yaml:20: a second YAML document (after '---'): a pipeline file holds one pipeline; give each "
            "pipeline its own file");
  // Document markers around the one pipeline are fine.
  for (const std::string& text : {"---\n" + std::string(kMinimal), std::string(kMinimal) + "...\n",
                                  "---\n" + std::string(kMinimal) + "---\n"}) {
    Result<PipelineSpec> one = ParsePipelineYaml(text, "p.yaml");
    ASSERT_TRUE(one.ok()) << one.status().ToString();
    EXPECT_EQ(one->name, "p");
  }
}

// The event time's format is given in the schema or in event_time, or in both alike.
TEST(PipelineSpec, EventTimeFormatInTwoPlacesMustAgree) {
  const std::string in_schema =
      Replace(kMinimal, "{name: ts, type: timestamp}", "{name: ts, type: timestamp, format: unix_seconds}");
  EXPECT_TRUE(ParsePipelineYaml(in_schema, "p.yaml").ok());
  EXPECT_TRUE(ParsePipelineYaml(Replace(in_schema, "{field: ts}", "{field: ts, format: unix_seconds}"), "p.yaml").ok());
  Result<PipelineSpec> s =
      ParsePipelineYaml(Replace(in_schema, "{field: ts}", "{field: ts, format: 'YYYY-MM-DD HH:MM:SS'}"), "p.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "p.yaml:7: 'event_time.format': 'YYYY-MM-DD HH:MM:SS' contradicts the format of field 'ts' in the schema "
            "('unix_seconds'): give the format in one place");
}

// Seeded mutations of a good pipeline: each loads or is refused as InvalidArgument
// "p.yaml:..." (yaml-cpp's exceptions included), never a crash or another code.
TEST(PipelineSpec, MutatedYamlLoadsOrFailsWithFileAndLine) {
  const std::string good = kMinimal;
  const std::string_view specials(":-[]{} \n#&*!|>\"'\t\0" "9x", 20);
  std::mt19937 rng(20261124);
  size_t refused = 0;
  for (int k = 0; k < 3000; ++k) {
    const std::string text = testing::Mutate(good, specials, rng);
    Result<PipelineSpec> s = ParsePipelineYaml(text, "p.yaml");
    if (s.ok()) continue;
    ++refused;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << k << ": " << s.status().ToString();
    EXPECT_EQ(s.status().message().rfind("p.yaml", 0), 0u) << k << ": " << s.status().message();
  }
  EXPECT_GT(refused, 1000u);
}

// A group_by field named like a window bound could never be output: `from: window_end`
// means the window's end. Refused, not silently replaced by the window bound.
TEST(PipelineSpec, GroupFieldNamedLikeAWindowBoundIsRefused) {
  for (const std::string bound : {"window_start", "window_end"}) {
    std::string text = Replace(kMinimal, "{name: k, type: string}", "{name: " + bound + ", type: string}");
    text = Replace(text, "group_by: [k]", "group_by: [" + bound + "]");
    text = Replace(text, "{name: k, from: k}", "{name: " + bound + ", from: " + bound + "}");
    Result<PipelineSpec> s = ParsePipelineYaml(text, "p.yaml");
    ASSERT_FALSE(s.ok()) << bound;
    EXPECT_EQ(s.status().message(),
              "p.yaml:9: group_by field '" + bound + "' is named like a window bound: an output column `from: " +
                  bound + "` is the window's bound, so the field could not be output; rename it in the schema");
  }
}

// The lake's folders are date=YYYY-MM-DD (the window end's day), and readers that discover
// partitions (DuckDB's default for such paths, Spark, pyarrow) read a column named `date`,
// in any case, from the folder in place of the files' values. Only the window end's day
// (the turnstile's DATE) agrees with it; any other such column is refused.
TEST(PipelineSpec, OutputColumnNamedDateIsTheWindowEndsDayOrRefused) {
  struct Case {
    OutputColumnSpec column;
    bool ok;
  };
  const Case cases[] = {
      {{"DATE", "window_end", TimeRender::kDateMdy}, true},
      {{"date", "window_end", TimeRender::kIsoDate}, true},
      {{"dates", "k"}, true},
      {{"Date", "k"}, false},                                   // a group field: another day, or none
      {{"date", "total"}, false},                               // an aggregate
      {{"date", "window_end", TimeRender::kTimestamp}, false},  // read as a day: the time is lost
      {{"date", "window_end", TimeRender::kText}, false},
      {{"DATE", "window_start", TimeRender::kIsoDate}, false},  // a window over midnight ends a day later
  };
  for (const Case& c : cases) {
    Result<PipelineSpec> s = ParsePipelineYaml(kMinimal, "p.yaml");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    s->output[1] = c.column;
    const Status st = ValidatePipelineSpec(*s);
    if (c.ok) {
      EXPECT_TRUE(st.ok()) << c.column.name << " from " << c.column.from << ": " << st.ToString();
      continue;
    }
    EXPECT_EQ(st.message(),
              "output column '" + c.column.name +
                  "' is named like the lake's date= folders, which readers that discover partitions (DuckDB by "
                  "default, Spark, pyarrow) turn into a column date (DuckDB and Spark match it in any case) in place "
                  "of the files' values: rename it, or make it `from: window_end` with format YYYY-MM-DD or "
                  "MM/DD/YYYY (the folder's day)")
        << c.column.name << " from " << c.column.from;
  }
}

TEST(PipelineSpec, MissingFileIsAnIoError) {
  Result<PipelineSpec> s = LoadPipelineYaml("pipelines/no-such-pipeline.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kIoError);
  EXPECT_NE(s.status().message().find("pipelines/no-such-pipeline.yaml"), std::string::npos);
}

TEST(PipelineSpec, ValidateRejectsBadSpecs) {
  PipelineSpec s = TurnstilePipeline(minutes(5), minutes(5));
  s.window.slide = 0;
  EXPECT_EQ(ValidatePipelineSpec(s).message(), "window.slide must be > 0 and <= window.size");
  s = TurnstilePipeline(minutes(5), minutes(5));
  s.dedup_key.push_back("NOPE");
  EXPECT_EQ(ValidatePipelineSpec(s).message(), "dedup_key field 'NOPE' is not in the schema");
  s = TurnstilePipeline(minutes(5), minutes(5));
  s.output.push_back({"CA", "CA"});
  EXPECT_EQ(ValidatePipelineSpec(s).message(), "output column 'CA' appears twice");
  s = TurnstilePipeline(minutes(5), minutes(5));
  s.output.push_back({"Entries", "ENTRIES"});
  EXPECT_EQ(ValidatePipelineSpec(s).message(),
            "output column 'Entries' differs from 'ENTRIES' only in case, and DuckDB, Spark and Parquet readers take "
            "them for one column: rename one");
  s = TurnstilePipeline(minutes(5), minutes(5));
  s.name.clear();
  EXPECT_EQ(ValidatePipelineSpec(s).message(), "name: must not be empty");
  s = TurnstilePipeline(minutes(5), minutes(5));
  s.name = "_late";
  EXPECT_EQ(ValidatePipelineSpec(s).message().rfind("table name '_late' starts with '_'", 0), 0u);
  // 10,000 windows a record is the most: a day sliding by 9 s is 9,600.
  s = TurnstilePipeline(minutes(24 * 60), std::chrono::seconds(9));
  EXPECT_TRUE(ValidatePipelineSpec(s).ok());
  s.window.slide = 8;
  EXPECT_EQ(ValidatePipelineSpec(s).message().rfind("window: size 86400s sliding by 8s puts each record in 10800 "
                                                    "windows", 0),
            0u);
}

TEST(ParseDuration, Table) {
  const std::vector<std::pair<std::string, std::optional<int64_t>>> cases = {
      {"300", 300}, {"30s", 30},        {"5m", 300},         {"1h", 3600}, {"2d", 172800},
      {"0", 0},     {"", std::nullopt}, {"m", std::nullopt}, {"-5m", std::nullopt},
      {"5 m", std::nullopt}, {"5M", std::nullopt},
  };
  for (const auto& [text, expected] : cases) EXPECT_EQ(ParseDuration(text), expected) << text;
}

}  // namespace
}  // namespace lakestream::stream
