#include "mta/turnstile_file.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "mta/test_util.h"

namespace lakestream::mta {
namespace {

using testing::TempFile;

// The whole text of a file, through ForEachTextPiece.
Result<std::string> ReadWhole(const std::string& path) {
  std::string out;
  LS_RETURN_NOT_OK(ForEachTextPiece(path, [&](std::string_view piece, double) {
    out.append(piece);
    return Status::Ok();
  }));
  return out;
}

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
    EXPECT_EQ(d.bad_rows, 0u);
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

TEST(TurnstileFile, ReadsMultiMemberGzip) {
  TempFile f(".csv.gz");
  f.WriteGzipMembers({std::string(kRawHeader) + "A,B,C,S,L,D,01/02/2020,00:00:00,REGULAR,1,2\n",
                      "A,B,C,S,L,D,01/02/2020,04:00:00,REGULAR,3,4\n"});
  TurnstileData d;
  ASSERT_TRUE(ReadTurnstileFile(f.path(), &d).ok());
  ASSERT_EQ(d.readings.size(), 2u);
  EXPECT_EQ(d.readings[1].entries, 3);
}

TEST(TurnstileFile, ReadsPlainAndGzipText) {
  const std::string text = std::string(kRawHeader) + "A,B,C,S,L,D,01/02/2020,00:00:00,REGULAR,1,2\n";
  std::string big;  // more than 4x its compressed size: the output buffer must grow
  for (int i = 0; i < 20000; ++i) big += text;
  struct Case {
    std::string name;
    std::vector<std::string> members;  // gzip members; empty: `plain` as is
    std::string plain;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"plain", {}, text, text},
      {"empty plain", {}, "", ""},
      {"one member", {text}, "", text},
      {"three members", {text, "x\n", text}, "", text + "x\n" + text},
      {"an empty member", {text, ""}, "", text},
      {"highly compressible", {big}, "", big},
      // Room is sized from the last member's size: an earlier, bigger one must grow it.
      {"a big member before a small one", {text, big, "x\n"}, "", text + big + "x\n"},
  };
  for (const Case& c : cases) {
    TempFile f(".csv.gz");
    if (c.members.empty()) {
      f.Write(c.plain);
    } else {
      f.WriteGzipMembers(c.members);
    }
    Result<std::string> got = ReadWhole(f.path());
    ASSERT_TRUE(got.ok()) << c.name << ": " << got.status().ToString();
    EXPECT_EQ(*got, c.expected) << c.name;
  }
}

TEST(TurnstileFile, ForEachTextPieceGivesMembersInOrderAndStopsOnError) {
  std::vector<std::string> members;
  for (int i = 0; i < 9; ++i) members.push_back(std::string(1000 + i, static_cast<char>('a' + i)) + "\n");
  TempFile f(".csv.gz");
  f.WriteGzipMembers(members);
  std::vector<std::string> got;
  std::vector<double> read;
  ASSERT_TRUE(ForEachTextPiece(f.path(), [&](std::string_view piece, double fraction) {
                got.emplace_back(piece);
                read.push_back(fraction);
                return Status::Ok();
              }).ok());
  EXPECT_EQ(got, members);
  ASSERT_EQ(read.size(), members.size());
  for (size_t i = 1; i < read.size(); ++i) EXPECT_LT(read[i - 1], read[i]);
  EXPECT_EQ(read.back(), 1.0);

  // The caller's error ends the read (the inflating thread stops) and is what returns.
  size_t calls = 0;
  Status st = ForEachTextPiece(f.path(), [&](std::string_view, double) {
    return ++calls == 3 ? Status::InvalidArgument("stop here") : Status::Ok();
  });
  EXPECT_EQ(calls, 3u);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "stop here");

