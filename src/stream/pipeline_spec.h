// PipelineSpec: what a partition task decodes, deduplicates, windows and emits.
//
// A spec is plain data, loaded from YAML (pipelines/*.yaml, LoadPipelineYaml) or built in
// code (TurnstilePipeline). ValidatePipelineSpec checks every cross-reference once, so
// the engine can trust a spec that PartitionTask::Make accepted.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/table.h"
#include "formats/wire_format.h"
#include "stream/window.h"

namespace lakestream::stream {

// How a Kafka message value encodes one record (formats/wire_format.h).
using lakestream::WireFormat;

enum class TimestampFormat {
  kIsoSpace,     // "YYYY-MM-DD HH:MM:SS" (the default)
  kIsoT,         // "YYYY-MM-DDTHH:MM:SS"
  kUnixSeconds,  // integer seconds since the epoch (a JSON number, 1.7e9 too if whole, or decimal text)
};

struct FieldSpec {
  std::string name;
  ColumnType type = ColumnType::kString;
  TimestampFormat timestamp_format = TimestampFormat::kIsoSpace;  // kTimestamp fields only
  friend bool operator==(const FieldSpec&, const FieldSpec&) = default;
};

enum class AggregateFunction { kSum, kCount, kMin, kMax, kAvg };

// Over int64/double (min and max also timestamp) fields. NULL inputs (JSON null) are
// skipped as in SQL: sum/min/max/avg of no values is NULL, count counts non-NULL values.
// count with an empty `field` counts records. Sums are 64-bit (int64 sums wrap on
// overflow instead of trapping); avg is a double.
struct AggregateSpec {
  std::string name;  // the aggregate's name, referenced by output columns
  AggregateFunction function = AggregateFunction::kSum;
  std::string field;
  friend bool operator==(const AggregateSpec&, const AggregateSpec&) = default;
};

// How a window bound is rendered into an output column.
enum class TimeRender {
  kTimestamp,  // ColumnType::kTimestamp
  kDateMdy,    // string "MM/DD/YYYY"
  kTimeOfDay,  // string "HH:MM:SS"
  kIsoDate,    // string "YYYY-MM-DD"
  kText,       // string "YYYY-MM-DD HH:MM:SS"
};

inline constexpr std::string_view kWindowStart = "window_start";
inline constexpr std::string_view kWindowEnd = "window_end";

// One output column: `from` names a group-by field, an aggregate, or window_start /
// window_end (rendered with `render`; render must be kTimestamp for the other two).
struct OutputColumnSpec {
  std::string name;
  std::string from;
  TimeRender render = TimeRender::kTimestamp;
  // false: in Parquet files only, left out of CSV.gz files (YAML `csv: false`). The
  // turnstile pipeline's window timestamps: the seed's warehouse reads its CSV columns by
  // position. Output layout only, not state: not part of CanonicalSpecText.
  bool csv = true;
  friend bool operator==(const OutputColumnSpec&, const OutputColumnSpec&) = default;
};

struct PipelineSpec {
  std::string name;
  WireFormat format = WireFormat::kCsv;
  std::vector<FieldSpec> schema;
  std::vector<std::string> dedup_key;  // empty: no deduplication
  std::string event_time_field;        // a kTimestamp field of the schema
  WindowSpec window;                   // seconds
  int64_t watermark_delay = 0;         // seconds, >= 0
  std::vector<std::string> group_by;
  std::vector<AggregateSpec> aggregates;
  std::vector<OutputColumnSpec> output;
  friend bool operator==(const PipelineSpec&, const PipelineSpec&) = default;
};

// The MTA turnstile pipeline, equal to pipelines/mta-turnstile.yaml for (5 min, 5 min):
// csv wire format; dedup on ID, STATION, TIMESTAMP; event time TIMESTAMP; watermark delay
// = size; group by CA, UNIT, SCP, STATION, LINENAME, DIVISION, DESC; output CA, UNIT, SCP,
// STATION, LINENAME, DIVISION, DATE (window end, MM/DD/YYYY), TIME (window end,
// HH:MM:SS), DESC, ENTRIES, EXITS (int64 sums), WINDOW_START, WINDOW_END (timestamps,
// Parquet only).
// Set `format` to kSeed to read the seed producer's messages.
PipelineSpec TurnstilePipeline(std::chrono::seconds size, std::chrono::seconds slide);

// Checks names, types and references. Errors are InvalidArgument naming the bad item.
Status ValidatePipelineSpec(const PipelineSpec& spec);

// A pipeline's name is its lake table's folder (`process --table` overrides it): one
// folder name, not starting with '_' (the lake's own folders: _checkpoints, _dead_letters,
// _late) or '.', without '/' or '\'.
Status ValidateTableName(std::string_view name);

// A record falls in size / slide windows (rounded up), each a row of output and a merge of
// panes at its close: more than this is beyond what any dashboard needs (a day sliding by
// 10 s is 8,640). ValidatePipelineSpec refuses more.
inline constexpr int64_t kMaxWindowsPerRecord = 10000;
inline int64_t WindowsPerRecord(const WindowSpec& w) { return (w.size + w.slide - 1) / w.slide; }

// What a pipeline needs to write a lake (the engine alone does not): an output column
// `from: window_end` rendered as a timestamp, which chooses each row's date= folder.
// LakeOutputColumn is its index; CheckLakeOutput's error says what to add.
std::optional<size_t> LakeOutputColumn(const PipelineSpec& spec);
Status CheckLakeOutput(const PipelineSpec& spec);

// The typed columns PartitionTask emits; the spec must be valid.
Schema OutputSchema(const PipelineSpec& spec);

// Loads and validates a YAML pipeline. Errors are InvalidArgument "<path>:<line>: ...",
// naming the offending key; NotFound/IoError if the file cannot be read.
Result<PipelineSpec> LoadPipelineYaml(const std::string& path);
// The same from text; `source_name` stands for the path in error messages.
Result<PipelineSpec> ParsePipelineYaml(std::string_view text, std::string_view source_name);

// "30", "30s", "5m", "1h", "1d" -> seconds; nullopt if malformed or negative.
std::optional<int64_t> ParseDuration(std::string_view text);
// The longest window size, slide or watermark delay a pipeline takes: ten years.
inline constexpr int64_t kMaxWindowSeconds = int64_t{3650} * 86400;

// A canonical one-line rendering of every field; equal specs give equal text. Its hash
// guards checkpoints against being restored into a different pipeline.
std::string CanonicalSpecText(const PipelineSpec& spec);

}  // namespace lakestream::stream
