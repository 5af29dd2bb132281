// A librdkafka producer for one topic that tracks the delivery of every message.
//
// Thread-safety: one thread calls Send/Poll/Flush; delivery reports are served on
// that thread from Poll/Flush, so the counters need no locks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kafka/client_config.h"

namespace lakestream::kafka {

class Producer {
 public:
  // Connects (waits up to `connect_timeout_ms` for the cluster to answer), checks that
  // `topic` exists, and applies lakestream's producer defaults (idempotence on, lz4,
  // batching) where the user set nothing.
  static Result<std::unique_ptr<Producer>> Make(ClientConfig config, const std::string& topic,
                                                int connect_timeout_ms);

  // Enqueues one message; while librdkafka's local queue is full it serves delivery
  // reports and retries. Fails only for errors that retrying cannot fix.
  Status Send(std::string_view key, std::string_view value);
  // Serves delivery reports for up to `timeout_ms`.
  void Poll(int timeout_ms);
  // Waits up to `timeout_ms` for every message in flight; returns how many are left.
  int Flush(int timeout_ms);

  uint64_t sent() const { return sent_; }
  uint64_t delivered() const { return delivered_; }
  uint64_t failed() const { return failed_; }
  uint64_t delivered_bytes() const { return delivered_bytes_; }
  int InFlight() const;
  const std::string& first_error() const { return first_error_; }
  int partitions() const { return partitions_; }
  const std::string& bootstrap() const { return bootstrap_; }

 private:
  Producer() = default;
  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque);

  HandlePtr handle_;
  TopicPtr topic_;
  std::string topic_name_;
  std::string bootstrap_;
  int partitions_ = 0;
  uint64_t sent_ = 0;
  uint64_t delivered_ = 0;
  uint64_t failed_ = 0;
  uint64_t delivered_bytes_ = 0;
  std::string first_error_;
};

}  // namespace lakestream::kafka
