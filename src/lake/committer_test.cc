#include "lake/committer.h"

#include <gtest/gtest.h>

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <filesystem>
#include <fstream>

#include "lake/duckdb_util.h"
#include "lake/fs_util.h"
#include "lake/lake_test_util.h"
#include "lake/layout.h"
#include "lake/side_outputs.h"

// The paths this process fsyncs, while a test records them (fsync(2) itself is still done):
// the test binary's definition takes the place of the C library's.
namespace {
std::vector<std::string>* fsynced_paths = nullptr;
}  // namespace

extern "C" int fsync(int fd) {
  if (fsynced_paths != nullptr) {
    char target[4096];
    const ssize_t n = ::readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), target, sizeof target);
    if (n > 0) fsynced_paths->emplace_back(target, static_cast<size_t>(n));
  }
  return static_cast<int>(::syscall(SYS_fsync, fd));
}

namespace lakestream::lake {
namespace {

using testing::FreshTestDir;
using testing::Gunzip;
using testing::Snapshot;
using Cells = std::vector<std::vector<std::optional<std::string>>>;

constexpr const char* kTopic = "mta-turnstile";
constexpr size_t kTable = 0;
constexpr size_t kDeadLetters = 1;

EventTime At(int day, int hour, int minute) {
  return MakeEventTime({2024, 7, day}, hour * 3600 + minute * 60);
}

Schema TableSchema() {
  return Schema{{{"STATION", ColumnType::kString},
                 {"ENTRIES", ColumnType::kInt64},
                 {"WINDOW_END", ColumnType::kTimestamp}}};
}

OutputSpec TableOutput(FileFormat format = FileFormat::kCsvGz) {
  OutputSpec out;
  out.dir = "turnstile";
  out.file.schema = TableSchema();
  out.file.format = format;
  out.max_rows_per_file = 2;
  return out;
}

CommitterOptions Options(const std::string& root, WriterFactory* factory = nullptr,
                         CrashHook hook = nullptr, FileFormat format = FileFormat::kCsvGz) {
  CommitterOptions o;
  o.lake_root = root;
  o.topic = kTopic;
  o.partition = PartitionId{0};
  o.outputs = {TableOutput(format), DeadLetterOutput(kTopic)};
  o.writer_factory = factory;
  o.crash_hook = std::move(hook);
  o.owner = "";  // untagged temp names: lakes of different committers compare equal
  return o;
}

// As on a file system without hard links: the checkpoint's rename is the commit point.
CommitterOptions WithoutHardLinks(const std::string& root) {
  CommitterOptions o = Options(root);
  o.hard_links = false;
  return o;
}

Row TableRow(const char* station, int64_t entries, EventTime end) {
  return Row{std::string(station), entries, end};
}

// What a partition task would hand over at three successive triggers.
struct Step {
  CommitBatch batch{2};
  KafkaOffset next_offset;
  std::string state;
};

std::vector<Step> Steps() {
  std::vector<Step> steps(3);
  auto add = [](Step& s, const char* station, int64_t entries, EventTime end) {
    s.batch.Add(kTable, end, TableRow(station, entries, end));
  };
  add(steps[0], "S1", 5, At(22, 23, 55));
  add(steps[0], "S2", 7, At(23, 0, 0));
  add(steps[0], "S3", 1, At(22, 23, 50));
  AddDeadLetter(&steps[0].batch, kDeadLetters,
                DeadLetter{SourcePosition{kTopic, 0, 2}, "bad,\"row\xff", "field 10 (ENTRIES): 'x' is not an integer",
                           At(22, 23, 51)});
  steps[0].next_offset = KafkaOffset{4};
  steps[0].state = "state-1";
  add(steps[1], "S1", 10, At(23, 0, 5));
  add(steps[1], "S2", 20, At(23, 0, 5));
  add(steps[1], "S3", 30, At(23, 0, 10));
  AddDeadLetter(&steps[1].batch, kDeadLetters,
                DeadLetter{SourcePosition{kTopic, 0, 6}, "x", "13 fields expected, got 1", At(23, 0, 6)});
  steps[1].next_offset = KafkaOffset{9};
  steps[1].state = std::string("state-2\0", 8);
  add(steps[2], "S4", 4, At(23, 0, 15));
  steps[2].next_offset = KafkaOffset{12};
  steps[2].state = "state-3";
  return steps;
}

std::unique_ptr<PartitionCommitter> MakeCommitter(CommitterOptions options) {
  auto c = PartitionCommitter::Make(std::move(options));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

RecoveredState MustRecover(PartitionCommitter* c) {
  auto r = c->Recover();
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : RecoveredState{};
}

void MustCommit(PartitionCommitter* c, const Step& s) {
  auto r = c->Commit(s.batch, s.next_offset, s.state);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

// A committer that recovered the partition, then committed `first`.
std::unique_ptr<PartitionCommitter> RecoveredAndCommitted(CommitterOptions options, const Step& first) {
  auto c = MakeCommitter(std::move(options));
  MustRecover(c.get());
  MustCommit(c.get(), first);
  return c;
}

// The lake after three uninterrupted commits.
std::map<std::string, std::string> ReferenceLake(FileFormat format = FileFormat::kCsvGz) {
  std::string root = FreshTestDir() + "-reference";
  std::filesystem::remove_all(root);
  auto c = MakeCommitter(Options(root, nullptr, nullptr, format));
  MustRecover(c.get());
  for (const Step& s : Steps()) MustCommit(c.get(), s);
  return Snapshot(root);
}

// The lake but for the partition's commit claims: a recovery that committed nothing leaves
// its fence there (a claim of the next number, a link to the same checkpoint).
std::map<std::string, std::string> WithoutClaims(std::map<std::string, std::string> lake) {
  std::erase_if(lake, [](const auto& entry) { return entry.first.find(".commits/") != std::string::npos; });
  return lake;
}

// The claims of partition 0: commit number -> the checkpoint's commit_seq.
std::map<uint64_t, uint64_t> ClaimsOf(const std::string& root) {
  std::map<uint64_t, uint64_t> claims;
  const std::string dir = root + "/_checkpoints/mta-turnstile/0.commits";
  if (!std::filesystem::exists(dir)) return claims;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    auto seq = ParseCommitClaimName(e.path().filename().string());
    auto checkpoint = ReadCheckpoint(e.path().string());
    EXPECT_TRUE(seq && checkpoint.ok() && checkpoint->has_value()) << e.path();
    if (seq && checkpoint.ok() && checkpoint->has_value()) claims[*seq] = (*checkpoint)->commit_seq;
  }
  return claims;
}

bool IsHidden(const std::string& rel) {
  return std::filesystem::path(rel).filename().string().starts_with(".");
}

TEST(PartitionCommitter, UninterruptedCommitsMakeTheExpectedLake) {
  std::string root = FreshTestDir();
  auto c = MakeCommitter(Options(root));
  RecoveredState fresh = MustRecover(c.get());
  EXPECT_FALSE(fresh.has_checkpoint);
  EXPECT_EQ(fresh.commit_seq, 0u);
  EXPECT_EQ(fresh.next_offset, KafkaOffset{0});

  auto steps = Steps();
  auto r1 = c->Commit(steps[0].batch, steps[0].next_offset, steps[0].state);
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(r1->commit_seq, 1u);
  EXPECT_EQ(r1->rows, 4u);
  EXPECT_EQ(r1->files, (std::vector<std::string>{
                           "turnstile/date=2024-07-22/part-mta-turnstile-p0-000000000001-0000.csv.gz",
                           "turnstile/date=2024-07-23/part-mta-turnstile-p0-000000000001-0000.csv.gz",
                           "_dead_letters/mta-turnstile/date=2024-07-22/part-mta-turnstile-p0-000000000001-0000.jsonl"}));
  auto r2 = c->Commit(steps[1].batch, steps[1].next_offset, steps[1].state);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->files, (std::vector<std::string>{
                           "turnstile/date=2024-07-23/part-mta-turnstile-p0-000000000002-0000.csv.gz",
                           "turnstile/date=2024-07-23/part-mta-turnstile-p0-000000000002-0001.csv.gz",
                           "_dead_letters/mta-turnstile/date=2024-07-23/part-mta-turnstile-p0-000000000002-0000.jsonl"}));
  MustCommit(c.get(), steps[2]);

  auto lake = Snapshot(root);
  std::vector<std::string> names;
  for (const auto& [name, bytes] : lake) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "_checkpoints/mta-turnstile/0",
                       "_checkpoints/mta-turnstile/0.commits/000000000003",
                       "_dead_letters/mta-turnstile/date=2024-07-22/part-mta-turnstile-p0-000000000001-0000.jsonl",
                       "_dead_letters/mta-turnstile/date=2024-07-23/part-mta-turnstile-p0-000000000002-0000.jsonl",
                       "turnstile/date=2024-07-22/part-mta-turnstile-p0-000000000001-0000.csv.gz",
                       "turnstile/date=2024-07-23/part-mta-turnstile-p0-000000000001-0000.csv.gz",
                       "turnstile/date=2024-07-23/part-mta-turnstile-p0-000000000002-0000.csv.gz",
                       "turnstile/date=2024-07-23/part-mta-turnstile-p0-000000000002-0001.csv.gz",
                       "turnstile/date=2024-07-23/part-mta-turnstile-p0-000000000003-0000.csv.gz"}));
  EXPECT_EQ(Gunzip(root + "/turnstile/date=2024-07-22/part-mta-turnstile-p0-000000000001-0000.csv.gz"),
            ",STATION,ENTRIES,WINDOW_END\n0,S1,5,2024-07-22 23:55:00\n1,S3,1,2024-07-22 23:50:00\n");
  EXPECT_EQ(Gunzip(root + "/turnstile/date=2024-07-23/part-mta-turnstile-p0-000000000002-0001.csv.gz"),
            ",STATION,ENTRIES,WINDOW_END\n0,S3,30,2024-07-23 00:10:00\n");
  // Dead letters: position, reason and the exact bytes (base64), committed with the rows.
  EXPECT_EQ(lake["_dead_letters/mta-turnstile/date=2024-07-22/part-mta-turnstile-p0-000000000001-0000.jsonl"],
            "{\"position\":\"mta-turnstile/0@2\",\"topic\":\"mta-turnstile\",\"partition\":0,"
            "\"offset\":2,\"reason\":\"field 10 (ENTRIES): 'x' is not an integer\",\"raw\":"
            "\"bad,\\\"row\\u00ff\",\"raw_base64\":\"YmFkLCJyb3f/\"}\n");
  // The claim of the last commit is the checkpoint; the file beside the folder its copy.
  EXPECT_EQ(lake["_checkpoints/mta-turnstile/0.commits/000000000003"], lake["_checkpoints/mta-turnstile/0"]);
  auto ckpt = ReadCheckpoint(c->checkpoint_path());
  ASSERT_TRUE(ckpt.ok() && ckpt->has_value());
  EXPECT_EQ((*ckpt)->commit_seq, 3u);
  EXPECT_EQ((*ckpt)->next_offset, KafkaOffset{12});
  EXPECT_EQ((*ckpt)->state, "state-3");
  EXPECT_EQ((*ckpt)->pending,
            (std::vector<PendingFile>{
                {"turnstile/date=2024-07-23/.part-mta-turnstile-p0-000000000003-0000.csv.gz.tmp",
                 "turnstile/date=2024-07-23/part-mta-turnstile-p0-000000000003-0000.csv.gz", 1}}));
}

