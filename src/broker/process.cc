#include "broker/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace lakestream::broker {

namespace {

// Owns one file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    Reset(std::exchange(o.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(-1); }
  int Get() const { return fd_; }
  void Reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

int MillisUntil(Clock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return fmt::format("exit code {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return "stopped";
}

// Forks and execs argv. In the child, `setup` redirects descriptors; an exec failure is
// reported through a close-on-exec pipe, so the parent learns of it before returning
// (the pipe reads EOF exactly when exec succeeded).
template <typename Setup>
Result<pid_t> ForkExec(const std::vector<std::string>& argv, Setup setup) {
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);

  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0)
    return Status::FromErrno(errno, "create a pipe for", argv[0]);
  Fd err_read(err_pipe[0]);
  Fd err_write(err_pipe[1]);

  pid_t pid = ::fork();
  if (pid < 0) return Status::FromErrno(errno, "fork to run", argv[0]);
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    setup();
    ::execvp(cargv[0], cargv.data());
    int e = errno;
    ssize_t ignored = ::write(err_write.Get(), &e, sizeof e);
    (void)ignored;
    ::_exit(127);
  }
  err_write.Reset(-1);
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(err_read.Get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n == sizeof child_errno) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return Status::FromErrno(child_errno, "run", argv[0]);
  }
  return pid;
}

void RedirectStdinFromDevNull() {
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) {
    ::dup2(devnull, STDIN_FILENO);
    if (devnull != STDIN_FILENO) ::close(devnull);
  }
}

