#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <cmath>
#include <chrono>

#include "formats/csv.h"
#include "formats/json_string.h"
#include "formats/text_file.h"
#include "produce/source.h"

namespace lakestream::produce {
namespace {

enum class Kind { kInt, kDouble, kString, kDateTime };

struct RideColumn {
  const char* name;
  Kind kind;
};

constexpr RideColumn kRideColumns[] = {
    {"VendorID", Kind::kInt},          {"tpep_pickup_datetime", Kind::kDateTime},
    {"tpep_dropoff_datetime", Kind::kDateTime}, {"passenger_count", Kind::kInt},
    {"trip_distance", Kind::kDouble},  {"RatecodeID", Kind::kInt},
    {"store_and_fwd_flag", Kind::kString}, {"PULocationID", Kind::kInt},
    {"DOLocationID", Kind::kInt},      {"payment_type", Kind::kInt},
    {"fare_amount", Kind::kDouble},    {"extra", Kind::kDouble},
    {"mta_tax", Kind::kDouble},        {"tip_amount", Kind::kDouble},
    {"tolls_amount", Kind::kDouble},   {"improvement_surcharge", Kind::kDouble},
    {"total_amount", Kind::kDouble},   {"congestion_surcharge", Kind::kDouble},
};
constexpr size_t kPickup = 1, kDropoff = 2, kPuLocation = 7;

// An integer, also written as a whole decimal ("1.0", "2.", "-0.00", "+3"): pandas writes the
// TLC's integer columns so where they hold NULLs (they are doubles in its Parquet files),
// and the engine takes 1.0 for an int64 field. Any other fraction is not an integer.
std::optional<int64_t> ParseInt(std::string_view s) {
  // A leading '+' too, as for the amounts (AppendJsonNumber).
  if (s.size() > 1 && s.front() == '+' && s[1] != '-') s.remove_prefix(1);
  if (size_t dot = s.find('.'); dot != std::string_view::npos) {
    if (s.find_first_not_of('0', dot + 1) != std::string_view::npos) return std::nullopt;
    s = s.substr(0, dot);
  }
  int64_t v;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

bool IsJsonNumber(std::string_view s) {
  if (s.empty()) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
  if (s[i] == '0' && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '9') return false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i < s.size() && s[i] == '.') {
    if (++i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    if (++i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  }
  return i == s.size();
}

// Appends a CSV number as a JSON number: kept as written when it is valid JSON
// ("1.50"), otherwise normalized (".73" -> 0.73, "5." -> 5). False if not a number, or
// not one a double holds (1e400, 1e-400: a reader of the JSON could not take it).
bool AppendJsonNumber(std::string* out, std::string_view s) {
  if (IsJsonNumber(s)) {
    if (s.size() > 300 || s.find_first_of("eE") != std::string_view::npos) {
      double v;
      auto r = std::from_chars(s.data(), s.data() + s.size(), v);
      if (r.ec != std::errc() || !std::isfinite(v)) return false;
    }
    out->append(s);
    return true;
  }
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v)) return false;
  char buf[32];
  auto w = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, w.ptr);
  return true;
}

struct Ride {
  EventTime pickup;
  uint32_t line;
  std::string key;
  std::string json;
};

class RidesSource final : public MessageSource {
 public:
  RidesSource(std::vector<Ride> rides, std::vector<RejectedLine> issues, int64_t shift)
      : rides_(std::move(rides)), issues_(std::move(issues)), shift_(shift) {}

  bool Next(SourceMessage* m) override {
    if (next_ >= rides_.size()) return false;
    const Ride& r = rides_[next_++];
    m->key = r.key;
    m->time = EventTime{r.pickup.seconds + shift_};
    if (shift_ == 0) {
      m->value = r.json;
    } else {
      // Rewrite both datetimes; they are the only 19-character quoted values.
      m->value = r.json;
      for (const char* col : {kRideColumns[kPickup].name, kRideColumns[kDropoff].name}) {
        std::string needle = fmt::format("\"{}\":\"", col);
        size_t at = m->value.find(needle);
        if (at == std::string::npos) continue;
        at += needle.size();
        if (auto t = ParseTimestamp(std::string_view(m->value).substr(at, 19))) {
          m->value.replace(at, 19, FormatTimestamp(EventTime{t->seconds + shift_}));
        }
      }
    }
    return true;
  }
  std::optional<uint64_t> Total() const override { return rides_.size(); }
  const std::vector<RejectedLine>& Issues() const override { return issues_; }

 private:
  std::vector<Ride> rides_;
  std::vector<RejectedLine> issues_;
  int64_t shift_;
  size_t next_ = 0;
};

}  // namespace

