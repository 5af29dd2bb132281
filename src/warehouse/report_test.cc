#include "warehouse/report.h"

#include <gtest/gtest.h>

#include "warehouse/warehouse.h"
#include "warehouse/warehouse_test_util.h"

namespace lakestream::warehouse {
namespace {

using testing::FreshTestDir;
using testing::LakeRow;
using testing::WriteCsvGz;

LakeRow At(const char* station, const char* ca, const char* date, const char* time, int64_t entries,
           int64_t exits) {
  return LakeRow{ca,   "R001", "00-00-00", station, "1",  "IRT",
                 date, time,   "REGULAR",  entries, exits};
}

// Three stations over two days; one name has a comma to exercise CSV quoting.
class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshTestDir();
    lake_ = dir_ + "/lake";
    const std::string& lake = lake_;
    WriteCsvGz(lake + "/turnstile/date=2023-06-02/part-mta-p0-000000000001-0000.csv.gz",
               {At("14 ST", "A001", "06/02/2023", "08:00:00", 1000, 200),
                At("14 ST", "A001", "06/02/2023", "09:00:00", 2500, 300),
                At("PARK, PLACE", "A002", "06/02/2023", "08:00:00", 1200, 1300),
                At("WALL ST", "A003", "06/02/2023", "17:00:00", 400, 5000)});
    WriteCsvGz(lake + "/turnstile/date=2023-06-03/part-mta-p1-000000000001-0000.csv.gz",
               {At("14 ST", "A001", "06/03/2023", "08:00:00", 10, 20),
                At("PARK, PLACE", "A002", "06/03/2023", "09:00:00", 3000, 30),
                At("WALL ST", "A003", "06/03/2023", "17:00:00", 5, 7)});
    Load();
  }

  // Loads the lake's new files into the warehouse (created at the first call).
  void Load() {
    if (!w_) {
      auto w = Warehouse::Open(dir_ + "/w.duckdb", Warehouse::Mode::kReadWrite);
      ASSERT_TRUE(w.ok()) << w.status().ToString();
      w_ = std::move(*w);
    }
    auto files = ListLakeFiles(lake_, "turnstile");
    ASSERT_TRUE(files.ok());
    auto r = w_->Load(*files, {});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (const auto& f : r->failures) ADD_FAILURE() << f.error.ToString();
  }

  std::string Run(const ReportOptions& o, ReportFormat f) {
    auto t = RunReport(w_->connection(), o);
    if (!t.ok()) return "<" + t.status().ToString() + ">";
    return FormatReport(*t, f);
  }

  std::string dir_, lake_;
  std::unique_ptr<Warehouse> w_;
};

TEST_F(ReportTest, TopStationsInEveryFormat) {
  ReportOptions o;
  o.query = ReportQuery::kTopStations;
  EXPECT_EQ(Run(o, ReportFormat::kTable),
            "station      entries  exits\n"
            "-----------  -------  -----\n"
            "PARK, PLACE    4,200  1,330\n"
            "14 ST          3,510    520\n"
            "WALL ST          405  5,007\n");
  EXPECT_EQ(Run(o, ReportFormat::kCsv),
            "station,entries,exits\n"
            "\"PARK, PLACE\",4200,1330\n"
            "14 ST,3510,520\n"
            "WALL ST,405,5007\n");
  EXPECT_EQ(
      Run(o, ReportFormat::kJson),
      "[\n"
      "  {\n    \"station\": \"PARK, PLACE\",\n    \"entries\": 4200,\n    \"exits\": 1330\n  },\n"
      "  {\n    \"station\": \"14 ST\",\n    \"entries\": 3510,\n    \"exits\": 520\n  },\n"
      "  {\n    \"station\": \"WALL ST\",\n    \"entries\": 405,\n    \"exits\": 5007\n  }\n"
      "]\n");
  o.by = ReportMetric::kExits;
  o.limit = 1;
  EXPECT_EQ(Run(o, ReportFormat::kCsv), "station,entries,exits\nWALL ST,405,5007\n");
  o.by = ReportMetric::kEntries;
  o.limit = 10;
  o.from = "2023-06-03";
  EXPECT_EQ(Run(o, ReportFormat::kCsv),
            "station,entries,exits\n\"PARK, PLACE\",3000,30\n14 ST,10,20\nWALL ST,5,7\n");
}

// The table is for people: widths count characters, not bytes, and a line end in a name
// shows as \n instead of breaking the table.
TEST(FormatReport, TableWidthsInCharactersAndControlCharactersEscaped) {
  ReportTable t{{"station", "entries"}, {false, true}, {{"\xc3\x89TOILE", "5"}, {"A\nB", "1000"}, {"C", "7"}}};
  EXPECT_EQ(FormatReport(t, ReportFormat::kTable),
            "station  entries\n"
            "-------  -------\n"
            "\xc3\x89TOILE         5\n"
            "A\\nB       1,000\n"
            "C              7\n");
}

