// Single-core throughput of one PartitionTask: `stream_benchmark [records] [csv|seed]`.
// A plain timing program (google benchmark is not installed here), not a test.
//
// Input: turnstile records for 5,000 devices, one reading each every 4 minutes of event
// time with a little disorder, ~1% exact resends (duplicates); messages are built before timing starts.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "formats/json_string.h"
#include "stream/partition_task.h"

namespace ls = lakestream;
namespace st = lakestream::stream;

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2000000;
  const std::string format = argc > 2 ? argv[2] : "csv";
  st::PipelineSpec spec = st::TurnstilePipeline(std::chrono::minutes(5), std::chrono::minutes(5));
  spec.format = format == "seed" ? st::WireFormat::kSeed : st::WireFormat::kCsv;

  std::vector<std::string> messages;
  messages.reserve(n);
  const int64_t start = 1685145600;  // 2023-05-27 00:00:00
  constexpr int kDevices = 5000;
  uint64_t x = 12345;
  for (size_t i = 0; i < n; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const size_t device = i % kDevices;
    const int64_t t = start + static_cast<int64_t>(i / kDevices) * 240 + static_cast<int64_t>((x >> 33) % 60);
    if ((x >> 7) % 100 == 0 && i > 0) {  // ~1% exact resends of the previous message
      messages.push_back(messages.back());
      continue;
    }
    std::string line = fmt::format("R{},R{},02-00-0{},STATION {},NQR456W,BMT,05/27/2023,00:00:00,REGULAR,{},{},{}-4c1f-9a0e-5d3b2f7a8c6e,{}",
                                   device / 8, device % 600, device % 8, device % 400, 7000000 + (x >> 40) % 1000,
                                   2000000 + (x >> 50) % 1000, i, ls::FormatTimestamp(ls::EventTime{t}));
    if (spec.format == st::WireFormat::kSeed) {
      std::string quoted;
      ls::AppendJsonString(&quoted, line);
      line = std::move(quoted);
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
  size_t rows = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < n; ++i) {
    task.Process(messages[i], ls::KafkaOffset{static_cast<int64_t>(i)}, side);
    if ((i & 0xFFFF) == 0) rows += task.TakeClosed().size();
  }
  task.Flush();
  rows += task.TakeClosed().size();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const st::TaskStats s = task.Stats();
  std::printf("format=%s records=%zu seconds=%.3f records/s=%.0f MB/s=%.1f rows=%zu windows=%llu late=%llu duplicates=%llu bad=%llu\n",
              format.c_str(), n, secs, n / secs, s.bytes / secs / 1e6, rows,
              static_cast<unsigned long long>(s.windows_emitted), static_cast<unsigned long long>(s.late),
              static_cast<unsigned long long>(s.duplicates), static_cast<unsigned long long>(s.bad));
  const auto t1 = std::chrono::steady_clock::now();
  std::string checkpoint = task.Serialize();
  std::printf("checkpoint bytes=%zu serialize_ms=%.2f\n", checkpoint.size(),
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count());
  return 0;
}