// Fails every writer it makes once `error_after_rows` rows were written in total, leaving
// the rows up to that point in the file (a real partial file), like a full disk would.
class FailingWriterFactory : public WriterFactory {
 public:
  explicit FailingWriterFactory(size_t error_after_rows) : limit_(error_after_rows) {}

  Result<std::unique_ptr<FileWriter>> MakeWriter(const FileSpec& spec) override {
    LS_ASSIGN_OR_RETURN(auto inner, DefaultWriterFactoryInstance()->MakeWriter(spec));
    return std::unique_ptr<FileWriter>(new Writer(std::move(inner), this));
  }

 private:
  class Writer : public FileWriter {
   public:
    Writer(std::unique_ptr<FileWriter> inner, FailingWriterFactory* f)
        : inner_(std::move(inner)), f_(f) {}
    Status WriteRows(const std::string& path, const RowSource& rows, size_t begin, size_t end) override {
      size_t allowed = f_->limit_ - f_->written_;
      if (end - begin <= allowed) {
        f_->written_ += end - begin;
        return inner_->WriteRows(path, rows, begin, end);
      }
      f_->written_ = f_->limit_;
      LS_RETURN_NOT_OK(inner_->WriteRows(path, rows, begin, begin + allowed));
      return Status::IoError("injected writer failure after " + std::to_string(f_->limit_) +
                             " rows, writing '" + path + "'");
    }

   private:
    std::unique_ptr<FileWriter> inner_;
    FailingWriterFactory* f_;
  };

  size_t limit_;
  size_t written_ = 0;
};

struct CrashCase {
  std::string name;
  CrashPoint point;
  size_t index;
  bool committed;       // is commit 2 durable after the crash?
  size_t renames_left;  // pending renames recovery must finish
  size_t orphans;       // temp files recovery must delete
};

void PrintTo(const CrashCase& c, std::ostream* os) { *os << c.name; }

class CrashTest : public ::testing::TestWithParam<CrashCase> {};

// Commit 1 succeeds, commit 2 "crashes" at one step, a new process recovers, re-runs what
// was not committed, commits 3: the lake must be byte-identical to an uninterrupted run.
TEST_P(CrashTest, RecoveryYieldsTheUninterruptedLake) {
  const CrashCase& cc = GetParam();
  const auto reference = ReferenceLake();
  std::string root = FreshTestDir();
  auto steps = Steps();

  bool armed = false;
  CrashHook hook = [&](CrashPoint point, size_t index) {
    if (armed && point == cc.point && index == cc.index) {
      return Status::Unavailable(std::string("injected crash ") + CrashPointName(point));
    }
    return Status::Ok();
  };
  auto first = RecoveredAndCommitted(Options(root, nullptr, hook), steps[0]);
  armed = true;
  auto crashed = first->Commit(steps[1].batch, steps[1].next_offset, steps[1].state);
  ASSERT_FALSE(crashed.ok());
  EXPECT_EQ(crashed.status().message(), std::string("injected crash ") + CrashPointName(cc.point));
  // The crashed committer refuses to go on without recovery.
  EXPECT_EQ(first->Commit(steps[2].batch, steps[2].next_offset, steps[2].state).status().code(),
            StatusCode::kFailedPrecondition);

  // I1: whatever is visible under a final name is complete and belongs to a committed commit.
  for (const auto& [rel, bytes] : Snapshot(root)) {
    if (IsHidden(rel) || rel.starts_with("_checkpoints")) continue;
    ASSERT_TRUE(reference.count(rel)) << rel;
    EXPECT_EQ(bytes, reference.at(rel)) << rel;
    if (!cc.committed) {
      EXPECT_EQ(rel.find("-000000000002-"), std::string::npos) << rel;
    }
  }

  // A new process takes over the partition.
  auto second = MakeCommitter(Options(root));
  RecoveredState r = MustRecover(second.get());
  EXPECT_TRUE(r.has_checkpoint);
  const Step& last = cc.committed ? steps[1] : steps[0];
  EXPECT_EQ(r.commit_seq, cc.committed ? 2u : 1u);
  EXPECT_EQ(r.next_offset, last.next_offset);
  EXPECT_EQ(r.state, last.state);
  EXPECT_EQ(r.renames_finished, cc.renames_left);
  EXPECT_EQ(r.orphans_deleted, cc.orphans);
  // The new owner fenced: it claimed the next commit number with the recovered checkpoint.
  EXPECT_EQ(ClaimsOf(root).rbegin()->first, r.commit_seq + 1);
  EXPECT_EQ(ClaimsOf(root).rbegin()->second, r.commit_seq);
  // Recovery is idempotent: recovering again sees the same, keeps its fence and has nothing
  // left to do.
  RecoveredState again = MustRecover(second.get());
  EXPECT_EQ(again.commit_seq, r.commit_seq);
  EXPECT_EQ(again.next_offset, r.next_offset);
  EXPECT_EQ(again.state, r.state);
  EXPECT_EQ(again.renames_finished, 0u);
  EXPECT_EQ(again.orphans_deleted, 0u);
  EXPECT_EQ(ClaimsOf(root).rbegin()->first, r.commit_seq + 1);

  // The stream engine replays from next_offset with the restored state and reproduces the
  // uncommitted output.
  if (!cc.committed) MustCommit(second.get(), steps[1]);
  MustCommit(second.get(), steps[2]);
  EXPECT_EQ(Snapshot(root), reference);
}

INSTANTIATE_TEST_SUITE_P(
    EveryStep, CrashTest,
    ::testing::Values(
        CrashCase{"AfterTempFiles", CrashPoint::kAfterTempFiles, 0, false, 0, 3},
        CrashCase{"AfterCheckpointTemp", CrashPoint::kAfterCheckpointTemp, 0, false, 0, 4},
        CrashCase{"AfterCheckpointRename", CrashPoint::kAfterCheckpointRename, 0, true, 3, 0},
        CrashCase{"AfterFirstFinalRename", CrashPoint::kAfterFinalRename, 0, true, 2, 0},
        CrashCase{"AfterSecondFinalRename", CrashPoint::kAfterFinalRename, 1, true, 1, 0},
        CrashCase{"AfterLastFinalRename", CrashPoint::kAfterFinalRename, 2, true, 0, 0}),
    [](const ::testing::TestParamInfo<CrashCase>& info) { return info.param.name; });

TEST(PartitionCommitter, WriterFailureMidFileLeavesOnlyAHiddenPartialFile) {
  const auto reference = ReferenceLake();
  std::string root = FreshTestDir();
  auto steps = Steps();
  // Commit 1 writes 4 rows; the 6th row (second of commit 2's first file) fails.
  FailingWriterFactory failing(5);
  auto first = RecoveredAndCommitted(Options(root, &failing), steps[0]);
  auto crashed = first->Commit(steps[1].batch, steps[1].next_offset, steps[1].state);
  const std::string temp = "turnstile/date=2024-07-23/.part-mta-turnstile-p0-000000000002-0000.csv.gz.tmp";
  EXPECT_EQ(crashed.status().code(), StatusCode::kIoError);
  EXPECT_EQ(crashed.status().message(),
            "injected writer failure after 5 rows, writing '" + root + "/" + temp + "'");
  auto lake = Snapshot(root);
  ASSERT_TRUE(lake.count(temp));
  EXPECT_EQ(Gunzip(root + "/" + temp), ",STATION,ENTRIES,WINDOW_END\n0,S1,10,2024-07-23 00:05:00\n");
  EXPECT_FALSE(lake.count("turnstile/date=2024-07-23/part-mta-turnstile-p0-000000000002-0000.csv.gz"));

  auto second = MakeCommitter(Options(root));
  RecoveredState r = MustRecover(second.get());
  EXPECT_EQ(r.commit_seq, 1u);
  EXPECT_EQ(r.orphans_deleted, 1u);
  MustCommit(second.get(), steps[1]);
  MustCommit(second.get(), steps[2]);
  EXPECT_EQ(Snapshot(root), reference);
}

