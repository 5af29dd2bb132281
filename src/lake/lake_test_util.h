// Helpers for lake tests: a fresh folder per test under the build tree, file snapshots,
// gzip reading. Test-only.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <map>
#include <string>

#include "lake/fs_util.h"

namespace lakestream::lake::testing {

// <build>/src/lake/lake_test_tmp/<Suite>.<Test>, emptied when created.
inline std::string FreshTestDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  std::filesystem::path dir = std::filesystem::path(LAKE_TEST_TMP) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// Every regular file under `root`, by path relative to it, with its bytes.
inline std::map<std::string, std::string> Snapshot(const std::string& root) {
  std::map<std::string, std::string> files;
  if (!std::filesystem::exists(root)) return files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    auto bytes = ReadWholeFile(e.path().string());
    files[std::filesystem::relative(e.path(), root).string()] = bytes.ok() ? *bytes : "<unreadable>";
  }
  return files;
}

inline std::string Gunzip(const std::string& path) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) return "<cannot open " + path + ">";
  std::string out;
  char buf[4096];
  int n;
  while ((n = gzread(gz, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  gzclose(gz);
  return out;
}

}  // namespace lakestream::lake::testing
