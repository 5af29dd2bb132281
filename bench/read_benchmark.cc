// Single-run cost of `produce`'s preparation of MTA files, without Kafka:
//
//   read_benchmark RUNS FILE...
//
// Per run: the files read (inflated and parsed into readings, as `produce --source`
// does, on the same threads) and then replayed (the replay rules, to messages in
// event-time order). Prints each phase's median and fastest run in milliseconds of wall
// time and of CPU time (all threads; steadier than wall time on a shared machine). A plain
// timing program for A/B of the reading and replay code, not a test.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mta/replay.h"
#include "mta/turnstile_file.h"

namespace mta = lakestream::mta;

namespace {
double CpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: read_benchmark RUNS FILE...\n");
    return 2;
  }
  const int runs = std::max(1, std::atoi(argv[1]));
  const std::vector<std::string> files(argv + 2, argv + argc);
  std::vector<double> read_ms, replay_ms, read_cpu, replay_cpu;
  size_t readings = 0, messages = 0;
  for (int r = 0; r < runs; ++r) {
    using Clock = std::chrono::steady_clock;
    const double c0 = CpuMs();
    const auto t0 = Clock::now();
    mta::TurnstileData data;
    for (const std::string& f : files) {
      if (auto st = mta::ReadTurnstileFile(f, &data); !st.ok()) {
        std::fprintf(stderr, "%s\n", st.ToString().c_str());
        return 1;
      }
    }
    const auto t1 = Clock::now();
    const double c1 = CpuMs();
    const mta::ReplayResult replay = mta::Replay(data, mta::ReplayOptions{});
    const auto t2 = Clock::now();
    const double c2 = CpuMs();
    read_cpu.push_back(c1 - c0);
    replay_cpu.push_back(c2 - c1);
    read_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    replay_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    readings = data.readings.size();
    messages = replay.messages.size();
  }
  auto report = [](const char* name, std::vector<double> wall, std::vector<double> cpu) {
    std::sort(wall.begin(), wall.end());
    std::sort(cpu.begin(), cpu.end());
    std::printf("%s: wall median %.1f ms (fastest %.1f), CPU median %.1f ms (least %.1f)\n", name,
                wall[wall.size() / 2], wall.front(), cpu[cpu.size() / 2], cpu.front());
  };
  std::printf("readings=%zu messages=%zu runs=%d\n", readings, messages, runs);
  report("read", read_ms, read_cpu);
  report("replay", replay_ms, replay_cpu);
  return 0;
}
