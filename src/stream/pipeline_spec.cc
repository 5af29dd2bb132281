#include "stream/pipeline_spec.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

namespace lakestream::stream {
namespace {

constexpr std::string_view kIsoSpaceText = "YYYY-MM-DD HH:MM:SS";

const FieldSpec* FindField(const PipelineSpec& spec, std::string_view name) {
  for (const FieldSpec& f : spec.schema) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const AggregateSpec* FindAggregate(const PipelineSpec& spec, std::string_view name) {
  for (const AggregateSpec& a : spec.aggregates) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

const char* AggregateName(AggregateFunction f) {
  switch (f) {
    case AggregateFunction::kSum: return "sum";
    case AggregateFunction::kCount: return "count";
    case AggregateFunction::kMin: return "min";
    case AggregateFunction::kMax: return "max";
    case AggregateFunction::kAvg: return "avg";
  }
  return "?";
}

const char* TimestampFormatName(TimestampFormat f) {
  switch (f) {
    case TimestampFormat::kIsoSpace: return "YYYY-MM-DD HH:MM:SS";
    case TimestampFormat::kIsoT: return "YYYY-MM-DDTHH:MM:SS";
    case TimestampFormat::kUnixSeconds: return "unix_seconds";
  }
  return "?";
}

const char* TimeRenderName(TimeRender r) {
  switch (r) {
    case TimeRender::kTimestamp: return "timestamp";
    case TimeRender::kDateMdy: return "MM/DD/YYYY";
    case TimeRender::kTimeOfDay: return "HH:MM:SS";
    case TimeRender::kIsoDate: return "YYYY-MM-DD";
    case TimeRender::kText: return "YYYY-MM-DD HH:MM:SS";
  }
  return "?";
}

}  // namespace

std::optional<int64_t> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t unit = 1;
  switch (text.back()) {
    case 's': unit = 1; text.remove_suffix(1); break;
    case 'm': unit = 60; text.remove_suffix(1); break;
    case 'h': unit = 3600; text.remove_suffix(1); break;
    case 'd': unit = 86400; text.remove_suffix(1); break;
    default: break;
  }
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || v < 0) return std::nullopt;
  if (v > std::numeric_limits<int64_t>::max() / unit) return std::nullopt;
  return v * unit;
}

PipelineSpec TurnstilePipeline(std::chrono::seconds size, std::chrono::seconds slide) {
  PipelineSpec s;
  s.name = "mta-turnstile";
  s.format = WireFormat::kCsv;
  for (const char* name : {"CA", "UNIT", "SCP", "STATION", "LINENAME", "DIVISION", "DATE", "TIME", "DESC"}) {
    s.schema.push_back({name, ColumnType::kString});
  }
  s.schema.push_back({"ENTRIES", ColumnType::kInt64});
  s.schema.push_back({"EXITS", ColumnType::kInt64});
  s.schema.push_back({"ID", ColumnType::kString});
  s.schema.push_back({"TIMESTAMP", ColumnType::kTimestamp});
  s.dedup_key = {"ID", "STATION", "TIMESTAMP"};
  s.event_time_field = "TIMESTAMP";
  s.window = WindowSpec{size.count(), slide.count()};
  s.watermark_delay = size.count();
  s.group_by = {"CA", "UNIT", "SCP", "STATION", "LINENAME", "DIVISION", "DESC"};
  s.aggregates = {{"ENTRIES", AggregateFunction::kSum, "ENTRIES"},
                  {"EXITS", AggregateFunction::kSum, "EXITS"}};
  for (const char* name : {"CA", "UNIT", "SCP", "STATION", "LINENAME", "DIVISION"}) {
    s.output.push_back({name, name});
  }
  s.output.push_back({"DATE", std::string(kWindowEnd), TimeRender::kDateMdy});
  s.output.push_back({"TIME", std::string(kWindowEnd), TimeRender::kTimeOfDay});
  s.output.push_back({"DESC", "DESC"});
  s.output.push_back({"ENTRIES", "ENTRIES"});
  s.output.push_back({"EXITS", "EXITS"});
  s.output.push_back({"WINDOW_START", std::string(kWindowStart), TimeRender::kTimestamp, /*csv=*/false});
  s.output.push_back({"WINDOW_END", std::string(kWindowEnd), TimeRender::kTimestamp, /*csv=*/false});
  return s;
}

Status ValidateTableName(std::string_view name) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument(fmt::format("table name '{}' {}: it is the lake's table folder, so give one "
                                               "folder name such as 'turnstile' or 'taxi-rides'",
                                               name, why));
  };
  if (name.empty()) return Status::InvalidArgument("name: must not be empty");
  if (name.front() == '_') return bad("starts with '_', as the lake's own folders do (_checkpoints, _dead_letters, _late)");
  if (name.front() == '.') return bad("starts with '.', as hidden and temporary files do");
  if (name.find_first_of("/\\") != std::string_view::npos) return bad("holds a '/' or '\\'");
  if (name.size() > 200) return bad("is longer than 200 bytes");
  return Status::Ok();
}

