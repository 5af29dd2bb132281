#include "lake/layout.h"

#include <cctype>
#include <cstdio>

#include <fmt/format.h>

namespace lakestream::lake {

std::string DatePartitionDir(EventTime t) { return "date=" + FormatIsoDate(t); }

std::string FinalFileName(std::string_view topic, PartitionId partition, uint64_t commit_seq,
                          uint32_t n, std::string_view extension) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "-p%d-%012llu-%04u.", partition.value,
                static_cast<unsigned long long>(commit_seq), n);
  return std::string("part-").append(topic).append(buf).append(extension);
}

std::string TempFileName(std::string_view final_name, std::string_view owner) {
  std::string name = "." + std::string(final_name);
  if (!owner.empty()) name.append(".").append(owner);
  return name + ".tmp";
}

std::string CheckpointTempName(PartitionId partition, std::string_view owner) {
  return TempFileName(std::to_string(partition.value), owner);
}

bool IsCheckpointTempOfPartition(std::string_view name, PartitionId partition) {
  const std::string prefix = "." + std::to_string(partition.value);
  if (!name.starts_with(prefix) || !name.ends_with(".tmp") || name.size() < prefix.size() + 4) return false;
  // Between them: nothing, or "." and an owner tag without dots ("1" vs "12" differ here).
  const std::string_view tag = name.substr(prefix.size(), name.size() - prefix.size() - 4);
  return tag.empty() || (tag.size() > 1 && tag[0] == '.' && tag.find('.', 1) == std::string_view::npos);
}

std::optional<uint64_t> TempFileCommitSeq(std::string_view name, std::string_view topic, PartitionId partition) {
  std::string prefix = ".part-" + std::string(topic) + "-p" + std::to_string(partition.value) + "-";
  if (!name.starts_with(prefix) || !name.ends_with(".tmp")) return std::nullopt;
  // The rest must be "<12 digits>-<4 digits>.": a topic that merely starts like this
  // one ("a" vs "a-p1-...") never matches.
  std::string_view rest = name.substr(prefix.size());
  if (rest.size() < 18) return std::nullopt;
  for (size_t i = 0; i < 17; ++i) {
    bool digit = rest[i] >= '0' && rest[i] <= '9';
    if (i == 12 ? rest[i] != '-' : !digit) return std::nullopt;
  }
  if (rest[17] != '.') return std::nullopt;
  return ParseCommitClaimName(rest.substr(0, 12));
}

bool IsTempFileOfPartition(std::string_view name, std::string_view topic, PartitionId partition) {
  return TempFileCommitSeq(name, topic, partition).has_value();
}

std::string CheckpointPath(std::string_view lake_root, std::string_view topic,
                           PartitionId partition) {
  std::string p(lake_root);
  p.append("/").append(kCheckpointsDir).append("/").append(topic);
  p.append("/").append(std::to_string(partition.value));
  return p;
}

std::string CommitClaimsDir(std::string_view checkpoint_path) {
  return std::string(checkpoint_path) + ".commits";
}

std::string ReprocessAdvice(std::string_view checkpoint_path, std::string_view topic, PartitionId partition) {
  return fmt::format("move the partition's checkpoint ('{}' and '{}/') and its lake files away: part-{}-p{}-* in "
                     "the date= folders of its table, _dead_letters/{} and _late/{}",
                     checkpoint_path, CommitClaimsDir(checkpoint_path), topic, partition.value, topic, topic);
}

std::string CommitClaimName(uint64_t commit_seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%012llu", static_cast<unsigned long long>(commit_seq));
  return buf;
}

std::optional<uint64_t> ParseCommitClaimName(std::string_view name) {
  if (name.size() != 12) return std::nullopt;
  uint64_t seq = 0;
  for (char ch : name) {
    if (ch < '0' || ch > '9') return std::nullopt;
    seq = seq * 10 + static_cast<uint64_t>(ch - '0');
  }
  return seq;
}

Status ValidateRelativeDir(std::string_view dir) {
  if (dir.empty() || dir.front() == '/') {
    return Status::InvalidArgument("lake folder '" + std::string(dir) +
                                   "' must be a non-empty path relative to the lake root");
  }
  size_t start = 0;
  while (start <= dir.size()) {
    size_t end = dir.find('/', start);
    if (end == std::string_view::npos) end = dir.size();
    std::string_view part = dir.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") {
      return Status::InvalidArgument("lake folder '" + std::string(dir) +
                                     "' has an empty, '.' or '..' component");
    }
    start = end + 1;
  }
  return Status::Ok();
}

Result<std::string> LocalLakeRoot(std::string_view root) {
  const size_t sep = root.find("://");
  if (sep == std::string_view::npos) return std::string(root);
  const std::string_view scheme = root.substr(0, sep);
  bool is_scheme = !scheme.empty() && std::isalpha(static_cast<unsigned char>(scheme[0]));
  for (char c : scheme) {
    is_scheme = is_scheme && (std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.');
  }
  if (!is_scheme) return std::string(root);  // a local name that happens to hold "://"
  if (scheme == "file") {
    const std::string_view path = root.substr(sep + 3);
    if (path.empty() || path.front() != '/') {
      return Status::InvalidArgument("lake '" + std::string(root) + "': a file:// URL needs an absolute path (file:///data/lake)");
    }
    return std::string(path);
  }
  return Status::InvalidArgument(
      "lake '" + std::string(root) + "': " + std::string(scheme) +
      ":// URLs are not supported; the lake is a local folder (exactly once rests on fsync and rename there): give a "
      "local path, or a mount of the bucket (s3fs, gcsfuse, blobfuse2), or sync a local lake to it after each commit");
}

}  // namespace lakestream::lake
