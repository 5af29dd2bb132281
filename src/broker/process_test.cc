#include "broker/process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <thread>
#include <iterator>
#include <chrono>

namespace lakestream::broker {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::filesystem::path TempDir() {
  auto dir =
      std::filesystem::temp_directory_path() / ("ls_process_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(RunTool, CapturesOutputAndExitCode) {
  Result<ToolOutput> out =
      RunTool("sh", {"sh", "-c", "echo hello; echo oops >&2; exit 3"}, Clock::now() + 10s);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->exit_code, 3);
  EXPECT_THAT(out->output, HasSubstr("hello"));
  EXPECT_THAT(out->output, HasSubstr("oops"));
}

TEST(RunTool, MissingProgramNamesIt) {
  Result<ToolOutput> out = RunTool("nothing", {"lakestream-no-such-program"}, Clock::now() + 10s);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("lakestream-no-such-program"));
}

TEST(RunTool, KillsAToolPastItsDeadline) {
  const auto t0 = Clock::now();
  Result<ToolOutput> out = RunTool("sleep", {"sleep", "30"}, Clock::now() + 200ms);
  EXPECT_EQ(out.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(out.status().message(), HasSubstr("sleep did not finish in time"));
  EXPECT_LT(Clock::now() - t0, 10s);
}

TEST(SpawnDetached, RunsInItsOwnSessionAndIsReaped) {
  const auto log = TempDir() / "spawn.out";
  Result<pid_t> pid = SpawnDetached({"sh", "-c", "echo started; exec sleep 30"}, log);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  EXPECT_EQ(::getsid(*pid), *pid);
  EXPECT_FALSE(ReapIfExited(*pid).has_value());
  ::kill(*pid, SIGTERM);
  // Our own child turns into a zombie until reaped: it must count as exited. (Await the
  // zombie itself: the child may be between `sh` and `sleep`, its command line empty.)
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(*pid), &info, WEXITED | WNOWAIT), 0);
  EXPECT_EQ(info.si_code, CLD_KILLED);
  EXPECT_EQ(info.si_status, SIGTERM);
  EXPECT_FALSE(IsProcessAlive(*pid, ""));
  EXPECT_TRUE(WaitForExit(*pid, "", Clock::now() + 10s));
  EXPECT_EQ(ReapIfExited(*pid), "exited");  // WaitForExit reaped it
  std::filesystem::remove_all(log.parent_path());
}

// A child whose command line does not (yet) show the marker, as one mid-exec shows none,
// is still running: WaitForExit must not call it gone.
TEST(SpawnDetached, WaitForExitWaitsForAChildWhateverItsCommandLine) {
  const auto log = TempDir() / "spawn.out";
  Result<pid_t> pid = SpawnDetached({"sleep", "30"}, log);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  EXPECT_FALSE(WaitForExit(*pid, "not in its command line", Clock::now()));
  ::kill(*pid, SIGKILL);
  EXPECT_TRUE(WaitForExit(*pid, "not in its command line", Clock::now() + 10s));
  EXPECT_EQ(ReapIfExited(*pid), "exited");  // WaitForExit reaped it
  std::filesystem::remove_all(log.parent_path());
}

TEST(IsProcessAlive, ChecksTheCommandLineMarker) {
  EXPECT_TRUE(IsProcessAlive(::getpid(), "broker_test"));
  EXPECT_FALSE(IsProcessAlive(::getpid(), "kafka.Kafka /nowhere/server.properties"));
  EXPECT_FALSE(IsProcessAlive(0, ""));
}

// A process whose main thread has exited while another runs: its /proc stat says zombie,
// yet it is alive (a JVM shutting down holds its ports until its last thread ends).
TEST(IsProcessAlive, AZombieMainThreadWithLiveThreadsIsAlive) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::thread([] { ::pause(); }).detach();
    ::close(ready[0]);
    (void)::write(ready[1], "x", 1);
    ::syscall(SYS_exit, 0);  // this thread only (no unwinding into the test framework)
  }
  ::close(ready[1]);
  char byte;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ::close(ready[0]);
  // Await the main thread's exit (its state turns Z).
  std::string state;
  for (int i = 0; i < 2000 && state != "Z"; ++i) {
    std::ifstream in("/proc/" + std::to_string(child) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t close = stat.rfind(')');
    state = close != std::string::npos && close + 2 < stat.size() ? stat.substr(close + 2, 1) : "";
    if (state != "Z") std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(state, "Z");
  EXPECT_TRUE(IsProcessAlive(child, "broker_test"));
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_FALSE(IsProcessAlive(child, "broker_test"));
}

TEST(TailFile, KeepsTheLastLines) {
  const auto path = TempDir() / "tail.txt";
  {
    std::ofstream out(path);
    for (int i = 1; i <= 100; ++i) out << "line " << i << "\n";
  }
  EXPECT_EQ(TailFile(path, 2), "line 99\nline 100\n");
  EXPECT_EQ(TailFile(path.string() + ".missing", 2), "");
  const uint64_t size = FileSize(path);
  {
    std::ofstream out(path, std::ios::app);
    out << "new 1\nnew 2\n";
  }
  EXPECT_EQ(TailFile(path, 30, size), "new 1\nnew 2\n");
  EXPECT_EQ(FileSize(path.string() + ".missing"), 0u);
  std::filesystem::remove_all(path.parent_path());
}

TEST(CheckPortFree, ReportsAListenerOnThePort) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const uint16_t port = ntohs(addr.sin_port);
  Status st = CheckPortFree("127.0.0.1", port);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(st.message(), HasSubstr(std::to_string(port)));
  EXPECT_THAT(st.message(), HasSubstr("in use"));
  ::close(fd);
  EXPECT_TRUE(CheckPortFree("127.0.0.1", port).ok());
}

}  // namespace
}  // namespace lakestream::broker