// The window has a size and a slide in (0, size].
Status CheckWindowsPerRecord(const WindowSpec& w) {
  const int64_t per_record = WindowsPerRecord(w);
  if (per_record <= kMaxWindowsPerRecord) return Status::Ok();
  return Status::InvalidArgument(fmt::format(
      "size {}s sliding by {}s puts each record in {} windows, more than the {} allowed: make the slide longer (at "
      "least {}s) or the window shorter",
      w.size, w.slide, per_record, kMaxWindowsPerRecord, (w.size + kMaxWindowsPerRecord - 1) / kMaxWindowsPerRecord));
}


Status ValidatePipelineSpec(const PipelineSpec& spec) {
  auto bad = [](std::string m) { return Status::InvalidArgument(std::move(m)); };
  LS_RETURN_NOT_OK(ValidateTableName(spec.name));
  if (spec.schema.empty()) return bad("schema: no fields");
  std::set<std::string, std::less<>> names;
  for (const FieldSpec& f : spec.schema) {
    if (f.name.empty()) return bad("schema: a field has an empty name");
    if (!names.insert(f.name).second) return bad("schema: field '" + f.name + "' appears twice");
  }
  if (spec.window.size <= 0) return bad("window.size must be > 0");
  if (spec.window.slide <= 0 || spec.window.slide > spec.window.size) {
    return bad("window.slide must be > 0 and <= window.size");
  }
  if (Status st = CheckWindowsPerRecord(spec.window); !st.ok()) return bad("window: " + st.message());
  if (spec.watermark_delay < 0) return bad("watermark_delay must be >= 0");
  const FieldSpec* et = FindField(spec, spec.event_time_field);
  if (et == nullptr) return bad("event_time.field '" + spec.event_time_field + "' is not in the schema");
  if (et->type != ColumnType::kTimestamp) {
    return bad("event_time.field '" + et->name + "' must have type timestamp");
  }
  for (const std::string& k : spec.dedup_key) {
    if (FindField(spec, k) == nullptr) return bad("dedup_key field '" + k + "' is not in the schema");
  }
  std::set<std::string, std::less<>> group_names;
  for (const std::string& g : spec.group_by) {
    if (FindField(spec, g) == nullptr) return bad("group_by field '" + g + "' is not in the schema");
    if (!group_names.insert(g).second) return bad("group_by field '" + g + "' appears twice");
    // Output columns resolve `from: window_end` to the window bound first: such a field
    // would be grouped by but never output, the bound taking its column in silence.
    if (g == kWindowStart || g == kWindowEnd) {
      return bad("group_by field '" + g + "' is named like a window bound: an output column `from: " + g +
                 "` is the window's bound, so the field could not be output; rename it in the schema");
    }
  }
  std::set<std::string, std::less<>> agg_names;
  for (const AggregateSpec& a : spec.aggregates) {
    if (a.name.empty()) return bad("aggregates: an aggregate has an empty name");
    if (!agg_names.insert(a.name).second) return bad("aggregate '" + a.name + "' appears twice");
    if (group_names.count(a.name) != 0 || a.name == kWindowStart || a.name == kWindowEnd) {
      return bad("aggregate name '" + a.name + "' is also a group_by field or window bound");
    }
    if (a.field.empty()) {
      if (a.function != AggregateFunction::kCount) {
        return bad(std::string("aggregate '") + a.name + "': " + AggregateName(a.function) + " needs a field");
      }
      continue;
    }
    const FieldSpec* f = FindField(spec, a.field);
    if (f == nullptr) return bad("aggregate '" + a.name + "': field '" + a.field + "' is not in the schema");
    bool numeric = f->type == ColumnType::kInt64 || f->type == ColumnType::kDouble;
    bool ordered = numeric || f->type == ColumnType::kTimestamp;
    bool ok = a.function == AggregateFunction::kCount ||
              ((a.function == AggregateFunction::kMin || a.function == AggregateFunction::kMax) ? ordered : numeric);
    if (!ok) {
      return bad(std::string("aggregate '") + a.name + "': " + AggregateName(a.function) + " over " +
                 ColumnTypeName(f->type) + " field '" + a.field +
                 "' is not supported: sum and avg take int64 and double fields, min and max those and timestamp "
                 "ones, count any field (or none, to count records)");
    }
  }
  if (spec.output.empty()) return bad("output: no columns");
  std::set<std::string, std::less<>> out_names;
  // By name without case: DuckDB (which writes the Parquet files, and reads the lake),
  // Spark and BigQuery take "rides" and "Rides" for one column, so the Parquet writer
  // could not create its table and readers of CSV files would rename or refuse one.
  std::map<std::string, std::string, std::less<>> out_folded;
  for (const OutputColumnSpec& c : spec.output) {
    if (c.name.empty()) return bad("output: a column has an empty name");
    if (!out_names.insert(c.name).second) return bad("output column '" + c.name + "' appears twice");
    std::string folded = c.name;
    std::transform(folded.begin(), folded.end(), folded.begin(), [](unsigned char ch) { return std::tolower(ch); });
    const bool named_date = folded == "date";
    if (auto [it, fresh] = out_folded.emplace(std::move(folded), c.name); !fresh) {
      return bad("output column '" + c.name + "' differs from '" + it->second +
                 "' only in case, and DuckDB, Spark and Parquet readers take them for one column: rename one");
    }
    bool window_bound = c.from == kWindowStart || c.from == kWindowEnd;
    if (!window_bound && group_names.count(c.from) == 0 && agg_names.count(c.from) == 0) {
      if (FindField(spec, c.from) != nullptr) {
        return bad("output column '" + c.name + "': field '" + c.from +
                   "' is neither grouped by nor aggregated: add it to group_by, or add an aggregate of it under "
                   "aggregates and output that");
      }
      return bad("output column '" + c.name + "': '" + c.from +
                 "' is not a group_by field, an aggregate, window_start or window_end");
    }
    if (!window_bound && c.render != TimeRender::kTimestamp) {
      return bad("output column '" + c.name + "': format applies only to window_start/window_end");
    }
    // A row's folder is date=<its window end's day>, and readers that discover partitions
    // put that day in a column `date` over the files' own: only the same day may be there.
    const bool folder_day =
        c.from == kWindowEnd && (c.render == TimeRender::kIsoDate || c.render == TimeRender::kDateMdy);
    if (named_date && !folder_day) {
      return bad("output column '" + c.name +
                 "' is named like the lake's date= folders, which readers that discover partitions (DuckDB by "
                 "default, Spark, pyarrow) turn into a column date (DuckDB and Spark match it in any case) in place "
                 "of the files' values: rename it, or make it `from: window_end` with format YYYY-MM-DD or "
                 "MM/DD/YYYY (the folder's day)");
    }
  }
  return Status::Ok();
}

