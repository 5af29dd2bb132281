#include "process/partition_worker.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "lake/layout.h"

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
  EXPECT_EQ((*again)->resume_offset(), 3);
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
    EXPECT_EQ(b->resume_offset(), 1);
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
  EXPECT_NE(z.status().message().find("' is at commit 2, not this process's (commit 1, or 2 of the commit that "
                                      "failed): another process owns the partition now"),
            std::string::npos)
      << z.status().message();

  auto c = PartitionWorker::Open(spec, opts, "mta-turnstile", 0);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->resume_offset(), 3);
  LakeRows got = CountTable(root, "turnstile");
  EXPECT_EQ(got.files, 2u);
  EXPECT_EQ(got.rows, 3u);  // A001, then B001 and B002; no Z001
}

}  // namespace
}  // namespace lakestream::process
