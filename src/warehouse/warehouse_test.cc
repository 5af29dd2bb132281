#include "warehouse/warehouse.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "warehouse/warehouse_test_util.h"

namespace lakestream::warehouse {
namespace {

using testing::Dump;
using testing::FreshTestDir;
using testing::LakeRow;
using testing::WriteCsvGz;
using testing::WriteParquet;

// Independent reference keys: `echo -n '<text>' | md5sum`.
constexpr const char* kMd5Station59St = "83bec2469cfb3627f41bc1248ba74119";    // "59 ST"
constexpr const char* kMd5BoothR051A002 = "6e1364b8c8c9ec3640c0f7c97ac7d43c";  // "R051|A002"
constexpr const char* kMd5Log1000 =
    "617fb055de4f8f7c6538f339c5d92192";  // "A002|R051|02-00-00|2023-06-03 10:00:00"

LakeRow Row59(const std::string& time, int64_t entries, int64_t exits,
              const std::string& date = "06/03/2023") {
  return LakeRow{"A002", "R051", "02-00-00", "59 ST", "NQR456W", "BMT",
                 date,   time,   "REGULAR",  entries, exits};
}

LakeRow RowTimes(const std::string& scp, const std::string& time, int64_t entries, int64_t exits) {
  return LakeRow{"R151",       "R033", scp,       "TIMES SQ-42 ST", "1237ACENQRSW", "IRT",
                 "06/03/2023", time,   "REGULAR", entries,          exits};
}

const char* kAllTables[] = {
    "SELECT * FROM dim_station ORDER BY ALL",
    "SELECT * FROM dim_booth ORDER BY ALL",
    "SELECT * FROM dim_date ORDER BY ALL",
    "SELECT * FROM fact_turnstile ORDER BY ALL",
    "SELECT file_path, file_format, file_size, checksum, row_count, entries, exits FROM "
    "load_manifest ORDER BY ALL",
};

class WarehouseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDir();
    lake_ = dir_ + "/lake";
    std::filesystem::create_directories(lake_);
    db_ = dir_ + "/warehouse.duckdb";
  }

  std::string Part(const std::string& date, int partition, int seq,
                   const std::string& ext = "csv.gz") {
    char name[96];
    std::snprintf(name, sizeof name, "part-mta-p%d-%012d-0000.%s", partition, seq, ext.c_str());
    return lake_ + "/turnstile/date=" + date + "/" + name;
  }

  std::unique_ptr<Warehouse> OpenWarehouse() {
    auto w = Warehouse::Open(db_, Warehouse::Mode::kReadWrite);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w.ok() ? std::move(*w) : nullptr;
  }

