#include "process/partition_worker.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "lake/checkpoint.h"
#include "lake/fs_util.h"
#include "lake/layout.h"
#include "lake/table_windows.h"

namespace lakestream::process {
namespace {

// <build>/src/process/process_test_tmp/<Suite>.<Test>, emptied when created.
std::string FreshDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir = std::filesystem::path(PROCESS_TEST_TMP) /
                              (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

constexpr int64_t kTen = 1721606400 + 10 * 3600;  // 2024-07-22 10:00:00 UTC

std::string Line(const std::string& ca, int64_t t, int64_t entries, const std::string& id) {
  return ca + ",R001,02-00-00,Test-Station1,456NQR,BMT,07-22-24,10:00:00,REGULAR," + std::to_string(entries) +
         ",1," + id + "," + FormatTimestamp(EventTime{t});
}

// Committed table files and their data rows (CSV.gz lines after each file's header).
struct LakeRows {
  size_t files = 0;
  size_t rows = 0;
};
LakeRows CountTable(const std::string& root, const std::string& table) {
  LakeRows out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root + "/" + table)) {
    std::string name = e.path().filename().string();
    if (!e.is_regular_file() || !name.starts_with("part-")) continue;
    ++out.files;
    gzFile gz = gzopen(e.path().c_str(), "rb");
    if (gz == nullptr) {
      ADD_FAILURE() << "cannot open " << e.path();
      continue;
    }
    char buf[4096];
    int n;
    while ((n = gzread(gz, buf, sizeof buf)) > 0) {
      for (int i = 0; i < n; ++i) out.rows += buf[i] == '\n';
    }
    gzclose(gz);
    --out.rows;  // the header line
  }
  return out;
}

// Opening a partition marks its table with the job's window, for `load` (which refuses a
// hopping table); the members of a group, and other topics, add to the marks.
TEST(PartitionWorker, OpeningMarksTheTablesWindow) {
  const std::string root = FreshDir();
  LakeOptions opts;
  opts.root = root;
  opts.table = "turnstile";
  using std::chrono::minutes;
  for (int32_t partition : {0, 1}) {
    ASSERT_TRUE(PartitionWorker::Open(stream::TurnstilePipeline(minutes(5), minutes(5)), opts, "mta", partition).ok());
  }
  EXPECT_EQ(*lake::TableWindows(root, "turnstile"), (std::vector<lake::TableWindow>{{300, 300}}));
  {
    auto w = PartitionWorker::Open(stream::TurnstilePipeline(minutes(5), minutes(5)), opts, "mta", 0);
    ASSERT_TRUE(w.ok());
    (*w)->Process(Line("A001", kTen + 10, 5, "id1"), 0);
    ASSERT_TRUE((*w)->Commit().ok());  // a checkpoint of the 5-minute job
  }
  // A job the checkpoint refuses (another window) writes nothing, its mark included: `load`
  // would otherwise refuse a lake that holds tumbling windows only.
  EXPECT_FALSE(PartitionWorker::Open(stream::TurnstilePipeline(minutes(60), minutes(15)), opts, "mta", 0).ok());
  EXPECT_EQ(*lake::TableWindows(root, "turnstile"), (std::vector<lake::TableWindow>{{300, 300}}));
  ASSERT_TRUE(PartitionWorker::Open(stream::TurnstilePipeline(minutes(60), minutes(15)), opts, "other", 0).ok());
  EXPECT_EQ(*lake::TableWindows(root, "turnstile"), (std::vector<lake::TableWindow>{{300, 300}, {3600, 900}}));
}

// A fresh lake (`lake`: its root and table turnstile) with a checkpoint of topic mta's
// `partition` by the 5-minute turnstile job, of one record.
void CommitOneRecord(LakeOptions* lake, int32_t partition) {
  using std::chrono::minutes;
  lake->root = FreshDir();
  lake->table = "turnstile";
  auto w = PartitionWorker::Open(stream::TurnstilePipeline(minutes(5), minutes(5)), *lake, "mta", partition);
  ASSERT_TRUE(w.ok()) << w.status().message();
  (*w)->Process(Line("A001", kTen + 10, 5, "id1"), 0);
  ASSERT_TRUE((*w)->Commit().ok());
}

// A checkpoint the task refuses says why, names its file and says what to do: a job with
// another pipeline, a state written by a newer lakestream, bytes that are not a state. The
// checkpoint's state is replaced in every file that holds it (the copy and the claims).
TEST(PartitionWorker, ARefusedCheckpointSaysWhatToDo) {
  using std::chrono::minutes;
  struct Case {
    const char* name;
    int window_minutes;                         // the job that opens the partition again
    std::function<void(std::string*)> mutate;  // of the checkpoint's state bytes
    StatusCode code;
    const char* reason;
    const char* advice;
  };
  const std::vector<Case> cases = {
      {"another window", 60, [](std::string*) {}, StatusCode::kInvalidArgument,
       "written by a different pipeline spec", "If the pipeline changed on purpose, process into a new --lake"},
      {"a newer format", 5, [](std::string* s) { (*s)[4] = 9; }, StatusCode::kFailedPrecondition,
       "format version 9 is not supported", "Run the lakestream that wrote it"},
      {"flipped bits", 5, [](std::string* s) { (*s)[s->size() / 2] ^= 0x40; }, StatusCode::kDataLoss,
       "checksum mismatch", "Restore the checkpoint from a backup; or, to process the partition again"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    LakeOptions opts;
    ASSERT_NO_FATAL_FAILURE(CommitOneRecord(&opts, 0));
    const std::string root = opts.root;
    const std::string path = root + "/_checkpoints/mta/0";
    std::vector<std::string> files = {path};
    for (const auto& e : std::filesystem::directory_iterator(lake::CommitClaimsDir(path))) {
      files.push_back(e.path().string());
    }
    for (const std::string& f : files) {
      auto cp = lake::ReadCheckpoint(f);
      ASSERT_TRUE(cp.ok() && cp->has_value()) << f;
      lake::Checkpoint changed = **cp;
      c.mutate(&changed.state);
      std::filesystem::remove(f);  // claims may be links of one file: each gets its own
      ASSERT_TRUE(lake::WriteFileDurable(f, lake::EncodeCheckpoint(changed)).ok());
    }
    const int m = c.window_minutes;
    auto reopened = PartitionWorker::Open(stream::TurnstilePipeline(minutes(m), minutes(m)), opts, "mta", 0);
    ASSERT_FALSE(reopened.ok());
    const Status& st = reopened.status();
    EXPECT_EQ(st.code(), c.code);
    EXPECT_NE(st.message().find(c.reason), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("(" + path + "). " + c.advice), std::string::npos) << st.message();
  }
}

// A partition with no checkpoint yet (added to the topic, or empty until now) is refused to
// a job other than the one whose checkpoints the topic's other partitions hold: that job's
// windows or table would sit beside theirs (the other partitions' checkpoints refused it,
// but only for those partitions). It writes nothing, its table's mark included.
TEST(PartitionWorker, APartitionNewToTheLakeIsRefusedToAnotherJob) {
  using std::chrono::minutes;
  struct Case {
    const char* name;
    int window_minutes;
    const char* table;
    const char* reason;  // empty: opened
  };
  const std::vector<Case> cases = {
      {"the same job", 5, "turnstile", ""},
      {"another window", 10, "turnstile",
       "written by a different pipeline spec than 'mta-turnstile' (its window, schema, keys or output changed) "
       "(CHECKPOINT). If the pipeline changed on purpose, process into a new --lake"},
      {"another table", 5, "again",
       "checkpoint 'CHECKPOINT' belongs to a job writing turnstile (csv.gz), _dead_letters/mta (jsonl), _late/mta "
       "(jsonl); this job writes again (csv.gz)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    LakeOptions opts;
    ASSERT_NO_FATAL_FAILURE(CommitOneRecord(&opts, 2));
    const std::string root = opts.root;
    opts.table = c.table;
    const int m = c.window_minutes;
    auto added = PartitionWorker::Open(stream::TurnstilePipeline(minutes(m), minutes(m)), opts, "mta", 0);
    if (std::string_view(c.reason).empty()) {
      EXPECT_TRUE(added.ok()) << added.status().message();
      continue;
    }
    ASSERT_FALSE(added.ok());
    EXPECT_EQ(added.status().code(), StatusCode::kInvalidArgument);
    std::string reason = c.reason;
    reason.replace(reason.find("CHECKPOINT"), 10, root + "/_checkpoints/mta/2");
    EXPECT_EQ(added.status().message().rfind("mta/0 has no checkpoint in the lake yet, and the lake's other partitions "
                                             "of the topic were processed by another job: ", 0),
              0u)
        << added.status().message();
    EXPECT_NE(added.status().message().find(reason), std::string::npos) << added.status().message();
    EXPECT_FALSE(std::filesystem::exists(root + "/_checkpoints/mta/0"));
    EXPECT_FALSE(std::filesystem::exists(root + "/" + c.table + "/_windows/" + std::to_string(m * 60) + "s-" +
                                         std::to_string(m * 60) + "s"));
  }
}

// Records below the checkpoint's offset (the file source replays its files from the start)
// are skipped, and are no work toward --max-records-per-trigger (since_commit).
TEST(PartitionWorker, SkippedRecordsAreNotCountedTowardTheNextCommit) {
  const std::string root = FreshDir();
  LakeOptions opts;
  opts.root = root;
  opts.table = "turnstile";
  const auto spec = stream::TurnstilePipeline(std::chrono::minutes(5), std::chrono::minutes(5));
  const std::vector<std::string> lines = {Line("A001", kTen + 10, 5, "id1"), Line("A002", kTen + 20, 7, "id2"),
                                          Line("A003", kTen + 30, 9, "id3")};
  {
    auto w = PartitionWorker::Open(spec, opts, "files", 0);
    ASSERT_TRUE(w.ok());
    for (int64_t i = 0; i < 2; ++i) (*w)->Process(lines[i], i);
    EXPECT_EQ((*w)->since_commit(), 2u);
    ASSERT_TRUE((*w)->Commit().ok());
    EXPECT_EQ((*w)->since_commit(), 0u);
  }
  auto w = PartitionWorker::Open(spec, opts, "files", 0);
  ASSERT_TRUE(w.ok());
  // Offset 0 is skipped, offset 1 is the committed record checked again, offset 2 is new.
  for (int64_t i = 0; i < 3; ++i) EXPECT_TRUE((*w)->Process(lines[i], i));
  EXPECT_FALSE((*w)->checking_resume());
  EXPECT_EQ((*w)->since_commit(), 1u);
  EXPECT_EQ((*w)->position(), 3);
}

// Dead letters and late records wait for the next commit like closed-window rows, and call
// for it the same way (OutputDue): a flood of bad records was held until
// --max-records-per-trigger (1,000,000 a partition, ~950 MB of dead letters).
TEST(PartitionWorker, HeldDeadLettersAndLateRecordsCallForACommit) {
  const auto spec = stream::TurnstilePipeline(std::chrono::minutes(5), std::chrono::minutes(5));
  struct Case {
    const char* name;
    std::string record;  // a record that waits as a side output
    const char* folder;  // where its commit writes it
  };
  const std::vector<Case> cases = {
      {"bad", "A001,R001,not,enough,fields", "_dead_letters/mta"},
      {"late", Line("A001", kTen, 1, "late"), "_late/mta"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string root = FreshDir() + "/" + c.name;
    LakeOptions opts;
    opts.root = root;
    opts.late_output = true;
    auto w = PartitionWorker::Open(spec, opts, "mta", 0);
    ASSERT_TRUE(w.ok());
    int64_t offset = 0;
    // One open cell; the watermark at kTen + 600, past the late records.
    (*w)->Process(Line("A001", kTen + 900, 1, "on-time"), offset++);
    constexpr size_t kMaxPending = 3;
    for (size_t held = 1; held <= kMaxPending; ++held) {
      (*w)->Process(c.record, offset++);
      EXPECT_EQ((*w)->OutputDue(kMaxPending), held == kMaxPending) << held << " held";
    }
    ASSERT_TRUE((*w)->Commit().ok());
    EXPECT_FALSE((*w)->OutputDue(kMaxPending));
    size_t lines = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root + "/" + c.folder)) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path());
      lines += std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n');
    }
    EXPECT_EQ(lines, kMaxPending);

    // Big ones are due by their bytes, however few.
    const std::string text(PartitionWorker::kMaxHeldSideBytes / 4, 'x');
    const std::string big = c.name == std::string("late") ? Line("A001", kTen, 1, text) : c.record + "," + text;
    for (size_t held = 1; held <= 4; ++held) {
      (*w)->Process(big, offset++);
      EXPECT_EQ((*w)->OutputDue(1000000), held == 4) << held << " big ones held";
    }
    ASSERT_TRUE((*w)->Commit().ok());
    EXPECT_FALSE((*w)->OutputDue(1000000));
  }
}

