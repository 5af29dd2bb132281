#include "formats/csv.h"

#include <gtest/gtest.h>

#include <random>

namespace lakestream {
namespace {

TEST(Csv, SplitTable) {
  struct Case {
    std::string line;
    bool ok;
    std::vector<std::string> fields;
  };
  const Case cases[] = {
      {"a,b,c", true, {"a", "b", "c"}},
      {"", true, {""}},
      {"a,", true, {"a", ""}},
      {",a", true, {"", "a"}},
      {"\"x,y\",z", true, {"x,y", "z"}},
      {"\"say \"\"hi\"\"\",2", true, {"say \"hi\"", "2"}},
      {"\"open,2", false, {}},
      {"\"a\"b,2", false, {}},
      {"59 ST,NQR456W,BMT", true, {"59 ST", "NQR456W", "BMT"}},
      {",,", true, {"", "", ""}},
      {"a,,b", true, {"a", "", "b"}},
      {"a,\"b\",,c", true, {"a", "b", "", "c"}},
      // Longer than the 16-byte blocks of the fast path, commas at block edges, a quote late.
      {"0123456789abcde,0123456789abcdef,,x,0123456789012345678901234567890",
       true,
       {"0123456789abcde", "0123456789abcdef", "", "x", "0123456789012345678901234567890"}},
      {"0123456789abcdef0123456789,\"q,1\"", true, {"0123456789abcdef0123456789", "q,1"}},
      {"0123456789abcdef0123456789abcdef,", true, {"0123456789abcdef0123456789abcdef", ""}},
  };
  std::vector<std::string_view> fields;
  std::string scratch;
  for (const auto& c : cases) {
    ASSERT_EQ(SplitCsvLine(c.line, &fields, &scratch), c.ok) << c.line;
    if (!c.ok) continue;
    std::vector<std::string> got(fields.begin(), fields.end());
    EXPECT_EQ(got, c.fields) << c.line;
  }
}

TEST(Csv, SplitErrorNamesTheFieldAndByte) {
  struct Case {
    std::string line;
    std::string error;  // empty: SplitCsvLine takes the line
  };
  const Case cases[] = {
      {"a,b,c", ""},
      {"\"x,y\",\"say \"\"hi\"\"\",", ""},
      {"a\"b,c", ""},  // a quote inside an unquoted field is text
      {"\"open,2", "field 1: the quote at byte 1 is never closed (a quote inside a quoted field is written twice: \"\")"},
      {"a,b,\"c\"\"", "field 3: the quote at byte 5 is never closed (a quote inside a quoted field is written twice: \"\")"},
      {"\"a\"b,2", "field 1: text after its closing quote at byte 3 (quote the whole field, and write a quote "
                   "inside it twice: \"\")"},
      {"1,2,\"x\" ,4", "field 3: text after its closing quote at byte 7 (quote the whole field, and write a quote "
                      "inside it twice: \"\")"},
  };
  std::vector<std::string_view> fields;
  std::string scratch;
  for (const auto& c : cases) {
    EXPECT_EQ(CsvSplitError(c.line), c.error) << c.line;
    EXPECT_EQ(SplitCsvLine(c.line, &fields, &scratch), c.error.empty()) << c.line;
  }
}

TEST(Csv, QuoteFreeLinesSplitAtEveryComma) {
  // Every length across several 16-byte blocks, commas at pseudo-random places.
  uint64_t x = 42;
  std::vector<std::string_view> fields;
  std::string scratch;
  for (int len = 0; len < 80; ++len) {
    for (int trial = 0; trial < 20; ++trial) {
      std::string line;
      for (int k = 0; k < len; ++k) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        line.push_back((x >> 60) < 4 ? ',' : static_cast<char>('a' + (x >> 59) % 26));
      }
      std::vector<std::string> expected(1);
      for (char c : line) {
        if (c == ',') {
          expected.emplace_back();
        } else {
          expected.back().push_back(c);
        }
      }
      ASSERT_TRUE(SplitCsvLine(line, &fields, &scratch)) << line;
      EXPECT_EQ(std::vector<std::string>(fields.begin(), fields.end()), expected) << line;
    }
  }
}

TEST(Csv, QuotedFieldsAnywhereInTheLine) {
  // Lines of pseudo-random fields, some quoted (with commas and doubled quotes inside), so
  // that the first quote falls in every 16-byte block and in the line's last bytes.
  uint64_t x = 7;
  auto next = [&x](uint64_t n) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return (x >> 33) % n;
  };
  std::vector<std::string_view> fields;
  std::string scratch;
  for (int trial = 0; trial < 4000; ++trial) {
    std::vector<std::string> expected;
    std::string line;
    const size_t count = 1 + next(8);
    for (size_t f = 0; f < count; ++f) {
      std::string value;
      for (size_t k = next(12); k > 0; --k) value.push_back(static_cast<char>('a' + next(26)));
      if (f > 0) line.push_back(',');
      if (next(4) == 0) {
        if (next(2) == 0) value.insert(next(value.size() + 1), ",");
        if (next(2) == 0) value.insert(next(value.size() + 1), "\"");
        line.push_back('"');
        for (char c : value) {
          line.push_back(c);
          if (c == '"') line.push_back('"');
        }
        line.push_back('"');
      } else {
        line += value;
      }
      expected.push_back(value);
    }
    ASSERT_TRUE(SplitCsvLine(line, &fields, &scratch)) << line;
    EXPECT_EQ(std::vector<std::string>(fields.begin(), fields.end()), expected) << line;
  }
}

