#include "kafka/consumer.h"

#include <fmt/format.h>

#include <cstring>
#include <utility>

#include "core/console.h"

namespace lakestream::kafka {

std::vector<std::pair<std::string, std::string>> FetchDefaults() {
  // librdkafka >= 2.1 re-checks a partition whose prefetch queue was full 1 ms later
  // (fetch.queue.backoff.ms); 2.0.2 waits a whole second, so there only a big queue keeps
  // the rate up (~250k records/s at 100,000 messages / 16 MB; see bench/README.md). With
  // the short backoff a small queue is as fast as a big one (measured on 2M messages:
  // same rate at 20,000 / 4 MB, and 120 MB instead of 250 MB peak for `process`).
  if (rd_kafka_version() >= 0x020100ff) {
    return {{"fetch.queue.backoff.ms", "1"},
            {"fetch.max.bytes", "16777216"},
            {"max.partition.fetch.bytes", "1048576"},
            {"queued.min.messages", "20000"},
            {"queued.max.messages.kbytes", "4096"}};
  }
  return {{"fetch.max.bytes", "16777216"},
          {"max.partition.fetch.bytes", "4194304"},
          {"queued.min.messages", "100000"},
          {"queued.max.messages.kbytes", "16384"}};
}

Status CheckConsumerSettings(const ClientConfig& config, const std::string& group) {
  if (const Property* p = config.Find("group.id"); p != nullptr && p->value != group) {
    return Status::InvalidArgument(fmt::format(
        "{}: group.id={}, but this job joins group '{}' (--group): give one of them, --group or group.id (in group "
        "'{}' the job would share the partitions with that group's other members, each lake getting a part of them)",
        p->origin, p->value, group, group));
  }
  if (const Property* p = config.Find("auto.offset.reset");
      p != nullptr && p->value != "earliest" && p->value != "smallest" && p->value != "beginning" &&
      p->value != "error") {
    return Status::InvalidArgument(fmt::format(
        "{}: auto.offset.reset={}: lakestream reads a partition that has no checkpoint in the lake from its first "
        "offset, and stops when a checkpoint's offset is no longer in the topic; it cannot start at the end (remove "
        "the setting; earliest is what it does)",
        p->origin, p->value));
  }
  if (const Property* p = config.Find("isolation.level"); p != nullptr && p->value == "read_uncommitted") {
    return Status::InvalidArgument(fmt::format(
        "{}: isolation.level=read_uncommitted would put records of open and aborted transactions into the lake: "
        "lakestream reads committed records only (remove the setting)",
        p->origin));
  }
  if (const Property* p = config.Find("max.poll.interval.ms");
      p != nullptr && config.Get("group.protocol") != "consumer" && config.Find("session.timeout.ms") == nullptr &&
      std::strtoll(p->value.c_str(), nullptr, 10) < Consumer::kSessionTimeoutMs) {
    return Status::InvalidArgument(fmt::format(
        "{}: max.poll.interval.ms={} is below the session timeout lakestream sets (session.timeout.ms={}, so that a "
        "member that died is replaced within {} s), which librdkafka does not allow: set a larger "
        "max.poll.interval.ms, or session.timeout.ms too, at most {} (brokers take 6000 and up by default)",
        p->origin, p->value, Consumer::kSessionTimeoutMs, Consumer::kSessionTimeoutMs / 1000, p->value));
  }
  return Status::Ok();
}

namespace {

std::vector<TopicPartition> ToVector(const rd_kafka_topic_partition_list_t* parts) {
  std::vector<TopicPartition> out;
  for (int i = 0; i < parts->cnt; ++i) out.push_back({parts->elems[i].topic, parts->elems[i].partition});
  return out;
}

}  // namespace

Result<std::unique_ptr<Consumer>> Consumer::Make(ClientConfig config, const std::string& group,
                                                 const std::vector<std::string>& topics,
                                                 RebalanceListener* listener, int connect_timeout_ms,
                                                 const std::function<bool()>& stop) {
  LS_RETURN_NOT_OK(CheckConsumerSettings(config, group));
  config.Force("group.id", group);
  // group.protocol=consumer (KIP-848): the broker assigns and sets the timing, and the client
  // refuses an assignor and these timeouts.
  if (config.Get("group.protocol") != "consumer") {
    config.SetDefault("partition.assignment.strategy", "cooperative-sticky");
    config.SetDefault("session.timeout.ms", std::to_string(kSessionTimeoutMs));
    config.SetDefault("heartbeat.interval.ms", "1000");
  }
  // New partitions start at the beginning explicitly (OnAssigned returns -1); a checkpointed
  // offset that is no longer in the topic must stop the job, not silently skip or re-read.
  config.Force("auto.offset.reset", "error");
  for (const auto& [key, value] : FetchDefaults()) config.SetDefault(key, value);
  // The lake's checkpoint is the commit point: Kafka offsets are informational only.
  config.Force("enable.auto.commit", "false");
  config.Force("enable.auto.offset.store", "false");
  LS_ASSIGN_OR_RETURN(ConfPtr conf, config.Build());

  std::unique_ptr<Consumer> c(new Consumer());
  c->listener_ = listener;
  c->bootstrap_ = config.Bootstrap();
  c->group_ = group;
  if (const std::string session = config.Get("session.timeout.ms"); !session.empty()) {
    c->session_timeout_ms_ = std::atoll(session.c_str());
  }
  rd_kafka_conf_set_rebalance_cb(conf.get(), &Consumer::OnRebalance);
  rd_kafka_conf_set_offset_commit_cb(conf.get(), &Consumer::OnCommitted);
  rd_kafka_conf_set_opaque(conf.get(), c.get());
  LS_ASSIGN_OR_RETURN(c->handle_, CreateHandle(RD_KAFKA_CONSUMER, std::move(conf)));
  if (Status st = WaitForBroker(c->handle_.get(), c->bootstrap_, connect_timeout_ms, stop); !st.ok()) {
    c->closed_ = true;  // nothing joined or assigned: no close (its broker probe would wait ~1 s more)
    return st;
  }

  // Fail early and clearly on a missing topic instead of waiting forever.
  for (const auto& t : topics) {
    LS_RETURN_NOT_OK(PartitionCount(c->handle_.get(), t, c->bootstrap_, connect_timeout_ms).status());
  }

  rd_kafka_poll_set_consumer(c->handle_.get());
  c->queue_ = rd_kafka_queue_get_consumer(c->handle_.get());
  PartitionListPtr subs(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const auto& t : topics) rd_kafka_topic_partition_list_add(subs.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(c->handle_.get(), subs.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Unavailable(fmt::format("cannot subscribe to topics: {}", rd_kafka_err2str(err)));
  }
  return c;
}

Consumer::~Consumer() {
  Close();
  if (queue_ != nullptr) rd_kafka_queue_destroy(queue_);
}

void Consumer::OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* parts, void* opaque) {
  auto* self = static_cast<Consumer*>(opaque);
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    std::vector<int64_t> offsets = self->listener_->OnAssigned(ToVector(parts));
    for (int i = 0; i < parts->cnt; ++i) {
      int64_t o = offsets[static_cast<size_t>(i)];
      parts->elems[i].offset = o < 0 ? RD_KAFKA_OFFSET_BEGINNING : o;
    }
    if (cooperative) {
      rd_kafka_error_t* e = rd_kafka_incremental_assign(rk, parts);
      if (e != nullptr) {
        StderrConsole().Write(fmt::format("lakestream: warning: incremental assign failed: {}\n",
                                          RedactSecrets(rd_kafka_error_string(e))));
        rd_kafka_error_destroy(e);
      }
    } else {
      rd_kafka_assign(rk, parts);
    }
  } else {
    self->listener_->OnRevoked(ToVector(parts), rd_kafka_assignment_lost(rk) != 0);
    // While the partitions are still ours; the next owner's lag starts from them. A lost
    // assignment (session timed out) can no longer commit: the next owner's checkpoints do.
    self->FlushOffsets(/*drop=*/rd_kafka_assignment_lost(rk) != 0);
    self->offsets_.Forget(ToVector(parts));
    if (cooperative) {
      rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, parts);
      if (e != nullptr) rd_kafka_error_destroy(e);
    } else {
      rd_kafka_assign(rk, nullptr);
    }
  }
}

