// Topic administration through librdkafka's Admin API: create, list, describe, delete.
//
// Every call is bounded by the timeout given to Admin::Connect. Errors say which topic and
// which broker, and for an unreachable cluster, the last connection error librdkafka saw.
// Thread-safety: one Admin per thread.
#pragma once

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "kafka/client_config.h"

namespace lakestream::kafka {

struct AdminOptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
using AdminOptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, AdminOptionsDeleter>;

// A topic-level configuration entry, e.g. {"retention.ms", "3600000"}.
using TopicConfig = std::vector<std::pair<std::string, std::string>>;

struct NewTopic {
  std::string name;
  int partitions = 1;
  int replication_factor = 1;  // -1: the broker's default.replication.factor
  TopicConfig configs;
};

enum class CreateOutcome { kCreated, kAlreadyExists };

struct TopicListing {
  std::string name;
  int partitions = 0;
  bool internal = false;  // starts with "__" (__consumer_offsets, __transaction_state, ...)
};

struct PartitionDescription {
  int32_t id = 0;
  int32_t leader = -1;  // -1: no leader (offline)
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
};

struct ConfigEntry {
  std::string name;
  std::string value;   // empty for sensitive entries: the broker never returns them
  std::string source;  // "DYNAMIC_TOPIC_CONFIG", "DEFAULT_CONFIG", ...
  bool is_default = false;
  bool is_sensitive = false;
};

struct TopicDescription {
  std::string name;
  std::vector<PartitionDescription> partitions;  // ordered by id
  std::vector<ConfigEntry> configs;              // ordered by name
};

// One partition of a topic as a consumer group sees it.
struct PartitionLag {
  int32_t partition = 0;
  int64_t committed = -1;  // the group's committed offset (the next record it will read); -1: none
  int64_t end = -1;        // one past the partition's last record
  // end - committed; -1 without a committed offset.
  int64_t lag() const { return committed < 0 ? -1 : std::max<int64_t>(end - committed, 0); }
};

// Parses "key=value" topic configuration arguments (--topic-config). InvalidArgument names
// the bad argument; a repeated key is an error rather than a silent last-wins.
Result<TopicConfig> ParseTopicConfigArgs(const std::vector<std::string>& args);

class Admin {
 public:
  // Builds a client from `config` and waits up to `timeout_ms` for the cluster to answer,
  // so that an unreachable broker is reported here (Unavailable) rather than as a timeout
  // of the first call. `timeout_ms` also bounds every later call.
  static Result<Admin> Connect(const ClientConfig& config, int timeout_ms);

  Admin(Admin&&) noexcept;
  // No assignment: it would free the old client log before the old handle that writes to it.
  Admin& operator=(Admin&&) = delete;
  ~Admin();

  // Creates the topic and waits until the controller has created it and the cluster's
  // metadata shows a leader for every partition (bounded by the admin timeout), so a
  // producer or consumer started next finds it. An existing topic is
  // InvalidArgument ("already exists") unless `if_not_exists`, then kAlreadyExists.
  // Invalid partitions, replication factor or config are InvalidArgument naming the topic.
  Result<CreateOutcome> CreateTopic(const NewTopic& topic, bool if_not_exists);

  // Topics sorted by name; internal "__" topics only if `include_internal`.
  Result<std::vector<TopicListing>> ListTopics(bool include_internal);

  // Partitions with leader, replicas and ISR, and every topic config. NotFound if absent.
  Result<TopicDescription> DescribeTopic(const std::string& name);

  // The group's committed offsets and the end offsets of every partition of `topic`, by
  // partition. NotFound if the topic is absent; a group that never committed has none.
  Result<std::vector<PartitionLag>> GroupLag(const std::string& group, const std::string& topic);

  // Deletes the topic. NotFound if absent (`if_exists` makes that OK and returns false).
  Result<bool> DeleteTopic(const std::string& name, bool if_exists);

  const std::string& bootstrap() const { return bootstrap_; }

 private:
  Admin() = default;
  Result<AdminOptionsPtr> Options(rd_kafka_admin_op_t op, bool with_operation_timeout) const;
  // Waits for the result event of an admin call; Unavailable on timeout.
  Result<EventPtr> AwaitResult(rd_kafka_queue_t* queue, rd_kafka_event_type_t expected,
                               const char* what);
  Result<MetadataPtr> AllTopicsMetadata();
  // The topic's partitions (DescribeTopic without the configs).
  Result<TopicDescription> DescribePartitions(const std::string& name);

  HandlePtr handle_;
  ClientConfig config_;  // for the consumer handle GroupLag reads committed offsets with
  std::string bootstrap_;
  int timeout_ms_ = 0;
};

}  // namespace lakestream::kafka
