#include "stream/decoder.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "formats/csv.h"
#include "formats/decimal.h"
#include "formats/json_string.h"
#include "formats/swar.h"

namespace lakestream::stream {
namespace {

// Field text quoted into a reason, cut so one huge value cannot bloat the dead letter.
// At most 64 bytes of `s` (a reason travels in every dead letter, which must stay within a
// Kafka message: process/dead_letter_topic.h), cut at a character.
std::string Cut(std::string_view s) {
  constexpr size_t kMax = 64;
  return s.size() <= kMax ? std::string(s) : std::string(Utf8Prefix(s, kMax)) + "...";
}
std::string Quote(std::string_view s) { return "'" + Cut(s) + "'"; }
// A JSON value in a reason.
template <typename Json>
std::string Shown(const Json& j) {
  return Cut(j.dump());
}

const char* FormatText(TimestampFormat f) {
  switch (f) {
    case TimestampFormat::kIsoSpace: return "YYYY-MM-DD HH:MM:SS";
    case TimestampFormat::kIsoT: return "YYYY-MM-DDTHH:MM:SS";
    case TimestampFormat::kUnixSeconds: return "unix_seconds, years 0000-9999";
  }
  return "?";
}

// The whole of `s` as a number (from_chars: no sign '+', no spaces; out of range fails).
template <typename T>
bool ParseWhole(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}
// The whole of `s` as a finite double. A number too small for a double is its nearest
// value (0 or a subnormal), as JSON parsers, strtod and DuckDB read it, where from_chars
// says out of range; one too big is refused.
bool ParseDouble(std::string_view s, double* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (p != s.data() + s.size()) return false;
  if (ec == std::errc()) return std::isfinite(*out);
  if (ec != std::errc::result_out_of_range) return false;
  const std::string text(s);  // strtod needs the terminating NUL; the grammar is from_chars's
  *out = std::strtod(text.c_str(), nullptr);
  return std::isfinite(*out);
}
// The same as ParseWhole for int64_t; the usual short numbers without from_chars.
bool ParseInt64(std::string_view s, int64_t* out) {
  const bool negative = !s.empty() && s.front() == '-';
  uint64_t v = 0;
  if (!ParseShortDigits(s.substr(negative ? 1 : 0), &v)) return ParseWhole(s, out);
  *out = negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return true;
}

// pandas and friends write integral columns as 1.0: a double taken as int64 if it is an
// exact integer in range.
bool IntegralDouble(double d, int64_t* out) {
  if (!std::isfinite(d) || d != std::trunc(d) || std::fabs(d) >= 9.2e18) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

bool ParseTimestampAs(TimestampFormat f, std::string_view s, int64_t* out) {
  switch (f) {
    case TimestampFormat::kIsoSpace: {
      std::optional<EventTime> t = ParseTimestamp(s);
      if (!t) return false;
      *out = t->seconds;
      return true;
    }
    case TimestampFormat::kIsoT: {
      if (s.size() != 19 || s[10] != 'T') return false;
      char buf[19];
      std::memcpy(buf, s.data(), 19);
      buf[10] = ' ';
      std::optional<EventTime> t = ParseTimestamp(std::string_view(buf, 19));
      if (!t) return false;
      *out = t->seconds;
      return true;
    }
    case TimestampFormat::kUnixSeconds:
      return ParseInt64(s, out) && InEventTimeRange(*out);
  }
  return false;
}

// JSON's whitespace.
void SkipJsonSpace(const char*& p, const char* end) {
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
}

// Moves p past a JSON number at p (RFC 8259 grammar); false if there is none. *integer:
// no fraction and no exponent.
bool ScanJsonNumber(const char*& p, const char* end, bool* integer) {
  auto digit = [&] { return p < end && *p >= '0' && *p <= '9'; };
  if (p < end && *p == '-') ++p;
  if (!digit()) return false;
  if (*p == '0') {
    ++p;
  } else {
    while (digit()) ++p;
  }
  *integer = true;
  if (p < end && *p == '.') {
    ++p;
    if (!digit()) return false;
    while (digit()) ++p;
    *integer = false;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    if (!digit()) return false;
    while (digit()) ++p;
    *integer = false;
  }
  return true;
}

// Moves p (just past an opening quote) past the closing quote; false if the string is
// not closed or holds a control character. *escaped: it holds a backslash escape (checked
// when decoded).
bool ScanJsonString(const char*& p, const char* end, bool* escaped) {
  *escaped = false;
  while (p < end) {
    const char c = *p;
    if (c == '"') {
      ++p;
      return true;
    }
    if (static_cast<unsigned char>(c) < 0x20) return false;
    if (c == '\\') {
      if (end - p < 2) return false;
      *escaped = true;
      p += 2;
      continue;
    }
    ++p;
  }
  return false;
}

// Whether the full parser takes this number (valid grammar assumed): it fails a document
// with a number beyond a double's range, even under a key nobody reads.
bool JsonNumberFits(std::string_view text, bool integer) {
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  if (integer && (ParseWhole(text, &i) || ParseWhole(text, &u))) return true;
  return ParseDouble(text, &d);
}

bool IsAscii(std::string_view s) {
  size_t i = 0;
  uint64_t any = 0;
  for (; i + 8 <= s.size(); i += 8) any |= swar::Load64(s.data() + i);
  for (; i < s.size(); ++i) any |= static_cast<unsigned char>(s[i]);
  return (any & swar::kHighs) == 0;
}

const char* JsonTypeName(const nlohmann::json& v) {
  if (v.is_string()) return "a string";
  if (v.is_number()) return "a number";
  if (v.is_boolean()) return "a boolean";
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  return "null";
}

}  // namespace

RecordDecoder::RecordDecoder(const PipelineSpec& spec)
    : schema_(spec.schema), format_(spec.format), fields_(spec.schema.size()), last_timestamp_(spec.schema.size()) {
  for (size_t i = 0; i < schema_.size(); ++i) {
    if (schema_[i].name == spec.event_time_field) event_time_index_ = i;
    types_.push_back(schema_[i].type);
  }
  parts_.reserve(schema_.size() + 1);
  seen_.assign(schema_.size(), 0);
  unescaped_.resize(schema_.size());
}

bool RecordDecoder::Decode(std::string_view value, std::string* reason) {
  // Kafka tells a null value (a tombstone, for compacted topics) from an empty one: the
  // consumer passes the first with no data pointer.
  if (value.data() == nullptr) {
    *reason = "null value (a Kafka tombstone): no record to decode";
    return false;
  }
  switch (format_) {
    case WireFormat::kCsv:
      return DecodeCsvLine(value, reason);
    case WireFormat::kSeed:
      if (!DecodeJsonString(value, &literal_)) {
        *reason = "not a JSON string literal";
        return false;
      }
      return DecodeCsvLine(literal_, reason);
    case WireFormat::kJson:
      return DecodeJsonObject(value, reason);
  }
  return false;
}

bool RecordDecoder::DecodeCsvLine(std::string_view line, std::string* reason) {
  // A message cut from a CRLF file (kcat splits lines at LF) ends in CR: RFC 4180's line
  // ending, not data (else a bad last field whose reason shows no CR, or a group value
  // with an invisible one).
  if (!line.empty() && line.back() == '\r') [[unlikely]] line.remove_suffix(1);
  // The lake's writers (and DuckDB reading the lake) take UTF-8 only: a record in another
  // encoding (e.g. Latin-1) is a bad record here, not a lake file that cannot be written or
  // loaded.
  if (!IsAscii(line) && !IsValidUtf8(line)) {
    *reason = "not UTF-8 text (re-encode the source as UTF-8)";
    return false;
  }
  if (!SplitCsvLine(line, &parts_, &scratch_)) {
    *reason = "bad CSV quoting: " + CsvSplitError(line);
    return false;
  }
  if (parts_.size() != schema_.size()) {
    *reason = "expected " + std::to_string(schema_.size()) + " fields, got " + std::to_string(parts_.size());
    return false;
  }
  for (size_t i = 0; i < parts_.size(); ++i) {
    // The usual cases here, in the loop; ParseText does the rest and words the errors.
    const std::string_view text = parts_[i];
    FieldValue& v = fields_[i];
    switch (types_[i]) {
      case ColumnType::kString:
        v.is_null = false;
        v.text = text;
        continue;
      case ColumnType::kInt64:
        if (ParseInt64(text, &v.i)) {
          v.is_null = false;
          continue;
        }
        break;
      case ColumnType::kTimestamp:
        if (FromLastTimestamp(i, text, v)) continue;
        break;
      case ColumnType::kDouble:
        break;
    }
    if (!ParseText(i, text, reason)) return false;
  }
  return true;
}

bool RecordDecoder::ParseText(size_t i, std::string_view text, std::string* reason) {
  const FieldSpec& f = schema_[i];
  FieldValue& v = fields_[i];
  v.is_null = false;
  switch (f.type) {
    case ColumnType::kString:
      v.text = text;
      return true;
    case ColumnType::kInt64:
      if (ParseInt64(text, &v.i)) return true;
      *reason = "field '" + f.name + "': bad int64 " + Quote(text);
      return false;
    case ColumnType::kDouble: {
      if (ParseDouble(text, &v.d)) return true;
      *reason = "field '" + f.name + "': bad double " + Quote(text);
      return false;
    }
    case ColumnType::kTimestamp: {
      if (FromLastTimestamp(i, text, v)) return true;
      if (ParseTimestampAs(f.timestamp_format, text, &v.i)) {
        LastTimestamp& last = last_timestamp_[i];
        last.valid = true;
        last.text.assign(text);
        last.seconds = v.i;
        return true;
      }
      *reason = "field '" + f.name + "': bad timestamp " + Quote(text) + " (expected " +
                FormatText(f.timestamp_format) + ")";
      return false;
    }
  }
  return false;
}

bool RecordDecoder::DecodeFlatJson(std::string_view value) {
  if (!IsAscii(value)) return false;  // UTF-8 is checked by the full parser
  const char* p = value.data();
  const char* const end = p + value.size();
  SkipJsonSpace(p, end);
  if (p == end || *p != '{') return false;
  ++p;
  ++stamp_;  // seen_[i] == stamp_: field i was given in this record
  size_t seen = 0;
  size_t next = 0;  // keys usually come in schema order
  SkipJsonSpace(p, end);
  if (p < end && *p == '}') {
    ++p;
  } else {
    while (true) {
      SkipJsonSpace(p, end);
      if (p == end || *p != '"') return false;
      const char* key_begin = ++p;
      bool escaped = false;
      if (!ScanJsonString(p, end, &escaped) || escaped) return false;  // escaped keys: full parser
      const std::string_view key(key_begin, static_cast<size_t>(p - 1 - key_begin));
      SkipJsonSpace(p, end);
      if (p == end || *p != ':') return false;
      ++p;
      SkipJsonSpace(p, end);
      if (p == end) return false;
      size_t field = schema_.size();
      if (next < schema_.size() && schema_[next].name == key) {
        field = next;
      } else {
        for (size_t i = 0; i < schema_.size(); ++i) {
          if (schema_[i].name == key) field = i;
        }
      }
      if (field < schema_.size()) {
        if (seen_[field] == stamp_) return false;  // a repeated key: full parser
        seen_[field] = stamp_;
        ++seen;
        next = field + 1;
      }
      const char* v_begin = p;
      if (*p == '"') {
        ++p;
        if (!ScanJsonString(p, end, &escaped)) return false;
        const std::string_view literal(v_begin, static_cast<size_t>(p - v_begin));
        if (field < schema_.size()) {
          if (!FlatJsonString(field, literal, escaped)) return false;
        } else if (escaped && !DecodeJsonString(literal, &flat_reason_)) {
          return false;  // an ignored value's escapes must be valid JSON too
        }
      } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
        bool integer = false;
        if (!ScanJsonNumber(p, end, &integer)) return false;
        const std::string_view number(v_begin, static_cast<size_t>(p - v_begin));
        if (field < schema_.size() ? !FlatJsonNumber(field, number, integer) : !JsonNumberFits(number, integer)) {
          return false;
        }
      } else if (static_cast<size_t>(end - p) >= 4 && std::memcmp(p, "null", 4) == 0) {
        p += 4;
        if (field < schema_.size()) {
          if (field == event_time_index_) return false;
          fields_[field].is_null = true;
        }
      } else {
        return false;  // true/false (no field takes them), nested or invalid: full parser
      }
      SkipJsonSpace(p, end);
      if (p < end && *p == ',') {
        ++p;
        continue;
      }
      if (p < end && *p == '}') {
        ++p;
        break;
      }
      return false;
    }
  }
  SkipJsonSpace(p, end);
  return p == end && seen == schema_.size();
}

bool RecordDecoder::FlatJsonString(size_t i, std::string_view literal, bool escaped) {
  std::string_view text = literal.substr(1, literal.size() - 2);
  if (escaped) {
    if (!DecodeJsonString(literal, &unescaped_[i])) return false;
    text = unescaped_[i];
  }
  FieldValue& v = fields_[i];
  switch (types_[i]) {
    case ColumnType::kString:
      v.is_null = false;
      v.text = text;
      return true;
    case ColumnType::kTimestamp:
      return ParseText(i, text, &flat_reason_);
    case ColumnType::kInt64:
    case ColumnType::kDouble:
      return false;
  }
  return false;
}

bool RecordDecoder::FlatJsonNumber(size_t i, std::string_view text, bool integer) {
  FieldValue& v = fields_[i];
  double d = 0;
  switch (types_[i]) {
    case ColumnType::kString:
      return false;
    case ColumnType::kTimestamp:
      // Out of range too: the full parser words the error.
      if (schema_[i].timestamp_format != TimestampFormat::kUnixSeconds || !integer) return false;
      v.is_null = false;
      return ParseInt64(text, &v.i) && InEventTimeRange(v.i);
    case ColumnType::kInt64:
      // Beyond int64, or not an exact integer: the full parser words the error.
      v.is_null = false;
      return integer ? ParseInt64(text, &v.i) : ParseDouble(text, &d) && IntegralDouble(d, &v.i);
    case ColumnType::kDouble: {
      // An integer literal is read as an integer and converted, as the full parser does
      // (so "-0" is 0.0, not -0.0).
      int64_t n = 0;
      v.is_null = false;
      if (integer && ParseInt64(text, &n)) {
        v.d = static_cast<double>(n);
        return true;
      }
      return ParseDouble(text, &v.d);
    }
  }
  return false;
}

void RecordDecoder::NoteFlatMiss() {
  // In a row: no flat record since the last miss.
  if (flat_json_records_ != flat_records_at_miss_) flat_misses_ = 0;
  flat_records_at_miss_ = flat_json_records_;
  if (++flat_misses_ == kFlatMissesToPause && flat_pause_on_ && flat_json_) {
    flat_misses_ = 0;
    flat_pause_ = kFlatPause;
  }
}

bool RecordDecoder::DecodeJsonObject(std::string_view value, std::string* reason) {
  // Records that are not flat (nested values, non-ASCII text) would pay the flat scan
  // before every fallback: after kFlatMissesToPause misses in a row the scan is skipped
  // for kFlatPause records, then tried again.
  if (flat_pause_ == 0) [[likely]] {
    if (flat_json_ && DecodeFlatJson(value)) [[likely]] {
      ++flat_json_records_;
      return true;
    }
    NoteFlatMiss();
  } else {
    --flat_pause_;
  }
  doc_ = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (doc_.is_discarded()) {
    try {
      nlohmann::json again = nlohmann::json::parse(value);
      *reason = "bad JSON";
    } catch (const nlohmann::json::exception& e) {
      // The parser quotes all it read of the bad token, which may be the rest of the record
      // (an unterminated string): cut like any quoted text.
      std::string_view what = e.what();
      constexpr std::string_view kLastRead = "; last read: '";
      if (const size_t at = what.find(kLastRead); at != std::string_view::npos && what.ends_with('\'')) {
        const size_t token = at + kLastRead.size();
        *reason = "bad JSON: " + std::string(what.substr(0, token)) + Cut(what.substr(token, what.size() - token - 1)) +
                  "'";
      } else {
        *reason = "bad JSON: " + Cut(what);
      }
    }
    return false;
  }
  if (!doc_.is_object()) {
    *reason = std::string("expected a JSON object, got ") + JsonTypeName(doc_);
    return false;
  }
  for (size_t i = 0; i < schema_.size(); ++i) {
    const FieldSpec& f = schema_[i];
    FieldValue& v = fields_[i];
    auto it = doc_.find(f.name);
    if (it == doc_.end()) {
      *reason = "missing key '" + f.name + "'";
      return false;
    }
    const nlohmann::json& j = *it;
    v.is_null = j.is_null();
    if (v.is_null) {
      if (i == event_time_index_) {
        *reason = "field '" + f.name + "': event time is null";
        return false;
      }
      continue;
    }
    switch (f.type) {
      case ColumnType::kString:
        if (!j.is_string()) break;
        v.text = j.get_ref<const std::string&>();
        continue;
      case ColumnType::kInt64:
        if (j.is_number_integer()) {
          if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
            *reason = "field '" + f.name + "': int64 out of range " + Shown(j);
            return false;
          }
          v.i = j.get<int64_t>();
          continue;
        }
        if (j.is_number_float()) {
          if (IntegralDouble(j.get<double>(), &v.i)) continue;
          *reason = "field '" + f.name + "': bad int64 " + Shown(j);
          return false;
        }
        break;
      case ColumnType::kDouble:
        if (!j.is_number()) break;
        v.d = j.get<double>();
        continue;
      case ColumnType::kTimestamp:
        if (f.timestamp_format == TimestampFormat::kUnixSeconds && j.is_number()) {
          // An unsigned literal beyond int64 would wrap in get<int64_t>; a float is whole
          // seconds or nothing, as for int64 fields (pandas writes 1593563132.0).
          bool whole = false;
          if (j.is_number_float()) {
            whole = IntegralDouble(j.get<double>(), &v.i);
          } else if (!(j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
            v.i = j.get<int64_t>();
            whole = true;
          }
          if (whole && InEventTimeRange(v.i)) continue;
          *reason = "field '" + f.name + "': bad timestamp " + Shown(j) + " (expected " +
                    FormatText(f.timestamp_format) + ")";
          return false;
        }
        if (!j.is_string()) break;
        if (!ParseText(i, j.get_ref<const std::string&>(), reason)) return false;
        continue;
    }
    *reason = "field '" + f.name + "': expected " +
              (f.type == ColumnType::kString ? std::string("a string")
               : f.type == ColumnType::kTimestamp ? std::string("a timestamp string")
                                                  : std::string("a number")) +
              ", got " + JsonTypeName(j);
    return false;
  }
  return true;
}

}  // namespace lakestream::stream
