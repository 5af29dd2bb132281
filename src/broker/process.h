// Child processes for the local broker: run a tool to completion, spawn a detached
// daemon, and find out whether a pid from a pid file is still that daemon.
//
// POSIX/Linux only (fork, setsid, /proc, pidfd).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace lakestream::broker {

using Clock = std::chrono::steady_clock;

struct ToolOutput {
  int exit_code = 0;   // 128 + signal number if the tool was killed by a signal
  std::string output;  // stdout and stderr, interleaved as written
};

// Runs argv[0] (looked up on PATH) with stdin from /dev/null and waits for it.
// A tool still running at `deadline` is killed and the result is Unavailable.
// IoError names the program if it cannot be started at all. `name` names the tool in
// messages ("kafka.tools.StorageTool format").
Result<ToolOutput> RunTool(const std::string& name, const std::vector<std::string>& argv,
                           Clock::time_point deadline);

// Starts argv in its own session (setsid, so a terminal's Ctrl-C or hang-up does not reach
// it), stdin from /dev/null, stdout and stderr appended to `console_log`. Returns once the
// program was exec'd; IoError if it could not be. The caller is its parent until it exits,
// so it must reap it with ReapIfExited while it waits on it.
Result<pid_t> SpawnDetached(const std::vector<std::string>& argv,
                            const std::filesystem::path& console_log);

// For a child of this process: reaps it if it has exited and says how ("exit code 1",
// "killed by signal 9"); nullopt while it runs.
std::optional<std::string> ReapIfExited(pid_t pid);

// True if `pid` exists, has not exited (zombies count as exited: an init that does not
// reap must not make a dead broker look alive), and its command line contains `marker`
// (a recycled pid belonging to another program is not ours).
bool IsProcessAlive(pid_t pid, std::string_view marker);

// Waits until `pid` has exited or `deadline` passes; true if it exited. Uses a pidfd
// where the kernel has one, else polls /proc. A child of this process is waited for (and
// reaped) by its exit alone, `marker` unused: until reaped its pid cannot be another
// program's, and just after SpawnDetached or during its own exec its command line is empty.
bool WaitForExit(pid_t pid, std::string_view marker, Clock::time_point deadline);

// The last `max_lines` lines of a text file from byte `from` on; empty if it cannot be read.
std::string TailFile(const std::filesystem::path& path, size_t max_lines, uint64_t from = 0);

// The size of a file, 0 if it does not exist: where a log's new lines will start.
uint64_t FileSize(const std::filesystem::path& path);

// Writes `text` to a temporary file beside `path` and renames it over `path`, so readers
// never see a half-written file.
Status WriteFileAtomic(const std::filesystem::path& path, const std::string& text);

// Whether a TCP listener could bind host:port now (with SO_REUSEADDR, as the JVM does, so
// sockets in TIME_WAIT do not count). `host` is an IPv4 or IPv6 literal.
Status CheckPortFree(const std::string& host, uint16_t port);

}  // namespace lakestream::broker
