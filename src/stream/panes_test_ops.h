// The operation streams of the pane tests (panes_test.cc), shared with the
// generator of testdata/v1-*.bin (run against the release before panes).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "stream/partition_task.h"

namespace lakestream::stream::panes_test {

inline std::string Ts(int64_t t) { return FormatTimestamp(EventTime{t}); }

inline PipelineSpec Spec(int64_t size, int64_t slide, int64_t delay) {
  PipelineSpec s;
  s.name = "panes_review";
  s.format = WireFormat::kJson;
  s.schema = {{"k", ColumnType::kString}, {"i", ColumnType::kInt64}, {"d", ColumnType::kDouble},
              {"ts", ColumnType::kTimestamp}};
  s.event_time_field = "ts";
  s.window = {size, slide};
  s.watermark_delay = delay;
  s.group_by = {"k"};
  s.aggregates = {{"rows", AggregateFunction::kCount, ""}, {"n_i", AggregateFunction::kCount, "i"},
                  {"sum_i", AggregateFunction::kSum, "i"},  {"min_i", AggregateFunction::kMin, "i"},
                  {"max_i", AggregateFunction::kMax, "i"},  {"sum_d", AggregateFunction::kSum, "d"},
                  {"min_d", AggregateFunction::kMin, "d"},  {"max_d", AggregateFunction::kMax, "d"},
                  {"avg_i", AggregateFunction::kAvg, "i"},  {"avg_d", AggregateFunction::kAvg, "d"},
                  {"first", AggregateFunction::kMin, "ts"}};
  s.output = {{"start", "window_start"}, {"end", "window_end"}, {"k", "k"}};
  for (const auto& a : s.aggregates) s.output.push_back({a.name, a.name});
  return s;
}

inline std::string Json(const std::optional<std::string>& k, std::optional<int64_t> i, std::optional<double> d, int64_t t) {
  auto opt = [](const auto& v) { return v ? fmt::format("{}", *v) : std::string("null"); };
  return fmt::format(R"({{"k": {}, "i": {}, "d": {}, "ts": "{}"}})", k ? "\"" + *k + "\"" : "null", opt(i), opt(d),
                     Ts(t));
}

struct Scenario {
  int64_t size, slide, delay, base;
  uint32_t keys = 3;  // distinct group keys (more than GroupTable::kMaxIdle: idle groups evicted)
};

// The operations of one run: a pure function of the scenario and the seed (not of any
// task), so that the previous release can replay a prefix (testdata/v1-*.bin).
struct Op {
  enum Kind { kRecord, kAdvanceTo, kFlush, kRestore } kind;
  int64_t t = 0;  // record time or AdvanceTo target
  std::optional<std::string> k;
  std::optional<int64_t> i;
  std::optional<double> d;
};

inline std::vector<Op> MakeOps(const Scenario& sc, uint32_t seed, size_t steps) {
  std::mt19937 rng(seed);
  std::vector<Op> ops;
  int64_t clock = sc.base;
  while (ops.size() < steps) {
    const uint32_t op = rng() % 100;
    if (op < 82) {
      clock += rng() % 3;
      Op o{Op::kRecord};
      o.t = clock - static_cast<int64_t>(rng() % (sc.delay + sc.size + 3));
      if (rng() % 4 != 0) o.k = fmt::format("k{}", rng() % sc.keys);
      if (rng() % 5 != 0) o.i = static_cast<int64_t>(rng() % 41) - 20;
      if (rng() % 5 != 0) o.d = static_cast<double>(static_cast<int>(rng() % 81) - 40) / 4;
      ops.push_back(o);
    } else if (op < 86) {
      clock += static_cast<int64_t>(rng() % (4 * sc.size));  // a jump: many windows close at once
    } else if (op < 90) {
      Op o{Op::kAdvanceTo};
      o.t = clock - static_cast<int64_t>(rng() % (sc.size + 5));
      ops.push_back(o);
    } else if (op < 92) {
      ops.push_back(Op{Op::kFlush});
    } else {
      ops.push_back(Op{Op::kRestore});
    }
  }
  return ops;
}

}  // namespace lakestream::stream::panes_test