std::optional<size_t> LakeOutputColumn(const PipelineSpec& spec) {
  for (size_t i = 0; i < spec.output.size(); ++i) {
    if (spec.output[i].from == kWindowEnd && spec.output[i].render == TimeRender::kTimestamp) return i;
  }
  return std::nullopt;
}

Status CheckLakeOutput(const PipelineSpec& spec) {
  if (LakeOutputColumn(spec)) return Status::Ok();
  return Status::InvalidArgument(
      "needs a column `from: window_end` as a timestamp (format: timestamp, the default): it chooses each row's "
      "date= folder in the lake; add `- {name: WINDOW_END, from: window_end, csv: false}` to keep it out of CSV "
      "files");
}

Schema OutputSchema(const PipelineSpec& spec) {
  Schema schema;
  for (const OutputColumnSpec& c : spec.output) {
    ColumnType type = ColumnType::kString;
    if (c.from == kWindowStart || c.from == kWindowEnd) {
      type = c.render == TimeRender::kTimestamp ? ColumnType::kTimestamp : ColumnType::kString;
    } else if (const AggregateSpec* a = FindAggregate(spec, c.from); a != nullptr) {
      const FieldSpec* f = a->field.empty() ? nullptr : FindField(spec, a->field);
      switch (a->function) {
        case AggregateFunction::kCount: type = ColumnType::kInt64; break;
        case AggregateFunction::kAvg: type = ColumnType::kDouble; break;
        case AggregateFunction::kSum: type = f->type; break;
        case AggregateFunction::kMin:
        case AggregateFunction::kMax: type = f->type; break;
      }
    } else {
      type = FindField(spec, c.from)->type;
    }
    schema.columns.push_back({c.name, type});
  }
  return schema;
}

