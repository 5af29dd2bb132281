// Durable file-system steps for the lake's commit protocol (POSIX).
//
// Every function returns an IoError whose message names the operation and the path,
// e.g. "cannot rename '/lake/t/.x.tmp' to '/lake/t/x': No space left on device".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "formats/text_file.h"  // ReadWholeFile

namespace lakestream::lake {

// fsync()s a regular file so that its bytes survive a power loss.
Status FsyncFile(const std::string& path);
// Starts writing a file's dirty pages to disk without waiting (Linux sync_file_range;
// elsewhere a no-op), so that a later FsyncFile finds the I/O done or under way. Only a
// hint: not a durability step, and failures are ignored (the fsync reports real ones).
void StartWriteback(const std::string& path);
// fsync()s a folder so that entries created, renamed or removed in it survive a power loss.
Status FsyncDir(const std::string& path);
// Creates `path` and any missing parents; fsyncs the parent of each folder it creates.
// Thread-safe: calls in one process are serialized, so a folder found is a durable one.
Status MakeDirsDurable(const std::string& path);
// rename(2): atomic replacement of `to` within one file system.
Status RenameFile(const std::string& from, const std::string& to);
// link(2): a second name for the file at `from`, created only if `to` does not exist (the
// check and the creation are one atomic step). kExists: `to` exists (left as it is);
// kUnsupported: the file system has no hard links (some FUSE mounts of object stores).
enum class LinkOutcome { kLinked, kExists, kUnsupported };
Result<LinkOutcome> LinkFile(const std::string& from, const std::string& to);
// Removes a file; a missing file is not an error.
Status RemoveFileIfExists(const std::string& path);
// Writes `data` to a new file (truncating), fsyncs it and closes it.
Status WriteFileDurable(const std::string& path, std::string_view data);
// Reading a whole file: ReadWholeFile (formats/text_file.h).
bool PathExists(const std::string& path);
// Names (not paths) of the entries of a folder, sorted; NotFound if it does not exist.
Result<std::vector<std::string>> ListDir(const std::string& path);
// The folder part of a path ("a/b/c" -> "a/b").
std::string ParentDir(const std::string& path);

}  // namespace lakestream::lake
