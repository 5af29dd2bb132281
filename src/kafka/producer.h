// A librdkafka producer for one topic that tracks the delivery of every message.
//
// Thread-safety: one thread calls Send/Poll/Flush; delivery reports are served on
// that thread from Poll/Flush, so the counters need no locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "kafka/client_config.h"

namespace lakestream::kafka {

class Producer {
 public:
  // Connects (waits up to `connect_timeout_ms` for the cluster to answer), checks that
  // `topic` exists, and applies lakestream's producer defaults (idempotence on, lz4,
  // batching) where the user set nothing.
  static Result<std::unique_ptr<Producer>> Make(ClientConfig config, const std::string& topic,
                                                int connect_timeout_ms);
  // Make in two steps: Create builds the client (config errors; librdkafka starts
  // connecting in the background), Connect waits for the cluster and checks the topic.
  // Nothing may be sent before Connect succeeds.
  static Result<std::unique_ptr<Producer>> Create(ClientConfig config, const std::string& topic);
  // `stop`: give up waiting for the brokers as soon as it is true (Ctrl-C).
  Status Connect(int connect_timeout_ms, const std::function<bool()>& stop = {});

  // Enqueues one message; while librdkafka's local queue is full it serves delivery
  // reports and retries. Fails only for errors that retrying cannot fix.
  Status Send(std::string_view key, std::string_view value);

  struct Message {
    std::string_view key;
    std::string_view value;
    // Optional: messages with the same key_id have the same key, so its partition is
    // computed once (kNoKeyId: computed for each message).
    uint32_t key_id = kNoKeyId;
  };
  static constexpr uint32_t kNoKeyId = UINT32_MAX;
  // librdkafka's partitioner signature (rd_kafka_msg_partitioner_*).
  using PartitionerFn = int32_t (*)(const rd_kafka_topic_t*, const void*, size_t, int32_t, void*, void*);
  // Enqueues messages, in order within each partition, with one rd_kafka_produce_batch
  // call per partition: the configured `partitioner` (one of librdkafka's own) runs here,
  // so librdkafka takes a partition's lock once per call instead of twice per message
  // (27% off the publishing phase of a week). It first waits, serving delivery reports,
  // until the local queue has room for all of them, so none is refused while a later one
  // is accepted (which would reorder a partition). Same errors as Send. After `stop`
  // (Ctrl-C), a wait in which no delivery report comes for kStopPatience gives up: none of
  // them is sent, and they count as failed, "not sent". (While the brokers did not answer,
  // the wait took up to message.timeout.ms, and the flush after the stop as long again.)
  Status SendBatch(std::span<const Message> messages, const std::function<bool()>& stop = nullptr);
  static constexpr std::chrono::milliseconds kStopPatience{2000};
  // Serves delivery reports for up to `timeout_ms`.
  void Poll(int timeout_ms);
  // Waits up to `timeout_ms` for every message in flight; returns how many are left.
  int Flush(int timeout_ms);

  uint64_t sent() const { return sent_; }
  uint64_t delivered() const { return delivered_; }
  // Not delivered: failed delivery reports plus messages librdkafka refused to enqueue.
  uint64_t failed() const { return failed_ + refused_; }
  // Of those, the ones sent but not acknowledged (the broker went away or answered too
  // late): possibly written to the topic all the same.
  uint64_t possibly_delivered() const { return possibly_delivered_; }
  // The most messages SendBatch should get at once: a fraction of the local queue.
  size_t max_batch_messages() const;
  uint64_t delivered_bytes() const { return delivered_bytes_; }
  int InFlight() const;
  const std::string& first_error() const { return first_error_; }
  int partitions() const { return partitions_; }
  const std::string& bootstrap() const { return bootstrap_; }

 private:
  Producer() = default;
  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque);
  // The message's partition by the configured partitioner, once per key_id.
  int32_t PartitionOf(const Message& m);

  HandlePtr handle_;
  TopicPtr topic_;
  std::string topic_name_;
  std::string bootstrap_;
  int partitions_ = 0;
  uint64_t sent_ = 0;
  uint64_t delivered_ = 0;
  uint64_t failed_ = 0;
  uint64_t delivered_bytes_ = 0;
  uint64_t failed_bytes_ = 0;
  uint64_t refused_ = 0;
  uint64_t possibly_delivered_ = 0;
  uint64_t sent_bytes_ = 0;
  // The local queue's limits (queue.buffering.max.messages / .kbytes); unknown: none.
  uint64_t max_queued_messages_ = UINT64_MAX;
  uint64_t max_queued_bytes_ = UINT64_MAX;
  std::string first_error_;
  std::vector<rd_kafka_message_t> batch_;  // reused by SendBatch
  // The configured partitioner (librdkafka's own function), run here so that SendBatch
  // hands librdkafka one batch per partition; null: librdkafka partitions each message.
  PartitionerFn partitioner_ = nullptr;
  // Reused by SendBatch: each message's partition, per partition a count (then an
  // offset into batch_), and the (partition, count) runs of batch_.
  std::vector<int32_t> partition_of_;
  std::vector<int32_t> partition_of_key_;  // by Message::key_id; -1: not computed yet
  bool partition_by_key_ = true;            // false for `random`, which ignores keys
  std::vector<size_t> counts_;
  std::vector<std::pair<int32_t, size_t>> groups_;
};

}  // namespace lakestream::kafka