std::string CanonicalSpecText(const PipelineSpec& spec) {
  std::ostringstream o;
  o << "name=" << spec.name << ";format=" << WireFormatName(spec.format) << ";schema=";
  for (const FieldSpec& f : spec.schema) {
    o << f.name << ':' << ColumnTypeName(f.type);
    if (f.type == ColumnType::kTimestamp) o << ':' << TimestampFormatName(f.timestamp_format);
    o << ',';
  }
  o << ";dedup=";
  for (const std::string& k : spec.dedup_key) o << k << ',';
  o << ";event_time=" << spec.event_time_field << ";window=" << spec.window.size << '/'
    << spec.window.slide << ";delay=" << spec.watermark_delay << ";group_by=";
  for (const std::string& g : spec.group_by) o << g << ',';
  o << ";aggregates=";
  for (const AggregateSpec& a : spec.aggregates) o << a.name << '=' << AggregateName(a.function) << '(' << a.field << "),";
  o << ";output=";
  for (const OutputColumnSpec& c : spec.output) o << c.name << '=' << c.from << ':' << TimeRenderName(c.render) << ',';
  return o.str();
}

// ---- YAML ----

namespace {

// Throwing is confined to this loader: start-up configuration only.
struct SpecError {
  std::string message;
};

class YamlLoader {
 public:
  explicit YamlLoader(std::string_view source) : source_(source) {}

