#include "formats/text_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <stdexcept>
#include <thread>
#include <string>
#include <vector>

#include "formats/test_util.h"

namespace lakestream {
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

TEST(PieceLines, LinesAcrossPieces) {
  struct Case {
    const char* name;
    std::vector<std::string> pieces;
    std::vector<std::string> lines;  // numbered 1, 2, ...
  };
  const Case cases[] = {
      {"one piece", {"a,b\nc\n"}, {"a,b", "c"}},
      {"no final newline", {"a\nb"}, {"a", "b"}},
      {"a line split in three", {"ab", "cd", "e\nf\n"}, {"abcde", "f"}},
      {"split right after a newline", {"a\n", "b\n"}, {"a", "b"}},
      {"CRLF split between \\r and \\n", {"a\r", "\nb\r\n"}, {"a", "b"}},
      {"empty lines are lines", {"\n\na\n"}, {"", "", "a"}},
      {"empty pieces", {"", "a", "", "\n", ""}, {"a"}},
      {"a BOM before line 1 only", {"\xEF\xBB\xBF", "a\n\xEF\xBB\xBF" "b\n"}, {"a", "\xEF\xBB\xBF" "b"}},
      {"nothing", {}, {}},
      {"CRLF, BOM, an empty line, no final newline", {"\xEF\xBB\xBFh\r\n\r\nx"}, {"h", "", "x"}},
  };
  auto whole = [](const std::vector<std::string>& pieces) {
    std::string text;
    for (const auto& p : pieces) text += p;
    return text;
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    // The same lines when the text comes whole (ForEachLine).
    std::vector<std::string> whole_lines;
    ASSERT_TRUE(ForEachLine(whole(c.pieces), [&](uint32_t line_no, std::string_view line) {
                  EXPECT_EQ(line_no, whole_lines.size() + 1);
                  whole_lines.emplace_back(line);
                  return Status::Ok();
                }).ok());
    EXPECT_EQ(whole_lines, c.lines);
    PieceLines lines;
    std::vector<std::string> got;
    auto collect = [&](uint32_t line_no, std::string_view line) {
      EXPECT_EQ(line_no, got.size() + 1);
      got.emplace_back(line);
      return Status::Ok();
    };
    for (const auto& piece : c.pieces) ASSERT_TRUE(lines.Feed(piece, collect).ok());
    ASSERT_TRUE(lines.Finish(collect).ok());
    EXPECT_EQ(got, c.lines);
  }
}

// A text that continues a file: numbering goes on, and a byte order mark is only skipped
// at a file's start.
TEST(PieceLines, ContinuingAText) {
  struct Case {
    uint32_t lines_before;
    bool file_start;
    std::vector<std::pair<uint32_t, std::string>> lines;
  };
  const Case cases[] = {
      {0, true, {{1, "a"}, {2, "\xEF\xBB\xBF" "b"}}},
      {0, false, {{1, "\xEF\xBB\xBF" "a"}, {2, "\xEF\xBB\xBF" "b"}}},
      {41, false, {{42, "\xEF\xBB\xBF" "a"}, {43, "\xEF\xBB\xBF" "b"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.lines_before);
    PieceLines lines(c.lines_before, c.file_start);
    std::vector<std::pair<uint32_t, std::string>> got;
    auto collect = [&](uint32_t line_no, std::string_view line) {
      got.emplace_back(line_no, line);
      return Status::Ok();
    };
    ASSERT_TRUE(lines.Feed("\xEF\xBB\xBF" "a\r\n\xEF\xBB\xBF" "b\n", collect).ok());
    EXPECT_EQ(got, c.lines);
    EXPECT_EQ(lines.line_no(), c.lines_before + 2);
  }
}

// prepare sees each member on the inflating thread, and fn then gets the same member
// with the same slot, in order; plain text goes to fn alone, unprepared.
TEST(TextFile, PrepareSeesEachMemberBeforeFnWithItsSlot) {
  const std::vector<std::string> members = {"first\n", "second\n", "third", " line\n", "fifth\n"};
  TempFile gz(".csv.gz");
  gz.WriteGzipMembers(members);
  std::string prepared[2];
  std::thread::id caller = std::this_thread::get_id(), preparer;
  int prepares = 0;
  std::vector<std::string> got;
  auto fn = [&](std::string_view piece, double, int slot) {
    EXPECT_TRUE(slot == 0 || slot == 1) << slot;
    EXPECT_EQ(prepared[slot], piece);
    EXPECT_EQ(std::this_thread::get_id(), caller);
    got.emplace_back(piece);
    return Status::Ok();
  };
  auto prepare = [&](std::string_view piece, int slot) {
    prepared[slot] = std::string(piece);
    preparer = std::this_thread::get_id();
    ++prepares;
  };
  ASSERT_TRUE(ForEachTextPiece(gz.path(), fn, prepare).ok());
  EXPECT_EQ(got, members);
  EXPECT_EQ(prepares, static_cast<int>(members.size()));
  EXPECT_NE(preparer, caller);

  TempFile plain(".csv");
  plain.Write("a\nb\n");
  got.clear();
  prepares = 0;
  ASSERT_TRUE(ForEachTextPiece(
                  plain.path(),
                  [&](std::string_view piece, double read, int slot) {
                    EXPECT_EQ(slot, -1);
                    EXPECT_EQ(read, 1.0);
                    got.emplace_back(piece);
                    return Status::Ok();
                  },
                  prepare)
                  .ok());
  EXPECT_EQ(got, std::vector<std::string>{"a\nb\n"});
  EXPECT_EQ(prepares, 0);
}

TEST(TextFile, ReadsPlainAndGzipText) {
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

// A pipe has no size to read ahead of time: its bytes come in reads that grow the buffer
// (from 64 KiB, doubling), and give the same text as the file they came from.
TEST(TextFile, ReadsAPipeAsItsFile) {
  std::string big;  // several times the first 64 KiB read, and not a power of two
  for (int i = 0; big.size() < 300000; ++i) {
    big += "A,B,C,S,L,D,01/02/2020,00:00:00,REGULAR," + std::to_string(i) + ",2\n";
  }
  struct Case {
    std::string name;
    std::vector<std::string> members;  // gzip members; none: `big` as plain text
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"plain, 300 KB", {}, big},
      {"gzip, two members", {big, "x\n"}, big + "x\n"},
      {"gzip, one empty member", {""}, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TempFile file(".csv.gz");
    if (c.members.empty()) {
      file.Write(big);
    } else {
      file.WriteGzipMembers(c.members);
    }
    Result<std::string> from_file = ReadWhole(file.path());
    ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
    EXPECT_EQ(*from_file, c.expected);
    TempFile fifo(".fifo");
    ASSERT_EQ(mkfifo(fifo.path().c_str(), 0600), 0);
    const std::string bytes = testing::ReadBytes(file.path());
    std::thread writer([&] { std::ofstream(fifo.path(), std::ios::binary) << bytes; });
    Result<std::string> from_pipe = ReadWhole(fifo.path());
    writer.join();
    ASSERT_TRUE(from_pipe.ok()) << from_pipe.status().ToString();
    EXPECT_EQ(*from_pipe, c.expected);
  }
}

TEST(TextFile, ForEachTextPieceGivesMembersInOrderAndStopsOnError) {
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

TEST(TextFile, TruncatedGzipNamesTheFile) {
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

TEST(TextFile, BytesAfterTheLastGzipMemberAreAnError) {
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

TEST(TextFile, OtherCompressedFilesAreRefusedByName) {
  using namespace std::string_literals;
  // Read as text, their first bytes would be reported as an unknown header, printed raw.
  struct Case {
    const char* name;
    std::string bytes;
    StatusCode code;
    const char* says;
  };
  const Case cases[] = {
      {"zip", "PK\x03\x04\x14\x00\x00\x00\x08\x00week.csv\n"s, StatusCode::kInvalidArgument,
       "a zip file"},
      {"bzip2", "BZh91AY&SY\x12\x34\nC/A"s, StatusCode::kInvalidArgument, "a bzip2 file"},
      {"xz", "\xFD\x37zXZ\x00\x00\x04\n"s, StatusCode::kInvalidArgument, "an xz file"},
      {"zstd", "\x28\xB5\x2F\xFD\x24\x00\n"s, StatusCode::kInvalidArgument, "a zstd file"},
      {"gzip cut within its header", "\x1F\x8B\x08\x00\x00\x00\x00\x00\x00\x03"s,
       StatusCode::kIoError, "truncated"},
  };
  for (const Case& c : cases) {
    TempFile f(".csv");
    f.Write(c.bytes);
    Result<std::string> got = ReadWhole(f.path());
    ASSERT_FALSE(got.ok()) << c.name;
    EXPECT_EQ(got.status().code(), c.code) << c.name << ": " << got.status().message();
    EXPECT_NE(got.status().message().find(f.path()), std::string::npos)
        << c.name << ": " << got.status().message();
    EXPECT_NE(got.status().message().find(c.says), std::string::npos)
        << c.name << ": " << got.status().message();
  }
  // Text that merely starts like one of them is text.
  TempFile text(".csv");
  text.Write("PK,BZh\n1,2\n");
  EXPECT_EQ(*ReadWhole(text.path()), "PK,BZh\n1,2\n");
}

TEST(RejectedLine, OneJsonObjectALineWithPythonsEscapes) {
  // A quote, a backslash, a tab, a non-ASCII letter and a byte that is not UTF-8.
  RejectedLine r{"week \"1\".csv", 42, "bad ENTRIES `x`", "A,\"B\\\",\t\xC3\xA9,\xFF"};
  EXPECT_EQ(r.ToString(), "week \"1\".csv:42: bad ENTRIES `x`");
  std::string out;
  AppendRejectedLineJson(r, &out);
  EXPECT_EQ(out,
            "{\"file\":\"week \\\"1\\\".csv\",\"line\":42,\"reason\":\"bad ENTRIES `x`\","
            "\"text\":\"A,\\\"B\\\\\\\",\\t\\u00e9,\\u00ff\"}\n");
  AppendRejectedLineJson(RejectedLine{"f", 1, "r", ""}, &out);  // appends: one object a line
  EXPECT_EQ(out.substr(out.find('\n') + 1), "{\"file\":\"f\",\"line\":1,\"reason\":\"r\",\"text\":\"\"}\n");
}

}  // namespace
}  // namespace lakestream
