#include "lake/fs_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <mutex>

namespace lakestream::lake {
namespace {

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and reports the error (close can report a deferred write error).
  int Close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

Status FsyncPath(const std::string& path, int flags, std::string_view what) {
  Fd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (fd.get() < 0)
    return Status::FromErrno(errno, std::string("open for ") + std::string(what), path);
  if (::fsync(fd.get()) != 0) return Status::FromErrno(errno, what, path);
  if (fd.Close() != 0) return Status::FromErrno(errno, "close", path);
  return Status::Ok();
}

}  // namespace

Status FsyncFile(const std::string& path) { return FsyncPath(path, O_RDONLY, "fsync file"); }

void StartWriteback(const std::string& path) {
#ifdef __linux__
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() >= 0) (void)::sync_file_range(fd.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
#else
  (void)path;
#endif
}

Status FsyncDir(const std::string& path) {
  return FsyncPath(path.empty() ? "." : path, O_RDONLY | O_DIRECTORY, "fsync folder");
}

std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

namespace {

Status MakeDirsDurableLocked(const std::string& path) {
  if (path.empty() || path == "." || path == "/") return Status::Ok();
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::Ok();
    return Status::IoError("cannot create folder '" + path + "': a file with that name exists");
  }
  LS_RETURN_NOT_OK(MakeDirsDurableLocked(ParentDir(path)));
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::FromErrno(errno, "create folder", path);
  }
  return FsyncDir(ParentDir(path));
}

}  // namespace

Status MakeDirsDurable(const std::string& path) {
  // One call at a time in a process: commits of different partitions run on different
  // threads, and one that found a folder another had just created (the stat above) must
  // not go on before that folder's entry was fsynced.
  static std::mutex mu;
  std::lock_guard lock(mu);
  return MakeDirsDurableLocked(path);
}

Status RenameFile(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return Status::FromErrno(errno, "rename", from + "' to '" + to);
  }
  return Status::Ok();
}

Result<LinkOutcome> LinkFile(const std::string& from, const std::string& to) {
  if (::link(from.c_str(), to.c_str()) == 0) return LinkOutcome::kLinked;
  switch (errno) {
    case EEXIST: return LinkOutcome::kExists;
    case EPERM:  // Linux's answer when the file system does not do hard links
    case EOPNOTSUPP:
    case ENOSYS: return LinkOutcome::kUnsupported;
    default: return Status::FromErrno(errno, "link", from + "' to '" + to);
  }
}

Status RemoveFileIfExists(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Status::FromErrno(errno, "remove", path);
  return Status::Ok();
}

Status WriteFileDurable(const std::string& path, std::string_view data) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return Status::FromErrno(errno, "create", path);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "write", path);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return Status::FromErrno(errno, "fsync file", path);
  if (fd.Close() != 0) return Status::FromErrno(errno, "close", path);
  return Status::Ok();
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

Result<std::vector<std::string>> ListDir(const std::string& path) {
  std::unique_ptr<DIR, DirCloser> dir(::opendir(path.c_str()));
  if (!dir) {
    if (errno == ENOENT) return Status::NotFound("folder '" + path + "' does not exist");
    return Status::FromErrno(errno, "list folder", path);
  }
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* e = ::readdir(dir.get())) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
    errno = 0;
  }
  if (errno != 0) return Status::FromErrno(errno, "list folder", path);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace lakestream::lake