  PipelineSpec Load(const YAML::Node& root) {
    if (!root.IsDefined() || root.IsNull()) {
      throw SpecError{std::string(source_) +
                      ": the file holds no pipeline: expected a mapping of keys (version, name, format, "
                      "schema, ...), as in pipelines/mta-turnstile.yaml"};
    }
    if (!root.IsMap()) Fail(root, "a pipeline must be a mapping of keys");
    CheckKeys(root, "pipeline",
              {"version", "name", "format", "schema", "event_time", "dedup_key", "window",
               "watermark_delay", "group_by", "aggregates", "output"});
    PipelineSpec spec;
    if (YAML::Node v = root["version"]) {
      if (Scalar(v, "version") != "1") Fail(v, "'version': only version 1 is supported");
    }
    spec.name = Scalar(Required(root, "name", "pipeline"), "name");
    if (spec.name.empty()) Fail(root["name"], "'name': must not be empty: it names the lake's table folder");
    if (Status st = ValidateTableName(spec.name); !st.ok()) Fail(root["name"], "'name': " + st.message());
    std::string format = Scalar(Required(root, "format", "pipeline"), "format");
    if (format == "csv") {
      spec.format = WireFormat::kCsv;
    } else if (format == "seed") {
      spec.format = WireFormat::kSeed;
    } else if (format == "json") {
      spec.format = WireFormat::kJson;
    } else {
      Fail(root["format"], "'format': expected csv, seed or json, got '" + format + "'");
    }

    YAML::Node schema = Required(root, "schema", "pipeline");
    std::map<std::string, std::string, std::less<>> field_formats;  // as written in the schema
    if (!schema.IsSequence() || schema.size() == 0) Fail(schema, "'schema': expected a non-empty list of {name, type}");
    for (const YAML::Node& f : schema) {
      if (!f.IsMap()) Fail(f, "'schema': expected {name: ..., type: ...}");
      CheckKeys(f, "schema field", {"name", "type", "format"});
      FieldSpec field;
      field.name = Scalar(Required(f, "name", "schema field"), "name");
      if (field.name.empty()) {
        Fail(f, "'schema': a field has an empty name: give each field its column's (csv) or key's (json) name");
      }
      YAML::Node type = Required(f, "type", "schema field");
      std::string t = Scalar(type, "type");
      if (t == "string") {
        field.type = ColumnType::kString;
      } else if (t == "int64") {
        field.type = ColumnType::kInt64;
      } else if (t == "double") {
        field.type = ColumnType::kDouble;
      } else if (t == "timestamp") {
        field.type = ColumnType::kTimestamp;
      } else {
        Fail(type, "'type' of field '" + field.name + "': expected string, int64, double or timestamp, got '" + t + "'");
      }
      if (YAML::Node fmt = f["format"]) {
        if (field.type != ColumnType::kTimestamp) Fail(fmt, "'format' of field '" + field.name + "': only timestamp fields have a format");
        field.timestamp_format = TimestampFormatOf(fmt);
        field_formats[field.name] = fmt.Scalar();
      }
      if (FindField(spec, field.name) != nullptr) Fail(f, "'schema': field '" + field.name + "' appears twice");
      spec.schema.push_back(field);
    }

    YAML::Node et = Required(root, "event_time", "pipeline");
    if (!et.IsMap()) Fail(et, "'event_time': expected {field: ..., format: ...}");
    CheckKeys(et, "event_time", {"field", "format"});
    YAML::Node et_field = Required(et, "field", "event_time");
    spec.event_time_field = Scalar(et_field, "field");
    FieldSpec* etf = nullptr;
    for (FieldSpec& f : spec.schema) {
      if (f.name == spec.event_time_field) etf = &f;
    }
    if (etf == nullptr) Fail(et_field, "'event_time.field': '" + spec.event_time_field + "' is not in the schema");
    if (etf->type != ColumnType::kTimestamp) Fail(et_field, "'event_time.field': '" + etf->name + "' must have type timestamp");
    if (YAML::Node fmt = et["format"]) {
      const TimestampFormat given = TimestampFormatOf(fmt);
      if (auto it = field_formats.find(etf->name); it != field_formats.end() && given != etf->timestamp_format) {
        Fail(fmt, "'event_time.format': '" + fmt.Scalar() + "' contradicts the format of field '" + etf->name +
                      "' in the schema ('" + it->second + "'): give the format in one place");
      }
      etf->timestamp_format = given;
    }

    if (YAML::Node key = root["dedup_key"]) spec.dedup_key = FieldList(spec, key, "dedup_key");

    YAML::Node window = Required(root, "window", "pipeline");
    if (!window.IsMap()) Fail(window, "'window': expected {size: ..., slide: ...}");
    CheckKeys(window, "window", {"size", "slide"});
    spec.window.size = Duration(Required(window, "size", "window"), "size");
    spec.window.slide = window["slide"] ? Duration(window["slide"], "slide") : spec.window.size;
    if (spec.window.size <= 0) Fail(window["size"], "'size': must be > 0");
    if (spec.window.slide <= 0 || spec.window.slide > spec.window.size) {
      Fail(window["slide"] ? window["slide"] : window, "'slide': must be > 0 and <= size");
    }
    if (Status st = CheckWindowsPerRecord(spec.window); !st.ok()) Fail(window, "'window': " + st.message());
    spec.watermark_delay = root["watermark_delay"] ? Duration(root["watermark_delay"], "watermark_delay") : spec.window.size;

    if (YAML::Node g = root["group_by"]) {
      spec.group_by = FieldList(spec, g, "group_by");
      CheckAt(spec, g);
    }

    YAML::Node aggs = Required(root, "aggregates", "pipeline");
    if (!aggs.IsSequence()) Fail(aggs, "'aggregates': expected a list of {name, function, field}");
    for (const YAML::Node& a : aggs) {
      if (!a.IsMap()) Fail(a, "'aggregates': expected {name: ..., function: ..., field: ...}");
      CheckKeys(a, "aggregate", {"name", "function", "field"});
      AggregateSpec agg;
      agg.name = Scalar(Required(a, "name", "aggregate"), "name");
      YAML::Node fn = Required(a, "function", "aggregate");
      std::string f = Scalar(fn, "function");
      if (f == "sum") {
        agg.function = AggregateFunction::kSum;
      } else if (f == "count") {
        agg.function = AggregateFunction::kCount;
      } else if (f == "min") {
        agg.function = AggregateFunction::kMin;
      } else if (f == "max") {
        agg.function = AggregateFunction::kMax;
      } else if (f == "avg") {
        agg.function = AggregateFunction::kAvg;
      } else {
        Fail(fn, "'function' of aggregate '" + agg.name + "': expected sum, count, min, max or avg, got '" + f + "'");
      }
      if (YAML::Node field = a["field"]) {
        agg.field = Scalar(field, "field");
        if (FindField(spec, agg.field) == nullptr) Fail(field, "'field' of aggregate '" + agg.name + "': '" + agg.field + "' is not in the schema");
      }
      spec.aggregates.push_back(agg);
      CheckAt(spec, a);
    }

    YAML::Node out = Required(root, "output", "pipeline");
    if (!out.IsSequence() || out.size() == 0) Fail(out, "'output': expected a non-empty list of {name, from, format, csv}");
    for (const YAML::Node& c : out) {
      if (!c.IsMap()) Fail(c, "'output': expected {name: ..., from: ..., format: ..., csv: ...}");
      CheckKeys(c, "output column", {"name", "from", "format", "csv"});
      OutputColumnSpec col;
      col.name = Scalar(Required(c, "name", "output column"), "name");
      col.from = c["from"] ? Scalar(c["from"], "from") : col.name;
      if (YAML::Node fmt = c["format"]) {
        std::string f = Scalar(fmt, "format");
        if (f == "timestamp") {
          col.render = TimeRender::kTimestamp;
        } else if (f == "MM/DD/YYYY") {
          col.render = TimeRender::kDateMdy;
        } else if (f == "HH:MM:SS") {
          col.render = TimeRender::kTimeOfDay;
        } else if (f == "YYYY-MM-DD") {
          col.render = TimeRender::kIsoDate;
        } else if (f == kIsoSpaceText) {
          col.render = TimeRender::kText;
        } else {
          Fail(fmt, "'format' of output column '" + col.name +
                        "': expected timestamp, MM/DD/YYYY, HH:MM:SS, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS, got '" + f + "'");
        }
      }
      if (YAML::Node csv = c["csv"]) {
        const std::string v = Scalar(csv, "csv");
        if (v != "true" && v != "false") {
          Fail(csv, "'csv' of output column '" + col.name + "': expected true or false, got '" + v + "'");
        }
        col.csv = v == "true";
      }
      spec.output.push_back(col);
      CheckAt(spec, c);
    }
    // The lake needs it (the engine does not): checked here, before a job starts.
    if (Status st = CheckLakeOutput(spec); !st.ok()) Fail(out, "'output': " + st.message());
    CheckAt(spec, root);
    return spec;
  }

