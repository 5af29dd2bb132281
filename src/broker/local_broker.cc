#include "broker/local_broker.h"

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "formats/properties.h"
#include "formats/text_file.h"
#include "kafka/client_config.h"

namespace lakestream::broker {

namespace {

using std::chrono::milliseconds;

constexpr size_t kLogTailLines = 30;
constexpr milliseconds kProbeInterval{1000};
// After SIGKILL the kernel frees the process promptly; this only bounds a hung kernel.
constexpr std::chrono::seconds kKillGrace{10};
// The end of a start's timeout kept for stopping a broker that did not answer: a quarter of
// it, at most this (a JVM that is still starting stops on SIGTERM in well under a second).
constexpr milliseconds kMaxStopShare{10000};

milliseconds Since(Clock::time_point t0) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
}

milliseconds Left(Clock::time_point deadline) {
  return std::max(milliseconds(0),
                  std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

std::string LastNonEmptyLine(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::string last;
  while (std::getline(in, line)) {
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty()) last = line;
  }
  return last;
}

// A hint for the failures people actually hit, recognised in the broker's log.
std::string HintFromLog(const std::string& log, const BrokerSettings& s, const BrokerPaths& paths) {
  if (log.find("Address already in use") != std::string::npos) {
    return fmt::format(
        " (port {} or {} is in use: stop the other program or pass --port / --controller-port)",
        s.port, s.controller_port);
  }
  // The log's INFO lines after it bury the errors that say why.
  if (log.find("Shutdown broker because all log dirs in") != std::string::npos) {
    return fmt::format(
        " (it cannot use its data folder {}: the ERROR lines of {} say why, such as no "
        "permission to write it or a full disk)",
        paths.DataDir().string(), paths.ServerLog().string());
  }
  if (log.find("Could not find or load main class") != std::string::npos ||
      log.find("ClassNotFoundException") != std::string::npos ||
      log.find("NoClassDefFoundError") != std::string::npos) {
    return " (the Kafka jars are incomplete: run scripts/setup.sh)";
  }
  if (log.find("UnsupportedClassVersionError") != std::string::npos) {
    return " (Kafka 4 needs Java 17 or newer: set JAVA_HOME or run scripts/setup.sh)";
  }
  if (log.find("OutOfMemoryError") != std::string::npos ||
      log.find("Could not reserve enough space") != std::string::npos) {
    return " (not enough memory for the broker's 1 GB heap)";
  }
  return "";
}

Status WithJavaHint(Status st) {
  if (st.ok() || st.code() != StatusCode::kIoError) return st;
  return Status::FailedPrecondition(
      st.message() + " (install Java 17 or newer, e.g. with scripts/setup.sh, or set JAVA_HOME)");
}

void RemoveFile(const std::filesystem::path& p) {
  std::error_code ec;
  std::filesystem::remove(p, ec);
}

}  // namespace

Status ProbeBroker(const std::string& bootstrap, milliseconds timeout,
                   const std::string& cluster_id) {
  LS_ASSIGN_OR_RETURN(kafka::ClientConfig config, kafka::ClientConfig::Load("", {}));
  config.Force("bootstrap.servers", bootstrap);
  // A fresh client per probe: no reconnect backoff carries over from a refused connection.
  LS_ASSIGN_OR_RETURN(kafka::ConfPtr conf, config.Build());
  // While the broker starts, every probe is refused; that is expected, not worth printing.
  rd_kafka_conf_set_log_cb(conf.get(), [](const rd_kafka_t*, int, const char*, const char*) {});
  LS_ASSIGN_OR_RETURN(kafka::HandlePtr handle,
                      kafka::CreateHandle(RD_KAFKA_PRODUCER, std::move(conf)));
  const int timeout_ms = static_cast<int>(std::max<int64_t>(1, timeout.count()));
  LS_RETURN_NOT_OK(kafka::WaitForBroker(handle.get(), bootstrap, timeout_ms));
  if (cluster_id.empty()) return Status::Ok();
  // The metadata just fetched carries the cluster id: no second wait.
  std::unique_ptr<char, void (*)(void*)> answered(rd_kafka_clusterid(handle.get(), timeout_ms),
                                                  [](void* p) { rd_kafka_mem_free(nullptr, p); });
  if (answered == nullptr || cluster_id != answered.get()) {
    return Status::FailedPrecondition(
        fmt::format("the broker answering at {} is another one (cluster id {}, not {})", bootstrap,
                    answered == nullptr ? "unknown" : answered.get(), cluster_id));
  }
  return Status::Ok();
}

Result<LocalBroker> LocalBroker::Make(const std::filesystem::path& dir, const BrokerEnv& env) {
  LS_ASSIGN_OR_RETURN(std::filesystem::path kafka_home, ResolveKafkaHome(env));
  return LocalBroker(BrokerPaths{dir}, std::move(kafka_home), JavaCommand(env));
}

namespace {

// The broker's command line contains this; a pid running anything else is not our broker.
std::string BrokerMarker(const BrokerPaths& paths) {
  return fmt::format("kafka.Kafka {}", paths.ServerProperties().string());
}

// The cluster id the storage was formatted with (data/meta.properties); empty if unknown.
// Only a broker answering with it is this folder's: another one may answer at the same
// address while ours cannot bind it (a host name, which CheckPortFree does not resolve, or
// two starts on one port at once).
std::string FormattedClusterId(const BrokerPaths& paths) {
  Result<std::string> text = ReadWholeFile(paths.MetaProperties().string());
  if (!text.ok()) return "";
  Result<std::vector<Property>> props = ParseProperties(*text, "meta.properties");
  if (!props.ok()) return "";
  for (const Property& p : *props) {
    if (p.key == "cluster.id") return p.value;
  }
  return "";
}

std::string RecordedBootstrap(const BrokerPaths& paths) {
  Result<std::string> text = ReadWholeFile(paths.ServerProperties().string());
  if (!text.ok()) return "";
  Result<std::string> bootstrap = BootstrapFromServerProperties(*text);
  return bootstrap.ok() ? *bootstrap : "";
}

}  // namespace

pid_t LocalBroker::ReadPid() const {
  std::ifstream in(paths_.PidFile());
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return 0;
  return static_cast<pid_t>(pid);
}

Status LocalBroker::CheckInstallation() const {
  const std::filesystem::path libs = kafka_home_ / "libs";
  std::error_code ec;
  bool found = false;
  for (const auto& entry : std::filesystem::directory_iterator(libs, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("kafka_2.13-") && name.ends_with(".jar")) found = true;
  }
  if (!found) {
    return Status::FailedPrecondition(
        fmt::format("the Kafka broker jars are not in {} (no kafka_2.13-*.jar there): run "
                    "scripts/setup.sh, or set "
                    "LAKESTREAM_KAFKA_HOME to a folder whose libs/ holds them",
                    libs.string()));
  }
  return Status::Ok();
}

Status LocalBroker::FormatStorageIfNeeded(Clock::time_point deadline, bool* formatted) const {
  *formatted = false;
  if (std::filesystem::exists(paths_.MetaProperties())) return Status::Ok();
  const std::filesystem::path libs = kafka_home_ / "libs";
  std::string log;

  std::vector<std::string> uuid_argv = ToolJvmArgs(java_, paths_, libs);
  uuid_argv.insert(uuid_argv.end(), {"kafka.tools.StorageTool", "random-uuid"});
  Result<ToolOutput> uuid = RunTool("kafka.tools.StorageTool random-uuid", uuid_argv, deadline);
  LS_RETURN_NOT_OK(WithJavaHint(uuid.status()));
  log += uuid->output;
  const std::string cluster_id = LastNonEmptyLine(uuid->output);
  if (uuid->exit_code != 0 || cluster_id.empty()) {
    LS_RETURN_NOT_OK(WriteFileAtomic(paths_.StorageToolLog(), log));
    return Status::Internal(
        fmt::format("kafka.tools.StorageTool random-uuid failed (exit code {}):\n{}",
                    uuid->exit_code, uuid->output));
  }

  std::vector<std::string> format_argv = ToolJvmArgs(java_, paths_, libs);
  format_argv.insert(format_argv.end(),
                     {"kafka.tools.StorageTool", "format", "--cluster-id", cluster_id, "--config",
                      paths_.ServerProperties().string(), "--ignore-formatted"});
  LS_ASSIGN_OR_RETURN(ToolOutput format,
                      RunTool("kafka.tools.StorageTool format", format_argv, deadline));
  log += format.output;
  LS_RETURN_NOT_OK(WriteFileAtomic(paths_.StorageToolLog(), log));
  if (format.exit_code != 0) {
    return Status::Internal(
        fmt::format("kafka.tools.StorageTool format of {} failed (exit code {}):\n{}",
                    paths_.DataDir().string(), format.exit_code, format.output));
  }
  *formatted = true;
  return Status::Ok();
}

LocalBroker::LogMark LocalBroker::MarkLogs() const {
  return LogMark{FileSize(paths_.ServerLog()), FileSize(paths_.ConsoleLog())};
}

std::string LocalBroker::LogTail(const LogMark& mark) const {
  std::string out;
  // The JVM's own output first: when it has any, it is the reason (no class, no memory).
  std::string console = TailFile(paths_.ConsoleLog(), kLogTailLines / 3, mark.console_log);
  if (!console.empty())
    out += fmt::format("--- last lines of {} ---\n{}", paths_.ConsoleLog().string(), console);
  std::string server = TailFile(paths_.ServerLog(), kLogTailLines, mark.server_log);
  if (!server.empty())
    out += fmt::format("--- last lines of {} ---\n{}", paths_.ServerLog().string(), server);
  if (out.empty())
    out = fmt::format("(the broker wrote nothing to {})\n", paths_.LogsDir().string());
  return out;
}

Result<StartOutcome> LocalBroker::Start(const BrokerSettings& requested,
                                        std::chrono::seconds timeout,
                                        const std::function<bool()>& stop) {
  const Clock::time_point t0 = Clock::now();
  const Clock::time_point deadline = t0 + timeout;
  LS_ASSIGN_OR_RETURN(BrokerSettings settings, requested.Validated());
  const std::string marker = BrokerMarker(paths_);

  if (pid_t running = ReadPid(); running > 0 && IsProcessAlive(running, marker)) {
    // Possibly another `start` still waiting for it: give it as long as we would give ours.
    std::string bootstrap = RecordedBootstrap(paths_);
    if (bootstrap.empty()) bootstrap = settings.Bootstrap();
    for (;;) {
      if (ProbeBroker(bootstrap,
                      std::min(kProbeInterval, std::max(Left(deadline), milliseconds(1))),
                      FormattedClusterId(paths_))
              .ok()) {
        return StartOutcome{running, bootstrap, /*already_running=*/true, /*formatted=*/false,
                            Since(t0)};
      }
      if (!IsProcessAlive(running, marker)) break;
      if (stop && stop()) {
        return Status::Unavailable(fmt::format(
            "interrupted while waiting for the broker running as pid {} to answer (it runs on; "
            "`lakestream broker status --dir {}` shows it)",
            running, paths_.dir.string()));
      }
      if (Clock::now() >= deadline) {
        return Status::Unavailable(
            fmt::format("a broker from {} is running as pid {} but did not answer at {} within {} "
                        "s; stop it with "
                        "`lakestream broker stop --dir {}`\n{}",
                        paths_.dir.string(), running, bootstrap, timeout.count(),
                        paths_.dir.string(), LogTail(LogMark{})));
      }
    }
  }
  RemoveFile(paths_.PidFile());  // stale: its process is gone

  LS_RETURN_NOT_OK(CheckInstallation());
  for (const auto& d : {paths_.dir, paths_.DataDir(), paths_.LogsDir()}) {
    std::error_code ec;
    std::filesystem::create_directories(d, ec);
    if (ec)
      return Status::IoError(
          fmt::format("cannot create folder '{}': {}", d.string(), ec.message()));
  }
  LS_RETURN_NOT_OK(CheckPortFree(settings.host, settings.port));
  LS_RETURN_NOT_OK(CheckPortFree("127.0.0.1", settings.controller_port));
  LS_RETURN_NOT_OK(
      WriteFileAtomic(paths_.ServerProperties(), RenderServerProperties(settings, paths_)));
  LS_RETURN_NOT_OK(WriteFileAtomic(paths_.Log4jConfig(), RenderLog4j2Config()));

  StartOutcome outcome;
  outcome.bootstrap = settings.Bootstrap();
  LS_RETURN_NOT_OK(FormatStorageIfNeeded(deadline, &outcome.formatted));

  std::vector<std::string> argv = BrokerJvmArgs(java_, paths_, kafka_home_ / "libs");
  argv.insert(argv.end(), {"kafka.Kafka", paths_.ServerProperties().string()});
  const std::string cluster_id = FormattedClusterId(paths_);
  const LogMark mark = MarkLogs();
  Result<pid_t> spawned = SpawnDetached(argv, paths_.ConsoleLog());
  LS_RETURN_NOT_OK(WithJavaHint(spawned.status()));
  const pid_t pid = *spawned;
  outcome.pid = pid;
  // Written before waiting, so that `stop` can end a broker whose start is still waiting.
  LS_RETURN_NOT_OK(WriteFileAtomic(paths_.PidFile(), fmt::format("{}\n", pid)));

  // The timeout bounds the whole start: its end is kept for stopping a broker that did not
  // answer, which then gets SIGTERM until the deadline and SIGKILL at it.
  const milliseconds stop_share = std::min(kMaxStopShare, milliseconds(timeout) / 4);
  const Clock::time_point answer_deadline = deadline - stop_share;
  bool interrupted = false;
  for (;;) {
    if (std::optional<std::string> how = ReapIfExited(pid)) {
      RemoveFile(paths_.PidFile());
      const std::string tail = LogTail(mark);
      return Status::FailedPrecondition(fmt::format("the broker exited during start-up ({}){}\n{}",
                                                    *how, HintFromLog(tail, settings, paths_),
                                                    tail));
    }
    if (ProbeBroker(outcome.bootstrap,
                    std::min(kProbeInterval, std::max(Left(answer_deadline), milliseconds(1))),
                    cluster_id)
            .ok()) {
      outcome.took = Since(t0);
      return outcome;
    }
    if (Clock::now() >= answer_deadline) break;
    if (stop && stop()) {
      interrupted = true;
      break;
    }
  }

  // Not answering in time, or interrupted: leave nothing half-started behind.
  ::kill(pid, SIGTERM);
  if (!WaitForExit(pid, marker, interrupted ? std::min(deadline, Clock::now() + stop_share) : deadline)) {
    ::kill(pid, SIGKILL);
    WaitForExit(pid, marker, Clock::now() + kKillGrace);
  }
  ReapIfExited(pid);
  RemoveFile(paths_.PidFile());
  if (interrupted) {
    return Status::Unavailable(fmt::format(
        "interrupted while the broker started: it was stopped, nothing of it runs (start it again "
        "with `lakestream broker start --dir {}`)",
        paths_.dir.string()));
  }
  const std::string tail = LogTail(mark);
  return Status::Unavailable(fmt::format(
      "the broker did not answer at {} within {:g} s and was stopped{} (--timeout {} includes "
      "the time to stop it; a slow machine may need a longer --timeout)\n{}",
      outcome.bootstrap, std::chrono::duration<double>(timeout - stop_share).count(),
      HintFromLog(tail, settings, paths_), timeout.count(), tail));
}

Result<StopOutcome> LocalBroker::Stop(std::chrono::seconds timeout) {
  StopOutcome outcome;
  const std::string marker = BrokerMarker(paths_);
  const pid_t pid = ReadPid();
  if (pid <= 0 || !IsProcessAlive(pid, marker)) {
    RemoveFile(paths_.PidFile());
    return outcome;
  }
  outcome.pid = pid;
  outcome.was_running = true;
  if (::kill(pid, SIGTERM) != 0 && errno != ESRCH) {
    return Status::FromErrno(errno, "send SIGTERM to the broker, pid", std::to_string(pid));
  }
  if (!WaitForExit(pid, marker, Clock::now() + timeout)) {
    outcome.killed = true;
    ::kill(pid, SIGKILL);
    if (!WaitForExit(pid, marker, Clock::now() + kKillGrace)) {
      return Status::Internal(
          fmt::format("the broker (pid {}) is still running after SIGKILL", pid));
    }
  }
  RemoveFile(paths_.PidFile());
  return outcome;
}

BrokerStatus LocalBroker::Query(milliseconds probe_timeout) const {
  BrokerStatus status;
  status.bootstrap = RecordedBootstrap(paths_);
  const pid_t pid = ReadPid();
  if (pid <= 0 || !IsProcessAlive(pid, BrokerMarker(paths_))) return status;
  status.running = true;
  status.pid = pid;
  status.answering =
      !status.bootstrap.empty() &&
      ProbeBroker(status.bootstrap, probe_timeout, FormattedClusterId(paths_)).ok();
  return status;
}

}  // namespace lakestream::broker