bool ReadProcFile(pid_t pid, const char* name, std::string* out) {
  std::ifstream in(fmt::format("/proc/{}/{}", pid, name), std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

}  // namespace

Result<ToolOutput> RunTool(const std::string& name, const std::vector<std::string>& argv,
                           Clock::time_point deadline) {
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    return Status::FromErrno(errno, "create a pipe for", argv[0]);
  Fd out_read(out_pipe[0]);
  Fd out_write(out_pipe[1]);
  const int child_out = out_write.Get();
  LS_ASSIGN_OR_RETURN(pid_t pid, ForkExec(argv, [child_out] {
                        RedirectStdinFromDevNull();
                        ::dup2(child_out, STDOUT_FILENO);
                        ::dup2(child_out, STDERR_FILENO);
                      }));
  out_write.Reset(-1);

  ToolOutput result;
  char buf[4096];
  bool timed_out = false;
  for (;;) {
    pollfd pfd{out_read.Get(), POLLIN, 0};
    int ready = ::poll(&pfd, 1, MillisUntil(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      timed_out = true;
      break;
    }
    ssize_t n = ::read(out_read.Get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the tool closed its output, it is exiting
    result.output.append(buf, static_cast<size_t>(n));
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return Status::Unavailable(fmt::format(
        "{} did not finish in time and was killed; its output:\n{}", name, result.output));
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  return result;
}

Result<pid_t> SpawnDetached(const std::vector<std::string>& argv,
                            const std::filesystem::path& console_log) {
  Fd log(::open(console_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (log.Get() < 0) return Status::FromErrno(errno, "open", console_log.string());
  const int log_fd = log.Get();
  return ForkExec(argv, [log_fd] {
    ::setsid();
    RedirectStdinFromDevNull();
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
  });
}

std::optional<std::string> ReapIfExited(pid_t pid) {
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return std::nullopt;
  if (r < 0) return std::string("exited");  // not our child (any more): someone reaped it
  return DescribeWaitStatus(status);
}

bool IsProcessAlive(pid_t pid, std::string_view marker) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  // A thread's state: "pid (comm) S ...", comm may contain spaces and parentheses, the state
  // follows the last ')'.
  auto running = [](const std::string& stat) {
    size_t close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) return false;
    const char state = stat[close + 2];
    return state != 'Z' && state != 'X';
  };
  auto marked = [&](const std::string& cmdline_path) {
    std::ifstream in(cmdline_path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string cmdline = ss.str();
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    return !cmdline.empty() && cmdline.find(marker) != std::string::npos;
  };
  std::string stat;
  if (!ReadProcFile(pid, "stat", &stat)) return false;
  if (running(stat)) return marked(fmt::format("/proc/{}/cmdline", pid));
  // A zombie main thread does not mean a process gone: a JVM's main thread may exit before
  // its others, which still hold the broker's ports (a restart then found them in use). The
  // process lives while any of its threads does.
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid), ec)) {
    std::string task_stat;
    std::ifstream in(task.path() / "stat", std::ios::binary);
    std::getline(in, task_stat);
    if (running(task_stat)) return marked((task.path() / "cmdline").string());
  }
  return false;
}

bool WaitForExit(pid_t pid, std::string_view marker, Clock::time_point deadline) {
  // Our own child keeps its pid until we reap it, so no other program can be behind that pid
  // and its exit is all there is to wait for. Its command line would be no test of that: while
  // it is between two programs (exec has dropped the old one, the new one's arguments are not
  // set up yet) /proc/<pid>/cmdline reads empty and IsProcessAlive calls it gone.
  siginfo_t info{};
  int w;
  do {
    w = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
  } while (w < 0 && errno == EINTR);
  const bool our_child = w == 0;
  auto exited = [&] {
    return our_child ? ReapIfExited(pid).has_value() : !IsProcessAlive(pid, marker);
  };
  // Through syscall(): glibc 2.36's <sys/pidfd.h> lacks extern "C" and does not link from C++.
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd.Get() >= 0) {
    // A pidfd turns readable when the process exits (for non-children too).
    for (;;) {
      if (exited()) return true;
      pollfd pfd{pidfd.Get(), POLLIN, 0};
      int ready = ::poll(&pfd, 1, MillisUntil(deadline));
      if (ready < 0 && errno == EINTR) continue;
      if (ready > 0) {
        ReapIfExited(pid);
        return true;
      }
      return exited();
    }
  }
  while (!exited()) {
    if (Clock::now() >= deadline) return false;
    ReapIfExited(pid);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

std::string TailFile(const std::filesystem::path& path, size_t max_lines, uint64_t from) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(from));
  if (!in) return {};
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(std::move(line));
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out.append(l).append("\n");
  return out;
}

uint64_t FileSize(const std::filesystem::path& path) {
  std::error_code ec;
  uintmax_t size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<uint64_t>(size);
}

Status WriteFileAtomic(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::FromErrno(errno, "create", tmp.string());
    out << text;
    out.flush();
    if (!out) return Status::FromErrno(errno, "write", tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    return Status::IoError(
        fmt::format("cannot rename '{}' to '{}': {}", tmp.string(), path.string(), ec.message()));
  return Status::Ok();
}

Status CheckPortFree(const std::string& host, uint16_t port) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string bare = host;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']')
    bare = bare.substr(1, bare.size() - 2);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (::inet_pton(AF_INET, bare.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof *v4;
  } else if (::inet_pton(AF_INET6, bare.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof *v6;
  } else {
    return Status::Ok();  // a host name: the broker resolves it and reports bind errors itself
  }
  Fd sock(::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (sock.Get() < 0)
    return Status::FromErrno(errno, "create a socket to check port", std::to_string(port));
  int one = 1;
  ::setsockopt(sock.Get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(sock.Get(), reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    int e = errno;
    if (e == EADDRINUSE) {
      return Status::FailedPrecondition(fmt::format(
          "port {} on {} is already in use by another program (is another broker running? pass a "
          "different --port / --controller-port)",
          port, host));
    }
    return Status::FailedPrecondition(fmt::format(
        "cannot bind {}:{}: {} (pass a different --host or --port)", host, port, std::strerror(e)));
  }
  return Status::Ok();
}

}  // namespace lakestream::broker