  LoadReport LoadLake(Warehouse& w, LoadOptions options = {}) {
    auto files = ListLakeFiles(lake_, "turnstile");
    EXPECT_TRUE(files.ok()) << files.status().ToString();
    if (options.loaded_at.empty()) options.loaded_at = "2024-01-02 03:04:05";
    auto report = w.Load(*files, options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? std::move(*report) : LoadReport{};
  }

  // The lake loaded with `options`, expected to fail with an I/O error (the warehouse's):
  // that error.
  Status LoadLakeFails(Warehouse& w, const LoadOptions& options) {
    auto files = ListLakeFiles(lake_, "turnstile");
    EXPECT_TRUE(files.ok()) << files.status().ToString();
    if (!files.ok()) return files.status();
    auto report = w.Load(*files, options);
    EXPECT_EQ(report.status().code(), StatusCode::kIoError) << report.status().ToString();
    return report.status();
  }

  // `bad` (already written) loaded beside a good file of one row: the good one loads, `bad`
  // fails alone; its error. The warehouse holds the good row only.
  Status LoadBesideAGoodFile(const std::string& bad) {
    WriteCsvGz(Part("2023-06-03", 1, 1), {Row59("10:00:00", 5, 6)});
    auto w = OpenWarehouse();
    EXPECT_NE(w, nullptr);
    if (w == nullptr) return Status::Internal("no warehouse");
    LoadReport r = LoadLake(*w);
    EXPECT_EQ(r.figures.files_loaded, 1u);
    EXPECT_EQ(r.failures.size(), 1u);
    if (r.failures.size() != 1) return Status::Internal("not one failure");
    EXPECT_EQ(r.failures[0].file.path, bad);
    EXPECT_EQ(Dump(w->connection(), "SELECT count(*), sum(entries) FROM fact_turnstile"), "1|5\n");
    EXPECT_EQ(Dump(w->connection(), "SELECT count(*) FROM load_manifest"), "1\n");
    return r.failures[0].error;
  }

  // The lake loaded into a new warehouse a file at a time (a load per file): its tables.
  std::string SnapshotLoadedFileByFile() {
    std::filesystem::remove(db_);
    auto one = OpenWarehouse();
    auto files = ListLakeFiles(lake_, "turnstile");
    if (one == nullptr || !files.ok()) return "cannot open the warehouse or list the lake";
    LoadOptions at;
    at.loaded_at = "2024-01-02 03:04:05";
    for (const LakeFile& f : *files) EXPECT_TRUE(one->Load({f}, at).ok()) << f.path;
    return Snapshot(*one);
  }

  static std::string Snapshot(Warehouse& w) {
    std::string out;
    for (const char* sql : kAllTables) out += Dump(w.connection(), sql) + "--\n";
    return out;
  }

  std::string dir_, lake_, db_;
};

TEST(RenderLoadMetrics, TotalsAndTheLastSuccess) {
  LoadFigures f;
  f.files_seen = 9, f.files_loaded = 5, f.files_skipped = 3, f.files_failed = 1, f.rows_loaded = 1681;
  f.bytes_loaded = 40960;
  const std::string text = RenderLoadMetrics(f, 1, 12, 1763888400, {{"table", "turnstile"}});
  for (const char* want : {"\nlakestream_load_files_loaded_total{table=\"turnstile\"} 5\n",
                           "\nlakestream_load_files_skipped_total{table=\"turnstile\"} 3\n",
                           "\nlakestream_load_files_failed_total{table=\"turnstile\"} 1\n",
                           "\nlakestream_load_rows_loaded_total{table=\"turnstile\"} 1681\n",
                           "\nlakestream_load_bytes_loaded_total{table=\"turnstile\"} 40960\n",
                           "\nlakestream_load_polls_total{table=\"turnstile\"} 12\n",
                           "# TYPE lakestream_load_files_failing gauge\nlakestream_load_files_failing{table=\"turnstile\"} 1\n",
                           "# TYPE lakestream_load_last_success_seconds gauge\n"
                           "lakestream_load_last_success_seconds{table=\"turnstile\"} 1763888400\n"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\nin\n" << text;
  }
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 24);  // 8 metrics x (HELP, TYPE, sample)
  // Before the first load: no gauge.
  EXPECT_EQ(RenderLoadMetrics(LoadFigures{}, 0, 1, 0, {}).find("last_success"), std::string::npos);
}

TEST_F(WarehouseTest, KeysDimensionsFactAndManifestOfOneFile) {
  std::string file = Part("2023-06-03", 0, 1);
  WriteCsvGz(file, {Row59("10:00:00", 5, 7), Row59("10:05:00", 0, 3)});
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  LoadReport r = LoadLake(*w);
  EXPECT_EQ(r.figures.files_loaded, 1u);
  EXPECT_EQ(r.figures.rows_loaded, 2u);
  EXPECT_TRUE(r.failures.empty());

  auto& c = w->connection();
  EXPECT_EQ(Dump(c, "SELECT * FROM dim_station"), std::string(kMd5Station59St) + "|59 ST\n");
  EXPECT_EQ(Dump(c, "SELECT * FROM dim_booth"),
            std::string(kMd5BoothR051A002) + "|R051|A002|" + kMd5Station59St + "|2023-06-03 10:05:00\n");
  EXPECT_EQ(
      Dump(c, "SELECT * FROM fact_turnstile WHERE created_dt = TIMESTAMP '2023-06-03 10:00:00'"),
      std::string(kMd5Log1000) + "|" + kMd5Station59St + "|" + kMd5BoothR051A002 +
          "|02-00-00|NQR456W|BMT|2023-06-03 10:00:00|5|7\n");
  EXPECT_EQ(Dump(c, "SELECT count(*), sum(entries), sum(exits) FROM fact_turnstile"), "2|5|10\n");
  auto checksum = FileChecksum(file);
  ASSERT_TRUE(checksum.ok());
  EXPECT_EQ(Dump(c,
                 "SELECT file_path, file_format, file_size, file_mtime_ns > 0, checksum, "
                 "row_count, entries, "
                 "exits, loaded_at FROM load_manifest"),
            "turnstile/date=2023-06-03/part-mta-p0-000000000001-0000.csv.gz|csv.gz|" +
                std::to_string(std::filesystem::file_size(file)) + "|true|" + *checksum +
                "|2|5|10|2024-01-02 03:04:05\n");
  EXPECT_EQ(Dump(c,
                 "SELECT station_name, booth_name, remote, full_date, day_of_week_name, entries "
                 "FROM rpt_turnstile "
                 "ORDER BY created_dt"),
            "59 ST|A002|R051|2023-06-03|Saturday|5\n59 ST|A002|R051|2023-06-03|Saturday|0\n");
  EXPECT_EQ(Dump(c, "SELECT value FROM lakestream_meta WHERE key = 'schema_version'"), "3\n");
}

// The engine writes an empty text field as an empty CSV field: a key part loads as '' (as
// from Parquet), not as a missing key part that would reject the whole file; LINENAME and
// DIVISION stay NULL when empty, as before.
TEST_F(WarehouseTest, EmptyKeyPartsLoadAsEmptyStrings) {
  LakeRow empty = Row59("10:00:00", 5, 7);
  empty.station = "";
  empty.line = "";
  WriteCsvGz(Part("2023-06-03", 0, 1), {empty, Row59("10:05:00", 1, 2)});
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  LoadReport r = LoadLake(*w);
  EXPECT_TRUE(r.failures.empty()) << r.failures[0].error.message();
  EXPECT_EQ(r.figures.rows_loaded, 2u);
  EXPECT_EQ(Dump(w->connection(), "SELECT '[' || station_name || ']' FROM dim_station ORDER BY 1"), "[59 ST]\n[]\n");
  EXPECT_EQ(Dump(w->connection(), "SELECT line_name IS NULL, entries FROM fact_turnstile ORDER BY entries"),
            "false|1\ntrue|5\n");
}

TEST_F(WarehouseTest, DimDateValues) {
  struct Case {
    const char* mdy;
    const char*
        expected;  // date_id|full_date|year|quarter|month|month_name|day|dow|dow_name|is_weekend
  };
  const Case cases[] = {
      {"01/01/2023", "20230101|2023-01-01|2023|1|1|January|1|7|Sunday|true"},
      {"03/31/2023", "20230331|2023-03-31|2023|1|3|March|31|5|Friday|false"},
      {"04/01/2023", "20230401|2023-04-01|2023|2|4|April|1|6|Saturday|true"},
      {"06/05/2023", "20230605|2023-06-05|2023|2|6|June|5|1|Monday|false"},
      {"07/04/2023", "20230704|2023-07-04|2023|3|7|July|4|2|Tuesday|false"},
      {"09/30/2023", "20230930|2023-09-30|2023|3|9|September|30|6|Saturday|true"},
      {"10/11/2023", "20231011|2023-10-11|2023|4|10|October|11|3|Wednesday|false"},
      {"02/29/2024", "20240229|2024-02-29|2024|1|2|February|29|4|Thursday|false"},
      {"12/31/2024", "20241231|2024-12-31|2024|4|12|December|31|2|Tuesday|false"},
  };
  std::vector<LakeRow> rows;
  std::string expected;
  for (const auto& c : cases) {
    rows.push_back(Row59("12:00:00", 1, 1, c.mdy));
    expected += std::string(c.expected) + "\n";
  }
  WriteCsvGz(Part("2023-06-03", 0, 1), rows);
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  LoadLake(*w);
  EXPECT_EQ(Dump(w->connection(), "SELECT * FROM dim_date ORDER BY date_id"), expected);
}

// A window [start, end) is dated by its last instant (created_dt - 1 microsecond): one ending
// at 00:00:00 holds the day before's traffic. Version 1 dated it by its end; opening such a
// warehouse to load upgrades it (view and dim_date), and a report asks for that load first.
TEST_F(WarehouseTest, WindowsAreDatedByTheirLastInstantAndVersion1IsUpgraded) {
  WriteCsvGz(Part("2024-01-01", 0, 1),
             {Row59("00:00:00", 1, 2, "01/01/2024"), Row59("00:05:00", 3, 4, "01/01/2024")});
  const char* kDates =
      "SELECT created_dt, full_date, day_of_week_name, entries FROM rpt_turnstile ORDER BY ALL";
  const std::string expected_dates =
      "2024-01-01 00:00:00|2023-12-31|Sunday|1\n2024-01-01 00:05:00|2024-01-01|Monday|3\n";
  const std::string expected_dim =
      "20231231|2023-12-31|2023|4|12|December|31|7|Sunday|true\n"
      "20240101|2024-01-01|2024|1|1|January|1|1|Monday|false\n";
  {
    auto w = OpenWarehouse();
    ASSERT_NE(w, nullptr);
    LoadLake(*w);
    EXPECT_EQ(Dump(w->connection(), kDates), expected_dates);
    EXPECT_EQ(Dump(w->connection(), "SELECT * FROM dim_date ORDER BY ALL"), expected_dim);
    // Back to version 1: its view dated a window by its end, and dim_date held those dates.
    ASSERT_TRUE(w->connection()
                    .Execute("CREATE OR REPLACE VIEW rpt_turnstile AS SELECT f.*, d.full_date, "
                             "d.day_of_week_name "
                             "FROM fact_turnstile f LEFT JOIN dim_date d ON d.full_date = "
                             "CAST(f.created_dt AS DATE);"
                             "DELETE FROM dim_date WHERE date_id = 20231231;"
                             "ALTER TABLE dim_booth DROP COLUMN station_as_of;"
                             "UPDATE lakestream_meta SET value = '1' WHERE key = 'schema_version'")
                    .ok());
  }
  auto read_only = Warehouse::Open(db_, Warehouse::Mode::kReadOnly);
  ASSERT_FALSE(read_only.ok());
  EXPECT_EQ(read_only.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      read_only.status().message(),
      "warehouse '" + db_ +
          "' has schema version 1, which dated a window by its end (one ending at 00:00:00 "
          "on the next day, at 09:00:00 in hour 9): run `lakestream load --lake LAKE --warehouse " +
          db_ +
          "` once (LAKE: the lake it was loaded from, nothing new needed), which upgrades it to "
          "version 3 in place, then report again");
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  auto& c = w->connection();
  EXPECT_EQ(Dump(c, "SELECT value FROM lakestream_meta WHERE key = 'schema_version'"), "3\n");
  EXPECT_EQ(Dump(c, kDates), expected_dates);
  EXPECT_EQ(Dump(c, "SELECT * FROM dim_date ORDER BY ALL"), expected_dim);
  // A day no window is on any more leaves dim_date.
  ASSERT_TRUE(
      c.Execute(
           "INSERT INTO dim_date VALUES (20240102, DATE '2024-01-02', 2024, 1, 1, 'January', 2, 2, "
           "'Tuesday', false); ALTER TABLE dim_booth DROP COLUMN station_as_of; "
           "UPDATE lakestream_meta SET value = '1' WHERE key = 'schema_version'")
          .ok());
  w.reset();
  w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(Dump(w->connection(), "SELECT * FROM dim_date ORDER BY ALL"), expected_dim);
  EXPECT_EQ(Dump(w->connection(), kDates), expected_dates);
}

TEST_F(WarehouseTest, SumsPartialAggregatesAcrossFilesPartitionsAndFormats) {
  // One device and window end in three partitions' files (records keyed by something else
  // than the device), one of them Parquet, and twice in one file (two DESC values).
  WriteCsvGz(Part("2023-06-03", 0, 1),
             {Row59("10:00:00", 1, 10), RowTimes("00-00-00", "10:00:00", 100, 200)});
  LakeRow recovered = Row59("10:00:00", 2, 20);
  recovered.desc = "RECOVR AUD";
  WriteCsvGz(Part("2023-06-03", 1, 1), {Row59("10:00:00", 3, 30), recovered});
  WriteParquet(Part("2023-06-03", 2, 4, "parquet"),
               {Row59("10:00:00", 4, 40), Row59("10:05:00", 5, 50)});
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  LoadReport r = LoadLake(*w);
  EXPECT_EQ(r.figures.files_loaded, 3u);
  EXPECT_EQ(r.figures.rows_loaded, 6u);
  auto& c = w->connection();
  EXPECT_EQ(Dump(c,
                 "SELECT station_id, scp, created_dt, entries, exits FROM fact_turnstile WHERE "
                 "log_id = '" +
                     std::string(kMd5Log1000) + "'"),
            std::string(kMd5Station59St) + "|02-00-00|2023-06-03 10:00:00|10|100\n");
  EXPECT_EQ(Dump(c, "SELECT count(*), sum(entries), sum(exits) FROM fact_turnstile"),
            "3|115|350\n");
  EXPECT_EQ(Dump(c, "SELECT count(*) FROM dim_station"), "2\n");
  EXPECT_EQ(
      Dump(c,
           "SELECT file_format, row_count, entries, exits FROM load_manifest ORDER BY file_path"),
      "csv.gz|2|101|210\ncsv.gz|2|5|50\nparquet|2|9|90\n");
}

TEST_F(WarehouseTest, LoadingAgainIsANoOpAndNewFilesLoadAlone) {
  WriteCsvGz(Part("2023-06-03", 0, 1), {Row59("10:00:00", 1, 10)});
  WriteCsvGz(Part("2023-06-03", 1, 1), {Row59("10:00:00", 2, 20)});
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  LoadLake(*w);
  std::string before = Snapshot(*w);
  LoadReport again = LoadLake(*w);
  EXPECT_EQ(again.figures.files_seen, 2u);
  EXPECT_EQ(again.figures.files_skipped, 2u);
  EXPECT_EQ(again.figures.files_loaded, 0u);
  EXPECT_EQ(Snapshot(*w), before);

  // Reopened (a new process) and with a new commit: only the new file loads.
  w.reset();
  w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  WriteCsvGz(Part("2023-06-03", 0, 2), {Row59("10:00:00", 4, 40)});
  LoadReport third = LoadLake(*w);
  EXPECT_EQ(third.figures.files_loaded, 1u);
  EXPECT_EQ(third.figures.files_skipped, 2u);
  EXPECT_EQ(Dump(w->connection(), "SELECT entries, exits FROM fact_turnstile"), "7|70\n");

  // The same path twice in one call (a caller's mistake) still loads once.
  WriteCsvGz(Part("2023-06-04", 0, 3), {Row59("10:00:00", 1, 1, "06/04/2023")});
  auto files = ListLakeFiles(lake_, "turnstile");
  std::vector<LakeFile> doubled = {files->back(), files->back()};
  auto r = w->Load(doubled, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->figures.files_loaded, 1u);
  EXPECT_EQ(r->figures.files_skipped, 1u);
}

TEST_F(WarehouseTest, ChangedFileIsReportedNotReloadedAndOthersStillLoad) {
  std::string changed = Part("2023-06-03", 0, 1);
  WriteCsvGz(changed, {Row59("10:00:00", 1, 10)});
  WriteCsvGz(Part("2023-06-03", 1, 1), {Row59("10:05:00", 2, 20)});
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  LoadLake(*w);
  std::string recorded = *FileChecksum(changed);

  WriteCsvGz(changed, {Row59("10:00:00", 999, 10), Row59("10:10:00", 1, 1)});
  std::string current = *FileChecksum(changed);
  WriteCsvGz(Part("2023-06-04", 0, 2), {Row59("10:00:00", 4, 40, "06/04/2023")});
  LoadReport r = LoadLake(*w);
  EXPECT_EQ(r.figures.files_loaded, 1u);
  EXPECT_EQ(r.figures.files_skipped, 1u);
  EXPECT_EQ(r.figures.files_failed, 1u);
  ASSERT_EQ(r.failures.size(), 1u);
  const Status& e = r.failures[0].error;
  EXPECT_EQ(e.code(), StatusCode::kFailedPrecondition);
  const std::string& m = e.message();
  EXPECT_NE(m.find("lake file 'turnstile/date=2023-06-03/part-mta-p0-000000000001-0000.csv.gz' "
                   "changed after it "
                   "was loaded"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("the manifest records " + recorded), std::string::npos) << m;
  EXPECT_NE(m.find("the file now has " + current), std::string::npos) << m;
  EXPECT_NE(m.find("Restore the original file, or rebuild the warehouse"), std::string::npos) << m;
  // Its old rows stay as loaded; the new day's file loaded.
  EXPECT_EQ(Dump(w->connection(),
                 "SELECT CAST(created_dt AS VARCHAR), entries FROM fact_turnstile ORDER BY 1"),
            "2023-06-03 10:00:00|1\n2023-06-03 10:05:00|2\n2023-06-04 10:00:00|4\n");
  // Reported again on every run until resolved.
  EXPECT_EQ(LoadLake(*w).figures.files_failed, 1u);
}

TEST_F(WarehouseTest, SameBytesWithNewMtimeAreSkippedSameStatNeedsVerify) {
  std::string file = Part("2023-06-03", 0, 1);
  WriteCsvGz(file, {Row59("10:00:00", 1, 10)});
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  LoadLake(*w);
  auto mtime = std::filesystem::last_write_time(file);

  // Copied without keeping times: the checksum decides, and it matches. The manifest takes
  // the new time, so that the next load skips the file without reading it (a copied lake was
  // read whole at every load).
  std::filesystem::last_write_time(file, mtime + std::chrono::seconds(5));
  EXPECT_EQ(LoadLake(*w).figures.files_skipped, 1u);
  auto listed = ListLakeFiles(lake_, "turnstile");
  ASSERT_TRUE(listed.ok() && listed->size() == 1u);
  EXPECT_EQ((*w->Manifest())[0].file_mtime_ns, (*listed)[0].mtime_ns);

  // Same size and mtime (the manifest's, now) but other bytes: only --verify-checksums
  // notices.
  WriteCsvGz(file, {Row59("10:00:00", 2, 10)});
  ASSERT_EQ(std::filesystem::file_size(file),
            static_cast<uintmax_t>((*w->Manifest())[0].file_size));
  std::filesystem::last_write_time(file, mtime + std::chrono::seconds(5));
  EXPECT_EQ(LoadLake(*w).figures.files_skipped, 1u);
  LoadOptions verify;
  verify.verify_checksums = true;
  EXPECT_EQ(LoadLake(*w, verify).figures.files_failed, 1u);
}

TEST_F(WarehouseTest, FailureAtAnyStepLeavesNothingOfThatFile) {
  const LoadStep steps[] = {LoadStep::kStaged, LoadStep::kDimensions, LoadStep::kFacts,
                            LoadStep::kManifest};
  // The expected end state, from an uninterrupted load into another warehouse.
  WriteCsvGz(Part("2023-06-03", 0, 1), {Row59("10:00:00", 1, 10)});
  WriteCsvGz(Part("2023-06-04", 1, 1),
             {Row59("10:00:00", 2, 20, "06/04/2023"), RowTimes("00-00-01", "11:00:00", 3, 30)});
  std::string full;
  {
    auto w = OpenWarehouse();
    ASSERT_NE(w, nullptr);
    LoadLake(*w);
    full = Snapshot(*w);
  }
  for (LoadStep step : steps) {
    SCOPED_TRACE(static_cast<int>(step));
    std::filesystem::remove(db_);
    auto w = OpenWarehouse();
    ASSERT_NE(w, nullptr);
    LoadOptions faulty;
    faulty.fault_hook = [step](LoadStep at, std::string_view path) {
      return at == step && path.find("date=2023-06-04") != std::string_view::npos
                 ? Status::IoError("injected failure")
                 : Status::Ok();
    };
    LoadReport r = LoadLake(*w, faulty);
    EXPECT_EQ(r.figures.files_loaded, 1u);
    ASSERT_EQ(r.failures.size(), 1u);
    EXPECT_EQ(r.failures[0].error.message(), "injected failure");
    auto& c = w->connection();
    EXPECT_EQ(Dump(c, "SELECT count(*), sum(entries) FROM fact_turnstile"), "1|1\n");
    EXPECT_EQ(Dump(c, "SELECT count(*) FROM dim_station"), "1\n");
    EXPECT_EQ(Dump(c, "SELECT count(*) FROM dim_date"), "1\n");
    EXPECT_EQ(Dump(c, "SELECT count(*) FROM load_manifest"), "1\n");
    // The next load finishes the job: the same tables as without the failure.
    EXPECT_EQ(LoadLake(*w).figures.files_loaded, 1u);
    EXPECT_EQ(Snapshot(*w), full);
  }
}

TEST_F(WarehouseTest, FilesWithBadRowsAreRejectedWhole) {
  LakeRow bad_time = Row59("25:00:00", 1, 1);
  WriteCsvGz(Part("2023-06-03", 0, 1), {Row59("10:00:00", 7, 7), bad_time});
  testing::WriteGzip(Part("2023-06-03", 1, 1), ",CA,UNIT\n0,A002,R051\n");  // too few columns
  WriteCsvGz(Part("2023-06-03", 2, 1), {Row59("10:00:00", 1, 10)});
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  LoadReport r = LoadLake(*w);
  EXPECT_EQ(r.figures.files_loaded, 1u);
  ASSERT_EQ(r.failures.size(), 2u);
  EXPECT_EQ(r.failures[0].error.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.failures[0].error.message().find(
                "lake file 'turnstile/date=2023-06-03/part-mta-p0-000000000001-0000.csv.gz' has 1 "
                "of 2 rows without a DATE and TIME"),
            std::string::npos)
      << r.failures[0].error.message();
  EXPECT_NE(
      r.failures[1].error.message().find(
          "lake file 'turnstile/date=2023-06-03/part-mta-p1-000000000001-0000.csv.gz' has the header "
          "',CA,UNIT' (3 columns), not the 12 columns"),
      std::string::npos)
      << r.failures[1].error.message();
  EXPECT_EQ(Dump(w->connection(), "SELECT sum(entries), sum(exits) FROM fact_turnstile"), "1|10\n");
  EXPECT_EQ(Dump(w->connection(), "SELECT count(*) FROM load_manifest"), "1\n");
}

TEST_F(WarehouseTest, TempFilesAndSideFoldersAreNeverLoaded) {
  std::string committed = Part("2023-06-03", 0, 1);
  WriteCsvGz(committed, {Row59("10:00:00", 1, 10)});
  // A commit in progress (temp beside its final name), late data and dead letters.
  WriteCsvGz(lake_ + "/turnstile/date=2023-06-03/.part-mta-p0-000000000002-0000.csv.gz.tmp",
             {Row59("10:00:00", 100, 100)});
  WriteCsvGz(lake_ + "/_late/mta/date=2023-06-03/part-mta-p0-000000000002-0000.csv.gz",
             {Row59("10:00:00", 100, 100)});
  WriteCsvGz(lake_ + "/turnstile/_late/date=2023-06-03/part-mta-p0-000000000002-0000.csv.gz",
             {Row59("10:00:00", 100, 100)});
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  LoadReport r = LoadLake(*w);
  EXPECT_EQ(r.figures.files_seen, 1u);
  EXPECT_EQ(Dump(w->connection(), "SELECT file_path FROM load_manifest"),
            "turnstile/date=2023-06-03/part-mta-p0-000000000001-0000.csv.gz\n");
  EXPECT_EQ(Dump(w->connection(), "SELECT sum(entries) FROM fact_turnstile"), "1\n");
}

// A failed COMMIT (DuckDB: a full disk while checkpointing) may leave the transaction's rows
// visible to the connection though not on disk: retrying on it counted rows twice. The load
// stops there with the reason; the groups committed before stay, and a new load (a new
// connection) loads the rest, as after kill -9.
TEST_F(WarehouseTest, AFailedCommitStopsTheLoadAndTheNextLoadFinishesIt) {
  const int n = static_cast<int>(Warehouse::kGroupFiles) + 2;
  int64_t entries = 0;
  for (int i = 0; i < n; ++i) {
    WriteCsvGz(Part("2023-06-03", 0, i + 1), {Row59("10:00:00", i, 1)});
    entries += i;
  }
  {
    auto w = OpenWarehouse();
    ASSERT_NE(w, nullptr);
    LoadOptions o;
    o.loaded_at = "2024-01-02 03:04:05";
    int commits = 0;
    o.fault_hook = [&](LoadStep step, std::string_view) {
      // Called once per file of the group: the second group's first call fails.
      if (step == LoadStep::kCommit && ++commits == static_cast<int>(Warehouse::kGroupFiles) + 1) {
        return Status::IoError("Could not write file \"w.duckdb\": No space left on device");
      }
      return Status::Ok();
    };
    const Status st = LoadLakeFails(*w, o);
    EXPECT_NE(st.message().find("the warehouse failed to commit: Could not write file \"w.duckdb\": No space "
                                "left on device. Nothing more is loaded in this run"),
              std::string::npos)
        << st.message();
    EXPECT_EQ(LoadLakeFails(*w, o).message(), st.message());  // and nothing more after it
  }
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(Dump(w->connection(), "SELECT count(*) FROM load_manifest"), std::to_string(Warehouse::kGroupFiles) + "\n");
  LoadReport again = LoadLake(*w);
  EXPECT_EQ(again.figures.files_loaded, 2u);
  EXPECT_EQ(again.figures.files_skipped, Warehouse::kGroupFiles);
  EXPECT_EQ(Dump(w->connection(), "SELECT sum(entries) FROM fact_turnstile"), std::to_string(entries) + "\n");
}

TEST_F(WarehouseTest, ALoadDuckDbGaveUpOnStopsAtOnceNamingTheFirstError) {
  // On a full disk DuckDB fails a statement, then its rollback, then invalidates the
  // database: the group's files were each tried again alone, every one failing with 70
  // lines of "database has been invalidated" and its stack trace, the disk never named.
  for (int i = 0; i < 3; ++i) WriteCsvGz(Part("2023-06-03", 0, i + 1), {Row59("10:00:00", i, 1)});
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  LoadOptions o;
  int calls = 0;
  o.fault_hook = [&](LoadStep step, std::string_view) {
    if (step == LoadStep::kFacts && ++calls == 1) {
      return Status::IoError("FATAL Error: Failed: database has been invalidated because of a previous fatal error");
    }
    return Status::Ok();
  };
  std::vector<std::string> failed;
  o.on_file = [&](const LoadFigures&, const FileResult& r) {
    if (r.outcome == FileOutcome::kFailed) failed.push_back(r.file.relative_path);
  };
  const Status st = LoadLakeFails(*w, o);
  EXPECT_EQ(st.message().rfind("FATAL Error: Failed: database has been invalidated because of a previous fatal error. "
                               "DuckDB could not roll the load back and closed the warehouse '" + w->path() + "' (",
                               0),
            0u)
      << st.message();
  EXPECT_NE(st.message().find(" MB free there): nothing more is loaded in this run (what was committed before stays); "
                              "run `lakestream load` again once the cause (e.g. a full disk) is fixed, and it loads "
                              "the rest"),
            std::string::npos)
      << st.message();
  EXPECT_EQ(calls, 1);  // no file tried again alone
  EXPECT_TRUE(failed.empty());
  EXPECT_EQ(LoadLakeFails(*w, o).message(), st.message());  // and nothing more after it
  auto again = OpenWarehouse();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(LoadLake(*again).figures.files_loaded, 3u);
}

TEST_F(WarehouseTest, ManyFilesLoadInGroupsAndABadOneFailsAlone) {
  // More files than one transaction takes (Warehouse::kGroupFiles), one of them bad: its
  // group is loaded again a file at a time, so only the bad file fails, by name; the
  // result is the same as loading every good file on its own, in the files' order.
  const int n = 2 * static_cast<int>(Warehouse::kGroupFiles) + 3;
  const int bad_at = static_cast<int>(Warehouse::kGroupFiles) + 5;
  std::vector<std::string> paths;
  for (int i = 0; i < n; ++i) {
    // The same device and window in every file (partial sums add up), and a window of its own.
    const std::string minute = std::to_string(10 + i % 50);
    std::vector<LakeRow> rows = {Row59("10:00:00", i, 2 * i), RowTimes("00-00-01", "11:" + minute + ":00", 1, 1)};
    if (i == bad_at) rows.push_back(Row59("25:00:00", 1, 1));
    paths.push_back(Part("2023-06-03", i % 4, i));
    WriteCsvGz(paths.back(), rows);
  }
  std::sort(paths.begin(), paths.end());  // the load's order: by path
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  std::vector<std::string> reported;
  LoadOptions o;
  o.on_file = [&](const LoadFigures&, const FileResult& r) { reported.push_back(r.file.path); };
  LoadReport r = LoadLake(*w, o);
  EXPECT_EQ(reported, paths);
  EXPECT_EQ(r.figures.files_loaded, static_cast<uint64_t>(n - 1));
  EXPECT_EQ(r.figures.rows_loaded, static_cast<uint64_t>(2 * (n - 1)));
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_EQ(r.failures[0].file.path, Part("2023-06-03", bad_at % 4, bad_at));
  EXPECT_NE(r.failures[0].error.message().find("has 1 of 3 rows without"), std::string::npos)
      << r.failures[0].error.message();
  int64_t entries = 0;
  for (int i = 0; i < n; ++i) entries += i == bad_at ? 0 : i;
  auto& c = w->connection();
  EXPECT_EQ(Dump(c, "SELECT entries, exits FROM fact_turnstile WHERE created_dt = '2023-06-03 10:00:00'"),
            std::to_string(entries) + "|" + std::to_string(2 * entries) + "\n");
  EXPECT_EQ(Dump(c, "SELECT count(*), sum(entries) FROM fact_turnstile WHERE scp = '00-00-01'"),
            "50|" + std::to_string(n - 1) + "\n");
  EXPECT_EQ(Dump(c, "SELECT count(*), sum(row_count) FROM load_manifest"),
            std::to_string(n - 1) + "|" + std::to_string(2 * (n - 1)) + "\n");
  const std::string grouped = Snapshot(*w);

  // The same lake loaded a file at a time (a load per file) gives the same tables.
  w.reset();
  EXPECT_EQ(SnapshotLoadedFileByFile(), grouped);
}

// Key parts are escaped before they are joined with '|': devices whose CA and UNIT differ
// only in where a '|' falls have keys of their own (their rows were once merged into one).
TEST_F(WarehouseTest, KeysOfPartsWithTheSeparatorDoNotCollide) {
  WriteCsvGz(Part("2023-06-03", 0, 1),
             {LakeRow{"A|B", "C", "S", "ST", "L", "BMT", "06/03/2023", "10:00:00", "REGULAR", 1, 2},
              LakeRow{"A", "B|C", "S", "ST", "L", "BMT", "06/03/2023", "10:00:00", "REGULAR", 100, 200},
              LakeRow{"A\\", "|C", "S", "ST", "L", "BMT", "06/03/2023", "10:00:00", "REGULAR", 1000, 2000}});
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  LoadLake(*w);
  EXPECT_EQ(Dump(w->connection(), "SELECT booth_name, remote, entries, exits FROM fact_turnstile f JOIN dim_booth b "
                                  "USING (booth_id) ORDER BY entries"),
            "A|B|C|1|2\nA|B|C|100|200\nA\\||C|1000|2000\n");
  EXPECT_EQ(Dump(w->connection(), "SELECT count(DISTINCT log_id), count(DISTINCT booth_id) FROM fact_turnstile"),
            "3|3\n");
}

// Attributes that differ between files for one key (STATION, LINENAME, DIVISION) come from
// the first file, in path order, whether the files load in one transaction or one each.
TEST_F(WarehouseTest, AttributesComeFromTheFirstFileWhereverGroupsEnd) {
  LakeRow zed = Row59("10:00:00", 1, 1), abc = Row59("10:00:00", 2, 2);
  zed.station = "ZED ST", zed.line = "Z", zed.division = "IRT";
  abc.station = "ABC ST", abc.line = "A", abc.division = "BMT";
  WriteCsvGz(Part("2023-06-03", 0, 1), {zed});
  WriteCsvGz(Part("2023-06-03", 0, 2), {abc});
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  LoadLake(*w);
  const std::string grouped = Snapshot(*w);
  EXPECT_EQ(Dump(w->connection(), "SELECT station_name, line_name, division, entries FROM rpt_turnstile"),
            "ZED ST|Z|IRT|3\n");
  w.reset();
  EXPECT_EQ(SnapshotLoadedFileByFile(), grouped);
}

// A booth's station is that of its latest window (of the least station_id among that
// window's rows), however the files came: all at once, a backfill of an older week after a
// newer one, or a file at a time. It used to be that of the first file loaded, so a
// backfill after a station's rename gave the old name back.
TEST_F(WarehouseTest, ABoothsStationIsThatOfItsLatestWindowWhateverTheLoadOrder) {
  LakeRow old_name = Row59("10:00:00", 1, 1, "06/03/2023");
  old_name.station = "59 ST OLD";
  LakeRow new_name = Row59("10:00:00", 2, 2, "06/10/2023");
  new_name.station = "59 ST NEW";
  LakeRow other_scp = new_name;  // same booth and window end, another device and name
  other_scp.scp = "02-00-01";
  other_scp.station = "59 ST OTHER";
  const std::string newer = Part("2023-06-10", 0, 1);
  WriteCsvGz(newer, {new_name});
  const char* kBooth = "SELECT b.booth_id, s.station_name, b.station_as_of FROM dim_booth b "
                       "JOIN dim_station s USING (station_id)";
  const std::string kNew = std::string(kMd5BoothR051A002) + "|59 ST NEW|2023-06-10 10:00:00\n";
  {
    auto w = OpenWarehouse();
    ASSERT_NE(w, nullptr);
    LoadLake(*w);
    EXPECT_EQ(Dump(w->connection(), kBooth), kNew);
    // The backfill: an older week, loaded after.
    WriteCsvGz(Part("2023-06-03", 0, 1), {old_name});
    LoadLake(*w);
    EXPECT_EQ(Dump(w->connection(), kBooth), kNew);
    // A tie at the latest window end: the least station_id (md5), whichever loads first.
    WriteCsvGz(Part("2023-06-10", 1, 1), {other_scp});
    LoadLake(*w);
    const std::string tie = Dump(w->connection(), kBooth);
    EXPECT_EQ(tie, Dump(w->connection(),
                        "SELECT '" + std::string(kMd5BoothR051A002) +
                            "', min_by(n, md5(n)), TIMESTAMP '2023-06-10 10:00:00' FROM "
                            "(VALUES ('59 ST NEW'), ('59 ST OTHER')) v(n)"));
    const std::string backfilled = Snapshot(*w);
    // Version 2 kept the station of the first file loaded: a load upgrades it to the rule,
    // taken from the facts.
    ASSERT_TRUE(w->connection()
                    .Execute("ALTER TABLE dim_booth DROP COLUMN station_as_of; "
                             "UPDATE dim_booth SET station_id = md5('59 ST OLD'); "
                             "UPDATE lakestream_meta SET value = '2' WHERE key = 'schema_version'")
                    .ok());
    w.reset();
    auto read_only = Warehouse::Open(db_, Warehouse::Mode::kReadOnly);
    ASSERT_FALSE(read_only.ok());
    EXPECT_NE(read_only.status().message().find(
                  "has schema version 2, which kept the station of a booth's first loaded file"),
              std::string::npos)
        << read_only.status().ToString();
    w = OpenWarehouse();
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(Snapshot(*w), backfilled);
    w.reset();
    EXPECT_EQ(SnapshotLoadedFileByFile(), backfilled);
  }
  std::filesystem::remove(db_);
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  LoadLake(*w);  // all at once
  const std::string at_once = Snapshot(*w);
  w.reset();
  EXPECT_EQ(at_once, SnapshotLoadedFileByFile());
}

// A relative lake path that starts with '~' is a folder named '~', as for the process that
// wrote it; DuckDB, given it as is, would have read the home folder's files instead.
TEST_F(WarehouseTest, ALakeUnderAFolderNamedTildeLoadsItsOwnFiles) {
  const std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_);
  lake_ = "~/lake";
  WriteCsvGz(Part("2023-06-03", 0, 1), {Row59("10:00:00", 7, 8)});
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  LoadReport r = LoadLake(*w);
  std::filesystem::current_path(cwd);
  EXPECT_EQ(r.figures.files_loaded, 1u);
  EXPECT_TRUE(r.failures.empty()) << r.failures[0].error.ToString();
  EXPECT_EQ(Dump(w->connection(), "SELECT entries, exits FROM fact_turnstile"), "7|8\n");
}

// DuckDB reads a gzip file cut short up to the cut without an error: the load checks that
// each .csv.gz file is whole first, and one that is not fails alone, by name.
TEST_F(WarehouseTest, AFileCutShortFailsAloneAndNothingOfItLoads) {
  std::vector<LakeRow> rows;
  for (int m = 0; m < 600; ++m) {
    char time[16];
    std::snprintf(time, sizeof time, "%02d:%02d:00", m / 60, m % 60);
    rows.push_back(RowTimes("00-00-" + std::to_string(m % 7), time, m, 1));
  }
  const std::string cut = Part("2023-06-03", 0, 1);
  WriteCsvGz(cut, rows);
  std::filesystem::resize_file(cut, std::filesystem::file_size(cut) - 9);  // its CRC and size, and a byte
  const Status error = LoadBesideAGoodFile(cut);
  EXPECT_NE(error.message().find("is not a whole gzip file"), std::string::npos) << error.message();
}

// A quote that is never closed (a field damaged before it was compressed): DuckDB 1.4, reading
// it among other files, may end that file at the quote without an error, so a load of the
// whole lake marked it loaded with the rows before the quote only (99 of 2,923 in the real
// week's lake; on one thread it always does, with two files or more after it). The load
// finds the quote itself, and names the line.
TEST_F(WarehouseTest, AnUnclosedQuoteFailsTheFileByItsLineAndNothingOfItLoads) {
  std::vector<LakeRow> rows;
  for (int m = 0; m < 3000; ++m) {
    char time[16];
    std::snprintf(time, sizeof time, "%02d:%02d:00", m / 60 % 24, m % 60);
    rows.push_back(RowTimes("00-00-" + std::to_string(m % 7), time, 1, 1));
  }
  std::string text = testing::CsvText(rows);
  // Line 102 (the header is line 1) is row 100: its DESC opens a quote.
  size_t at = 0;
  for (int line = 1; line < 102; ++line) at = text.find('\n', at) + 1;
  at = text.find(",REGULAR,", at);
  text.insert(at + 1, "\"");
  const std::string bad = Part("2023-06-03", 0, 1);
  testing::WriteGzip(bad, text);
  for (int p = 2; p < 5; ++p) WriteCsvGz(Part("2023-06-03", p, 1), rows);
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->connection().Execute("SET threads = 1").ok());
  LoadReport r = LoadLake(*w);
  EXPECT_EQ(r.figures.files_loaded, 3u);
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_EQ(r.failures[0].file.path, bad);
  EXPECT_EQ(r.failures[0].error.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.failures[0].error.message(),
            "lake file 'turnstile/date=2023-06-03/part-mta-p0-000000000001-0000.csv.gz' line 102: a quote opens a "
            "field that is never closed (the file ends inside it), which the lake's writer never writes: it was "
            "damaged after it was committed, and it was not loaded. Restore it, or remove it and reprocess its "
            "partition");
  EXPECT_EQ(Dump(w->connection(), "SELECT count(*) FROM load_manifest"), "3\n");
  EXPECT_EQ(Dump(w->connection(), "SELECT sum(row_count) FROM load_manifest"), "9000\n");
  EXPECT_EQ(Dump(w->connection(), "SELECT sum(entries) FROM fact_turnstile"), "9000\n");
}