 private:
  [[noreturn]] void Fail(const YAML::Node& at, const std::string& message) const {
    throw SpecError{std::string(source_) + ":" + std::to_string(at.Mark().line + 1) + ": " + message};
  }

  // Re-runs the full validation so that errors found only in combination (an aggregate
  // named like a group field, an output naming nothing) still point at a line.
  void CheckAt(const PipelineSpec& spec, const YAML::Node& at) const {
    PipelineSpec probe = spec;
    if (probe.output.empty()) probe.output.push_back({"_", std::string(kWindowEnd)});
    Status st = ValidatePipelineSpec(probe);
    if (!st.ok()) Fail(at, st.message());
  }

  void CheckKeys(const YAML::Node& map, std::string_view what, std::initializer_list<std::string_view> allowed) const {
    std::vector<std::string> seen;
    for (const auto& kv : map) {
      std::string key = kv.first.Scalar();
      // YAML forbids a repeated key, but the parser keeps the first silently.
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        Fail(kv.first, "key '" + key + "' appears twice in " + std::string(what) + ": keep one");
      }
      seen.push_back(key);
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string expected;
        for (std::string_view a : allowed) expected += (expected.empty() ? "" : ", ") + std::string(a);
        Fail(kv.first, "unknown key '" + key + "' in " + std::string(what) + " (expected one of: " + expected + ")");
      }
    }
  }

  YAML::Node Required(const YAML::Node& map, const char* key, std::string_view what) const {
    YAML::Node n = map[key];
    if (!n) Fail(map, "missing key '" + std::string(key) + "' in " + std::string(what));
    return n;
  }

  std::string Scalar(const YAML::Node& n, std::string_view key) const {
    if (!n.IsScalar()) Fail(n, "'" + std::string(key) + "': expected a single value");
    return n.Scalar();
  }

  int64_t Duration(const YAML::Node& n, std::string_view key) const {
    std::string text = Scalar(n, key);
    std::optional<int64_t> d = ParseDuration(text);
    if (!d) Fail(n, "'" + std::string(key) + "': expected a duration like 300, 30s, 5m or 1h, got '" + text + "'");
    // Windows and delays beyond ten years are surely a slip; they would also put window
    // bounds past the years the lake's dates can show.
    if (*d > kMaxWindowSeconds) Fail(n, "'" + std::string(key) + "': at most 3650d (ten years), got '" + text + "'");
    return *d;
  }

  TimestampFormat TimestampFormatOf(const YAML::Node& n) const {
    std::string f = Scalar(n, "format");
    if (f == kIsoSpaceText) return TimestampFormat::kIsoSpace;
    if (f == "YYYY-MM-DDTHH:MM:SS") return TimestampFormat::kIsoT;
    if (f == "unix_seconds") return TimestampFormat::kUnixSeconds;
    Fail(n, "'format': expected YYYY-MM-DD HH:MM:SS, YYYY-MM-DDTHH:MM:SS or unix_seconds, got '" + f + "'");
  }

  std::vector<std::string> FieldList(const PipelineSpec& spec, const YAML::Node& n, std::string_view key) const {
    if (!n.IsSequence()) Fail(n, "'" + std::string(key) + "': expected a list of field names");
    std::vector<std::string> out;
    for (const YAML::Node& item : n) {
      std::string name = Scalar(item, key);
      if (FindField(spec, name) == nullptr) Fail(item, "'" + std::string(key) + "': field '" + name + "' is not in the schema");
      if (Contains(out, name)) Fail(item, "'" + std::string(key) + "': field '" + name + "' appears twice");
      out.push_back(std::move(name));
    }
    return out;
  }

  std::string_view source_;
};

}  // namespace

