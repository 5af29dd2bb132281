// Test helpers: temporary files (plain or gzip members), mutated text for parser tests.
#pragma once

#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <string_view>

namespace lakestream::testing {

// A file under the system temp folder, removed when the object goes away.
class TempFile {
 public:
  explicit TempFile(const std::string& suffix) {
    static int counter = 0;
    path_ = "/tmp/lakestream_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + suffix;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }
  void Write(const std::string& text) const { std::ofstream(path_, std::ios::binary) << text; }
  // Writes each part as its own gzip member, concatenated (as pandas chunked writes do).
  void WriteGzipMembers(const std::vector<std::string>& parts) const {
    std::string out;
    for (const auto& p : parts) {
      gzFile f = gzopen((path_ + ".part").c_str(), "wb");
      gzwrite(f, p.data(), static_cast<unsigned>(p.size()));
      gzclose(f);
      std::ifstream in(path_ + ".part", std::ios::binary);
      out.append(std::istreambuf_iterator<char>(in), {});
      std::remove((path_ + ".part").c_str());
    }
    Write(out);
  }

 private:
  std::string path_;
};

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// `text` with 1 to 3 seeded changes, for tests that a parser takes any input: a byte set to
// one of `specials` (the bytes its syntax cares about) or to any byte, a cut, a piece of
// the text repeated.
inline std::string Mutate(std::string text, std::string_view specials, std::mt19937& rng) {
  const int changes = 1 + static_cast<int>(rng() % 3);
  for (int c = 0; c < changes && !text.empty(); ++c) {
    const size_t at = rng() % text.size();
    switch (rng() % 4) {
      case 0: text[at] = specials[rng() % specials.size()]; break;
      case 1: text[at] = static_cast<char>(rng() & 0xFF); break;
      case 2: text.erase(at, 1 + rng() % 8); break;
      default: text.insert(at, text.substr(rng() % text.size(), 1 + rng() % 12)); break;
    }
  }
  return text;
}

}  // namespace lakestream::testing
