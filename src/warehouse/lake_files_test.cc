#include "warehouse/lake_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <xxhash.h>

#include <cstdio>
#include <fstream>

#include "lake/table_windows.h"
#include "warehouse/warehouse_test_util.h"

namespace lakestream::warehouse {
namespace {

using testing::FreshTestDir;

void Touch(const std::string& path, const std::string& bytes = "x") {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(LakeFilesTest, CommittedFileNames) {
  struct Case {
    const char* name;
    bool committed;
  };
  const Case cases[] = {
      {"part-mta-p0-000000000001-0000.csv.gz", true},
      {"part-files-p3-000000000042-0001.parquet", true},
      {".part-mta-p0-000000000001-0000.csv.gz.tmp", false},  // a commit in progress
      {"part-mta-p0-000000000001-0000.csv.gz.tmp", false},
      {"part-mta-p0-000000000001-0000.jsonl", false},  // dead letters' format
      {"turnstile_230603.csv.gz", false},
      {"part-x.csv", false},
      {"_SUCCESS", false},
  };
  for (const auto& c : cases) EXPECT_EQ(IsCommittedFileName(c.name), c.committed) << c.name;
}

TEST(LakeFilesTest, ListsOnlyCommittedFilesOfTheTableSortedByPath) {
  std::string root = FreshTestDir();
  Touch(root + "/turnstile/date=2023-06-03/part-mta-p1-000000000002-0000.csv.gz", "abc");
  Touch(root + "/turnstile/date=2023-06-03/part-mta-p0-000000000007-0000.parquet");
  Touch(root + "/turnstile/date=2023-06-02/part-mta-p3-000000000001-0000.csv.gz");
  Touch(root + "/turnstile/date=2023-06-03/.part-mta-p0-000000000008-0000.csv.gz.tmp");
  Touch(root + "/turnstile/_late/date=2023-06-03/part-mta-p0-000000000001-0000.csv.gz");
  Touch(root + "/turnstile/notes/part-mta-p0-000000000001-0000.csv.gz");
  Touch(root + "/_dead_letters/mta/date=2023-06-03/part-mta-p0-000000000001-0000.jsonl");
  Touch(root + "/_checkpoints/mta/0");
  Touch(root + "/rides/date=2023-06-03/part-rides-p0-000000000001-0000.csv.gz");
  std::filesystem::create_directories(root +
                                      "/turnstile/date=2023-06-04/part-dir.csv.gz");  // not a file

  auto files = ListLakeFiles(root, "turnstile");
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  std::vector<std::string> got;
  for (const auto& f : *files) got.push_back(f.relative_path);
  EXPECT_EQ(got, (std::vector<std::string>{
                     "turnstile/date=2023-06-02/part-mta-p3-000000000001-0000.csv.gz",
                     "turnstile/date=2023-06-03/part-mta-p0-000000000007-0000.parquet",
                     "turnstile/date=2023-06-03/part-mta-p1-000000000002-0000.csv.gz",
                 }));
  EXPECT_EQ((*files)[1].format, LakeFileFormat::kParquet);
  EXPECT_EQ((*files)[2].format, LakeFileFormat::kCsvGz);
  EXPECT_EQ((*files)[2].size, 3);
  EXPECT_EQ((*files)[2].path, root + "/" + (*files)[2].relative_path);
  EXPECT_GT((*files)[2].mtime_ns, 0);
}

// A table marked with hopping windows by `process` is refused: its sums would count each
// reading in every window that holds it. Tumbling marks, and no marks (older lakes), load.
TEST(LakeFilesTest, AHoppingTableIsRefused) {
  std::string root = FreshTestDir();
  Touch(root + "/turnstile/date=2023-06-03/part-mta-p0-000000000001-0000.csv.gz");
  ASSERT_TRUE(ListLakeFiles(root, "turnstile").ok());
  ASSERT_TRUE(lake::MarkTableWindow(root, "turnstile", {300, 300}).ok());
  ASSERT_EQ(ListLakeFiles(root, "turnstile")->size(), 1u);
  ASSERT_TRUE(lake::MarkTableWindow(root, "hop", {600, 300}).ok());  // another table
  ASSERT_EQ(ListLakeFiles(root, "turnstile")->size(), 1u);

  struct Case {
    lake::TableWindow window;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{600, 300}, "(600 s sliding by 300 s: each reading is in 2 windows)"},
      {{700, 300}, "(700 s sliding by 300 s: each reading is in up to 3 windows)"},
  };
  for (const Case& c : cases) {
    const std::string table = "t" + std::to_string(c.window.size);
    Touch(root + "/" + table + "/date=2023-06-03/part-mta-p0-000000000001-0000.csv.gz");
    ASSERT_TRUE(lake::MarkTableWindow(root, table, {300, 300}).ok());
    ASSERT_TRUE(lake::MarkTableWindow(root, table, c.window).ok());
    auto files = ListLakeFiles(root, table);
    ASSERT_FALSE(files.ok());
    EXPECT_EQ(files.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(files.status().message(),
              "lake table '" + table + "' holds hopping windows " + c.says +
                  ", so the warehouse's sums would count every reading that many times. Load a lake of tumbling "
                  "windows (process without --slide, or --slide equal to --duration; with --pipeline, a window whose slide "
                  "equals its size; into another --lake or "
                  "--table); query a hopping lake with DuckDB directly. The windows are marked in '" +
                  root + "/" + table + "/_windows' (a mark no job of yours wrote there may be deleted)");
  }
}

TEST(LakeFilesTest, MissingTableIsEmptyMissingRootIsNotFound) {
  std::string root = FreshTestDir();
  auto empty = ListLakeFiles(root, "turnstile");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  auto missing = ListLakeFiles(root + "/nope", "turnstile");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find(root + "/nope"), std::string::npos);
}

// The manifest knows a file by its path under the lake, the table's folder as given: another
// spelling of the same folder ("turnstile/", "./turnstile") would load every file again.
TEST(LakeFilesTest, ATableIsNamedOneWayOnly) {
  std::string root = FreshTestDir();
  Touch(root + "/turnstile/date=2023-06-03/part-mta-p0-000000000001-0000.csv.gz");
  Touch(root + "/mta/turnstile/date=2023-06-03/part-mta-p0-000000000001-0000.csv.gz");
  ASSERT_EQ(ListLakeFiles(root, "turnstile")->size(), 1u);
  ASSERT_EQ(ListLakeFiles(root, "mta/turnstile")->size(), 1u);
  for (const std::string table : {"turnstile/", "./turnstile", "turnstile/.", "turnstile//", "mta//turnstile",
                                  "mta/../turnstile", "/turnstile", ""}) {
    auto files = ListLakeFiles(root, table);
    ASSERT_FALSE(files.ok()) << "'" << table << "'";
    EXPECT_EQ(files.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(files.status().message(),
              "lake table '" + table +
                  "' is not a plain path under the lake (no leading or doubled '/', no trailing '/', no '.' or "
                  "'..'): give --table the folder as `lakestream process` names it, such as 'turnstile'. The "
                  "warehouse knows a file by its path under the lake, so another spelling of the same folder "
                  "would load its files a second time");
  }
}

// An entry that cannot be read (here a symlink loop, ELOOP; on a mount also EIO or EACCES)
// fails the listing with its path: skipped, its files would never load and `load` would
// still report success. Entries gone since they were listed are skipped.
TEST(LakeFilesTest, AnEntryThatCannotBeReadFailsTheListing) {
  const std::vector<std::string> loops = {"turnstile", "turnstile/date=2023-06-04",
                                          "turnstile/date=2023-06-03/part-mta-p0-000000000002-0000.csv.gz"};
  for (const std::string& loop : loops) {
    SCOPED_TRACE(loop);
    std::string root = FreshTestDir();
    if (loop != "turnstile") Touch(root + "/turnstile/date=2023-06-03/part-mta-p0-000000000001-0000.csv.gz");
    std::filesystem::create_symlink(std::filesystem::path(loop).filename(), root + "/" + loop);
    auto files = ListLakeFiles(root, "turnstile");
    ASSERT_FALSE(files.ok());
    EXPECT_EQ(files.status().code(), StatusCode::kIoError);
    EXPECT_EQ(files.status().message(),
              "cannot read '" + root + "/" + loop + "': Too many levels of symbolic links");
  }
  // A dangling link is an entry that is gone.
  std::string root = FreshTestDir();
  Touch(root + "/turnstile/date=2023-06-03/part-mta-p0-000000000001-0000.csv.gz");
  std::filesystem::create_symlink("nowhere", root + "/turnstile/date=2023-06-03/part-mta-p0-000000000002-0000.csv.gz");
  std::filesystem::create_symlink("nowhere", root + "/turnstile/date=2023-06-04");
  auto files = ListLakeFiles(root, "turnstile");
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].relative_path, "turnstile/date=2023-06-03/part-mta-p0-000000000001-0000.csv.gz");
}

TEST(LakeFilesTest, ChecksumIsXxh3OfTheBytes) {
  std::string root = FreshTestDir();
  Touch(root + "/empty", "");
  // The reference value of XXH3-64 (seed 0) of no bytes.
  EXPECT_EQ(*FileChecksum(root + "/empty"), "xxh3-64:2d06800538d394c2");
  // Longer than the 1 MiB read buffer: streaming must equal the one-shot hash.
  std::string big(3 * (1 << 20) + 17, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 + (i >> 7));
  Touch(root + "/big", big);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(big.data(), big.size())));
  EXPECT_EQ(*FileChecksum(root + "/big"), std::string("xxh3-64:") + hex);
  auto missing = FileChecksum(root + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(root + "/nope"), std::string::npos);
}