TEST_F(ReportTest, Daily) {
  ReportOptions o;
  o.query = ReportQuery::kDaily;
  EXPECT_EQ(Run(o, ReportFormat::kTable),
            "date        day       entries  exits\n"
            "----------  --------  -------  -----\n"
            "2023-06-02  Friday      5,100  6,800\n"
            "2023-06-03  Saturday    3,015     57\n");
  o.station = "wall st";
  o.to = "2023-06-02";
  EXPECT_EQ(Run(o, ReportFormat::kCsv), "date,day,entries,exits\n2023-06-02,Friday,400,5000\n");
  EXPECT_EQ(
      Run(o, ReportFormat::kJson),
      "[\n  {\n    \"date\": \"2023-06-02\",\n    \"day\": \"Friday\",\n    \"entries\": 400,\n"
      "    \"exits\": 5000\n  }\n]\n");
}

TEST_F(ReportTest, HourlyBusiestStationHours) {
  ReportOptions o;
  o.query = ReportQuery::kHourly;
  o.limit = 3;
  EXPECT_EQ(Run(o, ReportFormat::kTable),
            "station      hour  entries  exits\n"
            "-----------  ----  -------  -----\n"
            "PARK, PLACE     8    3,000     30\n"
            "14 ST           8    2,500    300\n"
            "PARK, PLACE     7    1,200  1,300\n");
  o.station = "14 ST";
  o.limit = 10;
  EXPECT_EQ(Run(o, ReportFormat::kCsv),
            "station,hour,entries,exits\n14 ST,8,2500,300\n14 ST,7,1010,220\n");
}

// A window [start, end) counts on the day and in the hour of its last instant: the windows
// ending at 00:00:00 hold the day before's last minutes (or, daily windows, the whole day
// before), one ending at 09:00:00 the minutes before 9. They counted on the next day and in
// hour 9, so a lake of daily windows reported each day's traffic under the next date.
TEST_F(ReportTest, WindowsCountOnTheDayAndInTheHourOfTheirLastInstant) {
  WriteCsvGz(lake_ + "/turnstile/date=2023-06-05/part-mta-p0-000000000002-0000.csv.gz",
             {At("NIGHT", "A009", "06/05/2023", "00:00:00", 100, 1),  // [06-04 23:55, 06-05 00:00)
              At("NIGHT", "A009", "06/05/2023", "00:05:00", 20, 2),   // [00:00, 00:05)
              At("NIGHT", "A009", "06/05/2023", "09:00:00", 3, 3),    // [08:55, 09:00)
              At("NIGHT", "A009", "06/06/2023", "00:00:00", 4000, 4)});  // a daily window of 06-05
  Load();
  ReportOptions o;
  o.query = ReportQuery::kDaily;
  o.station = "NIGHT";
  EXPECT_EQ(Run(o, ReportFormat::kCsv),
            "date,day,entries,exits\n2023-06-04,Sunday,100,1\n2023-06-05,Monday,4023,9\n");
  o.from = o.to = "2023-06-05";
  EXPECT_EQ(Run(o, ReportFormat::kCsv), "date,day,entries,exits\n2023-06-05,Monday,4023,9\n");
  o = {};
  o.query = ReportQuery::kHourly;
  o.station = "NIGHT";
  EXPECT_EQ(Run(o, ReportFormat::kCsv),
            "station,hour,entries,exits\nNIGHT,23,4100,5\nNIGHT,0,20,2\nNIGHT,8,3,3\n");
}

TEST_F(ReportTest, EmptyResultsAndBadOptions) {
  ReportOptions o;
  o.station = "14 st";  // known, but not in these dates
  o.from = "2030-01-01";
  EXPECT_EQ(Run(o, ReportFormat::kTable), "(no rows)\n");
  EXPECT_EQ(Run(o, ReportFormat::kCsv), "station,entries,exits\n");
  EXPECT_EQ(Run(o, ReportFormat::kJson), "[]\n");
  // A station the warehouse does not know is a wrong request, not an empty answer.
  o.station = "NOWHERE";
  EXPECT_EQ(Run(o, ReportFormat::kTable),
            "<NotFound: no station named 'NOWHERE' in the warehouse (`lakestream report --limit 1000` lists them; any "
            "case matches)>");

  struct Case {
    ReportOptions options;
    const char* message;
  };
  ReportOptions bad_from, reversed, zero;
  bad_from.from = "06/03/2023";
  reversed.from = "2023-06-04";
  reversed.to = "2023-06-03";
  zero.limit = 0;
  const Case cases[] = {
      {bad_from, "--from must be a date YYYY-MM-DD, got '06/03/2023'"},
      {reversed, "--from 2023-06-04 is after --to 2023-06-03"},
      {zero, "--limit must be at least 1"},
  };
  for (const auto& c : cases) {
    Status st = ValidateReportOptions(c.options);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(st.message(), c.message);
  }
  EXPECT_FALSE(ParseReportQuery("weekly").ok());
  EXPECT_EQ(*ParseReportFormat("json"), ReportFormat::kJson);
}

}  // namespace
}  // namespace lakestream::warehouse
