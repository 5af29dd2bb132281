// Dead letters to a Kafka topic instead of the lake folder (`--dead-letter-topic`).
//
// Delivery is at least once, keyed so that repeats are recognisable: each bad record is
// one message whose key is its position ("<topic>/<partition>@<offset>") and whose value
// is the JSON object of the lake's dead-letter line (dead_letter columns of
// lake/side_outputs.h). A partition's dead letters are published, and every delivery
// confirmed, before the commit that covers their offsets: a crash after the publish and
// before the checkpoint re-reads those records and publishes them again under the same
// keys. Consumers dedupe by key, or the topic uses cleanup.policy=compact. (The lake folder
// output is exactly once: it is written inside the commit.)
//
// A letter is bigger than its record (raw as JSON text plus raw_base64), so a record Kafka
// took may make a letter the producer cannot send (message.max.bytes, 1,000,000 by default).
// Such a letter leaves raw out, then cuts raw_base64, and its reason says so; the record
// itself stays in the source topic at its position.
//
// Thread-safety: Publish may be called from any thread; calls are serialized.
#pragma once

#include <memory>
#include <mutex>
#include <cstdint>
#include <span>
#include <string>

#include "core/status.h"
#include "kafka/client_config.h"
#include "kafka/producer.h"
#include "lake/side_outputs.h"

namespace lakestream::process {

class DeadLetterTopic {
 public:
  // Connects and checks that `topic` exists (the message says how to create it).
  static Result<std::unique_ptr<DeadLetterTopic>> Open(kafka::ClientConfig config, const std::string& topic,
                                                       int connect_timeout_ms);

  // Publishes the letters and waits until each is delivered; an error names the topic and
  // the first failure, and then nothing may be committed past these records.
  Status Publish(std::span<const lake::DeadLetter> letters);

  const std::string& topic() const { return topic_; }

 private:
  DeadLetterTopic() = default;

  std::mutex mu_;
  std::unique_ptr<kafka::Producer> producer_;
  std::string topic_;
  size_t max_letter_bytes_ = 0;  // a letter's value at most (message.max.bytes less room for the key)
};

// The message value of a dead letter: the lake line's JSON object, of at most `max_bytes`
// (raw left out, then raw_base64 cut, as the reason then says).
std::string DeadLetterJson(const lake::DeadLetter& letter, size_t max_bytes = SIZE_MAX);

}  // namespace lakestream::process
