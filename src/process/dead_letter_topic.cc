#include "process/dead_letter_topic.h"

#include <fmt/format.h>

#include "lake/file_writer.h"

namespace lakestream::process {

std::string DeadLetterJson(const lake::DeadLetter& letter) {
  static const Schema schema = lake::DeadLetterSchema();
  std::string out;
  const Row row = lake::DeadLetterRow(letter);
  lake::AppendJsonObject(schema, ViewOf(row), &out);
  return out;
}

Result<std::unique_ptr<DeadLetterTopic>> DeadLetterTopic::Open(kafka::ClientConfig config, const std::string& topic,
                                                               int connect_timeout_ms) {
  std::unique_ptr<DeadLetterTopic> t(new DeadLetterTopic());
  t->topic_ = topic;
  // Dead letters are few and must not wait for a batch to fill.
  config.SetDefault("linger.ms", "5");
  auto producer = kafka::Producer::Make(std::move(config), topic, connect_timeout_ms);
  if (!producer.ok()) {
    return Status(producer.status().code(), fmt::format("--dead-letter-topic: {}", producer.status().message()));
  }
  t->producer_ = std::move(*producer);
  return t;
}

Status DeadLetterTopic::Publish(std::span<const lake::DeadLetter> letters) {
  if (letters.empty()) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t failed_before = producer_->failed();
  for (const lake::DeadLetter& l : letters) {
    LS_RETURN_NOT_OK(producer_->Send(l.position.ToString(), DeadLetterJson(l)));
  }
  // Bounded by message.timeout.ms: an undeliverable message fails, it does not hang.
  while (producer_->Flush(1000) > 0) {
  }
  if (producer_->failed() != failed_before) {
    return Status::Unavailable(fmt::format("cannot publish dead letters to '{}': {} ({} not delivered)", topic_,
                                           producer_->first_error(), producer_->failed() - failed_before));
  }
  published_ += letters.size();
  return Status::Ok();
}

}  // namespace lakestream::process