// A commit whose checkpoint rename succeeded but whose next step failed with an I/O error
// (an fsync of the checkpoint folder, a rename of a lake file) did happen. The worker's
// retry-once-after-recovery must not commit the same snapshot a second time.
TEST(PartitionWorker, IoErrorAfterTheCommitPointDoesNotWriteTheRowsTwice) {
  const std::string root = FreshDir();
  LakeOptions opts;
  opts.root = root;
  opts.table = "turnstile";
  int failures = 0;
  opts.crash_hook = [&](lake::CrashPoint point, size_t) {
    if (point == lake::CrashPoint::kAfterCheckpointRename && failures++ == 0) {
      return Status::IoError("fsync folder '_checkpoints/mta-turnstile': Input/output error");
    }
    return Status::Ok();
  };
  auto spec = stream::TurnstilePipeline(std::chrono::minutes(5), std::chrono::minutes(5));
  auto w = PartitionWorker::Open(spec, opts, "mta-turnstile", 0);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  (*w)->Process(Line("A001", kTen + 10, 5, "id1"), 0);
  (*w)->Process(Line("A002", kTen + 20, 7, "id2"), 1);
  (*w)->Process(Line("A003", kTen + 30, 9, "id3"), 2);
  (*w)->Flush();
  auto next = (*w)->Commit();
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(*next, 3);
  EXPECT_EQ(failures, 1);

  // The same records into a lake without a fault.
  const std::string reference = root + "-reference";
  std::filesystem::remove_all(reference);
  LakeOptions clean = opts;
  clean.root = reference;
  clean.crash_hook = nullptr;
  auto r = PartitionWorker::Open(spec, clean, "mta-turnstile", 0);
  ASSERT_TRUE(r.ok());
  (*r)->Process(Line("A001", kTen + 10, 5, "id1"), 0);
  (*r)->Process(Line("A002", kTen + 20, 7, "id2"), 1);
  (*r)->Process(Line("A003", kTen + 30, 9, "id3"), 2);
  (*r)->Flush();
  ASSERT_TRUE((*r)->Commit().ok());

  LakeRows expected = CountTable(reference, "turnstile");
  ASSERT_EQ(expected.files, 1u);
  ASSERT_EQ(expected.rows, 3u);
  LakeRows got = CountTable(root, "turnstile");
  EXPECT_EQ(got.files, expected.files);
  EXPECT_EQ(got.rows, expected.rows) << "the snapshot was committed twice";

  // A next owner resumes after the three records.
  opts.crash_hook = nullptr;
  auto again = PartitionWorker::Open(spec, opts, "mta-turnstile", 0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->position(), 3);
}

