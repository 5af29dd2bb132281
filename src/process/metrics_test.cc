#include "process/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace lakestream::process {
namespace {

TEST(RenderPrometheus, EveryFigureWithTheLabels) {
  JobFigures f;
  f.records = 248194, f.bytes = 30000000, f.bad = 3, f.late = 2, f.duplicates = 1, f.skipped_rows = 4;
  f.windows_emitted = 9, f.rows_emitted = 240000, f.commits = 12, f.files = 40, f.rows_committed = 239000;
  f.partitions = 4, f.lag = 17, f.min_watermark = 1685577600, f.max_watermark = 1685664000;
  const std::string text = RenderPrometheus(f, {{"group", "mta"}, {"pipeline", "a\"b\\c\nd"}});
  const std::string l = "{group=\"mta\",pipeline=\"a\\\"b\\\\c\\nd\"}";
  auto sample = [&](const char* name, const char* type, const std::string& value) {
    return std::string("# TYPE ") + name + " " + type + "\n" + name + l + " " + value + "\n";
  };
  for (const auto& want : {sample("lakestream_records_total", "counter", "248194"),
                           sample("lakestream_bytes_total", "counter", "30000000"),
                           sample("lakestream_bad_records_total", "counter", "3"),
                           sample("lakestream_late_records_total", "counter", "2"),
                           sample("lakestream_duplicate_records_total", "counter", "1"),
                           sample("lakestream_skipped_rows_total", "counter", "4"),
                           sample("lakestream_windows_emitted_total", "counter", "9"),
                           sample("lakestream_rows_emitted_total", "counter", "240000"),
                           sample("lakestream_commits_total", "counter", "12"),
                           sample("lakestream_files_committed_total", "counter", "40"),
                           sample("lakestream_rows_committed_total", "counter", "239000"),
                           sample("lakestream_assigned_partitions", "gauge", "4"),
                           sample("lakestream_lag_records", "gauge", "17"),
                           sample("lakestream_watermark_min_seconds", "gauge", "1685577600"),
                           sample("lakestream_watermark_max_seconds", "gauge", "1685664000")}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\nin\n" << text;
  }
  // 15 metrics, each with HELP, TYPE and one sample.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 45);
}

TEST(RenderPrometheus, UnknownGaugesAreLeftOut) {
  JobFigures f;  // lag -1, no watermark yet
  const std::string text = RenderPrometheus(f, {});
  EXPECT_NE(text.find("\nlakestream_records_total 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nlakestream_assigned_partitions 0\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("lakestream_lag_records"), std::string::npos);
  EXPECT_EQ(text.find("lakestream_watermark"), std::string::npos);
}

}  // namespace
}  // namespace lakestream::process
