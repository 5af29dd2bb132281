// Strong types where mixing two integers is a bug.
#pragma once

#include <cstdint>
#include <string>

namespace lakestream {

// A Kafka partition number.
struct PartitionId {
  int32_t value = 0;
  friend auto operator<=>(PartitionId, PartitionId) = default;
};

// A Kafka offset. `next offset` always means one past the last consumed record.
struct KafkaOffset {
  int64_t value = 0;
  friend auto operator<=>(KafkaOffset, KafkaOffset) = default;
};

// Where a record came from, for error messages and dead letters: "topic/partition@offset",
// or for file sources "file:line".
struct SourcePosition {
  std::string topic;  // or the file path
  int32_t partition = -1;  // -1 for files
  int64_t offset = -1;     // offset, or line number for files
  std::string ToString() const {
    if (partition < 0) return topic + ":" + std::to_string(offset);
    return topic + "/" + std::to_string(partition) + "@" + std::to_string(offset);
  }
};

}  // namespace lakestream
