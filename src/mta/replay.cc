#include "mta/replay.h"

#include <algorithm>
#include <optional>
#include <span>
#include <unordered_map>

#include "core/radix_sort.h"

namespace lakestream::mta {
namespace {

struct DeviceKey {
  uint32_t ca, unit, scp;
  bool operator==(const DeviceKey&) const = default;
};
struct DeviceKeyHash {
  size_t operator()(const DeviceKey& k) const {
    uint64_t h = (uint64_t{k.ca} << 42) ^ (uint64_t{k.unit} << 21) ^ k.scp;
    return std::hash<uint64_t>{}(h * 0x9E3779B97F4A7C15ULL);
  }
};

}  // namespace

ReplayResult Replay(const TurnstileData& data, const ReplayOptions& options) {
  ReplayResult out;
  const auto& rs = data.readings;

  // Group reading indices by device, keeping file order within each device: device ids
  // (looked up only when the device changes from one reading to the next: files list a
  // device's readings together), then a counting sort by device.
  std::unordered_map<DeviceKey, uint32_t, DeviceKeyHash> device_of;
  std::vector<uint32_t> device(rs.size());
  DeviceKey last{};
  uint32_t last_device = 0;
  for (uint32_t i = 0; i < rs.size(); ++i) {
    const DeviceKey k{rs[i].ca, rs[i].unit, rs[i].scp};
    if (i == 0 || !(k == last)) {
      last = k;
      last_device = device_of.emplace(k, static_cast<uint32_t>(device_of.size())).first->second;
    }
    device[i] = last_device;
  }
  out.devices = device_of.size();
  std::vector<uint32_t> begin(out.devices + 1, 0);  // device d: order[begin[d], begin[d + 1])
  for (uint32_t d : device) ++begin[d + 1];
  for (size_t d = 0; d < out.devices; ++d) begin[d + 1] += begin[d];
  std::vector<uint32_t> order(rs.size());
  {
    std::vector<uint32_t> next(begin.begin(), begin.end() - 1);
    for (uint32_t i = 0; i < rs.size(); ++i) order[next[device[i]]++] = i;
  }

  const std::optional<uint32_t> regular = data.pool.Find("REGULAR");
  auto is_regular = [&](uint32_t i) { return regular && rs[i].desc == *regular; };
  auto earlier = [&](uint32_t a, uint32_t b) { return rs[a].time < rs[b].time; };

  out.messages.reserve(rs.size());
  // Each kept reading's message (its index in out.messages), for rule 5 below.
  constexpr uint32_t kNone = UINT32_MAX;
  std::vector<uint32_t> message_of(rs.size(), kNone);
  int64_t first = 0;  // the earliest message's time
  for (size_t d = 0; d < out.devices; ++d) {
    const std::span<uint32_t> idx(order.data() + begin[d], begin[d + 1] - begin[d]);
    // Rule 1: by timestamp, stable (indices are in file order, and files are mostly in
    // time order already).
    if (!std::is_sorted(idx.begin(), idx.end(), earlier)) std::stable_sort(idx.begin(), idx.end(), earlier);
    bool have_prev = false;
    uint32_t prev = 0;
    for (size_t g = 0; g < idx.size();) {
      // Rule 2: one reading per timestamp, REGULAR first, then file order.
      size_t end = g + 1;
      while (end < idx.size() && rs[idx[end]].time == rs[idx[g]].time) ++end;
      uint32_t kept = idx[g];
      for (size_t k = g; k < end; ++k) {
        if (is_regular(idx[k])) {
          kept = idx[k];
          break;
        }
      }
      out.same_time_dropped += end - g - 1;
      g = end;
      // Rule 3: differences between consecutive kept readings.
      if (have_prev) {
        int64_t de = rs[kept].entries - rs[prev].entries;
        int64_t dx = rs[kept].exits - rs[prev].exits;
        const bool entries_anomaly = de < 0 || de > options.max_delta;
        const bool exits_anomaly = dx < 0 || dx > options.max_delta;
        if (entries_anomaly) {
          de = 0;
          ++out.entries_anomalies;
        }
        if (exits_anomaly) {
          dx = 0;
          ++out.exits_anomalies;
        }
        out.entries_sum += de;
        out.exits_sum += dx;
        first = out.messages.empty() ? rs[kept].time.seconds : std::min(first, rs[kept].time.seconds);
        message_of[kept] = static_cast<uint32_t>(out.messages.size());
        out.messages.push_back(
            ReplayMessage{kept, static_cast<uint32_t>(d), entries_anomaly, exits_anomaly, de, dx});
      }
      prev = kept;
      have_prev = true;
    }
  }
  // Rule 5: event time, ties in file order. Taken in reading (file) order, the messages
  // need one stable radix sort by time since the earliest (a week: 2 passes of 11 bits).
  struct Key {
    uint64_t since_first;
    uint32_t message;
  };
  std::vector<Key> keys;
  keys.reserve(out.messages.size());
  for (uint32_t r = 0; r < rs.size(); ++r) {
    if (message_of[r] != kNone) {
      keys.push_back(Key{static_cast<uint64_t>(rs[r].time.seconds) - static_cast<uint64_t>(first), message_of[r]});
    }
  }
  RadixSort(&keys, [](const Key& key) { return key.since_first; });
  std::vector<ReplayMessage> sorted;
  sorted.reserve(keys.size());
  for (const Key& key : keys) sorted.push_back(out.messages[key.message]);
  out.messages = std::move(sorted);
  return out;
}

}  // namespace lakestream::mta