Result<PipelineSpec> ParsePipelineYaml(std::string_view text, std::string_view source_name) {
  try {
    // A document marker alone ("---" with nothing after it) holds no document.
    std::vector<YAML::Node> documents;
    for (YAML::Node& d : YAML::LoadAll(std::string(text))) {
      if (d.IsDefined() && !d.IsNull()) documents.push_back(std::move(d));
    }
    if (documents.size() > 1) {
      return Status::InvalidArgument(fmt::format(
          "{}:{}: a second YAML document (after '---'): a pipeline file holds one pipeline; give each pipeline "
          "its own file",
          source_name, documents[1].Mark().line + 1));
    }
    return YamlLoader(source_name).Load(documents.empty() ? YAML::Node() : documents[0]);
  } catch (const SpecError& e) {
    return Status::InvalidArgument(e.message);
  } catch (const YAML::ParserException& e) {
    // yaml-cpp's words ("illegal map value") do not say they are about syntax.
    return Status::InvalidArgument(fmt::format(
        "{}:{}:{}: YAML syntax error: {} (check the quotes, brackets and indentation here and on the lines before)",
        source_name, e.mark.line + 1, e.mark.column + 1, e.msg));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string(source_name) + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

Result<PipelineSpec> LoadPipelineYaml(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FromErrno(errno, "open pipeline", path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::FromErrno(errno, "read pipeline", path);
  return ParsePipelineYaml(text.str(), path);
}

}  // namespace lakestream::stream
