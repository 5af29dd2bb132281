// `lakestream broker start|stop|status`: a local single-node Kafka broker (KRaft).
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include "app/cli_util.h"
#include "app/commands.h"
#include "broker/local_broker.h"

namespace lakestream::app {
namespace {

// Exit codes of `broker status`, documented in its footer.
constexpr int kStatusNotRunning = 3;
constexpr int kStatusNotAnswering = 4;

struct BrokerArgs {
  std::string dir;
  std::string host = "127.0.0.1";
  uint16_t port = broker::kDefaultPort;
  uint16_t controller_port = 0;
  int start_timeout_s = broker::kDefaultStartTimeoutS;
  int stop_timeout_s = broker::kDefaultStopTimeoutS;
  bool address_given = false;  // start: --port or --host on the command line
};

Result<broker::LocalBroker> OpenBroker(const BrokerArgs& args) {
  const broker::BrokerEnv env = broker::BrokerEnv::FromProcess();
  LS_ASSIGN_OR_RETURN(std::filesystem::path dir, broker::ResolveBrokerDir(args.dir, env));
  return broker::LocalBroker::Make(dir, env);
}

void PrintDetails(const broker::LocalBroker& b, const std::string& bootstrap, pid_t pid) {
  std::printf("  bootstrap  %s\n  pid        %d\n  folder     %s\n  log        %s\n",
              bootstrap.c_str(), static_cast<int>(pid), b.paths().dir.c_str(),
              b.paths().ServerLog().c_str());
}

void RunStart(const BrokerArgs& args) {
  Result<broker::LocalBroker> b = OpenBroker(args);
  if (!b.ok()) return Fail(b.status());
  broker::BrokerSettings settings;
  settings.host = args.host;
  settings.port = args.port;
  settings.controller_port = args.controller_port;
  // Ctrl-C stops a broker still starting (it runs in its own session, out of the signal's reach).
  InstallStopHandler();
  Result<broker::StartOutcome> started =
      b->Start(settings, std::chrono::seconds(args.start_timeout_s), StopRequested);
  if (!started.ok()) return Fail(started.status(), StopRequested() ? 130 : ExitCodeFor(started.status()));
  if (started->already_running) {
    // As the broker records it: 0.0.0.0 is reached at 127.0.0.1, an IPv6 host in brackets.
    const std::string asked = settings.Bootstrap();
    if (args.address_given && started->bootstrap != asked) {
      // A script that goes on with the address it asked for would fail later, further away.
      return Fail(Status::InvalidArgument(fmt::format(
                      "the broker in {} already runs at {}, not at {}: stop it first (`lakestream broker stop "
                      "--dir {}`) or give another --dir",
                      b->paths().dir.string(), started->bootstrap, asked, b->paths().dir.string())),
                  2);
    }
    std::printf("Kafka broker already running\n");
  } else {
    std::printf("Kafka broker started in %.1f s%s\n",
                static_cast<double>(started->took.count()) / 1000.0,
                started->formatted ? " (new storage formatted)" : "");
  }
  PrintDetails(*b, started->bootstrap, started->pid);
  std::fflush(stdout);
}

void RunStop(const BrokerArgs& args) {
  Result<broker::LocalBroker> b = OpenBroker(args);
  if (!b.ok()) return Fail(b.status());
  const auto t0 = std::chrono::steady_clock::now();
  Result<broker::StopOutcome> stopped = b->Stop(std::chrono::seconds(args.stop_timeout_s));
  if (!stopped.ok()) return Fail(stopped.status());
  if (!stopped->was_running) {
    std::printf("no Kafka broker running in %s\n", b->paths().dir.c_str());
    return;
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "Kafka broker stopped (pid %d) in %.1f s%s\n", static_cast<int>(stopped->pid), took,
      stopped->killed
          ? fmt::format(": it ignored SIGTERM for {} s and was killed", args.stop_timeout_s).c_str()
          : "");
}

void RunStatus(const BrokerArgs& args) {
  Result<broker::LocalBroker> b = OpenBroker(args);
  if (!b.ok()) return Fail(b.status());
  const broker::BrokerStatus s = b->Query(std::chrono::milliseconds(3000));
  const std::string bootstrap = s.bootstrap.empty() ? "-" : s.bootstrap;
  if (!s.running) {
    std::printf("not running\n  bootstrap  %s (when started)\n  folder     %s\n  log        %s\n",
                bootstrap.c_str(), b->paths().dir.c_str(), b->paths().ServerLog().c_str());
    ExitCode() = kStatusNotRunning;
    return;
  }
  std::printf("%s\n",
              s.answering ? "running" : "running, but not answering (starting, stopping or stuck)");
  PrintDetails(*b, bootstrap, s.pid);
  if (!s.answering) ExitCode() = kStatusNotAnswering;
}

void AddDirOption(CLI::App* cmd, BrokerArgs* args) {
  cmd->add_option("--dir", args->dir,
                  "Broker folder (server.properties, data/, logs/, broker.pid); default "
                  "$LAKESTREAM_BROKER_DIR, "
                  "else ${XDG_STATE_HOME:-~/.local/state}/lakestream/broker");
}

}  // namespace

void AddBrokerCommand(CLI::App& root) {
  auto args = std::make_shared<BrokerArgs>();
  CLI::App* cmd = root.add_subcommand(
      "broker", "Run a local single-node Apache Kafka broker (KRaft) for development and tests");
  cmd->require_subcommand(1);
  cmd->footer(
      "The broker runs from the Kafka jars that scripts/setup.sh installed "
      "($LAKESTREAM_KAFKA_HOME/libs)\n"
      "and listens on 127.0.0.1 only, unless --host says otherwise.\n"
      "Examples:\n"
      "  lakestream broker start\n"
      "  lakestream broker status\n"
      "  lakestream broker stop");

  CLI::App* start = cmd->add_subcommand(
      "start",
      "Start the broker in the background and wait until it answers (exits 0 if already running)");
  AddDirOption(start, args.get());
  start->add_option("--port", args->port, "PLAINTEXT listener port for clients")
      ->transform(WholeNumber(1, 65535))
      ->capture_default_str();
  start
      ->add_option("--controller-port", args->controller_port,
                   "KRaft controller port (default: --port + 1)")
      ->transform(WholeNumber(1, 65535));
  start
      ->add_option("--host", args->host,
                   "Address the client listener binds to; 0.0.0.0 exposes an unauthenticated "
                   "broker to the network")
      ->capture_default_str();
  start
      ->add_option("--timeout", args->start_timeout_s,
                   "Seconds the start may take in all: a broker that has not answered when a "
                   "quarter of them (at most 10) is left is stopped in that time")
      ->transform(WholeNumber(1, INT32_MAX))
      ->capture_default_str();
  start->footer(
      "Examples:\n"
      "  lakestream broker start                              # 127.0.0.1:9092, "
      "~/.local/state/lakestream/broker\n"
      "  lakestream broker start --dir /tmp/kafka --port 39092\n"
      "The first start in a folder formats its storage. On failure the end of the broker's log is "
      "printed; on failure or Ctrl-C (exit 130) the broker is not left running.");
  start->callback([args, start] {
    args->address_given = start->count("--port") > 0 || start->count("--host") > 0;
    RunStart(*args);
  });

  CLI::App* stop = cmd->add_subcommand(
      "stop",
      "Stop the broker: SIGTERM (controlled shutdown), then SIGKILL after --timeout (idempotent)");
  AddDirOption(stop, args.get());
  stop->add_option("--timeout", args->stop_timeout_s,
                   "Seconds to wait for a clean shutdown before SIGKILL")
      ->transform(WholeNumber(1, INT32_MAX))
      ->capture_default_str();
  stop->footer(
      "Examples:\n"
      "  lakestream broker stop\n"
      "  lakestream broker stop --dir /tmp/kafka");
  stop->callback([args] { RunStop(*args); });

  CLI::App* status = cmd->add_subcommand(
      "status", "Show whether the broker runs and answers, its pid, address and log");
  AddDirOption(status, args.get());
  status->footer(
      "Exit status: 0 running and answering, 3 not running, 4 running but not answering.\n"
      "Examples:\n"
      "  lakestream broker status\n"
      "  lakestream broker status --dir /tmp/kafka || lakestream broker start --dir /tmp/kafka");
  status->callback([args] { RunStatus(*args); });
}

}  // namespace lakestream::app
