#include "kafka/producer.h"

#include <fmt/format.h>

namespace lakestream::kafka {

Result<std::unique_ptr<Producer>> Producer::Make(ClientConfig config, const std::string& topic,
                                                 int connect_timeout_ms) {
  config.SetDefault("enable.idempotence", "true");
  config.SetDefault("compression.type", "lz4");
  config.SetDefault("linger.ms", "20");
  config.SetDefault("batch.size", "1000000");
  config.SetDefault("queue.buffering.max.messages", "500000");
  config.SetDefault("queue.buffering.max.kbytes", "262144");
  // Bounded: a message not delivered within this time is reported as failed.
  config.SetDefault("message.timeout.ms", "60000");
  LS_ASSIGN_OR_RETURN(ConfPtr conf, config.Build());

  std::unique_ptr<Producer> p(new Producer());
  p->topic_name_ = topic;
  p->bootstrap_ = config.Bootstrap();
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &Producer::OnDelivery);
  rd_kafka_conf_set_opaque(conf.get(), p.get());
  LS_ASSIGN_OR_RETURN(p->handle_, CreateHandle(RD_KAFKA_PRODUCER, std::move(conf)));
  LS_RETURN_NOT_OK(WaitForBroker(p->handle_.get(), p->bootstrap_, connect_timeout_ms));

  LS_ASSIGN_OR_RETURN(p->partitions_, PartitionCount(p->handle_.get(), topic, p->bootstrap_, connect_timeout_ms));
  p->topic_.reset(rd_kafka_topic_new(p->handle_.get(), topic.c_str(), nullptr));
  return p;
}

void Producer::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* self = static_cast<Producer*>(opaque);
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++self->delivered_;
    self->delivered_bytes_ += m->len + m->key_len;
  } else {
    ++self->failed_;
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

void Producer::Poll(int timeout_ms) { rd_kafka_poll(handle_.get(), timeout_ms); }

int Producer::Flush(int timeout_ms) {
  rd_kafka_flush(handle_.get(), timeout_ms);
  return rd_kafka_outq_len(handle_.get());
}

int Producer::InFlight() const { return rd_kafka_outq_len(handle_.get()); }

}  // namespace lakestream::kafka