// A commit that fails with an I/O error while another process commits the partition (the
// session of this one expired): the checkpoint on disk is then the other's, which must not
// be taken for this commit's, nor recovered over; this process's work is dropped.
TEST(PartitionWorker, AFailedCommitDoesNotTakeTheNextOwnersCheckpointForItsOwn) {
  const std::string root = FreshDir();
  LakeOptions opts;
  opts.root = root;
  opts.table = "turnstile";
  auto spec = stream::TurnstilePipeline(std::chrono::minutes(5), std::chrono::minutes(5));
  std::unique_ptr<PartitionWorker> b;
  LakeOptions zombie = opts;
  bool armed = false;
  zombie.crash_hook = [&](lake::CrashPoint point, size_t) {
    if (!armed || point != lake::CrashPoint::kAfterTempFiles) return Status::Ok();
    armed = false;
    // Meanwhile the group gave the partition to B, which commits its records.
    auto opened = PartitionWorker::Open(spec, opts, "mta-turnstile", 0);
    EXPECT_TRUE(opened.ok());
    b = std::move(*opened);
    EXPECT_EQ(b->position(), 1);
    b->Process(Line("B001", kTen + 610, 7, "id2"), 1);
    b->Process(Line("B002", kTen + 620, 7, "id3"), 2);
    b->Flush();
    EXPECT_TRUE(b->Commit().ok());
    return Status::IoError("fsync: Input/output error");
  };
  auto a = PartitionWorker::Open(spec, zombie, "mta-turnstile", 0);
  ASSERT_TRUE(a.ok());
  (*a)->Process(Line("A001", kTen + 10, 5, "id1"), 0);
  (*a)->Flush();
  ASSERT_TRUE((*a)->Commit().ok());
  armed = true;
  (*a)->Process(Line("Z001", kTen + 610, 100, "idz"), 1);
  (*a)->Flush();
  auto z = (*a)->Commit();
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(z.status().message().find("' is at commit 2, this process last saw commit 1: another process owns the "
                                      "partition now"),
            std::string::npos)
      << z.status().message();

  auto c = PartitionWorker::Open(spec, opts, "mta-turnstile", 0);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->position(), 3);
  LakeRows got = CountTable(root, "turnstile");
  EXPECT_EQ(got.files, 2u);
  EXPECT_EQ(got.rows, 3u);  // A001, then B001 and B002; no Z001
}

