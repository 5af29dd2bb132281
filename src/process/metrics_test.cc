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

TEST(RenderPrometheus, PerPartitionGauges) {
  JobFigures f;
  f.by_partition = {{"week", 0, 120, 150, 1685577600, 2, 900, 450, 1200}, {"week", 3, 7, -1, INT64_MIN}};
  const std::string text = RenderPrometheus(f, {{"group", "g"}});
  for (const char* want :
       {"lakestream_partition_next_offset{group=\"g\",topic=\"week\",partition=\"0\"} 120\n"
        "lakestream_partition_next_offset{group=\"g\",topic=\"week\",partition=\"3\"} 7\n",
        // Partition 3's end and watermark are not known yet: no samples for it.
        "# TYPE lakestream_partition_lag_records gauge\n"
        "lakestream_partition_lag_records{group=\"g\",topic=\"week\",partition=\"0\"} 30\n#",
        "# TYPE lakestream_partition_watermark_seconds gauge\n"
        "lakestream_partition_watermark_seconds{group=\"g\",topic=\"week\",partition=\"0\"} 1685577600\n",
        // The state: each partition has it, empty or not.
        "# TYPE lakestream_partition_open_windows gauge\n"
        "lakestream_partition_open_windows{group=\"g\",topic=\"week\",partition=\"0\"} 2\n"
        "lakestream_partition_open_windows{group=\"g\",topic=\"week\",partition=\"3\"} 0\n",
        "lakestream_partition_open_cells{group=\"g\",topic=\"week\",partition=\"0\"} 900\n",
        "lakestream_partition_groups{group=\"g\",topic=\"week\",partition=\"0\"} 450\n",
        "lakestream_partition_dedup_keys{group=\"g\",topic=\"week\",partition=\"0\"} 1200\n"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\nin\n" << text;
  }
  // Partition 3 has its next offset and its (empty) state only.
  size_t samples = 0;
  for (size_t at = text.find("partition=\"3\""); at != std::string::npos; at = text.find("partition=\"3\"", at + 1)) {
    ++samples;
  }
  EXPECT_EQ(samples, 5u) << text;
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