  // An exception from the caller leaves through ForEachTextPiece (the inflating thread is
  // stopped and joined on the way out, not left running on a dead frame).
  calls = 0;
  EXPECT_THROW((void)ForEachTextPiece(f.path(),
                                      [&](std::string_view, double) -> Status {
                                        if (++calls == 2) throw std::runtime_error("caller failed");
                                        return Status::Ok();
                                      }),
               std::runtime_error);
  EXPECT_EQ(calls, 2u);

  // Members before a damaged one are given; then the error.
  std::string bytes = testing::ReadBytes(f.path());
  TempFile cut(".csv.gz");
  cut.Write(bytes.substr(0, bytes.size() - 6));
  calls = 0;
  st = ForEachTextPiece(cut.path(), [&](std::string_view, double) {
    ++calls;
    return Status::Ok();
  });
  EXPECT_EQ(calls, members.size() - 1);
  EXPECT_EQ(st.code(), StatusCode::kIoError);
}

TEST(TurnstileFile, TruncatedGzipNamesTheFile) {
  TempFile whole(".csv.gz");
  whole.WriteGzipMembers({std::string(kRawHeader) + "A,B,C,S,L,D,01/02/2020,00:00:00,REGULAR,1,2\n"});
  std::string bytes = testing::ReadBytes(whole.path());
  TempFile cut(".csv.gz");
  cut.Write(bytes.substr(0, bytes.size() - 6));
  Result<std::string> got = ReadWhole(cut.path());
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kIoError);
  EXPECT_NE(got.status().message().find(cut.path()), std::string::npos) << got.status().message();
  EXPECT_NE(got.status().message().find("truncated"), std::string::npos) << got.status().message();
}

TEST(TurnstileFile, BytesAfterTheLastGzipMemberAreAnError) {
  TempFile whole(".csv.gz");
  whole.WriteGzipMembers({std::string(kRawHeader) + "A,B,C,S,L,D,01/02/2020,00:00:00,REGULAR,1,2\n"});
  TempFile padded(".csv.gz");
  padded.Write(testing::ReadBytes(whole.path()) + "not gzip");
  Result<std::string> got = ReadWhole(padded.path());
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kIoError);
  EXPECT_NE(got.status().message().find(padded.path()), std::string::npos) << got.status().message();
  EXPECT_NE(got.status().message().find("8 bytes after the last gzip member"), std::string::npos)
      << got.status().message();
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
          "A,B,C,S,L,D,01/02/2020,08:00:00,REGULAR,5,6\n");   // 9 ok
  TurnstileData d;
  ASSERT_TRUE(ReadTurnstileFile(f.path(), &d).ok());
  EXPECT_EQ(d.readings.size(), 2u);
  EXPECT_EQ(d.bad_rows, 6u);
  EXPECT_EQ(d.files[0].rows, 8u);
  ASSERT_EQ(d.issues.size(), 6u);
  const std::pair<uint32_t, const char*> want[] = {
      {3, "expected 11 fields, found 10"}, {4, "bad DATE `2020-01-02`"}, {5, "bad TIME `25:00:00`"},
      {6, "bad ENTRIES `x1`"},            {7, "bad EXITS `-2`"},       {8, "empty C/A, UNIT or SCP"}};
  for (size_t i = 0; i < std::size(want); ++i) {
    EXPECT_EQ(d.issues[i].line, want[i].first);
    EXPECT_EQ(d.issues[i].file, f.path());
    EXPECT_NE(d.issues[i].reason.find(want[i].second), std::string::npos) << d.issues[i].reason;
  }
  EXPECT_EQ(d.issues[0].ToString(), f.path() + ":3: expected 11 fields, found 10");
}

TEST(TurnstileFile, FileErrorsAreClear) {
  TurnstileData d;
  Status missing = ReadTurnstileFile("/nonexistent/week.csv", &d);
  EXPECT_EQ(missing.code(), StatusCode::kIoError);
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
    EXPECT_EQ(d.bad_rows, 0u) << c.path;
  }
}

}  // namespace
}  // namespace lakestream::mta
