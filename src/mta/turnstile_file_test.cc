#include "mta/turnstile_file.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "formats/test_util.h"

namespace lakestream::mta {
namespace {

using testing::TempFile;

const char kRawHeader[] =
    "C/A,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS                    \n";

TEST(TurnstileFile, ReadsEachLayout) {
  struct Case {
    const char* name;
    std::string text;
    FileLayout layout;
  };
  const Case cases[] = {
      {"raw, padded lines, zero-padded counters, no final newline",
       std::string(kRawHeader) +
           "R550,R072,00-00-00,34 ST-HUDSON YD,7,IRT,09/12/2015,00:00:00,REGULAR,0000000042,0000000049   \n"
           "R550,R072,00-00-00,34 ST-HUDSON YD,7,IRT,09/12/2015,04:00:00,REGULAR,0000000050,0000000052   ",
       FileLayout::kRaw},
      {"pandas C/A with trailing header spaces",
       ",C/A,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS     \n"
       "0,R550,R072,00-00-00,34 ST-HUDSON YD,7,IRT,09/12/2015,00:00:00,REGULAR,42,49\n"
       "1,R550,R072,00-00-00,34 ST-HUDSON YD,7,IRT,09/12/2015,04:00:00,REGULAR,50,52\n",
       FileLayout::kPandasSlashCa},
      {"pandas CA, CRLF",
       ",CA,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS\r\n"
       "0,R550,R072,00-00-00,34 ST-HUDSON YD,7,IRT,09/12/2015,00:00:00,REGULAR,42,49\r\n"
       "1,R550,R072,00-00-00,34 ST-HUDSON YD,7,IRT,09/12/2015,04:00:00,REGULAR,50,52\r\n",
       FileLayout::kPandasCa},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TempFile f(".csv");
    f.Write(c.text);
    TurnstileData d;
    ASSERT_TRUE(ReadTurnstileFile(f.path(), &d).ok());
    ASSERT_EQ(d.files.size(), 1u);
    EXPECT_EQ(d.files[0].layout, c.layout);
    EXPECT_EQ(d.files[0].rows, 2u);
    ASSERT_EQ(d.readings.size(), 2u);
    EXPECT_EQ(d.issues.size(), 0u);
    const Reading& r = d.readings[1];
    EXPECT_EQ(d.pool.Get(r.ca), "R550");
    EXPECT_EQ(d.pool.Get(r.station), "34 ST-HUDSON YD");
    EXPECT_EQ(d.pool.Get(r.desc), "REGULAR");
    EXPECT_EQ(FormatTimestamp(r.time), "2015-09-12 04:00:00");
    EXPECT_EQ(r.entries, 50);
    EXPECT_EQ(r.exits, 52);
    EXPECT_EQ(r.line, 3u);
  }
}

// The parser remembers the last text of each column and the last DATE, and looks up only
// what changed: rows that change one column at a time, go back to an earlier value, or
// carry a bad DATE between two good ones must read as if each row were parsed alone.
TEST(TurnstileFile, RowsThatRepeatOrChangeValuesReadAlike) {
  struct Row {
    const char* line;       // after the header; an empty `ca` means a rejected row
    const char* ca;
    const char* station;
    const char* desc;
    const char* timestamp;
  };
  const Row rows[] = {
      {"A1,R1,00-00-00,ST A,7,IRT,09/12/2015,00:00:00,REGULAR,1,2", "A1", "ST A", "REGULAR", "2015-09-12 00:00:00"},
      {"A1,R1,00-00-00,ST A,7,IRT,09/12/2015,04:00:00,REGULAR,3,4", "A1", "ST A", "REGULAR", "2015-09-12 04:00:00"},
      {"A1,R1,00-00-00,ST AB,7,IRT,09/13/2015,04:00:00,RECOVR AUD,3,4", "A1", "ST AB", "RECOVR AUD",
       "2015-09-13 04:00:00"},
      {"A1,R1,00-00-00,ST A,7,IRT,09/13/2O15,08:00:00,REGULAR,5,6", "", "", "", ""},
      {"A1,R1,00-00-00,ST B,7,IRT,09/12/2016,08:00:00,REGULAR,5,6", "A1", "ST B", "REGULAR", "2016-09-12 08:00:00"},
      {"A10,R1,00-00-00,ST A,7,IRT,13/12/2015,08:00:00,REGULAR,5,6", "", "", "", ""},
      {"A10,R1,00-00-00,ST A,7,IRT,09/12/2015,12:00:00,REGULAR,7,8", "A10", "ST A", "REGULAR", "2015-09-12 12:00:00"},
      {"A1,R1,00-00-00,ST A ,7,IRT, 09/14/2015 ,12:00:00,REGULAR ,7,8", "A1", "ST A", "REGULAR", "2015-09-14 12:00:00"},
  };
  std::string text = ",C/A,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS\n";
  for (size_t i = 0; i < std::size(rows); ++i) text += fmt::format("{},{}\n", i, rows[i].line);
  TempFile f(".csv");
  f.Write(text);
  TurnstileData d;
  ASSERT_TRUE(ReadTurnstileFile(f.path(), &d).ok());
  size_t read = 0, rejected = 0;
  for (size_t i = 0; i < std::size(rows); ++i) {
    SCOPED_TRACE(rows[i].line);
    const auto line = static_cast<uint32_t>(i + 2);
    if (*rows[i].ca == '\0') {
      ASSERT_LT(rejected, d.issues.size());
      EXPECT_EQ(d.issues[rejected].line, line);
      EXPECT_NE(d.issues[rejected++].reason.find("bad DATE"), std::string::npos);
      continue;
    }
    ASSERT_LT(read, d.readings.size());
    const Reading& r = d.readings[read++];
    EXPECT_EQ(r.line, line);
    EXPECT_EQ(d.pool.Get(r.ca), rows[i].ca);
    EXPECT_EQ(d.pool.Get(r.station), rows[i].station);
    EXPECT_EQ(d.pool.Get(r.desc), rows[i].desc);
    EXPECT_EQ(FormatTimestamp(r.time), rows[i].timestamp);
  }
  EXPECT_EQ(read, d.readings.size());
  EXPECT_EQ(rejected, d.issues.size());
}

TEST(TurnstileFile, ReadsMultiMemberGzip) {
  TempFile f(".csv.gz");
  f.WriteGzipMembers({std::string(kRawHeader) + "A,B,C,S,L,D,01/02/2020,00:00:00,REGULAR,1,2\n",
                      "A,B,C,S,L,D,01/02/2020,04:00:00,REGULAR,3,4\n"});
  TurnstileData d;
  ASSERT_TRUE(ReadTurnstileFile(f.path(), &d).ok());
  ASSERT_EQ(d.readings.size(), 2u);
  EXPECT_EQ(d.readings[1].entries, 3);
}

TEST(TurnstileFile, MalformedRowsAreReportedAndSkipped) {
  TempFile f(".csv");
  f.Write(std::string(kRawHeader) +
          "A,B,C,S,L,D,01/02/2020,00:00:00,REGULAR,1,2\n"     // 2 ok
          "A,B,C,S,L,D,01/02/2020,00:00:00,REGULAR,1\n"       // 3 field count
          "A,B,C,S,L,D,2020-01-02,00:00:00,REGULAR,1,2\n"     // 4 date
          "A,B,C,S,L,D,01/02/2020,25:00:00,REGULAR,1,2\n"     // 5 time
          "A,B,C,S,L,D,01/02/2020,00:00:00,REGULAR,x1,2\n"    // 6 entries
          "A,B,C,S,L,D,01/02/2020,00:00:00,REGULAR,1,-2\n"    // 7 exits
          ",B,C,S,L,D,01/02/2020,00:00:00,REGULAR,1,2\n"      // 8 empty device
          "A,B,C,S,L,D,01/02/2020,08:00:00,REGULAR,5,6\n"     // 9 ok
          "A,B,D,CAF\xC9 AV,L,D,01/02/2020,00:00:00,REGULAR,1,2\n"    // 10 Latin-1, not UTF-8
          "A,B,D,CAF\xC3\x89 AV,L,D,01/02/2020,04:00:00,REGULAR,3,4\n"  // 11 ok (UTF-8)
          "A,B,D,S,L,D,01/02/2020,08:00:00,REGULAR\xFF,5,6\n"          // 12 not UTF-8
          "A,B,D,\"S\"x,L,D,01/02/2020,12:00:00,REGULAR,7,8\n");       // 13 text after a quote
  TurnstileData d;
  ASSERT_TRUE(ReadTurnstileFile(f.path(), &d).ok());
  ASSERT_EQ(d.readings.size(), 3u);
  EXPECT_EQ(d.pool.Get(d.readings[2].station), "CAF\xC3\x89 AV");
  EXPECT_EQ(d.readings[2].line, 11u);
  EXPECT_EQ(d.files[0].rows, 12u);
  ASSERT_EQ(d.issues.size(), 9u);
  const std::pair<uint32_t, const char*> want[] = {
      {3, "expected 11 fields, found 10"},
      {4, "bad DATE `2020-01-02`"},
      {5, "bad TIME `25:00:00`"},
      {6, "bad ENTRIES `x1`"},
      {7, "bad EXITS `-2`"},
      {8, "empty C/A, UNIT or SCP"},
      {10, "not UTF-8 text (re-encode the file as UTF-8)"},
      {12, "not UTF-8 text (re-encode the file as UTF-8)"},
      {13, "bad CSV quoting: field 4: text after its closing quote at byte 9 (quote the whole field, and write a "
           "quote inside it twice: \"\")"}};
  for (size_t i = 0; i < std::size(want); ++i) {
    EXPECT_EQ(d.issues[i].line, want[i].first);
    EXPECT_EQ(d.issues[i].file, f.path());
    EXPECT_NE(d.issues[i].reason.find(want[i].second), std::string::npos) << d.issues[i].reason;
  }
  EXPECT_EQ(d.issues[0].ToString(), f.path() + ":3: expected 11 fields, found 10");
  // Each keeps its row's text (trimmed), for --bad-rows.
  EXPECT_EQ(d.issues[0].text, "A,B,C,S,L,D,01/02/2020,00:00:00,REGULAR,1");
  EXPECT_EQ(d.issues[5].text, ",B,C,S,L,D,01/02/2020,00:00:00,REGULAR,1,2");
}

TEST(TurnstileFile, FileErrorsAreClear) {
  TurnstileData d;
  Status missing = ReadTurnstileFile("/nonexistent/week.csv", &d);  // NotFound, named
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("/nonexistent/week.csv"), std::string::npos);

