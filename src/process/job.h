// A `lakestream process` job: Kafka partitions (or replayed files) -> partition workers
// -> the lake, with triggers deciding when work is committed.
//
// Kafka: this process is one member of a consumer group. Each assigned partition gets a
// PartitionWorker, recovered from the lake's checkpoint (so another member, or a crashed
// earlier run, may have written it); each revoked partition is committed before it is
// released. Several processes in one group therefore share the work and produce the
// same lake as one.
//
// Triggers: every `trigger` interval all workers commit; a worker also commits once it
// has processed `max_records_per_trigger` records since its last commit, or holds
// `max_pending_rows` rows of output (closed windows, dead letters, late records) and no
// fewer than its open panes' cells (both bound the output held in memory;
// PartitionWorker::OutputDue). With `available_now`, each partition is read up to the end
// offset seen when it was assigned, its open windows are flushed and committed (in steps of
// about `max_commit_rows` rows, PartitionWorker::FlushStep), and the
// job ends when every assigned partition is done.
#pragma once

#include <chrono>
#include <climits>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kafka/client_config.h"
#include "process/partition_worker.h"
#include "stream/pipeline_spec.h"

namespace lakestream::process {

struct JobOptions {
  stream::PipelineSpec spec;
  LakeOptions lake;
  std::vector<std::string> topics;
  std::string group = "mta";
  std::chrono::milliseconds trigger{60000};
  bool available_now = false;
  uint64_t max_records_per_trigger = 1000000;
  // Per partition; rows are ~600 bytes. Fewer, larger commits cost fewer fsyncs: on the
  // 4M-record benchmark 60,000 was ~3% faster than 25,000 (67 commits instead of 157, peak
  // RSS 110 MB instead of 95); 150,000 was slower (the commit thread got bigger bursts).
  size_t max_pending_rows = 60000;
  // The most rows one commit holds (~56 bytes each while held: ~27 MB). The triggers above
  // are checked every 4,096 records (file source) or every poll (Kafka), and with many
  // windows per record that many records close far more rows (a day sliding by a minute:
  // ~1 M rows per 4,096 records of the real week). So past this the file source commits at
  // once, the Kafka job polls fewer messages a turn, and the end of input is flushed in
  // steps of this many rows. Committing every 60,000 rows instead made such a run 3-5x
  // slower (each commit is several fsyncs).
  size_t max_commit_rows = 480000;
  int connect_timeout_ms = 15000;
  // File source: where every malformed row of the files goes (produce::ReportRejectedRows);
  // empty: only the first few, on stderr.
  std::string bad_rows_file;
};

// One partition this process works on now (the Kafka job).
struct PartitionFigures {
  std::string topic;
  int32_t partition = 0;
  int64_t next_offset = 0;         // the next record to process
  int64_t end = -1;                // the partition's end offset as last fetched; < 0 unknown
  int64_t watermark = INT64_MIN;   // stream::kNoWatermark (INT64_MIN): none yet
  // The task's state (what each checkpoint holds): open windows, their (group, pane)
  // cells, group keys, dedup keys.
  uint64_t open_windows = 0, open_cells = 0, groups = 0, dedup_keys = 0;
};

// Totals over every partition this process has worked on, for the status line,
// the summary and --stats-json.
struct JobFigures {
  uint64_t records = 0, bytes = 0, bad = 0, late = 0, duplicates = 0;
  uint64_t windows_emitted = 0, rows_emitted = 0;
  uint64_t commits = 0, files = 0, rows_committed = 0;
  uint64_t skipped_rows = 0;               // file source: malformed rows of the files
  // Of `records`, those dropped uncommitted with a lost assignment: the partition's next
  // owner (or this process, given it back) reads and counts them again.
  uint64_t records_dropped = 0;
  size_t partitions = 0;                   // assigned now
  int64_t lag = -1;                        // records behind the high watermarks, -1 unknown
  int64_t min_watermark = INT64_MIN, max_watermark = INT64_MIN;
  std::vector<PartitionFigures> by_partition;  // the assigned partitions, by topic and partition
};

using ProgressFn = std::function<void(const JobFigures&)>;

// Runs until the input is done (available-now), a stop is requested (`stop` returns
// true), or an error that retrying cannot fix. Commits everything before returning.
Status RunKafkaJob(const JobOptions& options, kafka::ClientConfig config,
                   const std::function<bool()>& stop, const ProgressFn& progress, JobFigures* figures);

// The same pipeline over MTA weekly files (replayed by the rules of `produce`) or
// `rides:FILE`, with no Kafka: one task, "partition 0" of the pseudo-topic `source_name`,
// offsets = message sequence numbers. Restartable like a Kafka partition.
Status RunFileJob(const JobOptions& options, const std::vector<std::string>& sources,
                  const std::string& source_name, const std::function<bool()>& stop,
                  const ProgressFn& progress, JobFigures* figures);

}  // namespace lakestream::process