Result<std::unique_ptr<MessageSource>> MakeRidesSource(const std::string& path,
                                                       const RidesOptions& options) {
  std::vector<Ride> rides;
  std::vector<RejectedLine> issues;
  std::vector<std::string_view> fields;
  std::string scratch;
  bool header = false;
  auto bad = [&](uint32_t line_no, std::string why, std::string_view line) {
    issues.push_back(RejectedLine{path, line_no, std::move(why), std::string(line)});
  };
  auto on_line = [&](uint32_t line_no, std::string_view line) -> Status {
    if (TrimSpaces(line).empty()) return Status::Ok();
    if (!SplitCsvLine(line, &fields, &scratch)) {
      if (!header) {
        return Status::InvalidArgument(
            fmt::format("{}:{}: bad CSV quoting in the header: {}", path, line_no, CsvSplitError(line)));
      }
      bad(line_no, "bad CSV quoting: " + CsvSplitError(line), line);
      return Status::Ok();
    }
    if (!header) {
      header = true;
      bool ok = fields.size() == std::size(kRideColumns);
      for (size_t i = 0; ok && i < fields.size(); ++i) ok = TrimSpaces(fields[i]) == kRideColumns[i].name;
      if (!ok) {
        return Status::InvalidArgument(fmt::format(
            "{}:{}: not a taxi rides file: expected the 18 yellow-taxi columns "
            "VendorID,tpep_pickup_datetime,...,congestion_surcharge",
            path, line_no));
      }
      return Status::Ok();
    }
    // As the turnstile reader: a row's text would otherwise go into the JSON with each
    // byte read as a Latin-1 character (AppendJsonString).
    if (!IsValidUtf8(line)) {
      bad(line_no, "not UTF-8 text (re-encode the file as UTF-8)", line);
      return Status::Ok();
    }
    if (fields.size() != std::size(kRideColumns)) {
      bad(line_no, fmt::format("expected {} fields, found {}", std::size(kRideColumns), fields.size()), line);
      return Status::Ok();
    }
    Ride ride;
    ride.line = line_no;
    ride.json.push_back('{');
    std::string why;
    for (size_t i = 0; i < fields.size() && why.empty(); ++i) {
      std::string_view v = TrimSpaces(fields[i]);
      const RideColumn& c = kRideColumns[i];
      if (i > 0) ride.json.push_back(',');
      AppendJsonString(&ride.json, c.name);
      ride.json.push_back(':');
      if (v.empty()) {
        if (i == kPickup || i == kPuLocation) why = fmt::format("{} is empty", c.name);
        ride.json.append("null");
        continue;
      }
      switch (c.kind) {
        case Kind::kInt: {
          // Written as the number, not as the text: `007` is no JSON number, and as a key it
          // would be another location than `7`.
          const std::optional<int64_t> n = ParseInt(v);
          if (!n) {
            why = fmt::format("bad {} `{}` (expected an integer)", c.name, v);
            break;
          }
          ride.json.append(std::to_string(*n));
          if (i == kPuLocation) ride.key = std::to_string(*n);
          break;
        }
        case Kind::kDouble:
          if (!AppendJsonNumber(&ride.json, v)) {
            why = fmt::format("bad {} `{}` (expected a number a double holds)", c.name, v);
          }
          break;
        case Kind::kString:
          AppendJsonString(&ride.json, v);
          break;
        case Kind::kDateTime: {
          auto t = ParseTimestamp(v);
          if (!t) {
            why = fmt::format("bad {} `{}` (expected YYYY-MM-DD HH:MM:SS)", c.name, v);
            break;
          }
          if (i == kPickup) ride.pickup = *t;
          AppendJsonString(&ride.json, v);
          break;
        }
      }
    }
    if (!why.empty()) {
      bad(line_no, std::move(why), line);
      return Status::Ok();
    }
    ride.json.push_back('}');
    rides.push_back(std::move(ride));
    return Status::Ok();
  };
  LS_RETURN_NOT_OK(ForEachLineOfFile(path, on_line));
  if (!header) return Status::InvalidArgument(fmt::format("{}: the file is empty (no header row)", path));
  std::stable_sort(rides.begin(), rides.end(),
                   [](const Ride& a, const Ride& b) { return a.pickup < b.pickup; });
  int64_t shift = 0;
  if (options.shift_to_now && !rides.empty()) {
    shift = std::chrono::duration_cast<std::chrono::seconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count() -
            rides.front().pickup.seconds;
  }
  return std::unique_ptr<MessageSource>(
      std::make_unique<RidesSource>(std::move(rides), std::move(issues), shift));
}

}  // namespace lakestream::produce
