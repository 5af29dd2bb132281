// Fixture lakes for warehouse tests: CSV.gz written byte by byte (the seed's positional
// layout, as lake/file_writer writes it) and Parquet written by DuckDB with the lake's
// Parquet columns. Test-only.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lake/duckdb_util.h"

namespace lakestream::warehouse::testing {

struct LakeRow {
  std::string ca, unit, scp, station, line, division;
  std::string date;  // MM/DD/YYYY
  std::string time;  // HH:MM:SS, the window end
  std::string desc = "REGULAR";
  int64_t entries = 0;
  int64_t exits = 0;
};

// <build>/src/warehouse/warehouse_test_tmp/<Suite>.<Test>, emptied when created.
inline std::string FreshTestDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  std::filesystem::path dir = std::filesystem::path(WAREHOUSE_TEST_TMP) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline void WriteGzip(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr) << path;
  ASSERT_EQ(gzwrite(gz, text.data(), static_cast<unsigned>(text.size())),
            static_cast<int>(text.size()));
  ASSERT_EQ(gzclose(gz), Z_OK);
}

// RFC 4180 quoting for fields with a comma or a quote (the lake's CSV reader accepts it).
inline std::string Field(const std::string& v) {
  if (v.find_first_of(",\"") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

inline std::string CsvText(const std::vector<LakeRow>& rows) {
  std::string text = ",CA,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS\n";
  size_t i = 0;
  for (const auto& r : rows) {
    text += std::to_string(i++) + "," + Field(r.ca) + "," + Field(r.unit) + "," + Field(r.scp) +
            "," + Field(r.station) + "," + Field(r.line) + "," + Field(r.division) + "," + r.date +
            "," + r.time + "," + r.desc + "," + std::to_string(r.entries) + "," +
            std::to_string(r.exits) + "\n";
  }
  return text;
}

inline void WriteCsvGz(const std::string& path, const std::vector<LakeRow>& rows) {
  WriteGzip(path, CsvText(rows));
}

// The Parquet lake layout: the named columns (DATE and TIME as text) plus WINDOW_START and
// WINDOW_END timestamps (5-minute windows).
inline void WriteParquet(const std::string& path, const std::vector<LakeRow>& rows) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  auto conn = lake::DuckDbConnection::Open();
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  std::string values;
  for (const auto& r : rows) {
    using lake::SqlStringLiteral;
    if (!values.empty()) values += ", ";
    values += "(" + SqlStringLiteral(r.ca) + ", " + SqlStringLiteral(r.unit) + ", " +
              SqlStringLiteral(r.scp) + ", " + SqlStringLiteral(r.station) + ", " +
              SqlStringLiteral(r.line) + ", " + SqlStringLiteral(r.division) + ", " +
              SqlStringLiteral(r.date) + ", " + SqlStringLiteral(r.time) + ", " +
              SqlStringLiteral(r.desc) + ", " + std::to_string(r.entries) + ", " +
              std::to_string(r.exits) + ")";
  }
  std::string sql =
      "COPY (SELECT *, \"end\" - INTERVAL 5 MINUTE AS WINDOW_START, \"end\" AS WINDOW_END FROM ("
      "SELECT CA, UNIT, SCP, STATION, LINENAME, DIVISION, \"DATE\", \"TIME\", \"DESC\", "
      "CAST(ENTRIES AS BIGINT) AS ENTRIES, CAST(EXITS AS BIGINT) AS EXITS, "
      "strptime(\"DATE\" || ' ' || \"TIME\", '%m/%d/%Y %H:%M:%S') AS \"end\" FROM (VALUES " +
      values +
      ") v(CA, UNIT, SCP, STATION, LINENAME, DIVISION, \"DATE\", \"TIME\", \"DESC\", ENTRIES, "
      "EXITS))) "
      "TO " +
      lake::SqlStringLiteral(path) + " (FORMAT PARQUET)";
  // COPY names the columns of the inner select; drop the helper column "end".
  sql.replace(sql.find("SELECT *,"), 9, "SELECT * EXCLUDE (\"end\"),");
  Status st = (*conn)->Execute(sql);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

// All rows of a query as one text block ("a|b|c\n" per row), for exact comparisons.
inline std::string Dump(lake::DuckDbConnection& conn, const std::string& sql) {
  auto t = conn.Query(sql);
  if (!t.ok()) return "<" + t.status().ToString() + ">";
  std::string out;
  for (const auto& row : t->rows) {
    for (size_t c = 0; c < row.size(); ++c) out += (c ? "|" : "") + row[c].value_or("NULL");
    out += "\n";
  }
  return out;
}

}  // namespace lakestream::warehouse::testing