TEST(PartitionCommitter, ReadersNeverSeeUncommittedFiles) {
  std::string root = FreshTestDir();
  auto steps = Steps();
  bool armed = false;
  CrashHook hook = [&](CrashPoint point, size_t) {
    return armed && point == CrashPoint::kAfterCheckpointTemp ? Status::Unavailable("crash")
                                                              : Status::Ok();
  };
  auto c = RecoveredAndCommitted(Options(root, nullptr, hook, FileFormat::kParquet), steps[0]);
  armed = true;
  ASSERT_FALSE(c->Commit(steps[1].batch, steps[1].next_offset, steps[1].state).ok());

  auto db = DuckDbConnection::Open();
  ASSERT_TRUE(db.ok());
  auto t = (*db)->Query("SELECT STATION, ENTRIES, WINDOW_END, date FROM read_parquet(" +
                        SqlStringLiteral(root + "/turnstile/*/*.parquet") +
                        ", hive_partitioning = true) ORDER BY STATION");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->types, (std::vector<duckdb_type>{DUCKDB_TYPE_VARCHAR, DUCKDB_TYPE_BIGINT,
                                                DUCKDB_TYPE_TIMESTAMP, DUCKDB_TYPE_DATE}));
  EXPECT_EQ(t->rows, (Cells{{"S1", "5", "2024-07-22 23:55:00", "2024-07-22"},
                            {"S2", "7", "2024-07-23 00:00:00", "2024-07-23"},
                            {"S3", "1", "2024-07-22 23:50:00", "2024-07-22"}}));
}

TEST(PartitionCommitter, RecoveryDeletesOnlyThisPartitionsOrphans) {
  std::string root = FreshTestDir();
  const std::vector<std::string> files = {
      "turnstile/date=2024-07-22/.part-mta-turnstile-p0-000000000001-0000.csv.gz.0f0f0f0f.tmp",
      "turnstile/date=2024-07-22/.part-mta-turnstile-p0-000000000009-0000.csv.gz.0f0f0f0f.tmp",
      "turnstile/date=2024-07-22/.part-mta-turnstile-p1-000000000001-0000.csv.gz.tmp",
      "turnstile/date=2024-07-22/.part-mta-turnstile-p10-000000000001-0000.csv.gz.tmp",
      "turnstile/date=2024-07-22/notes.txt",
      "turnstile/date=stray",  // a file named like a date folder: not the lake's, left alone
      "_dead_letters/mta-turnstile/date=2024-07-21/.part-mta-turnstile-p0-000000000001-0000.jsonl.0f0f0f0f.tmp",
      "_checkpoints/mta-turnstile/.0.tmp",
      "_checkpoints/mta-turnstile/.1.tmp",
  };
  for (const auto& f : files) {
    std::filesystem::create_directories(std::filesystem::path(root + "/" + f).parent_path());
    ASSERT_TRUE(WriteFileDurable(root + "/" + f, "x").ok());
  }
  // Numbered above this committer's fence: a later owner's commit under way, not an orphan.
  const std::vector<std::string> others = {
      "_checkpoints/mta-turnstile/.1.tmp",
      "turnstile/date=2024-07-22/.part-mta-turnstile-p0-000000000009-0000.csv.gz.0f0f0f0f.tmp",
      "turnstile/date=2024-07-22/.part-mta-turnstile-p1-000000000001-0000.csv.gz.tmp",
      "turnstile/date=2024-07-22/.part-mta-turnstile-p10-000000000001-0000.csv.gz.tmp",
      "turnstile/date=2024-07-22/notes.txt",
      "turnstile/date=stray"};
  auto left = [&] {
    std::vector<std::string> names;
    for (const auto& [rel, bytes] : Snapshot(root)) {
      if (!rel.starts_with("_checkpoints/mta-turnstile/0") && rel.find("/part-mta-turnstile-p0-000000000001") == std::string::npos) {
        names.push_back(rel);
      }
    }
    return names;
  };
  // Never committed: no fence to claim yet (a first commit elsewhere could still claim
  // commit 1 with its files), so they stay until this committer's first commit.
  auto c = MakeCommitter(Options(root));
  RecoveredState r = MustRecover(c.get());
  EXPECT_FALSE(r.has_checkpoint);
  EXPECT_EQ(r.orphans_deleted, 0u);
  EXPECT_EQ(Snapshot(root).size(), files.size());
  MustCommit(c.get(), Steps()[0]);
  EXPECT_EQ(left(), others);

  // With a checkpoint, recovery deletes them once it has fenced.
  for (const auto& f : files) ASSERT_TRUE(WriteFileDurable(root + "/" + f, "x").ok());
  r = MustRecover(MakeCommitter(Options(root)).get());
  EXPECT_TRUE(r.has_checkpoint);
  EXPECT_EQ(r.orphans_deleted, 3u);
  EXPECT_EQ(left(), others);

  // Without hard links (the fallback), at once.
  const std::string legacy_root = root + "-legacy";
  std::filesystem::remove_all(legacy_root);
  for (const auto& f : files) {
    std::filesystem::create_directories(std::filesystem::path(legacy_root + "/" + f).parent_path());
    ASSERT_TRUE(WriteFileDurable(legacy_root + "/" + f, "x").ok());
  }
  EXPECT_EQ(MustRecover(MakeCommitter(WithoutHardLinks(legacy_root)).get()).orphans_deleted, 3u);
}

