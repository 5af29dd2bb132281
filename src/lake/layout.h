// Where lake files live and what they are called.
//
//   <lake root>/<output dir>/date=YYYY-MM-DD/part-<topic>-p<partition>-<commit seq>-<n>.<ext>
//   <lake root>/<output dir>/date=YYYY-MM-DD/.part-<topic>-p<partition>-<commit seq>-<n>.<ext>.<owner>.tmp
//   <lake root>/_checkpoints/<topic>/<partition>
//   <lake root>/_checkpoints/<topic>/<partition>.commits/<commit seq>
//   <lake root>/_dead_letters/<topic>/date=.../part-....jsonl
//
// Names are deterministic: the same commit of the same partition always produces the
// same names, and names never collide across topics, partitions (p<partition>) or commits
// (<commit seq>, strictly increasing per partition). Temp names start with '.' and end
// with ".tmp", so readers that glob "*.csv.gz" or skip hidden files never see them;
// folders starting with '_' are skipped by Spark, pandas and DuckDB hive readers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "core/types.h"

namespace lakestream::lake {

inline constexpr std::string_view kCheckpointsDir = "_checkpoints";
inline constexpr std::string_view kDeadLettersDir = "_dead_letters";
inline constexpr std::string_view kLateDataDir = "_late";

// "date=YYYY-MM-DD" of an event time (UTC).
std::string DatePartitionDir(EventTime t);
// "part-mta-p3-000000000042-0001.csv.gz": topic mta, partition 3, commit 42, the commit's
// second file in that folder. Commit seq is zero-padded to 12 digits, n to 4, so names sort
// by commit. Several topics (or a file source) may feed one table without collisions.
std::string FinalFileName(std::string_view topic, PartitionId partition, uint64_t commit_seq,
                          uint32_t n, std::string_view extension);
// ".part-mta-p3-000000000042-0001.csv.gz.1f2e3d4c.tmp": `owner` tells apart the temp files
// of two processes that briefly both think they own the partition (a zombie and the next
// owner), which would otherwise write the same names. Empty: ".part-....csv.gz.tmp".
std::string TempFileName(std::string_view final_name, std::string_view owner = {});
// True for temp names written by (`topic`, `partition`) (any commit): what recovery may delete.
bool IsTempFileOfPartition(std::string_view name, std::string_view topic, PartitionId partition);
// The commit number in such a temp name; nullopt for any other name.
std::optional<uint64_t> TempFileCommitSeq(std::string_view name, std::string_view topic, PartitionId partition);
// ".3.1f2e3d4c.tmp": the checkpoint's temp file, beside it in _checkpoints/<topic>/
// (".3.tmp" with an empty `owner`, as before owners were tagged).
std::string CheckpointTempName(PartitionId partition, std::string_view owner);
// True for CheckpointTempName(partition, any owner).
bool IsCheckpointTempOfPartition(std::string_view name, PartitionId partition);
// "<root>/_checkpoints/<topic>/<partition>".
std::string CheckpointPath(std::string_view lake_root, std::string_view topic,
                           PartitionId partition);
// "<root>/_checkpoints/<topic>/<partition>.commits": the partition's commit claims, one
// file per commit number (committer.h).
std::string CommitClaimsDir(std::string_view checkpoint_path);
// What to move away to process a partition again from its earliest offset: its checkpoint
// (the copy and its claims) and the lake files its commits wrote, whose names a new run's
// commits would take (a commit refuses to publish over one). For messages.
std::string ReprocessAdvice(std::string_view checkpoint_path, std::string_view topic, PartitionId partition);
// "000000000042": the claim of commit 42 in CommitClaimsDir.
std::string CommitClaimName(uint64_t commit_seq);
// The commit number of a claim's name; nullopt for any other name (a temp file, ...).
std::optional<uint64_t> ParseCommitClaimName(std::string_view name);
// InvalidArgument unless `dir` is a relative path of plain components (no "", ".", "..").
Status ValidateRelativeDir(std::string_view dir);
// The lake root as a local path: `root` itself, or the path of a file:// URL. Another URL
// (s3://, gs://, abfss://, hdfs://...) is an InvalidArgument that says how to reach it: the
// lake is a local folder (exactly once rests on fsync and rename), so an object store is
// mounted, or the lake synced to it.
Result<std::string> LocalLakeRoot(std::string_view root);

}  // namespace lakestream::lake