// The records the load expects DuckDB to read, counted as RFC 4180 reads them, and the line of
// a record the file ends inside a quoted field of.
TEST(LakeFilesTest, ScanCountsCsvRecordsAndFindsAnUnclosedQuote) {
  const std::string root = FreshTestDir();
  struct Case {
    std::string text;
    int64_t records;
    int64_t unclosed_quote_line;
  };
  const std::string h = "h,x\n";
  const Case cases[] = {
      {h, 0, 0},
      {"", 0, 0},
      {h + "a,1\nb,2\n", 2, 0},
      {h + "a,1\nb,2", 2, 0},                       // no line end after the last
      {h + "a,1\r\nb,2\r\n", 2, 0},                 // CRLF
      {h + "a,1\n\nb,2\n", 2, 0},                   // an empty line is no record
      {h + "\"a\nb\",1\nc,2\n", 2, 0},              // a quoted line end stays in its field
      {h + "\"a\"\"b\",1\nc,2\n", 2, 0},            // a doubled quote
      {h + "a,1\n\"b,2\nc,3\n", 2, 3},              // the quote on line 3 is never closed
      {h + "a,1\n\"b\nc\",2\nd,3\n\"e,4\n", 4, 6},  // line 6's record: the one left open
  };
  int i = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    const std::string path = root + "/" + std::to_string(i++) + ".csv.gz";
    testing::WriteGzip(path, c.text);
    Result<CsvGzScan> scan = ScanWholeCsvGz(path);
    ASSERT_TRUE(scan.ok()) << scan.status().ToString();
    EXPECT_EQ(scan->header, c.text.empty() ? "" : "h,x");
    EXPECT_EQ(scan->records, c.records);
    EXPECT_EQ(scan->unclosed_quote_line, c.unclosed_quote_line);
  }
}