TEST(PartitionCommitter, CorruptCheckpointIsDataLoss) {
  std::string root = FreshTestDir();
  auto steps = Steps();
  auto c = RecoveredAndCommitted(Options(root), steps[0]);
  // The copy beside the claims is only a copy: recovery reads the claim, and repairs the copy.
  const std::string claim = root + "/_checkpoints/mta-turnstile/0.commits/000000000001";
  const auto committed = ReadWholeFile(claim);
  ASSERT_TRUE(committed.ok());
  // (The copy is a link to the claim: replaced, not written over, as lakestream replaces it.)
  ASSERT_TRUE(WriteFileDurable(c->checkpoint_path() + ".new", "lakestream-checkpoint 1 3 00000000\n{}\n").ok());
  std::filesystem::rename(c->checkpoint_path() + ".new", c->checkpoint_path());
  EXPECT_EQ(MustRecover(MakeCommitter(Options(root)).get()).commit_seq, 1u);
  auto repaired = ReadWholeFile(c->checkpoint_path());
  ASSERT_TRUE(repaired.ok());
  EXPECT_EQ(*repaired, *committed);

  // A corrupt claim is a corrupt checkpoint (claims are written whole: a disk's damage).
  std::filesystem::remove(root + "/_checkpoints/mta-turnstile/0.commits/000000000002");  // the fence
  std::filesystem::remove(claim);
  ASSERT_TRUE(WriteFileDurable(claim, "lakestream-checkpoint 1 3 00000000\n{}\n").ok());
  auto next = MakeCommitter(Options(root));
  auto r = next->Recover();
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(r.status().message(),
            "checkpoint '" + claim + "' is corrupt: the body has 3 "
            "bytes, the header says 4 (a torn or truncated write?). The partition cannot resume "
            "safely: restore the file from a backup, or delete the partition's checkpoint to reprocess the "
            "partition from its earliest offset (which may duplicate rows already in the lake) (the partition's "
            "checkpoint: '" + root + "/_checkpoints/mta-turnstile/0' and the claims in '" + root +
            "/_checkpoints/mta-turnstile/0.commits')");
  EXPECT_EQ(next->Commit(steps[1].batch, steps[1].next_offset, steps[1].state).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST(PartitionCommitter, CheckpointOfAnotherPartitionIsDataLoss) {
  std::string root = FreshTestDir();
  auto c = MakeCommitter(Options(root));
  MustRecover(c.get());
  MustCommit(c.get(), Steps()[0]);
  std::filesystem::copy_file(root + "/_checkpoints/mta-turnstile/0", root + "/_checkpoints/mta-turnstile/1");
  CommitterOptions o = Options(root);
  o.partition = PartitionId{1};
  auto r = MakeCommitter(std::move(o))->Recover();
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(r.status().message(),
            "checkpoint '" + root + "/_checkpoints/mta-turnstile/1' belongs to topic "
            "'mta-turnstile' partition 0, not to this task: the lake's _checkpoints folder was "
            "edited; restore the right file");
}

TEST(PartitionCommitter, CommittedFileRemovedIsDataLoss) {
  std::string root = FreshTestDir();
  auto steps = Steps();
  bool armed = false;
  CrashHook hook = [&](CrashPoint point, size_t) {
    return armed && point == CrashPoint::kAfterCheckpointRename ? Status::Unavailable("crash")
                                                                : Status::Ok();
  };
  auto c = MakeCommitter(Options(root, nullptr, hook));
  MustRecover(c.get());
  armed = true;
  ASSERT_FALSE(c->Commit(steps[0].batch, steps[0].next_offset, steps[0].state).ok());
  const std::string temp = root + "/turnstile/date=2024-07-23/.part-mta-turnstile-p0-000000000001-0000.csv.gz.tmp";
  ASSERT_TRUE(RemoveFileIfExists(temp).ok());
  auto r = MakeCommitter(Options(root))->Recover();
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(r.status().message(),
            "checkpoint '" + root + "/_checkpoints/mta-turnstile/0' (commit 1) lists '" + root +
                "/turnstile/date=2024-07-23/part-mta-turnstile-p0-000000000001-0000.csv.gz' but neither it nor "
                "its temp file '" + temp + "' exists: someone removed committed lake files. "
                "Restore the file; or, to reprocess the partition from its earliest offset, move the partition's "
                "checkpoint ('" + root + "/_checkpoints/mta-turnstile/0' and '" + root +
                "/_checkpoints/mta-turnstile/0.commits/') and its lake files away: part-mta-turnstile-p0-* in the "
                "date= folders of its table, _dead_letters/mta-turnstile and _late/mta-turnstile");
}

// A recovered committer of the table output alone, 2 rows per file.
std::unique_ptr<PartitionCommitter> TableOnlyCommitter(const std::string& root) {
  CommitterOptions o = Options(root);
  o.outputs = {TableOutput()};
  auto c = MakeCommitter(std::move(o));
  MustRecover(c.get());
  return c;
}

TEST(PartitionCommitter, RollsFilesEveryNRows) {
  std::string root = FreshTestDir();
  auto c = TableOnlyCommitter(root);
  CommitBatch batch(1);
  for (int i = 0; i < 5; ++i) batch.Add(0, At(22, 10, i), TableRow("S", i, At(22, 10, i)));
  auto r = c->Commit(batch, KafkaOffset{5}, "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows, 5u);
  const std::string dir = "turnstile/date=2024-07-22/";
  EXPECT_EQ(r->files, (std::vector<std::string>{dir + "part-mta-turnstile-p0-000000000001-0000.csv.gz",
                                                dir + "part-mta-turnstile-p0-000000000001-0001.csv.gz",
                                                dir + "part-mta-turnstile-p0-000000000001-0002.csv.gz"}));
  const std::string header = ",STATION,ENTRIES,WINDOW_END\n";
  EXPECT_EQ(Gunzip(root + "/" + r->files[0]),
            header + "0,S,0,2024-07-22 10:00:00\n1,S,1,2024-07-22 10:01:00\n");
  EXPECT_EQ(Gunzip(root + "/" + r->files[1]),
            header + "0,S,2,2024-07-22 10:02:00\n1,S,3,2024-07-22 10:03:00\n");
  EXPECT_EQ(Gunzip(root + "/" + r->files[2]), header + "0,S,4,2024-07-22 10:04:00\n");
}

TEST(PartitionCommitter, RangesOfARowSourceAfterTheDaysRowsRollFilesToo) {
  std::string root = FreshTestDir();
  auto c = TableOnlyCommitter(root);
  std::vector<Row> rows;
  for (int i = 0; i < 6; ++i) rows.push_back(TableRow("R", i, At(22, 11, i)));
  // A source that owns its rows, shared like stream::ClosedRows.
  struct Owned : RowSource {
    std::vector<Row> rows;
    size_t size() const override { return rows.size(); }
    Status ForEach(size_t b, size_t e, const RowFn& fn) const override { return RowSpanSource(rows).ForEach(b, e, fn); }
  };
  auto source = std::make_shared<Owned>();
  source->rows = rows;
  CommitBatch batch(1);
  batch.AddRange(0, At(22, 11, 0), source, 1, 2);  // rows 1..3, in two ranges that merge
  batch.AddRange(0, At(22, 11, 0), source, 2, 4);
  batch.Add(0, At(22, 10, 0), TableRow("S", 9, At(22, 10, 0)));
  batch.AddRange(0, At(22, 11, 0), source, 4, 4);  // empty: ignored
  batch.AddRange(0, At(22, 11, 0), source, 5, 6);  // not contiguous: its own range
  ASSERT_EQ(batch.days(0).size(), 1u);
  EXPECT_EQ(batch.days(0).begin()->second.ranges.size(), 2u);
  EXPECT_EQ(batch.row_count(), 5u);
  source.reset();  // the batch shares it
  auto r = c->Commit(batch, KafkaOffset{5}, "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows, 5u);
  const std::string dir = "turnstile/date=2024-07-22/";
  ASSERT_EQ(r->files.size(), 4u);
  const std::string header = ",STATION,ENTRIES,WINDOW_END\n";
  // The day's Row objects first, then each range, each split every 2 rows (rows 1..3 as
  // one range: 2 + 1, not 1 + 2).
  EXPECT_EQ(Gunzip(root + "/" + r->files[0]), header + "0,S,9,2024-07-22 10:00:00\n");
  EXPECT_EQ(Gunzip(root + "/" + r->files[1]), header + "0,R,1,2024-07-22 11:01:00\n1,R,2,2024-07-22 11:02:00\n");
  EXPECT_EQ(Gunzip(root + "/" + r->files[2]), header + "0,R,3,2024-07-22 11:03:00\n");
  EXPECT_EQ(Gunzip(root + "/" + r->files[3]), header + "0,R,5,2024-07-22 11:05:00\n");
  EXPECT_EQ(r->files[3], dir + "part-mta-turnstile-p0-000000000001-0003.csv.gz");
}

TEST(PartitionCommitter, RebalancedOwnersSeeTheSameResult) {
  const auto reference = ReferenceLake();
  std::string root = FreshTestDir();
  auto steps = Steps();
  auto a = RecoveredAndCommitted(Options(root), steps[0]);
  MustCommit(a.get(), steps[1]);
  a.reset();  // partition revoked after its final commit

  auto b = MakeCommitter(Options(root));
  RecoveredState rb = MustRecover(b.get());
  EXPECT_EQ(rb.commit_seq, 2u);
  EXPECT_EQ(rb.next_offset, KafkaOffset{9});
  EXPECT_EQ(rb.state, steps[1].state);
  EXPECT_EQ(rb.renames_finished, 0u);
  EXPECT_EQ(rb.orphans_deleted, 0u);
  MustCommit(b.get(), steps[2]);
  b.reset();

  auto a2 = MakeCommitter(Options(root));
  RecoveredState ra = MustRecover(a2.get());
  EXPECT_EQ(ra.commit_seq, 3u);
  EXPECT_EQ(ra.next_offset, KafkaOffset{12});
  EXPECT_EQ(ra.state, "state-3");
  // B's commit 3 claimed over its own fence: the numbers are those of one owner. A2's fence
  // is claim 4, with commit 3's checkpoint.
  EXPECT_EQ(WithoutClaims(Snapshot(root)), WithoutClaims(reference));
  EXPECT_EQ(ClaimsOf(root), (std::map<uint64_t, uint64_t>{{3, 3}, {4, 3}}));
}

// A zombie owner: A still holds the partition in memory (its session expired, or it was
// stopped) while B took it over, recovered and committed. A's next commit must not replace
// B's checkpoint and B's committed files of the same commit numbers.
TEST(PartitionCommitter, ZombieOwnerCannotCommitOverTheNextOwner) {
  const auto reference = ReferenceLake();
  std::string root = FreshTestDir();
  auto steps = Steps();
  auto a = RecoveredAndCommitted(Options(root), steps[0]);

  auto b = MakeCommitter(Options(root));  // the group gave the partition to B
  EXPECT_EQ(MustRecover(b.get()).commit_seq, 1u);
  MustCommit(b.get(), steps[1]);
  MustCommit(b.get(), steps[2]);

  // A resumes with a snapshot of what it read after commit 1: other rows, commit number 2.
  Step zombie;
  zombie.batch.Add(kTable, At(23, 0, 5), TableRow("ZOMBIE", 1, At(23, 0, 5)));
  zombie.next_offset = KafkaOffset{6};
  zombie.state = "zombie-state";
  auto r = a->Commit(zombie.batch, zombie.next_offset, zombie.state);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().ToString();

  // B's commits stand: the lake and the checkpoint are those of B (orphans of A aside,
  // which the next recovery deletes).
  auto c = MakeCommitter(Options(root));
  RecoveredState rc = MustRecover(c.get());
  EXPECT_EQ(rc.commit_seq, 3u);
  EXPECT_EQ(rc.next_offset, KafkaOffset{12});
  EXPECT_EQ(rc.state, "state-3");
  EXPECT_EQ(WithoutClaims(Snapshot(root)), WithoutClaims(reference));
}

// A zombie's commit already under way when the next owner recovered: before claims it could
// land after the recovery, which had deleted its temp files (then a DataLoss at the next
// start). The next owner's fence makes the zombie's claim fail, wherever it was paused.
TEST(PartitionCommitter, ACommitInFlightCannotLandAfterTheNextOwnerRecovered) {
  for (CrashPoint paused : {CrashPoint::kAfterTempFiles, CrashPoint::kAfterCheckpointTemp}) {
    SCOPED_TRACE(CrashPointName(paused));
    const auto reference = ReferenceLake();
    std::string root = FreshTestDir();
    auto steps = Steps();
    std::unique_ptr<PartitionCommitter> b;
    bool armed = false;
    CrashHook hook = [&](CrashPoint point, size_t) {
      if (armed && point == paused) {
        armed = false;
        b = MakeCommitter(Options(root));  // meanwhile the group gave the partition to B
        EXPECT_EQ(MustRecover(b.get()).commit_seq, 1u);
      }
      return Status::Ok();
    };
    CommitterOptions zombie_options = Options(root, nullptr, hook);
    zombie_options.owner = "a0a0a0a0";
    auto a = RecoveredAndCommitted(zombie_options, steps[0]);
    armed = true;
    Step zombie;
    zombie.batch.Add(kTable, At(23, 0, 5), TableRow("ZOMBIE", 1, At(23, 0, 5)));
    zombie.next_offset = KafkaOffset{6};
    zombie.state = "zombie-state";
    auto r = a->Commit(zombie.batch, zombie.next_offset, zombie.state);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().ToString();
    EXPECT_EQ(a->RecoverFailedCommit().status().code(), StatusCode::kFailedPrecondition);
    ASSERT_NE(b, nullptr);
    MustCommit(b.get(), steps[1]);
    MustCommit(b.get(), steps[2]);
    // B's numbers are those of one owner, and nothing of A's is left but its temp files.
    auto lake = Snapshot(root);
    std::erase_if(lake, [](const auto& e) { return e.first.find(".a0a0a0a0.tmp") != std::string::npos; });
    EXPECT_EQ(lake, reference);
  }
}

// A zombie that wins a number whose claim was removed after newer commits (its commit 2, the
// lake at 3): the claim counts for nothing, the zombie publishes nothing and does not put
// its checkpoint back in place of the newer one.
TEST(PartitionCommitter, AClaimBelowANewerOneCommitsNothing) {
  const auto reference = ReferenceLake();
  std::string root = FreshTestDir();
  auto steps = Steps();
  bool armed = false;
  CrashHook hook = [&](CrashPoint point, size_t) {
    if (armed && point == CrashPoint::kAfterTempFiles) {
      armed = false;
      auto b = RecoveredAndCommitted(Options(root), steps[1]);
      MustCommit(b.get(), steps[2]);
      EXPECT_EQ(ClaimsOf(root), (std::map<uint64_t, uint64_t>{{3, 3}}));  // 2 removed
    }
    return Status::Ok();
  };
  auto a = RecoveredAndCommitted(Options(root, nullptr, hook), steps[0]);
  armed = true;
  auto r = a->Commit(steps[1].batch, steps[1].next_offset, "zombie-state");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().ToString();
  EXPECT_EQ(WithoutClaims(Snapshot(root)), WithoutClaims(reference));
  auto c = MakeCommitter(Options(root));
  RecoveredState rc = MustRecover(c.get());
  EXPECT_EQ(rc.commit_seq, 3u);
  EXPECT_EQ(rc.state, "state-3");
}

// The same with the copy behind the newest claim (a zombie's late rename of it, a crash
// before it), so that the check of the copy does not stop the zombie: its claim does.
TEST(PartitionCommitter, AClaimBelowANewerOneCommitsNothingWhateverTheCopy) {
  std::string root = FreshTestDir();
  const std::string copy = root + "/_checkpoints/mta-turnstile/0";
  auto steps = Steps();
  bool armed = false;
  std::string commit_1;
  CrashHook hook = [&](CrashPoint point, size_t) {
    if (armed && point == CrashPoint::kAfterTempFiles) {
      armed = false;
      auto b = RecoveredAndCommitted(Options(root), steps[1]);
      MustCommit(b.get(), steps[2]);
      std::ofstream(copy + ".old", std::ios::binary) << commit_1;  // a new file: the copy is a claim's link
      std::filesystem::rename(copy + ".old", copy);
    }
    return Status::Ok();
  };
  auto a = RecoveredAndCommitted(Options(root, nullptr, hook), steps[0]);
  commit_1 = Snapshot(root).at("_checkpoints/mta-turnstile/0");
  armed = true;
  auto r = a->Commit(steps[1].batch, steps[1].next_offset, "zombie-state");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().ToString();
  EXPECT_EQ(ClaimsOf(root), (std::map<uint64_t, uint64_t>{{2, 2}, {3, 3}}));  // the zombie's claim 2
  EXPECT_FALSE(std::filesystem::exists(root + "/_checkpoints/mta-turnstile/.0.tmp"));
  RecoveredState rc = MustRecover(MakeCommitter(Options(root)).get());
  EXPECT_EQ(rc.commit_seq, 3u);
  EXPECT_EQ(rc.state, "state-3");
}

// A first commit deletes the partition's other temp files after publishing its own (its
// recovery had no fence to claim). If the owner is paused right before that sweep while the
// group hands the partition to C, C's commit 2 is claimed with its temp files still unrenamed
// (C crashed, or is simply slower): the sweep must not take C's committed files with it.
// A process killed between creating its checkpoint temp and writing it leaves an empty
// file, which no sweep could read: recovery, once fenced, deletes it (and one holding
// anything else unreadable), while a first commit's sweep keeps them (a later owner may be
// writing its temp just then). A kill -9 test against the broker found one left over.
TEST(PartitionCommitter, RecoveryDeletesUnreadableCheckpointTempsOfOtherOwners) {
  const std::string root = FreshTestDir();
  const std::string empty = root + "/_checkpoints/mta-turnstile/.0.deadbeef.tmp";
  const std::string garbage = root + "/_checkpoints/mta-turnstile/.0.feedf00d.tmp";
  auto write_both = [&] {
    std::filesystem::create_directories(root + "/_checkpoints/mta-turnstile");
    ASSERT_TRUE(WriteFileDurable(empty, "").ok());
    ASSERT_TRUE(WriteFileDurable(garbage, "LSCK not a checkpoint").ok());
  };
  write_both();
  auto first = MakeCommitter(Options(root));
  EXPECT_FALSE(MustRecover(first.get()).has_checkpoint);
  MustCommit(first.get(), Steps()[0]);
  EXPECT_TRUE(std::filesystem::exists(empty));
  EXPECT_TRUE(std::filesystem::exists(garbage));

  RecoveredState r = MustRecover(MakeCommitter(Options(root)).get());
  EXPECT_TRUE(r.has_checkpoint);
  EXPECT_FALSE(std::filesystem::exists(empty));
  EXPECT_FALSE(std::filesystem::exists(garbage));
  EXPECT_EQ(r.orphans_deleted, 2u);
}

TEST(PartitionCommitter, AFirstCommitsOrphanSweepSparesTheNextOwnersCommit) {
  std::string root = FreshTestDir();
  auto steps = Steps();
  bool armed = true;
  CrashHook b_hook = [&](CrashPoint point, size_t) {
    if (armed && point == CrashPoint::kAfterFinalRename) {
      armed = false;
      CommitterOptions c_options = Options(root, nullptr, [](CrashPoint p, size_t) {
        return p == CrashPoint::kAfterCheckpointRename ? Status::IoError("C killed after its claim") : Status::Ok();
      });
      c_options.owner = "c0c0c0c0";
      auto c = MakeCommitter(c_options);
      EXPECT_EQ(MustRecover(c.get()).commit_seq, 1u);
      auto r = c->Commit(steps[1].batch, steps[1].next_offset, steps[1].state);
      EXPECT_EQ(r.status().code(), StatusCode::kIoError) << r.status().ToString();
      EXPECT_EQ(ClaimsOf(root), (std::map<uint64_t, uint64_t>{{2, 2}}));  // commit 2 happened
    }
    return Status::Ok();
  };
  CommitterOptions b_options = Options(root, nullptr, b_hook);
  b_options.owner = "b0b0b0b0";
  auto b = MakeCommitter(b_options);
  EXPECT_FALSE(MustRecover(b.get()).has_checkpoint);
  MustCommit(b.get(), steps[0]);  // B's first commit; its sweep runs after C's claim
  auto d = MakeCommitter(Options(root));
  auto rd = d->Recover();
  ASSERT_TRUE(rd.ok()) << rd.status().ToString();
  EXPECT_EQ(rd->commit_seq, 2u);
  EXPECT_EQ(rd->state, steps[1].state);
  MustCommit(d.get(), steps[2]);
  auto lake = Snapshot(root);
  std::erase_if(lake, [](const auto& e) { return e.first.starts_with("_checkpoints") || IsHidden(e.first); });
  auto reference = ReferenceLake();
  std::erase_if(reference, [](const auto& e) { return e.first.starts_with("_checkpoints") || IsHidden(e.first); });
  EXPECT_EQ(lake, reference);
}

// A commit that failed before its claim (an IoError: the worker recovers and retries it once).
// RecoverFailedCommit checks that no other owner claimed since, then recovers; if the group
// handed the partition to B between the two, that recovery must not fence over B and resume
// from B's commit: the worker would then retry its snapshot of records B already committed
// (doubling them in the lake) and B's next commit would fail.
TEST(PartitionCommitter, AFailedCommitsRecoveryDoesNotFenceOverTheNextOwner) {
  const auto reference = ReferenceLake();
  std::string root = FreshTestDir();
  auto steps = Steps();
  std::unique_ptr<PartitionCommitter> b;
  bool armed = false;
  CrashHook hook = [&](CrashPoint point, size_t) {
    if (!armed) return Status::Ok();
    if (point == CrashPoint::kAfterTempFiles) return Status::IoError("injected disk error");
    if (point == CrashPoint::kFailedCommitChecked) {
      armed = false;
      b = MakeCommitter(Options(root));  // meanwhile the group gave the partition to B
      EXPECT_EQ(MustRecover(b.get()).commit_seq, 1u);
      MustCommit(b.get(), steps[1]);
    }
    return Status::Ok();
  };
  CommitterOptions a_options = Options(root, nullptr, hook);
  a_options.owner = "a0a0a0a0";
  auto a = RecoveredAndCommitted(a_options, steps[0]);
  armed = true;
  auto r = a->Commit(steps[1].batch, steps[1].next_offset, steps[1].state);
  ASSERT_EQ(r.status().code(), StatusCode::kIoError) << r.status().ToString();
  auto failed = a->RecoverFailedCommit();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(failed.status().code(), StatusCode::kFailedPrecondition) << failed.status().ToString();
  if (failed.ok() && !failed->has_value()) {
    // What the partition worker does next: commit the same snapshot again.
    auto again = a->Commit(steps[1].batch, steps[1].next_offset, steps[1].state);
    EXPECT_FALSE(again.ok()) << "A committed steps[1] again as commit " << again->commit_seq
                             << ": its rows are in the lake twice";
  }
  auto rb = b->Commit(steps[2].batch, steps[2].next_offset, steps[2].state);
  EXPECT_TRUE(rb.ok()) << "B, the owner, was fenced out: " << rb.status().ToString();
  auto lake = Snapshot(root);
  std::erase_if(lake, [](const auto& e) { return e.first.find(".a0a0a0a0.tmp") != std::string::npos; });
  EXPECT_EQ(WithoutClaims(lake), WithoutClaims(reference));
}

// Recovery brings the copy <partition> up to date when it lags the claims. It must copy the
// checkpoint it recovered, not whatever the claim it read names by then: that claim may be
// a zombie's fence, which the zombie replaces with its commit a moment later (a commit that
// fails: this recovery's fence is above it). Copied, that commit is "further on than the
// newest claim" (the fence holding commit 2), so the next recovery resumed from it: its
// files were never published and this recovery swept their temps (DataLoss for good).
TEST(PartitionCommitter, TheCopyIsRefreshedFromTheRecoveredCheckpointNotALaterOne) {
  const auto reference_lake = ReferenceLake();
  std::string root = FreshTestDir();
  auto steps = Steps();
  const std::string dir = root + "/_checkpoints/mta-turnstile";
  auto a = RecoveredAndCommitted(Options(root), steps[0]);
  const std::string commit1 = *ReadWholeFile(dir + "/0");
  auto b = MakeCommitter(Options(root));
  EXPECT_EQ(MustRecover(b.get()).commit_seq, 1u);
  MustCommit(b.get(), steps[1]);  // commit 2 over B's fence
  CommitterOptions z_options = Options(root);
  z_options.owner = "a0a0a0a0";
  bool armed = false;
  bool d_recovered = false;
  z_options.crash_hook = [&](CrashPoint point, size_t) {
    if (!armed || point != CrashPoint::kAfterCheckpointTemp) return Status::Ok();
    armed = false;
    // A's commit 1, paused since its claim, renames its checkpoint over <partition> at last:
    // the copy lags the claims (commit 1).
    EXPECT_TRUE(WriteFileDurable(dir + "/.stale", commit1).ok());
    EXPECT_TRUE(RenameFile(dir + "/.stale", dir + "/0").ok());
    // Meanwhile the group gave the partition to D. Right after D's fence (claim 4, commit 2),
    // Z takes its next step: its checkpoint renamed over its fence, claim 3.
    CommitterOptions d_options = Options(root, nullptr, [&](CrashPoint p, size_t) {
      if (p == CrashPoint::kRecoveryFenced) {
        EXPECT_TRUE(RenameFile(dir + "/.0.a0a0a0a0.tmp", dir + "/0.commits/000000000003").ok());
      }
      return Status::Ok();
    });
    d_options.owner = "d0d0d0d0";
    auto d = MakeCommitter(d_options);
    auto rd = d->Recover();
    EXPECT_TRUE(rd.ok()) << rd.status().ToString();
    if (rd.ok()) {
      EXPECT_EQ(rd->commit_seq, 2u);
    }
    d_recovered = true;
    return Status::Ok();  // D is killed before it commits
  };
  auto z = MakeCommitter(z_options);
  EXPECT_EQ(MustRecover(z.get()).commit_seq, 2u);  // Z's fence: claim 3
  armed = true;
  EXPECT_FALSE(z->Commit(steps[2].batch, steps[2].next_offset, steps[2].state).ok());  // Z's claim lost
  ASSERT_TRUE(d_recovered);
  EXPECT_EQ(z->RecoverFailedCommit().status().code(), StatusCode::kFailedPrecondition);
  // The next owner resumes from commit 2 (the newest claim: D's fence) and commits on.
  auto e = MakeCommitter(Options(root));
  auto re = e->Recover();
  ASSERT_TRUE(re.ok()) << re.status().ToString();
  EXPECT_EQ(re->commit_seq, 2u);
  EXPECT_EQ(re->state, steps[1].state);
  MustCommit(e.get(), steps[2]);
  // The lake of an uninterrupted run, but for the numbers of the unused fences 3 (Z's) and
  // 4 (D's): E's commit is 5; nothing of Z's commit 3 was published.
  std::vector<std::string> lake, reference;
  for (const auto& [rel, bytes] : Snapshot(root)) {
    if (rel.starts_with("_checkpoints") || IsHidden(rel)) continue;
    EXPECT_EQ(rel.find("-000000000003-"), std::string::npos) << rel;
    lake.push_back(bytes);
  }
  for (const auto& [rel, bytes] : reference_lake) {
    if (!rel.starts_with("_checkpoints")) reference.push_back(bytes);
  }
  EXPECT_EQ(lake, reference);
  EXPECT_EQ(MustRecover(MakeCommitter(Options(root)).get()).commit_seq, 5u);
}

// A recovery paused between reading the newest claim and fencing with it: meanwhile another
// owner recovered and committed, removing that claim. The link of the claim read then finds
// no file: read again (as when the claim is gone before it is read), not an IoError that
// stops the job.
TEST(PartitionCommitter, ARecoveryWhoseClaimWasRemovedBeforeItsFenceReadsAgain) {
  const auto reference = ReferenceLake();
  std::string root = FreshTestDir();
  auto steps = Steps();
  auto a = RecoveredAndCommitted(Options(root), steps[0]);
  bool armed = true;
  CommitterOptions b_options = Options(root, nullptr, [&](CrashPoint point, size_t) {
    if (armed && point == CrashPoint::kRecoveryRead) {
      armed = false;
      auto c = MakeCommitter(Options(root));
      EXPECT_EQ(MustRecover(c.get()).commit_seq, 1u);
      MustCommit(c.get(), steps[1]);  // commit 2 over C's fence; claim 1 removed
    }
    return Status::Ok();
  });
  auto b = MakeCommitter(b_options);
  auto rb = b->Recover();
  ASSERT_TRUE(rb.ok()) << rb.status().ToString();
  EXPECT_EQ(rb->commit_seq, 2u);
  EXPECT_EQ(rb->state, steps[1].state);
  MustCommit(b.get(), steps[2]);
  EXPECT_EQ(WithoutClaims(Snapshot(root)), WithoutClaims(reference));
}

// An owner killed after renaming its files, before fsyncing their folders: the renames are
// done (the next owner finds the final files) but not durable. The next owner must make them
// durable before it commits on: once a later commit is the newest claim, a power loss that
// undid a rename leaves that file's temp, which recovery then deletes as an orphan (numbered
// below its fence): a committed file lost without a word.
TEST(PartitionCommitter, RecoveryMakesTheRenamesOfACrashedOwnerDurable) {
  std::string root = FreshTestDir();
  auto steps = Steps();
  auto a = MakeCommitter(Options(root, nullptr, [](CrashPoint point, size_t index) {
    return point == CrashPoint::kAfterFinalRename && index == 2 ? Status::Unavailable("killed") : Status::Ok();
  }));
  MustRecover(a.get());
  auto r = a->Commit(steps[0].batch, steps[0].next_offset, steps[0].state);
  ASSERT_FALSE(r.ok());  // its 3 files renamed, no folder fsynced
  std::set<std::string> folders;
  for (const auto& [rel, bytes] : Snapshot(root)) {
    if (!rel.starts_with("_checkpoints")) {
      folders.insert(std::filesystem::canonical(std::filesystem::path(root + "/" + rel).parent_path()).string());
    }
  }
  ASSERT_EQ(folders.size(), 3u);
  std::vector<std::string> fsynced;
  fsynced_paths = &fsynced;
  auto b = MakeCommitter(Options(root));
  RecoveredState rb = MustRecover(b.get());
  fsynced_paths = nullptr;
  EXPECT_EQ(rb.commit_seq, 1u);
  EXPECT_EQ(rb.renames_finished, 0u);
  for (const std::string& folder : folders) {
    EXPECT_NE(std::find(fsynced.begin(), fsynced.end(), folder), fsynced.end()) << folder << " not fsynced";
  }
}

// A commit failing with an IoError at each step, handled as the partition worker does:
// RecoverFailedCommit, then the same snapshot committed again unless it happened. Commit 2 is
// either the first after a recovery (it replaces the committer's fence) or a later one (it
// links a new claim); the lake ends as an uninterrupted run's.
TEST(PartitionCommitter, AFailedCommitIsRecoveredAndRetriedOnceAtEveryStep) {
  const auto reference = ReferenceLake();
  struct Point {
    CrashPoint point;
    size_t index;
    bool happened;
  };
  for (const Point& p : {Point{CrashPoint::kAfterTempFiles, 0, false}, Point{CrashPoint::kAfterCheckpointTemp, 0, false},
                         Point{CrashPoint::kAfterCheckpointRename, 0, true}, Point{CrashPoint::kAfterFinalRename, 0, true},
                         Point{CrashPoint::kAfterFinalRename, 2, true}}) {
    for (bool over_fence : {true, false}) {
      SCOPED_TRACE(std::string(CrashPointName(p.point)) + " " + std::to_string(p.index) +
                   (over_fence ? " over its fence" : " linked"));
      std::string root = FreshTestDir();
      auto steps = Steps();
      bool armed = false;
      CrashHook hook = [&](CrashPoint point, size_t index) {
        if (armed && point == p.point && index == p.index) {
          armed = false;
          return Status::IoError("injected");
        }
        return Status::Ok();
      };
      std::unique_ptr<PartitionCommitter> a;
      if (!over_fence) {
        // Commit 1 by this committer (recovered from nothing): commit 2 links claim 2.
        a = MakeCommitter(Options(root, nullptr, hook));
        MustRecover(a.get());
        MustCommit(a.get(), steps[0]);
      } else {
        auto first = RecoveredAndCommitted(Options(root), steps[0]);
        a = MakeCommitter(Options(root, nullptr, hook));
        EXPECT_EQ(MustRecover(a.get()).commit_seq, 1u);
      }
      armed = true;
      auto r = a->Commit(steps[1].batch, steps[1].next_offset, steps[1].state);
      ASSERT_EQ(r.status().code(), StatusCode::kIoError);
      auto failed = a->RecoverFailedCommit();
      ASSERT_TRUE(failed.ok()) << failed.status().ToString();
      EXPECT_EQ(failed->has_value(), p.happened);
      if (!failed->has_value()) MustCommit(a.get(), steps[1]);
      MustCommit(a.get(), steps[2]);
      EXPECT_EQ(WithoutClaims(Snapshot(root)), WithoutClaims(reference));
      EXPECT_EQ(MustRecover(MakeCommitter(Options(root)).get()).commit_seq, 3u);
    }
  }
}

// Each recovery claims the next number as its fence, a hard link to the same checkpoint. A
// partition that gets no new records never commits, so nothing removed the older fences: one
// more name and one more link to that file per start or rebalance, until link(2) refuses the
// next one (EMLINK: 65000 links on ext4) and the partition cannot be recovered any more.
TEST(PartitionCommitter, RecoveriesOfAnIdlePartitionKeepTheClaimsFew) {
  std::string root = FreshTestDir();
  auto steps = Steps();
  auto a = RecoveredAndCommitted(Options(root), steps[0]);
  for (int run = 0; run < 10; ++run) {
    auto c = MakeCommitter(Options(root));
    RecoveredState r = MustRecover(c.get());
    EXPECT_EQ(r.commit_seq, 1u);
    EXPECT_EQ(r.state, steps[0].state);
  }
  auto claims = ClaimsOf(root);
  EXPECT_LE(claims.size(), 2u);
  ASSERT_FALSE(claims.empty());
  EXPECT_EQ(claims.rbegin()->first, 11u);  // the last recovery's fence
  EXPECT_LE(std::filesystem::hard_link_count(root + "/_checkpoints/mta-turnstile/0"), 3u);
  // The next owner still resumes from commit 1 and commits on.
  auto b = MakeCommitter(Options(root));
  EXPECT_EQ(MustRecover(b.get()).commit_seq, 1u);
  MustCommit(b.get(), steps[1]);
  EXPECT_EQ(ClaimsOf(root), (std::map<uint64_t, uint64_t>{{12, 12}}));
}

// link(2) answers EPERM both on a file system without hard links and, with
// fs.protected_hardlinks=1 (most distributions' default), to a process linking a file of
// another user that it cannot write: a lake shared by two service accounts. The second
// account must not fall back to committing by rename only: the claims stay behind its
// commits, and the next process that can link resumes from the newest claim, as if those
// commits never happened (its files then take the names of those commits' files).
TEST(PartitionCommitter, APermissionRefusedLinkIsNotALakeWithoutHardLinks) {
  std::ifstream protected_hardlinks("/proc/sys/fs/protected_hardlinks");
  int protect = 0;
  protected_hardlinks >> protect;
  if (::geteuid() != 0 || protect != 1) GTEST_SKIP() << "needs root (to run a child as another user) and fs.protected_hardlinks=1";
  std::string root = FreshTestDir();
  auto steps = Steps();
  auto a = RecoveredAndCommitted(Options(root), steps[0]);
  MustCommit(a.get(), steps[1]);
  // The lake's folders are shared (writable by the other account), its files are root's.
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.is_directory()) std::filesystem::permissions(e.path(), std::filesystem::perms::all);
  }
  std::filesystem::permissions(root, std::filesystem::perms::all);
  // B, as user nobody: recovers and commits step 3, or refuses to.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
    auto b = PartitionCommitter::Make(Options(root));
    if (!b.ok()) ::_exit(4);
    auto rb = (*b)->Recover();
    if (!rb.ok()) {
      std::fprintf(stderr, "B: %s\n", rb.status().ToString().c_str());
      ::_exit(1);
    }
    if (rb->commit_seq != 2) ::_exit(5);
    auto r = (*b)->Commit(steps[2].batch, steps[2].next_offset, steps[2].state);
    if (!r.ok()) {
      std::fprintf(stderr, "B: %s\n", r.status().ToString().c_str());
      ::_exit(1);
    }
    ::_exit(0);  // committed
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  const int b_exit = WEXITSTATUS(status);
  ASSERT_TRUE(b_exit == 0 || b_exit == 1) << b_exit;
  // C, root again (links work): it must resume from B's commit if B committed.
  auto c = MakeCommitter(Options(root));
  RecoveredState rc = MustRecover(c.get());
  if (b_exit == 0) {
    EXPECT_EQ(rc.commit_seq, 3u) << "B's commit 3 is not seen: its rows are processed again";
    EXPECT_EQ(rc.next_offset, steps[2].next_offset);
  } else {
    EXPECT_EQ(rc.commit_seq, 2u);
    EXPECT_EQ(rc.next_offset, steps[1].next_offset);
  }
}

// The checkpoint's temp name may still be a link to a claim after a failed commit (its
// rename to the copy failed): the next checkpoint is a new file, never that claim rewritten.
TEST(PartitionCommitter, TheNextCheckpointNeverRewritesAClaimInPlace) {
  std::string root = FreshTestDir();
  auto steps = Steps();
  bool armed = false;
  CrashHook hook = [&](CrashPoint point, size_t) {
    if (armed && point == CrashPoint::kAfterCheckpointTemp) return Status::Unavailable("injected crash");
    return Status::Ok();
  };
  auto c = RecoveredAndCommitted(Options(root, nullptr, hook), steps[0]);
  const std::string claim = root + "/_checkpoints/mta-turnstile/0.commits/000000000001";
  const auto committed = ReadWholeFile(claim);
  ASSERT_TRUE(committed.ok());
  ASSERT_EQ(::link(claim.c_str(), (root + "/_checkpoints/mta-turnstile/.0.tmp").c_str()), 0);
  armed = true;
  ASSERT_FALSE(c->Commit(steps[1].batch, steps[1].next_offset, steps[1].state).ok());
  auto after = ReadWholeFile(claim);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, *committed);
  EXPECT_EQ(MustRecover(MakeCommitter(Options(root)).get()).commit_seq, 1u);
}

// A lake written before claims has only the checkpoint file: it resumes from it, and claims
// start with the next commit.
TEST(PartitionCommitter, ALakeWithoutClaimsResumes) {
  const auto reference = ReferenceLake();
  std::string root = FreshTestDir();
  auto steps = Steps();
  auto a = RecoveredAndCommitted(WithoutHardLinks(root), steps[0]);
  MustCommit(a.get(), steps[1]);
  EXPECT_FALSE(std::filesystem::exists(root + "/_checkpoints/mta-turnstile/0.commits"));
  auto b = MakeCommitter(Options(root));
  RecoveredState rb = MustRecover(b.get());
  EXPECT_EQ(rb.commit_seq, 2u);
  EXPECT_EQ(rb.state, steps[1].state);
  EXPECT_EQ(ClaimsOf(root), (std::map<uint64_t, uint64_t>{{3, 2}}));  // the fence
  MustCommit(b.get(), steps[2]);
  EXPECT_EQ(Snapshot(root), reference);
}

// lakestream before claims (a member of the group not upgraded yet, during a rolling upgrade)
// commits by renaming its checkpoint over <partition> alone. The next owner with claims must
// resume from that newer copy, not from the newest claim: that would process commit 2's
// records again, into files named as commit 2's, which already exist (kept: its rows lost or
// doubled wherever the two runs cut their commits differently).
TEST(PartitionCommitter, ACommitByRenameAloneAfterTheClaimsIsResumed) {
  const auto reference = ReferenceLake();
  std::string root = FreshTestDir();
  auto steps = Steps();
  auto a = RecoveredAndCommitted(Options(root), steps[0]);
  auto old = MakeCommitter(WithoutHardLinks(root));  // as the version before claims
  EXPECT_EQ(MustRecover(old.get()).commit_seq, 1u);
  MustCommit(old.get(), steps[1]);
  auto c = MakeCommitter(Options(root));
  RecoveredState rc = MustRecover(c.get());
  EXPECT_EQ(rc.commit_seq, 2u);
  EXPECT_EQ(rc.next_offset, steps[1].next_offset);
  EXPECT_EQ(rc.state, steps[1].state);
  MustCommit(c.get(), steps[2]);
  EXPECT_EQ(Snapshot(root), reference);
  EXPECT_EQ(MustRecover(MakeCommitter(Options(root)).get()).commit_seq, 3u);
}

// A rolling upgrade the other way round: the owner with claims recovered (its fence holds
// commit 2) while a member not yet upgraded, which owned the partition before, commits its
// snapshot as commit 2 by rename alone. The owner's commit 2 must see that commit and fail,
// as before claims (the check of the copy), not commit over it: its files were then taken
// for the other member's files of the same names (kept as done) under its own checkpoint.
TEST(PartitionCommitter, ACommitByRenameAloneAfterTheFenceFailsTheOwnersNextCommit) {
  std::string root = FreshTestDir();
  auto steps = Steps();
  auto a = RecoveredAndCommitted(Options(root), steps[0]);
  auto old = MakeCommitter(WithoutHardLinks(root));  // as the version before claims
  EXPECT_EQ(MustRecover(old.get()).commit_seq, 1u);
  auto c = MakeCommitter(Options(root));
  EXPECT_EQ(MustRecover(c.get()).commit_seq, 1u);
  MustCommit(old.get(), steps[1]);  // the old member did not see the fence
  Step other;  // c's snapshot: other records than the old member's
  other.batch.Add(kTable, At(23, 0, 5), TableRow("OTHER", 1, At(23, 0, 5)));
  other.next_offset = KafkaOffset{6};
  other.state = "other-state";
  auto r = c->Commit(other.batch, other.next_offset, other.state);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().ToString();
  // The old member's commit stands, whole.
  RecoveredState rd = MustRecover(MakeCommitter(Options(root)).get());
  EXPECT_EQ(rd.commit_seq, 2u);
  EXPECT_EQ(rd.next_offset, steps[1].next_offset);
  EXPECT_EQ(rd.state, steps[1].state);
}

// On a file system without hard links the rename of the checkpoint is the commit point, and
// a zombie is stopped by the check before it.
TEST(PartitionCommitter, WithoutHardLinksTheRenameIsTheCommitPoint) {
  const auto reference = ReferenceLake();
  std::string root = FreshTestDir();
  auto steps = Steps();
  auto a = RecoveredAndCommitted(WithoutHardLinks(root), steps[0]);
  auto b = MakeCommitter(WithoutHardLinks(root));
  EXPECT_EQ(MustRecover(b.get()).commit_seq, 1u);
  MustCommit(b.get(), steps[1]);
  EXPECT_EQ(a->Commit(steps[1].batch, steps[1].next_offset, steps[1].state).status().code(),
            StatusCode::kFailedPrecondition);
  MustCommit(b.get(), steps[2]);
  EXPECT_EQ(Snapshot(root), WithoutClaims(reference));
}

// A lake keeps one checkpoint per topic and partition: a job over other input, or into
// another table or file format, is refused rather than resumed from offsets not its own.
// A checkpoint without source and outputs (lakestream before them) is taken as it is.
TEST(PartitionCommitter, RecoverRefusesACheckpointOfAnotherSourceOrOutput) {
  std::string root = FreshTestDir();
  CommitterOptions first = Options(root);
  first.source = "files a.csv (10 bytes)";
  auto c = MakeCommitter(first);
  MustRecover(c.get());
  MustCommit(c.get(), Steps()[0]);
  auto written = ReadCheckpoint(c->checkpoint_path());
  ASSERT_TRUE(written.ok() && written->has_value());
  EXPECT_EQ((*written)->source, "files a.csv (10 bytes)");
  EXPECT_EQ((*written)->outputs, (std::vector<std::string>{"turnstile (csv.gz)", "_dead_letters/mta-turnstile (jsonl)"}));

  CommitterOptions other_source = first;
  other_source.source = "files b.csv (10 bytes)";
  auto r = MakeCommitter(other_source)->Recover();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "checkpoint '" + c->checkpoint_path() +
                "' counts the records of files a.csv (10 bytes); this job reads files b.csv (10 bytes): its "
                "offsets would skip or misplace records. Give this job another --lake (or, for --source files, "
                "another --source-name), or run it as the lake was started");

  for (FileFormat format : {FileFormat::kCsvGz, FileFormat::kParquet}) {
    CommitterOptions other_output = Options(root, nullptr, nullptr, format);
    other_output.source = first.source;
    if (format == FileFormat::kCsvGz) other_output.outputs[0].dir = "turnstile2";
    auto o = MakeCommitter(other_output)->Recover();
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(o.status().message().find("belongs to a job writing turnstile (csv.gz), _dead_letters/mta-turnstile (jsonl); "
                                        "this job writes " +
                                        std::string(format == FileFormat::kCsvGz ? "turnstile2 (csv.gz)"
                                                                                 : "turnstile (parquet)")),
              std::string::npos)
        << o.status().message();
  }

  // The same job resumes; one that cannot name its source is not checked on it.
  EXPECT_EQ(MustRecover(MakeCommitter(first).get()).commit_seq, 1u);
  CommitterOptions unnamed = first;
  unnamed.source.clear();
  EXPECT_EQ(MustRecover(MakeCommitter(unnamed).get()).commit_seq, 1u);

  // A checkpoint of an older lakestream (neither field) resumes, and its next commit adds them.
  Checkpoint old = **written;
  old.source.clear();
  old.outputs.clear();
  ASSERT_TRUE(WriteFileDurable(c->checkpoint_path(), EncodeCheckpoint(old)).ok());
  auto resumed = MakeCommitter(other_source);
  EXPECT_EQ(MustRecover(resumed.get()).commit_seq, 1u);
  MustCommit(resumed.get(), Steps()[1]);
  auto rewritten = ReadCheckpoint(c->checkpoint_path());
  ASSERT_TRUE(rewritten.ok() && rewritten->has_value());
  EXPECT_EQ((*rewritten)->source, "files b.csv (10 bytes)");
  EXPECT_EQ((*rewritten)->outputs.size(), 2u);
}

