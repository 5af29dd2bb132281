// A topic's id (KIP-516). Kafka gives each topic an id when it creates it, so a topic deleted
// and created again under the same name has a new id, and its offsets start again from 0.
// Read with librdkafka's DescribeTopics (librdkafka >= 2.3), looked up in the library when
// first needed: the headers lakestream builds with may be older (Debian 12's are 2.0.2) than
// the library it runs with (scripts/setup.sh installs 2.16).
#pragma once

#include <librdkafka/rdkafka.h>

#include <optional>
#include <string>

#include "core/status.h"

namespace lakestream::kafka {

// Whether the librdkafka this process runs with has DescribeTopics.
bool TopicIdsAvailable();

// `topic`'s id as base64 text, asked of the cluster through `rk` (any client's handle) within
// `timeout_ms`. nullopt if the library has no DescribeTopics; NotFound if there is no such
// topic; Unavailable if the cluster did not answer.
Result<std::optional<std::string>> DescribeTopicId(rd_kafka_t* rk, const std::string& topic, int timeout_ms);

}  // namespace lakestream::kafka
