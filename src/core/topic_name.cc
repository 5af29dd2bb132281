#include "core/topic_name.h"

#include <fmt/format.h>

namespace lakestream {

Status ValidateTopicName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("topic name must not be empty");
  if (name == "." || name == "..") return Status::InvalidArgument("topic name cannot be '.' or '..'");
  if (name.size() > 249) {
    return Status::InvalidArgument(fmt::format("topic name '{}' is longer than 249 characters", name));
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) {
      return Status::InvalidArgument(fmt::format(
          "topic name '{}' has the character '{}'; Kafka allows only ASCII letters, digits, '.', '_' and '-'", name,
          c));
    }
  }
  return Status::Ok();
}

}  // namespace lakestream