// A rename leaves the temp file or the final one, never both: a final file listed by the
// checkpoint is done, and a temp of the same name beside it (a zombie owner's attempt at
// that commit number) is deleted, never renamed over it.
TEST(PartitionCommitter, RecoveryKeepsAFinalFileOverAStaleTempOfTheSameName) {
  std::string root = FreshTestDir();
  auto steps = Steps();
  auto a = RecoveredAndCommitted(Options(root), steps[0]);
  MustCommit(a.get(), steps[1]);
  const auto committed = Snapshot(root);
  auto checkpoint = ReadCheckpoint(a->checkpoint_path());
  ASSERT_TRUE(checkpoint.ok() && checkpoint->has_value());
  ASSERT_FALSE((*checkpoint)->pending.empty());
  for (const PendingFile& f : (*checkpoint)->pending) {
    ASSERT_TRUE(WriteFileDurable(root + "/" + f.temp, "a zombie's rows").ok());
  }
  RecoveredState r = MustRecover(MakeCommitter(Options(root)).get());
  EXPECT_EQ(r.renames_finished, 0u);
  EXPECT_EQ(r.orphans_deleted, (*checkpoint)->pending.size());
  EXPECT_EQ(WithoutClaims(Snapshot(root)), WithoutClaims(committed));
}