// A commit that fails (here: dead letters that could not be published, seen as the hook's
// failure) leaves its rows out of the lake. A later commit's offset is further on, so it
// would pass over them: the worker commits nothing more, and the next owner resumes from the
// last checkpoint that holds.
TEST(PartitionWorker, NothingIsCommittedAfterAFailedCommit) {
  const std::string root = FreshDir();
  LakeOptions opts;
  opts.root = root;
  int commits = 0;
  opts.crash_hook = [&](lake::CrashPoint point, size_t) {
    if (point == lake::CrashPoint::kAfterTempFiles && ++commits == 2) return Status::Unavailable("publish failed");
    return Status::Ok();
  };
  auto spec = stream::TurnstilePipeline(std::chrono::minutes(5), std::chrono::minutes(5));
  auto w = PartitionWorker::Open(spec, opts, "mta-turnstile", 0);
  ASSERT_TRUE(w.ok());
  (*w)->Process(Line("A001", kTen + 10, 5, "id1"), 0);
  (*w)->Flush();
  ASSERT_TRUE((*w)->Commit().ok());
  (*w)->Process(Line("A002", kTen + 610, 7, "id2"), 1);
  (*w)->Flush();
  EXPECT_EQ((*w)->Commit().status().message(), "publish failed");
  (*w)->Process(Line("A003", kTen + 1210, 9, "id3"), 2);
  (*w)->Flush();
  auto later = (*w)->Commit();
  EXPECT_EQ(later.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(later.status().message(),
            "mta-turnstile/0: an earlier commit failed (publish failed), so nothing after it is committed in this "
            "run (its rows are not in the lake); the next start resumes from the last checkpoint");
  EXPECT_EQ(commits, 2);
  EXPECT_EQ(CountTable(root, "turnstile").rows, 1u);

  opts.crash_hook = nullptr;
  auto next = PartitionWorker::Open(spec, opts, "mta-turnstile", 0);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)->position(), 1);
}

