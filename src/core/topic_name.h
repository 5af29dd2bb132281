// Kafka's rule for topic names, checked before a name reaches a broker or a lake path.
#pragma once

#include <string_view>

#include "core/status.h"

namespace lakestream {

// InvalidArgument, naming the rule broken, unless `name` is a name Kafka takes: 1-249
// ASCII letters, digits, '.', '_' and '-', not "." or ".." (Kafka's
// org.apache.kafka.common.internals.Topic.validate).
Status ValidateTopicName(std::string_view name);

}  // namespace lakestream