// A lake file of this partition under the name a commit is about to publish was written by
// an earlier run whose checkpoint was removed (the way to reprocess a partition) or replaced
// by an older one. The commit used to take that file for its own and drop its rows (exit 0,
// its temp file left behind): it now fails before its commit point, naming the file and
// what to do, and succeeds once the old files are moved away (found by review: process
// --source, _checkpoints removed, run again).
TEST(PartitionCommitter, ACommitRefusesToPublishOverAnEarlierRunsFile) {
  for (const bool hard_links : {true, false}) {
    SCOPED_TRACE(hard_links ? "claims" : "without hard links");
    std::string root = FreshTestDir() + (hard_links ? "/claims" : "/renames");
    CommitterOptions options = Options(root);
    options.hard_links = hard_links;
    auto steps = Steps();
    RecoveredAndCommitted(options, steps[0]);
    std::filesystem::remove_all(root + "/_checkpoints");
    const auto before = Snapshot(root);
    // The partition reprocessed, its first records giving other rows.
    Step other;
    other.batch.Add(kTable, At(23, 0, 0), TableRow("S9", 99, At(23, 0, 0)));
    other.next_offset = KafkaOffset{4};
    other.state = "state-1b";
    auto b = MakeCommitter(options);
    EXPECT_FALSE(MustRecover(b.get()).has_checkpoint);
    auto r = b->Commit(other.batch, other.next_offset, other.state);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
    const std::string file = root + "/turnstile/date=2024-07-23/part-mta-turnstile-p0-000000000001-0000.csv.gz";
    EXPECT_EQ(r.status().message(),
              "partition mta-turnstile/0: lake file '" + file +
                  "' exists, but the partition has no checkpoint (or an older one): it was committed by an earlier "
                  "run whose checkpoint was removed or replaced, and publishing this commit would keep its rows "
                  "instead of this one's. Move the partition's files from commit 1 on (part-mta-turnstile-p0-"
                  "000000000001-* and higher numbers, in the date= folders of turnstile, _dead_letters/mta-turnstile) "
                  "away, or restore the checkpoint that committed them ('" +
                  root + "/_checkpoints/mta-turnstile/0' and '" + root +
                  "/_checkpoints/mta-turnstile/0.commits/'); then run again");
    auto after = Snapshot(root);
    for (const auto& [path, bytes] : before) EXPECT_EQ(after[path], bytes) << path;
    EXPECT_FALSE(MustRecover(MakeCommitter(options).get()).has_checkpoint);

    // The earlier run's files moved away: the commit goes through.
    std::filesystem::remove_all(root + "/turnstile");
    std::filesystem::remove_all(root + "/_dead_letters");
    auto c = MakeCommitter(options);
    MustRecover(c.get());
    MustCommit(c.get(), other);
    EXPECT_EQ(Gunzip(file), ",STATION,ENTRIES,WINDOW_END\n0,S9,99,2024-07-23 00:00:00\n");
  }
}