  TempFile f(".csv");
  f.Write("VendorID,tpep_pickup_datetime\n1,2\n");
  Status layout = ReadTurnstileFile(f.path(), &d);
  EXPECT_EQ(layout.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(layout.message().find(f.path() + ":1: unknown turnstile file layout"), std::string::npos)
      << layout.message();

  TempFile empty(".csv");
  empty.Write("");
  EXPECT_EQ(ReadTurnstileFile(empty.path(), &d).code(), StatusCode::kInvalidArgument);
}

TEST(TurnstileFile, ShippedSamples) {
  struct Case {
    const char* path;
    FileLayout layout;
    uint64_t rows;
  };
  const Case cases[] = {
      {"data/mta/turnstile_150627_subset.csv", FileLayout::kRaw, 1721},
      {"data/mta/turnstile_150919_hudsonyd_raw.csv", FileLayout::kRaw, 842},
      {"data/mta/turnstile_230603.csv.gz", FileLayout::kPandasSlashCa, 253237},
  };
  for (const auto& c : cases) {
    TurnstileData d;
    ASSERT_TRUE(ReadTurnstileFile(c.path, &d).ok()) << c.path;
    EXPECT_EQ(d.files[0].layout, c.layout) << c.path;
    EXPECT_EQ(d.readings.size(), c.rows) << c.path;
    EXPECT_EQ(d.issues.size(), 0u) << c.path;
  }
}

// A megabyte of rows, plain and in gzip members cut inside lines (LF, and CRLF after a
// byte order mark): every reading, issue, line number and text is the one its line says,
// in file order. (A big member's last part is parsed on the inflating thread.)
TEST(TurnstileFile, LinesAcrossGzipMembersKeepTheirNumbersAndTexts) {
  constexpr int kRows = 12000;
  std::vector<std::string> lines;
  for (int i = 0; i < kRows; ++i) {
    if (i % 1999 == 7) {
      lines.push_back(fmt::format("{},C{},R{},00-00-00,ST {},7,IRT,13/99/2015,00:00:00,REGULAR,1,1", i, i / 40,
                                  i / 400, i / 200));
      continue;
    }
    lines.push_back(fmt::format("{},C{},R{},00-00-{:02},ST {},{},IRT,09/12/2015,{:02}:00:00,{},{},{}", i, i / 40,
                                i / 400, i % 7, i / 200, i % 3 == 0 ? "7" : "NQR", i % 24,
                                i % 11 == 0 ? "RECOVR AUD" : "REGULAR", 1000 + i, 2000 + 2 * i));
  }
  for (const std::string eol : {"\n", "\r\n"}) {
    std::string text = eol == "\n" ? "" : "\xEF\xBB\xBF";
    text += ",C/A,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS" + eol;
    for (const auto& l : lines) text += l + eol;
    // Three gzip members cut inside lines, and the plain text.
    const size_t cut1 = text.size() / 3 + 5, cut2 = 2 * text.size() / 3 + 11;
    TempFile gz(".csv.gz"), plain(".csv");
    gz.WriteGzipMembers({text.substr(0, cut1), text.substr(cut1, cut2 - cut1), text.substr(cut2)});
    plain.Write(text);
    for (const TempFile* f : {&gz, &plain}) {
      SCOPED_TRACE(f->path() + (eol == "\n" ? " LF" : " CRLF"));
      TurnstileData d;
      ASSERT_TRUE(ReadTurnstileFile(f->path(), &d).ok());
      EXPECT_EQ(d.files[0].rows, static_cast<uint64_t>(kRows));
      size_t r = 0;
      std::vector<uint32_t> bad_lines;
      for (int i = 0; i < kRows; ++i) {
        const uint32_t line_no = static_cast<uint32_t>(i) + 2;
        if (i % 1999 == 7) {
          bad_lines.push_back(line_no);
          continue;
        }
        ASSERT_LT(r, d.readings.size());
        const Reading& x = d.readings[r++];
        ASSERT_EQ(x.line, line_no);
        EXPECT_EQ(d.pool.Get(x.ca), fmt::format("C{}", i / 40));
        EXPECT_EQ(d.pool.Get(x.unit), fmt::format("R{}", i / 400));
        EXPECT_EQ(d.pool.Get(x.scp), fmt::format("00-00-{:02}", i % 7));
        EXPECT_EQ(d.pool.Get(x.station), fmt::format("ST {}", i / 200));
        EXPECT_EQ(d.pool.Get(x.linename), i % 3 == 0 ? "7" : "NQR");
        EXPECT_EQ(d.pool.Get(x.desc), i % 11 == 0 ? "RECOVR AUD" : "REGULAR");
        EXPECT_EQ(x.time.seconds, 1442016000 + 3600 * (i % 24));
        EXPECT_EQ(x.entries, 1000 + i);
        EXPECT_EQ(x.exits, 2000 + 2 * i);
      }
      EXPECT_EQ(r, d.readings.size());
      ASSERT_EQ(d.issues.size(), bad_lines.size());
      for (size_t k = 0; k < bad_lines.size(); ++k) {
        EXPECT_EQ(d.issues[k].line, bad_lines[k]);
        EXPECT_EQ(d.issues[k].reason, "bad DATE `13/99/2015` (expected MM/DD/YYYY)");
        EXPECT_EQ(d.issues[k].text, lines[bad_lines[k] - 2]);
      }
    }
  }
}

}  // namespace
}  // namespace lakestream::mta
