#include "process/metrics.h"

#include <algorithm>
#include <climits>
#include <utility>
#include <vector>

namespace lakestream::process {

std::string RenderPrometheus(const JobFigures& f, const metrics::Labels& labels) {
  metrics::PrometheusText w(labels);
  w.Counter("lakestream_records_total", "Records read (Kafka messages, or rows of --source files).", f.records);
  w.Counter("lakestream_bytes_total", "Bytes of the records read.", f.bytes);
  w.Counter("lakestream_bad_records_total", "Records that did not fit the pipeline, sent to the dead-letter output.",
            f.bad);
  w.Counter("lakestream_late_records_total", "Records below their partition's watermark, left out of every window.",
            f.late);
  w.Counter("lakestream_duplicate_records_total", "Records dropped as duplicates of their dedup key.", f.duplicates);
  w.Counter("lakestream_skipped_rows_total", "Malformed rows of --source files, skipped.", f.skipped_rows);
  w.Counter("lakestream_windows_emitted_total", "Windows closed by the watermark and emitted.", f.windows_emitted);
  w.Counter("lakestream_rows_emitted_total", "Output rows of the emitted windows.", f.rows_emitted);
  w.Counter("lakestream_commits_total", "Partition commits to the lake (files, then the checkpoint).", f.commits);
  w.Counter("lakestream_files_committed_total", "Lake files committed.", f.files);
  w.Counter("lakestream_rows_committed_total", "Rows in the committed lake files.", f.rows_committed);
  w.Gauge("lakestream_assigned_partitions", "Partitions this process works on now.",
          static_cast<int64_t>(f.partitions));
  if (f.lag >= 0) {
    w.Gauge("lakestream_lag_records", "Records between the processed positions and the partitions' ends.", f.lag);
  }
  if (f.min_watermark != INT64_MIN) {
    w.Gauge("lakestream_watermark_min_seconds", "The lowest partition watermark (event time, Unix seconds).",
            f.min_watermark);
    w.Gauge("lakestream_watermark_max_seconds", "The highest partition watermark (event time, Unix seconds).",
            f.max_watermark);
  }
  std::vector<std::pair<metrics::Labels, int64_t>> next, lag, watermark, windows, cells, groups, dedup;
  for (const PartitionFigures& p : f.by_partition) {
    metrics::Labels where = {{"topic", p.topic}, {"partition", std::to_string(p.partition)}};
    next.push_back({where, p.next_offset});
    windows.push_back({where, static_cast<int64_t>(p.open_windows)});
    cells.push_back({where, static_cast<int64_t>(p.open_cells)});
    groups.push_back({where, static_cast<int64_t>(p.groups)});
    dedup.push_back({where, static_cast<int64_t>(p.dedup_keys)});
    if (p.end >= 0) lag.push_back({where, std::max<int64_t>(p.end - p.next_offset, 0)});
    if (p.watermark != INT64_MIN) watermark.push_back({where, p.watermark});
  }
  w.Gauges("lakestream_partition_next_offset", "Per assigned partition: the offset of the next record to process.",
           next);
  w.Gauges("lakestream_partition_lag_records", "Per assigned partition: records between it and the partition's end.",
           lag);
  w.Gauges("lakestream_partition_watermark_seconds", "Per assigned partition: its watermark (Unix seconds).",
           watermark);
  // The state each checkpoint holds, so that its growth can be watched.
  w.Gauges("lakestream_partition_open_windows", "Per assigned partition: windows open (not yet closed by the "
           "watermark).", windows);
  w.Gauges("lakestream_partition_open_cells", "Per assigned partition: (group, pane) cells of the open windows.",
           cells);
  w.Gauges("lakestream_partition_groups", "Per assigned partition: group keys held (idle ones are reused).", groups);
  w.Gauges("lakestream_partition_dedup_keys", "Per assigned partition: dedup keys held (they expire with the "
           "watermark).", dedup);
  return w.Take();
}

}  // namespace lakestream::process
