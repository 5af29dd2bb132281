#include "kafka/producer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace lakestream::kafka {
namespace {

// librdkafka's built-in partitioners by their `partitioner` names (its default:
// consistent_random); null for any other value, which leaves partitioning to librdkafka.
Producer::PartitionerFn FindPartitioner(const std::string& name) {
  static constexpr std::pair<std::string_view, Producer::PartitionerFn> kKnown[] = {
      {"consistent_random", &rd_kafka_msg_partitioner_consistent_random},
      {"consistent", &rd_kafka_msg_partitioner_consistent},
      {"murmur2_random", &rd_kafka_msg_partitioner_murmur2_random},
      {"murmur2", &rd_kafka_msg_partitioner_murmur2},
      {"fnv1a_random", &rd_kafka_msg_partitioner_fnv1a_random},
      {"fnv1a", &rd_kafka_msg_partitioner_fnv1a},
      {"random", &rd_kafka_msg_partitioner_random},
  };
  const std::string_view wanted = name.empty() ? "consistent_random" : std::string_view(name);
  for (const auto& [known, fn] : kKnown) {
    if (known == wanted) return fn;
  }
  return nullptr;
}

}  // namespace

Result<std::unique_ptr<Producer>> Producer::Make(ClientConfig config, const std::string& topic,
                                                 int connect_timeout_ms) {
  LS_ASSIGN_OR_RETURN(std::unique_ptr<Producer> p, Create(std::move(config), topic));
  LS_RETURN_NOT_OK(p->Connect(connect_timeout_ms));
  return p;
}

Result<std::unique_ptr<Producer>> Producer::Create(ClientConfig config, const std::string& topic) {
  // librdkafka refuses settings that idempotence rules out (acks=1, max.in.flight > 5) with
  // a message about enable.idempotence, which the user may never have set.
  const bool default_idempotence = config.Get("enable.idempotence").empty();
  config.SetDefault("enable.idempotence", "true");
  config.SetDefault("compression.type", "lz4");
  config.SetDefault("linger.ms", "20");
  config.SetDefault("batch.size", "1000000");
  config.SetDefault("queue.buffering.max.messages", "500000");
  config.SetDefault("queue.buffering.max.kbytes", "262144");
  // Bounded: a message not delivered within this time is reported as failed.
  config.SetDefault("message.timeout.ms", "60000");
  // A topic deleted while publishing is an error, not re-created by the producer's
  // metadata requests (where the cluster creates topics on demand, Kafka's default).
  config.SetDefault("allow.auto.create.topics", "false");
  LS_ASSIGN_OR_RETURN(ConfPtr conf, config.Build());

  std::unique_ptr<Producer> p(new Producer());
  char value[64];
  size_t size = sizeof value;
  if (rd_kafka_conf_get(conf.get(), "queue.buffering.max.messages", value, &size) == RD_KAFKA_CONF_OK) {
    p->max_queued_messages_ = std::strtoull(value, nullptr, 10);
  }
  size = sizeof value;
  if (rd_kafka_conf_get(conf.get(), "queue.buffering.max.kbytes", value, &size) == RD_KAFKA_CONF_OK) {
    p->max_queued_bytes_ = std::strtoull(value, nullptr, 10) * 1024;
  }
  p->topic_name_ = topic;
  p->bootstrap_ = config.Bootstrap();
  p->partitioner_ = FindPartitioner(config.Get("partitioner"));
  p->partition_by_key_ = config.Get("partitioner") != "random";
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &Producer::OnDelivery);
  rd_kafka_conf_set_opaque(conf.get(), p.get());
  Result<HandlePtr> handle = CreateHandle(RD_KAFKA_PRODUCER, std::move(conf));
  if (!handle.ok() && default_idempotence &&
      handle.status().message().find("enable.idempotence") != std::string::npos) {
    return Status(handle.status().code(),
                  handle.status().message() +
                      ". lakestream turns enable.idempotence on unless told otherwise (a retried batch is then "
                      "neither doubled nor reordered); to publish with these settings, add -X "
                      "enable.idempotence=false");
  }
  LS_ASSIGN_OR_RETURN(p->handle_, std::move(handle));
  return p;
}

Status Producer::Connect(int connect_timeout_ms, const std::function<bool()>& stop) {
  LS_ASSIGN_OR_RETURN(partitions_, PartitionCount(handle_.get(), topic_name_, bootstrap_, connect_timeout_ms, stop));
  topic_.reset(rd_kafka_topic_new(handle_.get(), topic_name_.c_str(), nullptr));
  return Status::Ok();
}

void Producer::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* self = static_cast<Producer*>(opaque);
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++self->delivered_;
    self->delivered_bytes_ += m->len + m->key_len;
  } else {
    ++self->failed_;
    self->failed_bytes_ += m->len + m->key_len;
    if (rd_kafka_message_status(m) == RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED) ++self->possibly_delivered_;
    if (self->first_error_.empty()) {
      self->first_error_ = fmt::format("{} [{}]: {}", self->topic_name_, m->partition,
                                       rd_kafka_err2str(m->err));
    }
  }
}

Status Producer::Send(std::string_view key, std::string_view value) {
  while (true) {
    int rc = rd_kafka_produce(topic_.get(), RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                              const_cast<char*>(value.data()), value.size(), key.data(), key.size(),
                              nullptr);
    if (rc == 0) {
      ++sent_;
      sent_bytes_ += key.size() + value.size();
      return Status::Ok();
    }
    rd_kafka_resp_err_t err = rd_kafka_last_error();
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(handle_.get(), 50);
      continue;
    }
    rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(handle_.get(), nullptr, 0);
    return Status::Unavailable(fmt::format("cannot produce to '{}': {}", topic_name_,
                                           rd_kafka_err2str(fatal ? fatal : err)));
  }
}