// A line DuckDB cannot read fails its file with DuckDB's reason and line, and what to do with a
// lake file: not DuckDB's advice for its own reader (ignore_errors, strict_mode, the types it
// "auto-detected") and its settings dump, 25 lines that hid the reason.
TEST_F(WarehouseTest, ALineDuckDbCannotReadFailsTheFileByItsLineAndSaysWhatToDo) {
  std::vector<LakeRow> rows = {Row59("10:00:00", 1, 1), Row59("10:05:00", 1, 1), Row59("10:10:00", 1, 1)};
  const std::string text = testing::CsvText(rows);
  struct Case {
    std::string text;
    std::string reason;
  };
  const std::string line3 = "1,A002,R051,02-00-00,59 ST,NQR456W,BMT,06/03/2023,10:05:00,REGULAR,1,1";
  const Case cases[] = {
      {std::string(text).insert(text.find(line3) + line3.size(), ",x"),
       "Invalid Input Error: CSV Error on Line: 3\nOriginal Line: " + line3 +
           ",x\nExpected Number of Columns: 12 Found: 13"},
      {std::string(text).replace(text.find(line3) + line3.size() - 3, 1, "abc"),
       "Conversion Error: CSV Error on Line: 3\nOriginal Line: " + line3.substr(0, line3.size() - 3) +
           "abc,1\nError when converting column \"ENTRIES\". Could not convert string \"abc\" to 'BIGINT'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reason);
    SetUp();
    const std::string bad = Part("2023-06-03", 0, 1);
    testing::WriteGzip(bad, c.text);
    const Status error = LoadBesideAGoodFile(bad);
    EXPECT_EQ(error.message(),
              "cannot load lake file 'turnstile/date=2023-06-03/part-mta-p0-000000000001-0000.csv.gz': DuckDB "
              "cannot read it: " +
                  c.reason +
                  "; it was not loaded. Lake files are written whole and never change: if it was damaged after it "
                  "was committed, restore it, or remove it and reprocess its partition");
  }
}

// A .csv.gz name on a file that is not gzip (plain text: the text reader would pass it
// through) is damage, named as such, not a file of another table.
TEST_F(WarehouseTest, APlainTextFileUnderACsvGzNameIsDamage) {
  const std::string plain = Part("2023-06-03", 0, 1);
  std::filesystem::create_directories(std::filesystem::path(plain).parent_path());
  std::ofstream(plain) << ",CA,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS\n";
  const Status error = LoadBesideAGoodFile(plain);
  EXPECT_NE(error.message().find("it is not gzip data, though its name ends in .csv.gz"), std::string::npos)
      << error.message();
}

// Whole gzip holding no text (the lake's writer always writes the header line): damage, not
// a file of another table (whose advice, another --table, would not help).
TEST_F(WarehouseTest, AGzipFileWithoutEvenAHeaderIsDamage) {
  const std::string empty = Part("2023-06-03", 0, 1);
  testing::WriteGzip(empty, "");
  const Status error = LoadBesideAGoodFile(empty);
  EXPECT_EQ(error.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(error.message(), "lake file 'turnstile/date=2023-06-03/" + std::filesystem::path(empty).filename().string() +
                                 "' has no header line (it holds no text, or its first line is empty), which the "
                                 "lake's writer always writes: it was damaged after it was committed, and it was not "
                                 "loaded. Restore it, or remove it and reprocess its partition");
}

// The CSV files are read by position: a file of another pipeline (here the taxi one's
// columns) fails by name with what it holds, and the turnstile file beside it loads.
TEST_F(WarehouseTest, AFileOfAnotherTableFailsByItsColumns) {
  const std::string taxi = Part("2023-06-03", 0, 1);
  testing::WriteGzip(taxi, ",PULocationID,window_start,window_end,rides,total_amount\n0,74,2020-06-30 18:05:00,"
                  "2020-06-30 18:15:00,1,5.8\n");
  const Status error = LoadBesideAGoodFile(taxi);
  EXPECT_EQ(error.code(), StatusCode::kInvalidArgument);
  const std::string relative = "turnstile/date=2023-06-03/" + std::filesystem::path(taxi).filename().string();
  EXPECT_EQ(error.message().rfind("lake file '" + relative +
                                      "' has the header ',PULocationID,window_start,window_end,rides,total_amount' (6 "
                                      "columns), not the 12 columns of turnstile windows (index,CA,UNIT,SCP,STATION,"
                                      "LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS)",
                                  0),
            0u)
      << error.message();
}

// A CSV file is read by position: twelve columns of other names, or in another order (a
// pipeline that puts EXITS before ENTRIES), loaded each into the wrong fact column without a
// word, where a Parquet file of the same columns loads by name. Names are matched as Parquet's
// are, in any case.
TEST_F(WarehouseTest, ACsvFileWithTheColumnsInAnotherOrderFailsByItsHeader) {
  const std::string swapped = Part("2023-06-03", 0, 1);
  testing::WriteGzip(swapped,
                     ",CA,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,EXITS,ENTRIES\n"
                     "0,A002,R051,02-00-00,59 ST,NQR456W,BMT,06/03/2023,10:05:00,REGULAR,700,7\n");
  const Status error = LoadBesideAGoodFile(swapped);
  EXPECT_EQ(error.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(error.message().rfind("lake file 'turnstile/date=2023-06-03/part-mta-p0-000000000001-0000.csv.gz' has "
                                  "the header ',CA,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,EXITS,ENTRIES' "
                                  "(12 columns), not the 12 columns of turnstile windows (index,CA,UNIT,SCP,STATION,"
                                  "LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS) in that order",
                                  0),
            0u)
      << error.message();
  testing::WriteGzip(swapped,
                     "index,ca,unit,scp,station,linename,division,date,time,desc,entries,exits\n"
                     "0,A002,R051,02-00-00,59 ST,NQR456W,BMT,06/03/2023,10:05:00,REGULAR,7,700\n");
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(LoadLake(*w).figures.files_loaded, 1u);
  EXPECT_EQ(Dump(w->connection(), "SELECT sum(entries), sum(exits) FROM fact_turnstile"), "12|706\n");
}

// Parquet files are read by column name: a file of another pipeline fails by name with the
// columns it lacks, and the turnstile file beside it loads.
TEST_F(WarehouseTest, AParquetFileOfAnotherTableFailsByItsColumns) {
  const std::string taxi = Part("2023-06-03", 0, 1, "parquet");
  std::filesystem::create_directories(std::filesystem::path(taxi).parent_path());
  auto conn = lake::DuckDbConnection::Open();
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->Execute("COPY (SELECT 74 AS PULocationID, 1 AS rides, 'x' AS station) TO " +
                               lake::SqlStringLiteral(taxi) + " (FORMAT parquet)")
                  .ok());
  const Status error = LoadBesideAGoodFile(taxi);
  EXPECT_EQ(error.code(), StatusCode::kInvalidArgument);
  const std::string relative = "turnstile/date=2023-06-03/" + std::filesystem::path(taxi).filename().string();
  EXPECT_EQ(error.message().rfind("lake file '" + relative +
                                      "' has the columns 'PULocationID,rides,station', without "
                                      "CA,UNIT,SCP,LINENAME,DIVISION,DATE,TIME,ENTRIES,EXITS of the turnstile windows",
                                  0),
            0u)
      << error.message();
}

// Not Parquet at all under a .parquet name: damage, named as such.
TEST_F(WarehouseTest, ADamagedParquetFileIsNamed) {
  const std::string bad = Part("2023-06-03", 0, 1, "parquet");
  std::filesystem::create_directories(std::filesystem::path(bad).parent_path());
  std::ofstream(bad) << "not parquet";
  const Status error = LoadBesideAGoodFile(bad);
  EXPECT_EQ(error.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(error.message().find("is not a readable Parquet file, so it was not loaded"), std::string::npos)
      << error.message();
}

// A load's statements list every file of a group: an error shows DuckDB's reason and only
// the statement's start.
TEST_F(WarehouseTest, AFailedStatementShowsItsReasonAndOnlyItsStart) {
  auto db = lake::DuckDbConnection::Open("");
  ASSERT_TRUE(db.ok());
  const std::string sql = "SELECT x FROM no_such_table WHERE x IN (" + std::string(200, '1') + ")\nAND 1 = 1";
  Status st = (*db)->Execute(sql);
  ASSERT_FALSE(st.ok());
  const std::string& m = st.message();
  EXPECT_EQ(m.rfind("DuckDB statement failed: Catalog Error: Table with name no_such_table does not exist!", 0), 0u)
      << m;
  EXPECT_NE(m.find(" (in: " + sql.substr(0, 80) + " ...)"), std::string::npos) << m;
  EXPECT_EQ(m.find(sql.substr(0, 81)), std::string::npos) << m;
  Result<lake::QueryTable> q = (*db)->Query("SELECT nope");
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().message().substr(q.status().message().size() - 18), " (in: SELECT nope)");
  // The load's statements are raw strings that start with a line end.
  Status raw = (*db)->Execute("\nSELECT nope\nFROM t;\n");
  EXPECT_EQ(raw.message().substr(raw.message().size() - 22), " (in: SELECT nope ...)") << raw.message();
}

TEST_F(WarehouseTest, StopBetweenFiles) {
  WriteCsvGz(Part("2023-06-03", 0, 1), {Row59("10:00:00", 1, 10)});
  WriteCsvGz(Part("2023-06-03", 1, 1), {Row59("10:00:00", 2, 20)});
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  LoadOptions o;
  int checks = 0, files = 0;
  o.on_file = [&](const LoadFigures&, const FileResult&) { ++files; };
  o.stop = [&] { return ++checks == 2; };  // asked before each file: stop before the second
  LoadReport r = LoadLake(*w, o);
  EXPECT_EQ(files, 1);  // the file seen before the stop is loaded (and reported) first
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(r.figures.files_seen, 1u);
  EXPECT_EQ(r.figures.files_loaded, 1u);
  EXPECT_EQ(LoadLake(*w).figures.files_loaded, 1u);
  EXPECT_EQ(Dump(w->connection(), "SELECT entries FROM fact_turnstile"), "3\n");
}

// A group with a bad file loads again a file at a time; a stop then ends the load before
// the next file, which the next load takes.
TEST_F(WarehouseTest, StopWhileAGroupLoadsAgainFileByFile) {
  WriteCsvGz(Part("2023-06-03", 0, 1), {Row59("10:00:00", 1, 10)});
  WriteCsvGz(Part("2023-06-03", 1, 1), {Row59("25:00:00", 2, 20)});  // bad: no such time
  WriteCsvGz(Part("2023-06-03", 2, 1), {Row59("10:00:00", 4, 40)});
  auto w = OpenWarehouse();
  ASSERT_NE(w, nullptr);
  LoadOptions o;
  int checks = 0;
  o.stop = [&] { return ++checks == 4; };  // before each of the 3 files, then before the 2nd retry
  LoadReport r = LoadLake(*w, o);
  EXPECT_TRUE(r.interrupted);
  EXPECT_EQ(r.figures.files_seen, 1u);
  EXPECT_EQ(r.figures.files_loaded, 1u);
  EXPECT_TRUE(r.failures.empty());
  EXPECT_EQ(Dump(w->connection(), "SELECT entries FROM fact_turnstile"), "1\n");
  LoadReport again = LoadLake(*w);
  EXPECT_FALSE(again.interrupted);
  EXPECT_EQ(again.figures.files_loaded, 1u);
  EXPECT_EQ(again.failures.size(), 1u);
  EXPECT_EQ(Dump(w->connection(), "SELECT entries FROM fact_turnstile"), "5\n");
}

TEST_F(WarehouseTest, OpenChecksTheFileAndTheSchemaVersion) {
  auto missing = Warehouse::Open(db_, Warehouse::Mode::kReadOnly);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("run `lakestream load --warehouse " + db_),
            std::string::npos);

  {
    auto other = lake::DuckDbConnection::Open(dir_ + "/other.duckdb");
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE((*other)->Execute("CREATE TABLE t(x INTEGER)").ok());
  }
  // DuckDB opens an existing .csv file as data in an in-memory database: a load there
  // would be lost without a word.
  {
    std::ofstream(dir_ + "/rows.csv") << "a,b\n1,2\n";
  }
  for (Warehouse::Mode mode : {Warehouse::Mode::kReadOnly, Warehouse::Mode::kReadWrite}) {
    auto data = Warehouse::Open(dir_ + "/rows.csv", mode);
    ASSERT_FALSE(data.ok());
    EXPECT_EQ(data.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(data.status().message().rfind("'" + dir_ + "/rows.csv' is not a DuckDB database file: DuckDB reads "
                                            "it as data, in memory",
                                            0),
              0u)
        << data.status().message();
  }

  // Another kind of file under a .duckdb name.
  {
    std::ofstream(dir_ + "/text.duckdb") << "hello\n";
    std::ofstream(dir_ + "/blocked.duckdb") << "hello\n";  // "lock" in the name is not a lock
  }
  // Each mode's hint: `report` reads what `load` wrote; `load` may create a new file.
  struct HintCase {
    std::string path;
    Warehouse::Mode mode;
    StatusCode code;
    std::string message;
  };
  std::filesystem::create_directories(dir_ + "/folder");
  const std::vector<HintCase> cases = {
      {dir_ + "/text.duckdb", Warehouse::Mode::kReadOnly, StatusCode::kInvalidArgument,
       "(give the DuckDB file `lakestream load` writes)"},
      {dir_ + "/text.duckdb", Warehouse::Mode::kReadWrite, StatusCode::kInvalidArgument,
       "(give a DuckDB file (such as warehouse.duckdb, created if missing), or a new name)"},
      {dir_ + "/blocked.duckdb", Warehouse::Mode::kReadWrite, StatusCode::kInvalidArgument,
       "(give a DuckDB file (such as warehouse.duckdb, created if missing), or a new name)"},
      {dir_ + "/folder", Warehouse::Mode::kReadOnly, StatusCode::kInvalidArgument,
       "warehouse '" + dir_ + "/folder' is a folder: give the DuckDB file `lakestream load` writes"},
      {dir_ + "/folder", Warehouse::Mode::kReadWrite, StatusCode::kInvalidArgument,
       "warehouse '" + dir_ + "/folder' is a folder: give a DuckDB file (such as warehouse.duckdb, created if missing)"},
      {"s3://bucket/w.duckdb", Warehouse::Mode::kReadOnly, StatusCode::kInvalidArgument,
       "warehouse 's3://bucket/w.duckdb' is a URL: the warehouse is a local file; give the DuckDB file"},
      // DuckDB creates the file, not its folder.
      {dir_ + "/nodir/w.duckdb", Warehouse::Mode::kReadWrite, StatusCode::kInvalidArgument,
       "warehouse '" + dir_ + "/nodir/w.duckdb': the folder '" + dir_ + "/nodir' does not exist: create it first"},
      {dir_ + "/text.duckdb/w.duckdb", Warehouse::Mode::kReadWrite, StatusCode::kInvalidArgument,
       "the folder '" + dir_ + "/text.duckdb' is not a folder"},
  };
  for (const auto& c : cases) {
    auto opened = Warehouse::Open(c.path, c.mode);
    ASSERT_FALSE(opened.ok()) << c.path;
    EXPECT_EQ(opened.status().code(), c.code) << opened.status().message();
    EXPECT_NE(opened.status().message().find(c.message), std::string::npos) << opened.status().message();
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/nodir"));

  auto foreign = Warehouse::Open(dir_ + "/other.duckdb", Warehouse::Mode::kReadOnly);
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.status().code(), StatusCode::kInvalidArgument);  // the command line names the wrong file
  EXPECT_NE(foreign.status().message().find("is not a lakestream warehouse"), std::string::npos);

  {
    auto w = OpenWarehouse();
    ASSERT_NE(w, nullptr);
    ASSERT_TRUE(w->connection()
                    .Execute("UPDATE lakestream_meta SET value = '4' WHERE key = 'schema_version'")
                    .ok());
  }
  auto newer = Warehouse::Open(db_, Warehouse::Mode::kReadWrite);
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(newer.status().message().find("has schema version 4, this lakestream knows version 3"),
            std::string::npos);
}

}  // namespace
}  // namespace lakestream::warehouse
