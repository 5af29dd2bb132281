#include "kafka/client_log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "core/console.h"
#include "formats/properties.h"

namespace lakestream::kafka {
namespace {

constexpr int kErrorLevel = 3;  // syslog levels: 3 error, 4 warning
constexpr auto kRepeatInterval = std::chrono::seconds(30);

struct Client {
  bool connected = false;
  std::string last_error;
};

struct Repeat {
  std::chrono::steady_clock::time_point printed;
  uint64_t suppressed = 0;
};

struct LogState {
  std::mutex mu;
  std::unordered_map<const rd_kafka_t*, Client> clients;
  std::unordered_map<std::string, Repeat> repeats;  // by text without digits
  uint64_t suppressed = 0;
  std::atomic<bool> echo_all{false};
};

LogState& State() {
  static auto* s = new LogState();  // never destroyed: librdkafka threads may log at exit
  return *s;
}

// Drops librdkafka's "[thrd:...]: " and "<client name>: " prefixes: the same failure is
// logged with either, and the reason is what helps a person.
std::string_view WithoutPrefixes(const rd_kafka_t* rk, std::string_view text) {
  if (text.rfind("[thrd:", 0) == 0) {
    if (size_t end = text.find("]: "); end != std::string_view::npos) text.remove_prefix(end + 3);
  }
  if (rk != nullptr) {
    const std::string_view name = rd_kafka_name(rk);
    if (text.size() > name.size() + 2 && text.substr(0, name.size()) == name && text.substr(name.size(), 2) == ": ") {
      text.remove_prefix(name.size() + 2);
    }
  }
  return text;
}

// "1/1 brokers are down" follows the error that says why: keep that one for messages.
bool IsSummary(std::string_view text) { return text.find("brokers are down") != std::string_view::npos; }

void OnLog(const rd_kafka_t* rk, int level, const char* facility, const char* line) {
  LogState& s = State();
  if (s.echo_all) {
    StderrConsole().Printf("%%%d|%s|%s\n", level, facility, RedactSecrets(line).c_str());
    return;
  }
  // Warnings are transient states librdkafka retries by itself (a coordinator still
  // loading, a leader moving): printing them would alarm more than inform.
  if (level > kErrorLevel) return;
  const std::string safe = RedactSecrets(WithoutPrefixes(rk, line));
  const std::string_view text = safe;
  std::lock_guard<std::mutex> lock(s.mu);
  Client& c = s.clients[rk];
  // "1/1 brokers are down" only follows the error that says why (printed, or counted as a
  // repeat of it): it is not printed on its own.
  if (IsSummary(text)) return;
  c.last_error = text;
  if (!c.connected) return;  // WaitForBroker reports it
  const std::string key = RepeatKey(text);
  const auto now = std::chrono::steady_clock::now();
  auto [it, first] = s.repeats.try_emplace(key);
  Repeat& r = it->second;
  if (!first && now - r.printed < kRepeatInterval) {
    ++r.suppressed;
    ++s.suppressed;
    return;
  }
  if (r.suppressed > 0) {
    StderrConsole().Printf(
        "lakestream: kafka: %.*s (and %llu times more in the last %lld s)\n", static_cast<int>(text.size()),
        text.data(), static_cast<unsigned long long>(r.suppressed),
        static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(now - r.printed).count()));
  } else {
    StderrConsole().Printf("lakestream: kafka: %.*s\n", static_cast<int>(text.size()), text.data());
  }
  r.printed = now;
  r.suppressed = 0;
}

}  // namespace

void InstallClientLog(rd_kafka_conf_t* conf, bool echo_all) {
  if (echo_all) State().echo_all = true;
  rd_kafka_conf_set_log_cb(conf, &OnLog);
}

void MarkConnected(const rd_kafka_t* handle) {
  LogState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  s.clients[handle].connected = true;
}

std::string LastClientError(const rd_kafka_t* handle) {
  LogState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.clients.find(handle);
  return it == s.clients.end() ? std::string() : it->second.last_error;
}

void ForgetClient(const rd_kafka_t* handle) {
  LogState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  s.clients.erase(handle);
}

std::string RepeatKey(std::string_view text) {
  std::string key;
  for (char ch : text) {
    if (ch < '0' || ch > '9') key.push_back(ch);
  }
  constexpr std::string_view kTheirCount = ",  identical error(s) suppressed";  // its digits gone
  if (size_t at = key.find(kTheirCount); at != std::string::npos) key.erase(at, kTheirCount.size());
  return key;
}

uint64_t SuppressedLogLines() {
  LogState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.suppressed;
}

}  // namespace lakestream::kafka