// A commit on the queue's thread that fails on the file system (a full disk, here its
// retry too) is reported with its cause and what to do, also by the next Commit: with a
// queue that is usually the first error the job sees (found by review: a lake on a full
// tmpfs ended `process --source` with only "an earlier commit failed").
TEST(PartitionWorker, AFailedCommitsCauseIsReportedByTheNextCommitToo) {
  const std::string root = FreshDir();
  LakeOptions opts;
  opts.root = root;
  int commits = 0;
  opts.crash_hook = [&](lake::CrashPoint point, size_t) {
    if (point == lake::CrashPoint::kAfterTempFiles && ++commits >= 2) {
      return Status::IoError("cannot write 'lake/x.tmp': No space left on device");
    }
    return Status::Ok();
  };
  auto spec = stream::TurnstilePipeline(std::chrono::minutes(5), std::chrono::minutes(5));
  auto w = PartitionWorker::Open(spec, opts, "mta-turnstile", 0);
  ASSERT_TRUE(w.ok());
  CommitQueue queue;
  (*w)->Process(Line("A001", kTen + 10, 5, "id1"), 0);
  (*w)->Flush();
  ASSERT_TRUE((*w)->Commit(&queue).ok());
  (*w)->Process(Line("A002", kTen + 610, 7, "id2"), 1);
  (*w)->Flush();
  ASSERT_TRUE((*w)->Commit(&queue).ok());  // queued
  const std::string cause =
      "mta-turnstile/0: commit failed: cannot write 'lake/x.tmp': No space left on device. The lake keeps the "
      "partition's last commit: fix the cause (a full or read-only file system, permissions) and run the job "
      "again, it resumes from there";
  Status drained = queue.Drain();
  EXPECT_EQ(drained.code(), StatusCode::kIoError);
  EXPECT_EQ(drained.message(), cause);
  EXPECT_EQ(commits, 3);  // the commit and its retry after recovery
  (*w)->Process(Line("A003", kTen + 1210, 9, "id3"), 2);
  auto later = (*w)->Commit(&queue);
  EXPECT_EQ(later.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(later.status().message(),
            "mta-turnstile/0: an earlier commit failed (" + cause +
                "), so nothing after it is committed in this run (its rows are not in the lake); the next start "
                "resumes from the last checkpoint");
  EXPECT_EQ(CountTable(root, "turnstile").rows, 1u);
}

// A resumed partition reads its last committed record again and compares it (timestamp,
// length, first and last bytes) before going on: a topic re-created with other records at
// the same offsets stops the partition instead of skipping records never processed.
TEST(PartitionWorker, ResumeChecksTheLastCommittedRecord) {
  struct Record {
    int64_t offset;
    int64_t timestamp_ms;
    std::string value;
  };
  const std::string r0 = Line("A001", kTen + 10, 5, "id1"), r1 = Line("A002", kTen + 20, 7, "id2"),
                    r2 = Line("A003", kTen + 30, 9, "id3"), r3 = Line("A004", kTen + 40, 11, "id4");
  const std::string other = Line("A003", kTen + 31, 9, "id3");  // same length, the last digit differs
  struct Case {
    const char* name;
    std::vector<Record> feed;
    size_t accepted;    // records fed before the first refusal (or all)
    bool stops;         // the check fails: DataLoss
    uint64_t processed; // records the task processed after the resume
  };
  const std::vector<Case> cases = {
      {"the same record, then a new one", {{2, 3000, r2}, {3, 4000, r3}}, 2, false, 1},
      {"from the start, as a file source replays", {{0, 1000, r0}, {1, 2000, r1}, {2, 3000, r2}, {3, 4000, r3}}, 4,
       false, 1},
      {"other bytes at the offset", {{2, 3000, other}, {3, 4000, r3}}, 0, true, 0},
      {"another timestamp at the offset", {{2, 3001, r2}, {3, 4000, r3}}, 0, true, 0},
      {"a shorter record at the offset", {{2, 3000, r2.substr(1)}}, 0, true, 0},
      {"the record is gone (compacted)", {{3, 4000, r3}}, 1, false, 1},
  };
  auto spec = stream::TurnstilePipeline(std::chrono::minutes(5), std::chrono::minutes(5));
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string root = FreshDir() + "/" + std::to_string(&c - cases.data());
    LakeOptions opts;
    opts.root = root;
    {
      auto w = PartitionWorker::Open(spec, opts, "mta-turnstile", 0);
      ASSERT_TRUE(w.ok()) << w.status().ToString();
      EXPECT_EQ((*w)->resume_offset(), -1);  // never committed: from the beginning, nothing to check
      EXPECT_TRUE((*w)->Process(r0, 0, 1000));
      EXPECT_TRUE((*w)->Process(r1, 1, 2000));
      EXPECT_TRUE((*w)->Process(r2, 2, 3000));
      ASSERT_TRUE((*w)->Commit().ok());
    }
    auto w = PartitionWorker::Open(spec, opts, "mta-turnstile", 0);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_EQ((*w)->resume_offset(), 2);
    EXPECT_EQ((*w)->position(), 3);
    EXPECT_TRUE((*w)->checking_resume());
    const uint64_t before = (*w)->Stats().records;
    size_t accepted = 0;
    while (accepted < c.feed.size()) {
      const Record& r = c.feed[accepted];
      if (!(*w)->Process(r.value, r.offset, r.timestamp_ms)) break;
      ++accepted;
    }
    EXPECT_EQ(accepted, c.accepted);
    EXPECT_EQ((*w)->Stats().records - before, c.processed);
    if (c.stops) {
      EXPECT_EQ((*w)->resume_status().code(), StatusCode::kDataLoss);
      EXPECT_NE((*w)->resume_status().message().find("mta-turnstile/0: the record at offset 2 is not the one the "
                                                     "lake's checkpoint last processed there"),
                std::string::npos)
          << (*w)->resume_status().message();
      // It names all of the checkpoint: the file alone is only a copy of the newest claim, and
      // moving it away changes nothing.
      const std::string checkpoint = lake::CheckpointPath(root, "mta-turnstile", PartitionId{0});
      EXPECT_NE((*w)->resume_status().message().find(
                    "To process this partition from its start, move the partition's checkpoint ('" + checkpoint +
                    "' and '" + checkpoint + ".commits/') and its lake files away: part-mta-turnstile-p0-* in the "
                    "date= folders of its table, _dead_letters/mta-turnstile and _late/mta-turnstile"),
                std::string::npos)
          << (*w)->resume_status().message();
      // Nothing of the partition goes through once the check failed.
      EXPECT_FALSE((*w)->Process(r3, 3, 4000));
      EXPECT_EQ((*w)->Stats().records - before, 0u);
      std::filesystem::rename(checkpoint, checkpoint + ".moved");
      auto again = PartitionWorker::Open(spec, opts, "mta-turnstile", 0);
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      EXPECT_EQ((*again)->resume_offset(), 2);  // and the copy is back
      std::filesystem::remove(checkpoint);
      std::filesystem::rename(checkpoint + ".commits", checkpoint + ".commits.moved");
      again = PartitionWorker::Open(spec, opts, "mta-turnstile", 0);
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      EXPECT_EQ((*again)->resume_offset(), -1);
    } else {
      EXPECT_TRUE((*w)->resume_status().ok());
      EXPECT_FALSE((*w)->checking_resume());
    }
  }
}

