// Single-core cost of `process`'s two halves, without Kafka:
//
//   engine_benchmark [records] [csv|seed|json] [window minutes]
//
// 1. the processing thread's work: one PartitionTask (decode, dedup, windows, closing)
//    over turnstile messages, the closed windows taken as ClosedRows as the job does;
// 2. the commit thread's work: those rows written as the lake's CSV.gz files (the seed's
//    layout; one file per 60,000 rows, as a commit writes), to a temporary folder.
// A plain timing program (google benchmark is not installed here), not a test.
//
// Input: turnstile records for 5,000 devices, one reading each every 4 minutes of event
// time with a little disorder, ~1% exact resends (duplicates); messages are built before timing
// starts.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "formats/json_string.h"
#include "lake/file_writer.h"
#include "stream/partition_task.h"

namespace ls = lakestream;
namespace st = lakestream::stream;

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2000000;
  const std::string format = argc > 2 ? argv[2] : "csv";
  // Tumbling windows (default 5 minutes, the seed's); the dedup horizon is the window size.
  const std::chrono::minutes window(argc > 3 ? std::strtoll(argv[3], nullptr, 10) : 5);
  st::PipelineSpec spec = st::TurnstilePipeline(window, window);
  spec.format = format == "seed"   ? st::WireFormat::kSeed
                : format == "json" ? st::WireFormat::kJson
                                   : st::WireFormat::kCsv;

  std::vector<std::string> messages;
  messages.reserve(n);
  const int64_t start = 1685145600;  // 2023-05-27 00:00:00
  constexpr int kDevices = 5000;
  uint64_t x = 12345;
  for (size_t i = 0; i < n; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const size_t device = i % kDevices;
    const int64_t t =
        start + static_cast<int64_t>(i / kDevices) * 240 + static_cast<int64_t>((x >> 33) % 60);
    if ((x >> 7) % 100 == 0 && i > 0) {  // ~1% exact resends of the previous message
      messages.push_back(messages.back());
      continue;
    }
    std::string line = fmt::format(
        "R{},R{},02-00-0{},STATION "
        "{},NQR456W,BMT,05/27/2023,00:00:00,REGULAR,{},{},{}-4c1f-9a0e-5d3b2f7a8c6e,{}",
        device / 8, device % 600, device % 8, device % 400, 7000000 + (x >> 40) % 1000,
        2000000 + (x >> 50) % 1000, i, ls::FormatTimestamp(ls::EventTime{t}));
    if (spec.format == st::WireFormat::kSeed) {
      std::string quoted;
      ls::AppendJsonString(&quoted, line);
      line = std::move(quoted);
    } else if (spec.format == st::WireFormat::kJson) {
      // The object `produce --format json` writes: the schema's keys in order, integers
      // as numbers (the line has no quoted fields).
      nlohmann::ordered_json o;
      size_t at = 0;
      for (const st::FieldSpec& f : spec.schema) {
        const size_t end = std::min(line.find(',', at), line.size());
        const std::string part = line.substr(at, end - at);
        if (f.type == ls::ColumnType::kInt64) {
          o[f.name] = std::stoll(part);
        } else {
          o[f.name] = part;
        }
        at = end + 1;
      }
      line = o.dump();
    }
    messages.push_back(std::move(line));
  }

  auto made = st::PartitionTask::Make(spec, ls::SourcePosition{"bench", 0, -1});
  if (!made.ok()) {
    std::fprintf(stderr, "%s\n", made.status().ToString().c_str());
    return 1;
  }
  st::PartitionTask& task = **made;
  st::NullSideOutput side;
  std::vector<st::ClosedRows> closed;
  size_t rows = 0;
  auto take = [&] {
    closed.push_back(task.TakeClosedRows());
    rows += closed.back().size();
  };
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < n; ++i) {
    task.Process(messages[i], ls::KafkaOffset{static_cast<int64_t>(i)}, side);
    if ((i & 0xFFFF) == 0) take();
  }
  task.Flush();
  take();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const st::TaskStats s = task.Stats();
  std::printf(
      "engine: format=%s records=%zu seconds=%.3f records/s=%.0f ns/record=%.0f MB/s=%.1f rows=%zu "
      "windows=%llu late=%llu duplicates=%llu bad=%llu\n",
      format.c_str(), n, secs, n / secs, secs * 1e9 / n, s.bytes / secs / 1e6, rows,
      static_cast<unsigned long long>(s.windows_emitted), static_cast<unsigned long long>(s.late),
      static_cast<unsigned long long>(s.duplicates), static_cast<unsigned long long>(s.bad));

  // The lake's CSV.gz writer over the same rows, as the commit thread runs it.
  ls::lake::FileSpec file;
  file.schema = st::OutputSchema(spec);
  file.csv.omit_columns = {"WINDOW_START", "WINDOW_END"};
  ls::lake::DefaultWriterFactory factory;
  auto writer = factory.MakeWriter(file);
  if (!writer.ok()) {
    std::fprintf(stderr, "%s\n", writer.status().ToString().c_str());
    return 1;
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("engine_benchmark." + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  constexpr size_t kRowsPerFile = 60000;
  size_t files = 0;
  uintmax_t bytes = 0;
  const auto t1 = std::chrono::steady_clock::now();
  for (const st::ClosedRows& c : closed) {
    for (size_t b = 0; b < c.size(); b += kRowsPerFile) {
      const std::string path = (dir / ("part-" + std::to_string(files++) + ".csv.gz")).string();
      ls::Status st = (*writer)->WriteRows(path, c, b, std::min(c.size(), b + kRowsPerFile));
      if (!st.ok()) {
        std::fprintf(stderr, "%s\n", st.ToString().c_str());
        return 1;
      }
      bytes += std::filesystem::file_size(path);
    }
  }
  const double write_secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  std::filesystem::remove_all(dir);
  std::printf("csv.gz: rows=%zu files=%zu seconds=%.3f ns/row=%.0f compressed_MB=%.1f\n", rows,
              files, write_secs, rows ? write_secs * 1e9 / rows : 0.0, bytes / 1e6);
  return 0;
}