TEST(Csv, FieldsAreQuotedOnlyWhenNeeded) {
  const std::pair<std::string, std::string> cases[] = {
      {"plain", "plain"}, {"a,b", "\"a,b\""}, {"q\"x", "\"q\"\"x\""}, {"l\nf", "\"l\nf\""},
      {"", ""},           {"59 ST-HUDSON YD", "59 ST-HUDSON YD"},
  };
  for (const auto& [in, want] : cases) {
    std::string out;
    AppendCsvField(&out, in);
    EXPECT_EQ(out, want);
  }
}

TEST(Csv, QuotesExactlyTheFieldsThatNeedIt) {
  // The word-at-a-time scan against a byte-by-byte reference: every length up to 40, each
  // special byte at each position, bytes just beside the specials, high and NUL bytes.
  auto reference = [](std::string_view f) {
    bool quote = false;
    for (char c : f) quote = quote || c == ',' || c == '"' || c == '\r' || c == '\n';
    if (!quote) return std::string(f);
    std::string out = "\"";
    for (char c : f) {
      if (c == '"') out += '"';
      out += c;
    }
    return out + "\"";
  };
  auto check = [&](const std::string& f) {
    std::string got;
    AppendCsvField(&got, f);
    ASSERT_EQ(got, reference(f)) << "field of " << f.size() << " bytes";
    std::string put(CsvFieldBound(f.size()), '\0');
    put.resize(static_cast<size_t>(PutCsvField(put.data(), f) - put.data()));
    ASSERT_EQ(put, got);
  };
  const std::string near = std::string("\x2B\x2D\x21\x23\x0B\x0C\x0E\x09\xAC\xA2\x8D\x8A", 12) + std::string(1, '\0');
  for (size_t n = 0; n <= 40; ++n) {
    for (char fill : {'a', '\xFF', '\0'}) {
      std::string f(n, fill);
      check(f);
      for (size_t at = 0; at < n; ++at) {
        for (char c : {',', '"', '\r', '\n'}) {
          std::string g = f;
          g[at] = c;
          check(g);
        }
        for (char c : near) {
          std::string g = f;
          g[at] = c;
          check(g);
        }
      }
    }
  }
  std::mt19937 rng(11);
  for (int k = 0; k < 20000; ++k) {
    std::string f(rng() % 24, '\0');
    for (char& c : f) c = static_cast<char>(rng() % 7 == 0 ? ",\"\r\n"[rng() % 4] : static_cast<char>(rng()));
    check(f);
  }
}

TEST(Csv, TrimSpaces) {
  EXPECT_EQ(TrimSpaces("  a b \t"), "a b");
  EXPECT_EQ(TrimSpaces("   "), "");
}

// swar's short-text helpers against memcpy and memcmp at every length to 40: nothing is
// written past n, and a difference at any position is seen.
TEST(Swar, CopyShortAndSameTextAgreeWithMemcpyAndMemcmp) {
  std::string src(48, '\0');
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<char>('a' + i % 26);
  for (size_t n = 0; n <= 40; ++n) {
    SCOPED_TRACE(n);
    std::string dst(48, '#');
    swar::CopyShort(dst.data(), src.data(), n);
    EXPECT_EQ(dst.substr(0, n), src.substr(0, n));
    EXPECT_EQ(dst.substr(n), std::string(48 - n, '#'));
    EXPECT_TRUE(swar::SameText(dst.data(), src.data(), n));
    for (size_t at = 0; at < n; ++at) {
      std::string other = src;
      other[at] = '!';
      EXPECT_FALSE(swar::SameText(other.data(), src.data(), n)) << "difference at " << at;
    }
  }
}

}  // namespace
}  // namespace lakestream