Status Consumer::PollError(rd_kafka_message_t* m) {
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return Status::Ok();
  std::string where = m->rkt ? fmt::format("{}/{}", rd_kafka_topic_name(m->rkt), m->partition) : "consumer";
  if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET || m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
    const std::string advice =
        m->rkt ? listener_->ReprocessAdvice(TopicPartition{rd_kafka_topic_name(m->rkt), m->partition}) : "";
    return Status::DataLoss(fmt::format(
        "{}: the offset in the lake's checkpoint is not in the topic any more (retention deleted "
        "it, or the topic was re-created): {}. Records were lost before lakestream read them{}",
        where, rd_kafka_message_errstr(m), advice.empty() ? "" : "; to start this partition over, " + advice));
  }
  if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
    return Status::NotFound(fmt::format("{}: {}", where, rd_kafka_message_errstr(m)));
  }
  if (rd_kafka_fatal_error(handle_.get(), nullptr, 0) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Unavailable(fmt::format("{}: fatal consumer error: {}", where, rd_kafka_message_errstr(m)));
  }
  // Transient (broker down, transport): librdkafka retries by itself.
  StderrConsole().Write(
      fmt::format("lakestream: warning: {}: {}\n", where, RedactSecrets(rd_kafka_message_errstr(m))));
  return Status::Ok();
}

