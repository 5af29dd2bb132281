// Kafka client configuration: the seed's properties file plus -X overrides,
// turned into a librdkafka configuration with errors that name file:line.
//
// Secrets (see formats/properties.h IsSecretKey) never appear in any message
// this module produces.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "formats/properties.h"
#include "kafka/client_log.h"

namespace lakestream::kafka {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
struct HandleDeleter {
  void operator()(rd_kafka_t* h) const {
    rd_kafka_destroy(h);
    ForgetClient(h);
  }
};
struct TopicDeleter {
  void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using TopicPtr = std::unique_ptr<rd_kafka_topic_t, TopicDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDeleter>;
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;

inline constexpr const char* kDefaultBootstrap = "127.0.0.1:9092";

class ClientConfig {
 public:
  // Reads `config_file` (may be empty: no file) and applies `overrides` ("key=value",
  // from -X) after it. Errors name the file:line or the -X argument.
  static Result<ClientConfig> Load(const std::string& config_file,
                                   const std::vector<std::string>& overrides);

  // Adds a property unless the user set it: lakestream's defaults for one client role.
  void SetDefault(const std::string& key, const std::string& value);
  // Sets a property, replacing the user's value (for settings lakestream depends on).
  void Force(const std::string& key, const std::string& value);

  // Builds a librdkafka configuration. Unknown keys and invalid values are
  // InvalidArgument naming where the key came from.
  Result<ConfPtr> Build() const;

  // bootstrap.servers as configured (or the default).
  std::string Bootstrap() const;
  // The value of `key`, or empty.
  std::string Get(const std::string& key) const;
  // The setting of `key` that counts (the last one), or null.
  const Property* Find(const std::string& key) const;
  const std::vector<Property>& properties() const { return props_; }

 private:
  std::vector<Property> props_;
};

// Creates a client handle of `type` from `conf` (which it takes over).
Result<HandlePtr> CreateHandle(rd_kafka_type_t type, ConfPtr conf);

// Asks the cluster for metadata within `timeout_ms`; Unavailable with a message naming
// bootstrap.servers, what to check and the client's last error if no broker answers.
// Once it answers, the client's errors are printed (client_log.h).
// With `stop`: waits in slices and gives up (Unavailable) as soon as stop() is true.
Status WaitForBroker(rd_kafka_t* handle, const std::string& bootstrap, int timeout_ms,
                     const std::function<bool()>& stop = {});

// Destroys a consumer's handle without librdkafka's consumer close, waiting at most
// `timeout`: with no broker, librdkafka's termination still waits for offset commits it
// deferred until a coordinator shows up (session.timeout.ms: 10 s by lakestream's default).
// Past `timeout` the handle is left to a thread of its own and false is returned; the
// process must then end without running exit handlers (HandlesLeftBehind).
bool DestroyConsumerWithin(rd_kafka_t* handle, std::chrono::milliseconds timeout);
// How many handles DestroyConsumerWithin left behind. When not 0, main ends the process
// with std::_Exit once its output is flushed: exit handlers would run while that
// handle's threads still use the process's state.
int HandlesLeftBehind();

// The number of partitions of `topic`, asked within `timeout_ms`. NotFound, with the
// command that creates it, if the topic does not exist. One metadata request, which also
// does WaitForBroker's work (and gives its error when no broker answers).
Result<int> PartitionCount(rd_kafka_t* handle, const std::string& topic, const std::string& bootstrap,
                           int timeout_ms,
                           const std::function<bool()>& stop = {});

}  // namespace lakestream::kafka