// load --watch: new and changed files are due; a failed one again after 30 s, 60 s, 120 s,
// ... at most 10 min, or at once when it changes; a loaded one no more.
TEST(WatchedFiles, WhatIsDueAtEachPoll) {
  using std::chrono::seconds;
  const WatchedFiles::Clock::time_point t0{};
  auto file = [](const char* name, int64_t size, int64_t mtime) {
    LakeFile f;
    f.relative_path = name;
    f.size = size;
    f.mtime_ns = mtime;
    return f;
  };
  auto names = [](const std::vector<LakeFile>& files) {
    std::string out;
    for (const LakeFile& f : files) out += (out.empty() ? "" : " ") + f.relative_path;
    return out;
  };
  WatchedFiles w;
  const LakeFile a = file("a", 10, 1), b = file("b", 20, 1);
  EXPECT_EQ(names(w.Due({a, b}, t0)), "a b");
  w.Settled(a);
  EXPECT_EQ(w.Failed(b, t0), seconds(30));
  EXPECT_EQ(w.failing(), 1u);
  struct Step {
    int at_s;           // the poll's time
    const char* due;    // files due then
    bool fail_b;        // b fails again at this poll (else it is not tried)
    int next_delay_s;   // the delay Failed returns
  };
  const Step steps[] = {
      {29, "", false, 0},      {30, "b", true, 60},   {89, "", false, 0},        {90, "b", true, 120},
      {210, "b", true, 240},   {450, "b", true, 480}, {930, "b", true, 600},     {1530, "b", true, 600},
  };
  for (const Step& s : steps) {
    const auto now = t0 + seconds(s.at_s);
    EXPECT_EQ(names(w.Due({a, b}, now)), s.due) << "at " << s.at_s << " s";
    if (s.fail_b) {
      EXPECT_EQ(w.Failed(b, now), seconds(s.next_delay_s)) << "at " << s.at_s << " s";
    }
  }
  // Changed: due at once, and its next failure starts over at 30 s.
  const LakeFile b2 = file("b", 21, 2);
  EXPECT_EQ(names(w.Due({a, b2}, t0 + seconds(1531))), "b");
  EXPECT_EQ(w.Failed(b2, t0 + seconds(1531)), seconds(30));
  EXPECT_EQ(w.failing(), 1u);
  w.Settled(b2);
  EXPECT_EQ(w.failing(), 0u);
  EXPECT_EQ(names(w.Due({a, b2}, t0 + seconds(100000))), "");
  // A settled file that changes is due again (the load then says what to do).
  EXPECT_EQ(names(w.Due({file("a", 11, 1), b2}, t0 + seconds(100000))), "a");
  // A failed file not listed: still failing while it exists (the listing may have skipped
  // a folder it could not read), forgotten once it is gone.
  LakeFile c = file("c", 5, 1);
  c.path = ::testing::TempDir() + "/watched-c.csv.gz";
  std::ofstream(c.path) << "x";
  w.Failed(c, t0 + seconds(100000));
  EXPECT_EQ(w.failing(), 1u);
  EXPECT_EQ(names(w.Due({a}, t0 + seconds(100001))), "");
  EXPECT_EQ(w.failing(), 1u);
  std::filesystem::remove(c.path);
  EXPECT_EQ(names(w.Due({a}, t0 + seconds(100002))), "");
  EXPECT_EQ(w.failing(), 0u);
}

}  // namespace
}  // namespace lakestream::warehouse