Result<std::vector<std::pair<int64_t, int64_t>>> Consumer::Watermarks(const std::vector<TopicPartition>& parts,
                                                                  int timeout_ms) {
  std::vector<std::pair<int64_t, int64_t>> out(parts.size());
  // ListOffsets with the timestamps -2 (earliest) and -1 (latest) answers the two bounds.
  for (const int64_t which : {int64_t{-2}, int64_t{-1}}) {
    if (parts.empty()) break;
    PartitionListPtr l(rd_kafka_topic_partition_list_new(static_cast<int>(parts.size())));
    for (const auto& tp : parts) rd_kafka_topic_partition_list_add(l.get(), tp.topic.c_str(), tp.partition)->offset = which;
    rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(handle_.get(), l.get(), timeout_ms);
    for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < l->cnt; ++i) {
      const rd_kafka_topic_partition_t& e = l->elems[i];
      if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return Status::Unavailable(fmt::format("cannot read the first and end offsets of {}/{}: {} (is its leader "
                                               "reachable? run the job again once it is)",
                                               e.topic, e.partition, rd_kafka_err2str(e.err)));
      }
      for (size_t k = 0; k < parts.size(); ++k) {
        if (parts[k].partition == e.partition && parts[k].topic == e.topic) {
          (which == -2 ? out[k].first : out[k].second) = e.offset;
        }
      }
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Unavailable(fmt::format("cannot read the first and end offsets of {} partition(s) ({}/{} "
                                             "first) within {} ms: {} (are the brokers reachable? run the job again "
                                             "once they are)",
                                             parts.size(), parts[0].topic, parts[0].partition, timeout_ms,
                                             rd_kafka_err2str(err)));
    }
  }
  return out;
}

int64_t Consumer::CachedHighWatermark(const TopicPartition& tp) {
  int64_t lo = -1, hi = -1;
  if (!handle_) return -1;  // after a Close that found no broker
  if (rd_kafka_get_watermark_offsets(handle_.get(), tp.topic.c_str(), tp.partition, &lo, &hi) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return -1;
  }
  return hi;
}

void Consumer::OnCommitted(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                           void* opaque) {
  auto* self = static_cast<Consumer*>(opaque);
  if (parts == nullptr || err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
  for (int i = 0; i < parts->cnt; ++i) {
    const rd_kafka_topic_partition_t& e = parts->elems[i];
    self->offsets_.OnAnswer({e.topic, e.partition}, e.offset,
                            err == RD_KAFKA_RESP_ERR_NO_ERROR && e.err == RD_KAFKA_RESP_ERR_NO_ERROR);
  }
}

void Consumer::CommitOffset(const TopicPartition& tp, int64_t next_offset) { offsets_.Record(tp, next_offset); }

rd_kafka_resp_err_t Consumer::FlushOffsets(bool drop, std::chrono::milliseconds wait) {
  offsets_sent_ = std::chrono::steady_clock::now();
  if (!offsets_.has_unsent()) return RD_KAFKA_RESP_ERR_NO_ERROR;
  const auto unsent = offsets_.TakeUnsent();
  if (drop) return RD_KAFKA_RESP_ERR_NO_ERROR;
  PartitionListPtr l(rd_kafka_topic_partition_list_new(static_cast<int>(unsent.size())));
  for (const auto& [tp, offset] : unsent) {
    rd_kafka_topic_partition_list_add(l.get(), tp.topic.c_str(), tp.partition)->offset = offset;
  }
  if (wait.count() == 0) {
    // Informational: a refused commit only delays what lag monitors see (OnCommitted marks
    // it for the next send). Not waited for: processing goes on meanwhile.
    return rd_kafka_commit(handle_.get(), l.get(), 1);
  }
  QueuePtr q(rd_kafka_queue_new(handle_.get()));
  rd_kafka_resp_err_t err = rd_kafka_commit_queue(handle_.get(), l.get(), q.get(), nullptr, nullptr);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return err;
  EventPtr answer(rd_kafka_queue_poll(q.get(), static_cast<int>(wait.count())));
  if (!answer) return RD_KAFKA_RESP_ERR__TIMED_OUT;
  err = rd_kafka_event_error(answer.get());
  const rd_kafka_topic_partition_list_t* parts = rd_kafka_event_topic_partition_list(answer.get());
  for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && parts != nullptr && i < parts->cnt; ++i) {
    err = parts->elems[i].err;
  }
  return err;
}

