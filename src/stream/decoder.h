// RecordDecoder: Kafka message value -> typed fields of the pipeline's schema.
//
// Decoding never throws and, once its buffers have grown to the largest record, never
// allocates for csv and seed. Every field of the schema is checked, used or not: a record
// that does not fit the schema is a bad record, with a reason meant for a person.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "stream/pipeline_spec.h"

namespace lakestream::stream {

// One decoded field. Views point into the decoder (or the message) and stay valid until
// the next Decode() call.
struct FieldValue {
  bool is_null = false;   // JSON null; csv and seed have no NULL
  std::string_view text;  // kString
  int64_t i = 0;          // kInt64; kTimestamp as seconds since the epoch
  double d = 0;           // kDouble
};

class RecordDecoder {
 public:
  // `spec` must be valid (ValidatePipelineSpec).
  explicit RecordDecoder(const PipelineSpec& spec);

  // Returns true and fills fields(); or false with *reason set (fields() undefined).
  // `value` must outlive the use of fields().
  bool Decode(std::string_view value, std::string* reason);

  const std::vector<FieldValue>& fields() const { return fields_; }
  EventTime event_time() const { return EventTime{fields_[event_time_index_].i}; }
  // JSON records decoded without the full parser so far (see DecodeFlatJson). After 64
  // records in a row that it could not decode, the flat path rests for 4,096 records.
  uint64_t flat_json_records() const { return flat_json_records_; }
  // Off: every JSON record goes to the full parser (for tests that compare the two).
  void set_flat_json(bool on) { flat_json_ = on; }
  // Off: the flat path never rests (for tests that compare the two on mostly bad input).
  void set_flat_json_pause(bool on) { flat_pause_on_ = on; }

 private:
  bool DecodeCsvLine(std::string_view line, std::string* reason);
  bool DecodeJsonObject(std::string_view value, std::string* reason);
  // The usual JSON record, without building a document: one flat object, ASCII, scalar
  // values, each schema key once (other keys allowed). Returns false for anything else,
  // and for any error: the full parser (nlohmann) then decodes the record the same way or
  // words the reason. ~5x faster than the full parser for the turnstile object.
  bool DecodeFlatJson(std::string_view value);
  bool FlatJsonString(size_t i, std::string_view literal, bool escaped);
  bool FlatJsonNumber(size_t i, std::string_view text, bool integer);
  void NoteFlatMiss();  // counts a streak of misses; a long one rests the flat path
  bool ParseText(size_t i, std::string_view text, std::string* reason);

  std::vector<FieldSpec> schema_;
  std::vector<ColumnType> types_;  // schema_[i].type, dense for the per-field loop
  WireFormat format_;
  size_t event_time_index_ = 0;
  std::vector<FieldValue> fields_;
  // Per timestamp field, its last text and value: a partition's records mostly arrive in
  // runs with the same time (every device reads at the same hours), so most are one
  // compare instead of a parse.
  struct LastTimestamp {
    bool valid = false;
    std::string text;
    int64_t seconds = 0;
  };
  std::vector<LastTimestamp> last_timestamp_;
  // Field i's value from its last timestamp text, if `text` is that text.
  bool FromLastTimestamp(size_t i, std::string_view text, FieldValue& v) const {
    const LastTimestamp& last = last_timestamp_[i];
    if (!last.valid || text != last.text) return false;
    v.is_null = false;
    v.i = last.seconds;
    return true;
  }
  std::vector<std::string_view> parts_;
  std::string scratch_;
  std::string literal_;
  nlohmann::json doc_;
  // DecodeFlatJson's: per field the record that gave it (a stamp, so nothing is cleared
  // per record), decoded text of escaped strings, and scratch it drops (reasons, ignored
  // values' text).
  std::vector<uint64_t> seen_;
  uint64_t stamp_ = 0;
  std::vector<std::string> unescaped_;
  std::string flat_reason_;
  uint64_t flat_json_records_ = 0;
  bool flat_json_ = true;
  static constexpr uint32_t kFlatMissesToPause = 64, kFlatPause = 4096;
  uint32_t flat_misses_ = 0;  // records in a row the flat path could not decode
  uint64_t flat_records_at_miss_ = 0;  // flat_json_records_ at the last miss
  uint32_t flat_pause_ = 0;   // records left before the flat path is tried again
  bool flat_pause_on_ = true;
};

}  // namespace lakestream::stream