// A zombie that comes back after the next owner committed stops before writing a file.
TEST(PartitionCommitter, ZombieStopsBeforeWritingAnything) {
  std::string root = FreshTestDir();
  auto steps = Steps();
  CommitterOptions zombie_options = Options(root);
  zombie_options.owner = "a0a0a0a0";
  auto a = RecoveredAndCommitted(zombie_options, steps[0]);
  auto b = RecoveredAndCommitted(Options(root), steps[1]);
  const auto before = Snapshot(root);
  auto r = a->Commit(steps[2].batch, steps[2].next_offset, steps[2].state);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("is at commit 2, this process last saw commit 1: another process owns the "
                                      "partition now"),
            std::string::npos)
      << r.status().message();
  EXPECT_EQ(Snapshot(root), before);
}

TEST(PartitionCommitter, EmptyBatchCommitsOffsetAndStateOnly) {
  std::string root = FreshTestDir();
  auto c = MakeCommitter(Options(root));
  MustRecover(c.get());
  auto r = c->Commit(CommitBatch(2), KafkaOffset{3}, "s");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->commit_seq, 1u);
  EXPECT_TRUE(r->files.empty());
  std::vector<std::string> names;
  for (const auto& [rel, bytes] : Snapshot(root)) names.push_back(rel);
  EXPECT_EQ(names, (std::vector<std::string>{"_checkpoints/mta-turnstile/0", "_checkpoints/mta-turnstile/0.commits/000000000001"}));
  c = MakeCommitter(Options(root));
  RecoveredState s = MustRecover(c.get());
  EXPECT_EQ(s.next_offset, KafkaOffset{3});
  EXPECT_EQ(s.state, "s");
  EXPECT_EQ(s.last_record, std::nullopt);

  // With the record before the offset: recovered as it was given.
  ASSERT_TRUE(c->Commit(CommitBatch(2), KafkaOffset{5}, "s", LastRecord{4, 42}).ok());
  s = MustRecover(MakeCommitter(Options(root)).get());
  EXPECT_EQ(s.next_offset, KafkaOffset{5});
  EXPECT_EQ(s.last_record, (LastRecord{4, 42}));
}