// The checkpoint names the record before its next offset, also when a commit has nothing
// new to name (it keeps the recovered one), and a checkpoint without one (older lakestream)
// resumes unchecked.
TEST(PartitionWorker, CheckpointsNameTheirLastRecord) {
  const std::string root = FreshDir();
  LakeOptions opts;
  opts.root = root;
  auto spec = stream::TurnstilePipeline(std::chrono::minutes(5), std::chrono::minutes(5));
  const std::string r0 = Line("A001", kTen + 10, 5, "id1"), r1 = Line("A002", kTen + 20, 7, "id2");
  const std::string checkpoint = lake::CheckpointPath(root, "mta-turnstile", PartitionId{0});
  {
    auto w = PartitionWorker::Open(spec, opts, "mta-turnstile", 0);
    ASSERT_TRUE(w.ok());
    (*w)->Process(r0, 0, 1000);
    (*w)->Process(r1, 1, 2000);
    ASSERT_TRUE((*w)->Commit().ok());
  }
  auto read = [&] {
    auto c = lake::ReadCheckpoint(checkpoint);
    EXPECT_TRUE(c.ok() && c->has_value());
    return **c;
  };
  const lake::LastRecord named{1, lake::RecordSample::Of(1, 2000, r1).Check()};
  EXPECT_EQ(read().last_record, named);
  {
    // Resumed and checked, then a commit of the closed windows only: the same record.
    auto w = PartitionWorker::Open(spec, opts, "mta-turnstile", 0);
    ASSERT_TRUE(w.ok());
    EXPECT_TRUE((*w)->Process(r1, 1, 2000));
    (*w)->Flush();
    ASSERT_TRUE((*w)->Commit().ok());
    EXPECT_EQ(read().commit_seq, 2u);
    EXPECT_EQ(read().last_record, named);
  }
  // A checkpoint of a lakestream before last_record: resumed at next_offset, unchecked.
  lake::Checkpoint old = read();
  old.last_record.reset();
  ASSERT_TRUE(lake::WriteFileDurable(checkpoint, lake::EncodeCheckpoint(old)).ok());
  auto w = PartitionWorker::Open(spec, opts, "mta-turnstile", 0);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->resume_offset(), 2);
  EXPECT_FALSE((*w)->checking_resume());
}