int32_t Producer::PartitionOf(const Message& m) {
  auto choose = [&] { return partitioner_(topic_.get(), m.key.data(), m.key.size(), partitions_, nullptr, nullptr); };
  if (m.key_id == kNoKeyId || !partition_by_key_) return choose();
  if (m.key_id >= partition_of_key_.size()) partition_of_key_.resize(size_t{m.key_id} + 1, -1);
  int32_t& p = partition_of_key_[m.key_id];
  if (p >= 0) return p;
  const int32_t chosen = choose();
  // A random partitioner (for empty keys) must choose again for every message.
  if (!m.key.empty()) p = chosen;
  return chosen;
}

Status Producer::SendBatch(std::span<const Message> messages, const std::function<bool()>& stop) {
  if (messages.empty()) return Status::Ok();
  uint64_t bytes = 0;
  for (const Message& m : messages) bytes += m.key.size() + m.value.size();
  // Room for the whole batch first (see the header). Delivery reports free it.
  auto full = [&] {
    const uint64_t queued = sent_ - delivered_ - failed_;
    const uint64_t queued_bytes = sent_bytes_ - delivered_bytes_ - failed_bytes_;
    return (queued > 0 && queued + messages.size() > max_queued_messages_) ||
           (queued_bytes > 0 && queued_bytes + bytes > max_queued_bytes_);
  };
  uint64_t reports = delivered_ + failed_;
  auto last_report = std::chrono::steady_clock::now();
  while (full()) {
    if (delivered_ + failed_ != reports) {
      reports = delivered_ + failed_;
      last_report = std::chrono::steady_clock::now();
    }
    if (stop && std::chrono::steady_clock::now() - last_report > kStopPatience && stop()) {
      refused_ += messages.size();
      if (first_error_.empty()) {
        first_error_ = fmt::format("{}: {} messages not sent: stopped while librdkafka's queue was full", topic_name_,
                                   messages.size());
      }
      return Status::Ok();
    }
    rd_kafka_poll(handle_.get(), 10);
  }

  // Grouped by partition, in order within each: one rd_kafka_produce_batch call per
  // partition takes the partition's lock once, where a call with RD_KAFKA_PARTITION_UA runs
  // the partitioner and takes the locks for every message.
  batch_.resize(messages.size());
  groups_.clear();
  auto fill = [&](rd_kafka_message_t* out, const Message& m) {
    *out = rd_kafka_message_t{};
    out->payload = const_cast<char*>(m.value.data());
    out->len = m.value.size();
    out->key = const_cast<char*>(m.key.data());
    out->key_len = m.key.size();
  };
  if (partitioner_ == nullptr) {
    for (size_t i = 0; i < messages.size(); ++i) fill(&batch_[i], messages[i]);
    groups_.push_back({RD_KAFKA_PARTITION_UA, messages.size()});
  } else {
    partition_of_.resize(messages.size());
    counts_.assign(static_cast<size_t>(partitions_) + 1, 0);
    for (size_t i = 0; i < messages.size(); ++i) {
      const int32_t p = PartitionOf(messages[i]);
      partition_of_[i] = p;
      ++counts_[static_cast<size_t>(p) + 1];
    }
    for (int32_t p = 0; p < partitions_; ++p) {
      if (counts_[p + 1] > 0) groups_.push_back({p, counts_[p + 1]});
      counts_[p + 1] += counts_[p];
    }
    for (size_t i = 0; i < messages.size(); ++i) fill(&batch_[counts_[partition_of_[i]]++], messages[i]);
  }
  size_t at = 0;
  size_t refused = 0;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  for (const auto& [partition, count] : groups_) {
    rd_kafka_message_t* first = batch_.data() + at;
    at += count;
    const int accepted =
        rd_kafka_produce_batch(topic_.get(), partition, RD_KAFKA_MSG_F_COPY, first, static_cast<int>(count));
    sent_ += static_cast<uint64_t>(accepted);
    if (static_cast<size_t>(accepted) == count) continue;
    // Refused ones are not in flight: count them as failed, with the first reason.
    for (size_t i = 0; i < count; ++i) {
      if (first[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      ++refused;
      bytes -= first[i].key_len + first[i].len;
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) err = first[i].err;
    }
  }
  sent_bytes_ += bytes;
  if (refused == 0) return Status::Ok();
  refused_ += refused;
  rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(handle_.get(), nullptr, 0);
  return Status::Unavailable(fmt::format("cannot produce to '{}': {} ({} of {} messages refused)", topic_name_,
                                         rd_kafka_err2str(fatal ? fatal : err), refused, messages.size()));
}

size_t Producer::max_batch_messages() const {
  return static_cast<size_t>(std::clamp<uint64_t>(max_queued_messages_ / 4, 1, 1024));
}

void Producer::Poll(int timeout_ms) { rd_kafka_poll(handle_.get(), timeout_ms); }

int Producer::Flush(int timeout_ms) {
  rd_kafka_flush(handle_.get(), timeout_ms);
  return rd_kafka_outq_len(handle_.get());
}

int Producer::InFlight() const { return rd_kafka_outq_len(handle_.get()); }

}  // namespace lakestream::kafka