TEST(PartitionCommitter, MisuseIsRefused) {
  std::string root = FreshTestDir();
  auto c = MakeCommitter(Options(root));
  auto steps = Steps();
  auto before = c->Commit(steps[0].batch, steps[0].next_offset, steps[0].state);
  EXPECT_EQ(before.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(before.status().message(),
            "partition mta-turnstile/0 cannot commit before Recover() succeeds (at task start and "
            "after a failed commit)");
  MustRecover(c.get());
  MustCommit(c.get(), steps[1]);
  auto backwards = c->Commit(steps[0].batch, steps[0].next_offset, steps[0].state);
  EXPECT_EQ(backwards.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(backwards.status().message(),
            "next_offset 4 is before the committed 9 for mta-turnstile/0");
  EXPECT_EQ(c->Commit(CommitBatch(1), KafkaOffset{10}, "").status().code(),
            StatusCode::kInvalidArgument);
  auto stray = c->Commit(CommitBatch(2), KafkaOffset{10}, "", LastRecord{10, 1});
  EXPECT_EQ(stray.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(stray.status().message(), "the last record's offset 10 is not next_offset 10 - 1");

  CommitterOptions dup = Options(root);
  dup.outputs.push_back(TableOutput());
  EXPECT_EQ(PartitionCommitter::Make(std::move(dup)).status().message(),
            "two outputs write to lake folder 'turnstile': their file names would collide");
  CommitterOptions bad_topic = Options(root);
  bad_topic.topic = "../x";
  EXPECT_EQ(PartitionCommitter::Make(std::move(bad_topic)).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lakestream::lake
