// Dead letters and late data: ordinary committer outputs (see committer.h), so they are
// written in the same commit, under the same checkpoint, as the aggregate rows — exactly once.
//
//   <lake root>/_dead_letters/<topic>/date=YYYY-MM-DD/part-<topic>-p<partition>-<seq>-<n>.jsonl
//   <lake root>/_late/<topic>/date=YYYY-MM-DD/part-<topic>-p<partition>-<seq>-<n>.<ext>
#pragma once

#include <string>
#include <string_view>

#include "core/table.h"
#include "core/time.h"
#include "core/types.h"
#include "lake/committer.h"

namespace lakestream::lake {

// A record the pipeline could not use. Bad records are data, not failures.
struct DeadLetter {
  SourcePosition position;  // where it came from (topic/partition@offset or file:line)
  std::string raw;          // its bytes as received, any encoding
  std::string reason;       // why it was rejected, with the field and a hint
  EventTime time;           // chooses the date folder: the latest event time its partition has seen
};

// Columns of a dead-letter line, in order: position, topic, partition, offset, reason,
// raw (JSON-escaped text; invalid UTF-8 bytes become \u00XX) and raw_base64 (the exact bytes).
Schema DeadLetterSchema();
Row DeadLetterRow(const DeadLetter& letter);
// JSON lines under "_dead_letters/<topic>".
OutputSpec DeadLetterOutput(std::string_view topic, size_t max_rows_per_file = 100000);
// Late records under "_late/<topic>", in the format and schema the caller chooses.
OutputSpec LateDataOutput(std::string_view topic, FileSpec file, size_t max_rows_per_file = 100000);
// Adds `letter` to `batch` for output `output` (the index of a DeadLetterOutput).
void AddDeadLetter(CommitBatch* batch, size_t output, const DeadLetter& letter);

}  // namespace lakestream::lake
