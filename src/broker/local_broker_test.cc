// LocalBroker against a stand-in for java: a script, so no JVM or Kafka is needed.
#include "broker/local_broker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace lakestream::broker {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// Two ports nothing listens on now (the kernel's choice of free ephemeral ports).
std::pair<uint16_t, uint16_t> FreePorts() {
  auto one = [](int fd) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    return ntohs(addr.sin_port);
  };
  const int a = ::socket(AF_INET, SOCK_STREAM, 0);
  const int b = ::socket(AF_INET, SOCK_STREAM, 0);
  std::pair<uint16_t, uint16_t> ports{one(a), one(b)};
  ::close(a);
  ::close(b);
  return ports;
}

// A Kafka installation whose `java` is `script` (sh), and a broker folder whose storage is
// formatted already, so that `start` runs the script only as the broker.
struct FakeInstallation {
  std::filesystem::path root;
  BrokerEnv env;
  std::filesystem::path broker_dir;

  explicit FakeInstallation(const std::string& script) {
    root = std::filesystem::temp_directory_path() /
           ("ls_local_broker_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root / "kafka" / "libs");
    std::ofstream(root / "kafka" / "libs" / "kafka_2.13-0.0.0.jar");
    std::filesystem::create_directories(root / "jdk" / "bin");
    std::ofstream(root / "jdk" / "bin" / "java") << "#!/bin/sh\n" << script;
    std::filesystem::permissions(root / "jdk" / "bin" / "java", std::filesystem::perms::owner_all);
    broker_dir = root / "broker";
    std::filesystem::create_directories(broker_dir / "data");
    std::ofstream(broker_dir / "data" / "meta.properties") << "cluster.id=fake\nnode.id=1\n";
    env.kafka_home = (root / "kafka").string();
    env.java_home = (root / "jdk").string();
  }
  ~FakeInstallation() { std::filesystem::remove_all(root); }

  // Where a script that runs `echo $$ > "$(dirname "$0")/pid"` writes its pid.
  std::filesystem::path PidPath() const { return root / "jdk" / "bin" / "pid"; }

  // After a failed start: no pid file, and the script (which wrote its pid) reaped.
  void ExpectNothingLeftRunning(const LocalBroker& broker) const {
    EXPECT_FALSE(std::filesystem::exists(broker.paths().PidFile()));
    std::ifstream pid_file(PidPath());
    pid_t pid = 0;
    ASSERT_TRUE(pid_file >> pid);
    EXPECT_NE(::kill(pid, 0), 0) << "the fake broker still runs";  // Start reaped its child
  }
};

// A broker of `fake`'s on two free ports.
LocalBroker MakeBroker(const FakeInstallation& fake, BrokerSettings* settings) {
  Result<LocalBroker> broker = LocalBroker::Make(fake.broker_dir, fake.env);
  EXPECT_TRUE(broker.ok()) << broker.status().ToString();
  std::tie(settings->port, settings->controller_port) = FreePorts();
  return std::move(*broker);
}

// --timeout bounds the whole start, the stop of a broker that did not answer included: one
// that ignored SIGTERM held the start 10 s past it (and up to 20 s in all) before SIGKILL.
TEST(LocalBroker, ATimeoutBoundsTheStartOfABrokerThatNeverAnswersAndIgnoresSigterm) {
  FakeInstallation fake("trap '' TERM\necho $$ > \"$(dirname \"$0\")/pid\"\nexec sleep 60\n");
  BrokerSettings settings;
  LocalBroker broker = MakeBroker(fake, &settings);

  const auto t0 = Clock::now();
  Result<StartOutcome> started = broker.Start(settings, 3s);
  const auto took = Clock::now() - t0;

  EXPECT_EQ(started.status().code(), StatusCode::kUnavailable) << started.status().ToString();
  // Its last quarter is kept for the stop.
  EXPECT_THAT(
      started.status().message(),
      HasSubstr("did not answer at 127.0.0.1:" + std::to_string(settings.port) +
                " within 2.25 s and was stopped (--timeout 3 includes the time to stop it"));
  EXPECT_LT(took, 3s + 500ms);
  fake.ExpectNothingLeftRunning(broker);
}

// Ctrl-C while the broker starts stops it: the broker runs in its own session, so the
// signal that ended `lakestream` left it running, never answering, with its heap (found by
// review: SIGINT to `broker start` a second after it began).
TEST(LocalBroker, AStopRequestWhileItStartsStopsTheBroker) {
  FakeInstallation fake("echo $$ > \"$(dirname \"$0\")/pid\"\nexec sleep 60\n");
  BrokerSettings settings;
  LocalBroker broker = MakeBroker(fake, &settings);
  // Asked once the broker runs (it wrote its pid).
  auto stop = [&] { return std::filesystem::exists(fake.PidPath()); };

  const auto t0 = Clock::now();
  Result<StartOutcome> started = broker.Start(settings, 60s, stop);
  const auto took = Clock::now() - t0;

  EXPECT_EQ(started.status().code(), StatusCode::kUnavailable) << started.status().ToString();
  EXPECT_THAT(started.status().message(),
              HasSubstr("interrupted while the broker started: it was stopped, nothing of it runs"));
  EXPECT_LT(took, 5s);
  fake.ExpectNothingLeftRunning(broker);
}

// A data folder Kafka cannot write (no permission, a full disk) ends the broker with lines of
// INFO after its errors (or none of them: its halt may lose them): the reason is named first.
TEST(LocalBroker, AnUnusableDataFolderIsNamedAsTheReason) {
  FakeInstallation fake(
      "echo '[2026-01-01 00:00:00,000] ERROR Shutdown broker because all log dirs in /x have "
      "failed (kafka.log.LogManager)'\nexit 1\n");
  BrokerSettings settings;
  LocalBroker broker = MakeBroker(fake, &settings);

  Result<StartOutcome> started = broker.Start(settings, 30s);

  EXPECT_EQ(started.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(started.status().message(),
              HasSubstr("the broker exited during start-up (exit code 1) (it cannot use its data "
                        "folder " +
                        broker.paths().DataDir().string() + ": the ERROR lines of " +
                        broker.paths().ServerLog().string() +
                        " say why, such as no permission to write it or a full disk)\n"));
}

}  // namespace
}  // namespace lakestream::broker
