#include "lake/checkpoint.h"

#include <fmt/format.h>
#include <xxhash.h>
#include <zlib.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "lake/base64.h"
#include "lake/fs_util.h"
#include "lake/layout.h"

namespace lakestream::lake {
namespace {

constexpr std::string_view kMagic = "lakestream-checkpoint";

uint32_t Crc32(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths; checkpoints are far below 4 GiB but stay correct anyway.
  while (!bytes.empty()) {
    uInt n = static_cast<uInt>(std::min<size_t>(bytes.size(), 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), n);
    bytes.remove_prefix(n);
  }
  return static_cast<uint32_t>(crc);
}

Status Corrupt(const std::string& path, const std::string& what) {
  return Status::DataLoss(
      "checkpoint '" + path + "' is corrupt: " + what +
      ". The partition cannot resume safely: restore the file from a backup, or delete the "
      "partition's checkpoint to reprocess the partition from its earliest offset (which may "
      "duplicate rows already in the lake)");
}

}  // namespace

uint64_t RecordSample::Check() const {
  const uint64_t parts[4] = {static_cast<uint64_t>(timestamp_ms), length, head, tail};
  return XXH3_64bits(parts, sizeof parts);
}

std::string EncodeCheckpoint(const Checkpoint& c) {
  // The body is nlohmann's compact dump of one object, built in three pieces: the keys
  // before state_base64 (`head`), state_base64, the keys after it (`rest`). The state (tens
  // of MB with many open windows) is encoded straight into the text: base64 needs no JSON
  // escaping, and the dump's character-by-character escaping of it was most of a large
  // commit's time.
  nlohmann::ordered_json head;
  head["format_version"] = kCheckpointFormatVersion;
  head["topic"] = c.topic;
  head["partition"] = c.partition.value;
  head["commit_seq"] = c.commit_seq;
  head["next_offset"] = c.next_offset.value;
  nlohmann::ordered_json rest;
  nlohmann::ordered_json pending = nlohmann::ordered_json::array();
  for (const auto& p : c.pending) {
    pending.push_back({{"temp", p.temp}, {"final", p.final}, {"rows", p.rows}});
  }
  rest["pending"] = std::move(pending);
  if (!c.source.empty()) rest["source"] = c.source;
  if (!c.outputs.empty()) rest["outputs"] = c.outputs;
  if (c.last_record) {
    rest["last_record"] = {{"offset", c.last_record->offset}, {"check", fmt::format("{:016x}", c.last_record->check)}};
  }
  std::string text = head.dump();
  text.pop_back();  // '}'
  text += R"(,"state_base64":")";
  AppendBase64(c.state, &text);
  text += R"(",)";
  const std::string tail = rest.dump();  // never empty: "pending" is always there
  text.append(tail, 1);  // without its '{'
  char header[96];
  std::snprintf(header, sizeof header, "%s %d %zu %08x\n", kMagic.data(), kCheckpointFormatVersion,
                text.size(), Crc32(text));
  return std::string(header) + text + "\n";
}