bool Consumer::ConfirmMembership(std::chrono::milliseconds wait) {
  const auto confirmed = offsets_.Confirmed();
  if (confirmed.empty()) return true;
  PartitionListPtr l(rd_kafka_topic_partition_list_new(static_cast<int>(confirmed.size())));
  for (const auto& [tp, offset] : confirmed) {
    rd_kafka_topic_partition_list_add(l.get(), tp.topic.c_str(), tp.partition)->offset = offset;
  }
  QueuePtr q(rd_kafka_queue_new(handle_.get()));
  if (rd_kafka_commit_queue(handle_.get(), l.get(), q.get(), nullptr, nullptr) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return false;
  }
  EventPtr answer(rd_kafka_queue_poll(q.get(), static_cast<int>(wait.count())));
  if (!answer || rd_kafka_event_error(answer.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
  const rd_kafka_topic_partition_list_t* parts = rd_kafka_event_topic_partition_list(answer.get());
  for (int i = 0; parts != nullptr && i < parts->cnt; ++i) {
    if (parts->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
  }
  return true;
}

bool Consumer::BrokerAnswersAtStop() {
  if (!broker_answers_at_stop_) {
    broker_answers_at_stop_ = WaitForBroker(handle_.get(), bootstrap_, static_cast<int>(kCloseProbeTimeout.count())).ok();
  }
  return *broker_answers_at_stop_;
}

void Consumer::Close() {
  if (closed_ || !handle_) return;
  closed_ = true;
  // Every recorded offset the coordinator has not confirmed yet (sent from the last Poll, or
  // answered but not served) is sent again, and this time the answer is awaited.
  offsets_.ResendUnconfirmed();
  // Is a broker there to take the last offsets and the group's leave? (one metadata
  // request, also with no offsets to send: a close without a broker waits either way)
  if (!BrokerAnswersAtStop()) {
    if (offsets_.has_unsent()) {
      StderrConsole().Write(fmt::format(
          "lakestream: warning: no broker answered at the stop (bootstrap.servers={}); the last offsets of group "
          "'{}' are not committed (informational only: the lake's checkpoints hold the positions)\n",
          bootstrap_, group_));
    }
    // rd_kafka_consumer_close, and even a destroy without it, waits until an offset commit
    // sent after the broker went times out: session.timeout.ms (10 s), one stop in three
    // under asan. The revocation the close would serve is served here (the lake's
    // checkpoints are written before Close, so it adds nothing to them), and the handle is
    // destroyed without the close, given kCloseDestroyTimeout.
    rd_kafka_topic_partition_list_t* assigned = nullptr;
    if (rd_kafka_assignment(handle_.get(), &assigned) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      PartitionListPtr owned(assigned);
      if (owned && owned->cnt > 0) listener_->OnRevoked(ToVector(owned.get()), rd_kafka_assignment_lost(handle_.get()) != 0);
    }
    if (queue_ != nullptr) rd_kafka_queue_destroy(std::exchange(queue_, nullptr));
    if (!DestroyConsumerWithin(handle_.release(), kCloseDestroyTimeout)) {
      StderrConsole().Write(fmt::format(
          "lakestream: warning: librdkafka still waits for the coordinator of group '{}' to take offsets sent "
          "before the broker went (bootstrap.servers={}); not waiting for it\n",
          group_, bootstrap_));
    }
    return;
  }
  if (const rd_kafka_resp_err_t err = FlushOffsets(false, kCloseCommitTimeout); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    StderrConsole().Write(fmt::format(
        "lakestream: warning: the last offsets of group '{}' were not committed (bootstrap.servers={}): {} "
        "(informational only: the lake's checkpoints hold the positions; the next run commits them)\n",
        group_, bootstrap_, rd_kafka_err2str(err)));
  }
  rd_kafka_consumer_close(handle_.get());  // serves the final revocation through the listener
}

}  // namespace lakestream::kafka
