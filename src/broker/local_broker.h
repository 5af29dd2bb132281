// LocalBroker: a real single-node Apache Kafka broker (KRaft, broker and controller in one
// JVM) run from the jars that scripts/setup.sh put in $LAKESTREAM_KAFKA_HOME/libs, for
// development and integration tests.
//
// One broker folder holds everything about one broker (see BrokerPaths): the generated
// server.properties and log4j2.xml, data/ (log.dirs), logs/, and broker.pid. The pid file
// is the only state shared between `start`, `stop` and `status`, which run as separate
// processes; a pid whose process has exited or is no longer Kafka counts as not running.
//
// Not safe against two `start`s racing on the same folder.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include "broker/broker_config.h"
#include "broker/process.h"
#include "core/status.h"

namespace lakestream::broker {

struct StartOutcome {
  pid_t pid = 0;
  std::string bootstrap;
  bool already_running = false;  // an answering broker was found; nothing was started
  bool formatted = false;        // the storage was formatted (first start in this folder)
  std::chrono::milliseconds took{0};
};

struct StopOutcome {
  pid_t pid = 0;  // 0 if no broker was running
  bool was_running = false;
  bool killed = false;  // did not stop on SIGTERM within the timeout; SIGKILL was sent
};

struct BrokerStatus {
  bool running = false;    // the pid file names a live Kafka process
  bool answering = false;  // and it answered a metadata request
  pid_t pid = 0;
  std::string bootstrap;  // from server.properties; empty if never started
};

class LocalBroker {
 public:
  // Resolves where Kafka and java are; touches nothing on disk.
  static Result<LocalBroker> Make(const std::filesystem::path& dir, const BrokerEnv& env);

  // Starts the broker and waits until it answers a metadata request. `timeout` bounds the
  // whole call: a broker that has not answered when a quarter of it (at most 10 s) is left
  // is stopped in that time, with SIGTERM, then SIGKILL.
  // If a broker from this folder is already running and answers, returns already_running.
  // On failure (missing jars or java, port in use, the JVM exiting, no answer in time) the
  // broker is not left running and the message carries the end of its log. `stop` (Ctrl-C),
  // asked between probes, stops a broker still starting as a timeout does (Unavailable,
  // "interrupted ..."): it runs in its own session, out of reach of the terminal's signal.
  Result<StartOutcome> Start(const BrokerSettings& settings, std::chrono::seconds timeout,
                             const std::function<bool()>& stop = nullptr);

  // SIGTERM (controlled shutdown), then SIGKILL if it is still running after `timeout`.
  // Removes the pid file. OK, with was_running=false, if nothing was running.
  Result<StopOutcome> Stop(std::chrono::seconds timeout);

  // Reads the pid file and asks the broker for metadata within `probe_timeout`.
  BrokerStatus Query(std::chrono::milliseconds probe_timeout) const;

  const BrokerPaths& paths() const { return paths_; }
  const std::filesystem::path& kafka_home() const { return kafka_home_; }

 private:
  LocalBroker(BrokerPaths paths, std::filesystem::path kafka_home, std::string java)
      : paths_(std::move(paths)), kafka_home_(std::move(kafka_home)), java_(std::move(java)) {}

  pid_t ReadPid() const;
  Status CheckInstallation() const;
  Status FormatStorageIfNeeded(Clock::time_point deadline, bool* formatted) const;
  // Where the broker's logs end now: LogTail shows only what was written after.
  struct LogMark {
    uint64_t server_log = 0;
    uint64_t console_log = 0;
  };
  LogMark MarkLogs() const;
  // The end of the broker's logs since `mark`, for error messages.
  std::string LogTail(const LogMark& mark) const;

  BrokerPaths paths_;
  std::filesystem::path kafka_home_;
  std::string java_;
};

// Asks the broker at `bootstrap` for metadata once; OK if it answered within `timeout`, and
// with `cluster_id` unless that is empty (FailedPrecondition if another cluster answered).
// Keeps librdkafka's own connection-refused logging off stderr.
Status ProbeBroker(const std::string& bootstrap, std::chrono::milliseconds timeout,
                   const std::string& cluster_id = "");

}  // namespace lakestream::broker