Result<Checkpoint> DecodeCheckpoint(std::string_view bytes, const std::string& path) {
  size_t eol = bytes.find('\n');
  if (eol == std::string_view::npos) return Corrupt(path, "no header line");
  std::string header(bytes.substr(0, eol));
  char magic[32] = {};
  int version = 0;
  unsigned long long length = 0;
  unsigned crc = 0;
  int consumed = 0;
  if (std::sscanf(header.c_str(), "%31s %d %llu %8x%n", magic, &version, &length, &crc,
                  &consumed) != 4 ||
      kMagic != magic || static_cast<size_t>(consumed) != header.size()) {
    return Corrupt(path, "the first line is not 'lakestream-checkpoint <version> <length> <crc32>'");
  }
  if (version != kCheckpointFormatVersion) {
    return Status::DataLoss("checkpoint '" + path + "' has format version " +
                            std::to_string(version) + " but this lakestream reads version " +
                            std::to_string(kCheckpointFormatVersion) +
                            ": run the lakestream version that wrote it (or a newer one)");
  }
  std::string_view body = bytes.substr(eol + 1);
  if (body.size() != length + 1 || body.back() != '\n') {
    return Corrupt(path, "the body has " + std::to_string(body.size()) + " bytes, the header says " +
                             std::to_string(length + 1) + " (a torn or truncated write?)");
  }
  body.remove_suffix(1);
  if (Crc32(body) != crc) return Corrupt(path, "the crc32 of the body does not match the header");

  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Corrupt(path, "the body is not a JSON object");
  try {
    if (j.at("format_version").get<int>() != version) {
      return Corrupt(path, "the body's format_version differs from the header's");
    }
    Checkpoint c;
    c.topic = j.at("topic").get<std::string>();
    c.partition.value = j.at("partition").get<int32_t>();
    c.commit_seq = j.at("commit_seq").get<uint64_t>();
    c.next_offset.value = j.at("next_offset").get<int64_t>();
    auto state = Base64Decode(j.at("state_base64").get<std::string>());
    if (!state) return Corrupt(path, "state_base64 is not valid base64");
    c.state = std::move(*state);
    for (const auto& p : j.at("pending")) {
      PendingFile f{p.at("temp").get<std::string>(), p.at("final").get<std::string>(),
                    p.at("rows").get<uint64_t>()};
      if (!ValidateRelativeDir(f.temp).ok() || !ValidateRelativeDir(f.final).ok()) {
        return Corrupt(path, "pending file path '" + f.temp + "' or '" + f.final +
                                 "' is not relative to the lake root");
      }
      c.pending.push_back(std::move(f));
    }
    if (j.contains("source")) c.source = j.at("source").get<std::string>();
    if (j.contains("outputs")) c.outputs = j.at("outputs").get<std::vector<std::string>>();
    if (j.contains("last_record")) {
      const auto& r = j.at("last_record");
      LastRecord last{r.at("offset").get<int64_t>(), 0};
      const std::string check = r.at("check").get<std::string>();
      const auto [end, ec] = std::from_chars(check.data(), check.data() + check.size(), last.check, 16);
      if (check.size() != 16 || ec != std::errc() || end != check.data() + check.size()) {
        return Corrupt(path, "last_record.check '" + check + "' is not 16 hex digits");
      }
      if (last.offset != c.next_offset.value - 1) {
        return Corrupt(path, "last_record.offset " + std::to_string(last.offset) + " is not next_offset - 1");
      }
      c.last_record = last;
    }
    return c;
  } catch (const nlohmann::json::exception& e) {
    return Corrupt(path, std::string("a field is missing or has the wrong type (") + e.what() + ")");
  }
}

Result<std::optional<Checkpoint>> ReadCheckpoint(const std::string& path, std::string* header) {
  Result<std::string> bytes = ReadWholeFile(path);
  if (!bytes.ok()) {
    if (bytes.status().code() == StatusCode::kNotFound) return std::optional<Checkpoint>();
    return bytes.status();
  }
  LS_ASSIGN_OR_RETURN(Checkpoint c, DecodeCheckpoint(*bytes, path));
  if (header != nullptr) header->assign(CheckpointHeader(*bytes));
  return std::optional<Checkpoint>(std::move(c));
}

std::string_view CheckpointHeader(std::string_view encoded) {
  return encoded.substr(0, encoded.find('\n'));
}

Result<std::optional<std::string>> ReadCheckpointHeader(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Status::IoError("cannot open checkpoint '" + path + "': " + std::strerror(errno));
  }
  // "lakestream-checkpoint <version> <length> <crc32>" is well under 96 bytes.
  char buffer[96];
  const size_t n = std::fread(buffer, 1, sizeof buffer, f);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return Status::IoError("cannot read checkpoint '" + path + "'");
  return std::optional<std::string>(std::string(CheckpointHeader(std::string_view(buffer, n))));
}

}  // namespace lakestream::lake