// The data lines of the committed table files, sorted (files and their order aside).
std::vector<std::string> TableLines(const std::string& root, const std::string& table) {
  std::vector<std::string> lines;
  if (!std::filesystem::exists(root + "/" + table)) return lines;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root + "/" + table)) {
    if (!e.is_regular_file() || !e.path().filename().string().starts_with("part-")) continue;
    gzFile gz = gzopen(e.path().c_str(), "rb");
    std::string text;
    char buf[4096];
    int n;
    while ((n = gzread(gz, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    gzclose(gz);
    size_t at = text.find('\n') + 1;  // past the header
    while (at < text.size()) {
      const size_t nl = text.find('\n', at);
      const size_t comma = text.find(',', at);  // past the row's index in its file
      lines.push_back(text.substr(comma + 1, nl - comma - 1));
      at = nl + 1;
    }
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

void ExpectSameLines(const std::vector<std::string>& got, const std::vector<std::string>& want) {
  std::vector<std::string> extra, missing;
  std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(extra));
  std::set_difference(want.begin(), want.end(), got.begin(), got.end(), std::back_inserter(missing));
  EXPECT_EQ(got.size(), want.size());
  EXPECT_TRUE(extra.empty() && missing.empty())
      << extra.size() << " rows too many, first " << (extra.empty() ? "" : extra[0]) << "; " << missing.size()
      << " missing, first " << (missing.empty() ? "" : missing[0]);
}

// The end of input flushed in steps with a commit after each (as
// RunFileJob and the Kafka job's available-now loop do), the process dying in the middle
// of the k-th commit (before or after its commit point), then a restart that replays the
// input (skipped up to the checkpoint) and flushes in steps again: the lake is that of an
// uninterrupted run, and of a flush at once.
TEST(PartitionWorker, AFlushInStepsInterruptedByACrashResumesExactlyOnce) {
  // Two panes a slide (3600 mod 70 = 30); each device reports every ~10 minutes, so that the
  // windows to flush hold more rows than the open panes hold cells (steps are no smaller).
  auto spec = stream::TurnstilePipeline(std::chrono::minutes(60), std::chrono::seconds(70));
  std::vector<std::string> input;
  for (int64_t k = 0; k < 400; ++k) {
    input.push_back(Line("A00" + std::to_string(k % 5), kTen + 115 * k, k, "id" + std::to_string(k)));
  }
  auto run = [&](const std::string& root, lake::CrashHook hook, size_t step_rows, bool at_once) -> Status {
    LakeOptions opts;
    opts.root = root;
    opts.crash_hook = std::move(hook);
    LS_ASSIGN_OR_RETURN(auto w, PartitionWorker::Open(spec, opts, "mta-turnstile", 0));
    CommitQueue queue;
    for (size_t k = 0; k < input.size(); ++k) {
      if (!w->Process(input[k], static_cast<int64_t>(k))) return w->resume_status();
      if (k % 97 == 96) LS_RETURN_NOT_OK(w->Commit(&queue).status());
    }
    if (at_once) {
      w->Flush();
    } else {
      while (!w->FlushStep(step_rows)) {
        LS_RETURN_NOT_OK(w->Commit(&queue).status());
        LS_RETURN_NOT_OK(queue.error());
      }
    }
    LS_RETURN_NOT_OK(w->Commit(&queue).status());
    return queue.Drain();
  };
  const std::string base = FreshDir();
  ASSERT_TRUE(run(base + "/at-once", nullptr, 0, true).ok());
  const std::vector<std::string> want = TableLines(base + "/at-once", "turnstile");
  ASSERT_GT(want.size(), 100u);
  size_t total = 0;  // commits of an uninterrupted run
  ASSERT_TRUE(run(base + "/uninterrupted", [&](lake::CrashPoint p, size_t) {
    if (p == lake::CrashPoint::kAfterTempFiles) ++total;
    return Status::Ok();
  }, 20, false).ok());
  ExpectSameLines(TableLines(base + "/uninterrupted", "turnstile"), want);
  ASSERT_GE(total, 7u);  // 4 while reading, 3 or more flushing

  for (lake::CrashPoint point : {lake::CrashPoint::kAfterTempFiles, lake::CrashPoint::kAfterCheckpointRename}) {
    for (size_t crash_at = 4; crash_at <= total; ++crash_at) {
      SCOPED_TRACE(fmt::format("{} of commit {}", lake::CrashPointName(point), crash_at));
      const std::string root = base + fmt::format("/{}-{}", static_cast<int>(point), crash_at);
      size_t commits = 0;
      bool dead = false;  // every later step fails too: the process is gone
      auto hook = [&](lake::CrashPoint p, size_t) {
        if (p == lake::CrashPoint::kAfterTempFiles) ++commits;
        if (p == point && commits == crash_at) dead = true;
        return dead ? Status::IoError("killed") : Status::Ok();
      };
      EXPECT_FALSE(run(root, hook, 20, false).ok());
      ASSERT_TRUE(run(root, nullptr, 20, false).ok());
      ExpectSameLines(TableLines(root, "turnstile"), want);
    }
  }
}

// The available-now loop (job.cc): when the record at the resume point is not
// the checkpoint's (resume_status() DataLoss: "nothing more of this partition"), the same
// turn of the loop still flushes the partition (fetched_to >= end makes it `checked`) and
// commits: nothing may reach the lake once the job found that the log is not the one the
// checkpoint read (Commit returns the check's error).
TEST(PartitionWorker, NothingIsCommittedAfterTheResumeCheckFailed) {
  const std::string root = FreshDir();
  LakeOptions opts;
  opts.root = root;
  auto spec = stream::TurnstilePipeline(std::chrono::minutes(5), std::chrono::minutes(5));
  {
    auto w = PartitionWorker::Open(spec, opts, "mta-turnstile", 0);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_TRUE((*w)->Process(Line("A001", kTen + 10, 5, "id1"), 0, 1000));
    EXPECT_TRUE((*w)->Process(Line("A002", kTen + 20, 7, "id2"), 1, 2000));
    ASSERT_TRUE((*w)->Commit().ok());  // window [10:00, 10:05) open
  }
  const std::vector<std::string> before = TableLines(root, "turnstile");
  auto w = PartitionWorker::Open(spec, opts, "mta-turnstile", 0);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->checking_resume());
  EXPECT_FALSE((*w)->Process(Line("B999", kTen + 21, 7, "id2"), 1, 2000));  // another log
  ASSERT_EQ((*w)->resume_status().code(), StatusCode::kDataLoss);
  // What the available-now loop then does for the partition in the same turn.
  bool committed = true;
  while (committed && !(*w)->FlushStep(60000)) committed = (*w)->Commit().ok();
  if (committed) {
    EXPECT_FALSE((*w)->Commit().ok());
  }
  EXPECT_EQ(TableLines(root, "turnstile"), before) << "rows committed after the resume check failed";
  EXPECT_EQ((*w)->Commit().status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace lakestream::process
