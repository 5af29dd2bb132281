// A librdkafka consumer-group member that hands partitions to lakestream's
// partition tasks and lets them choose where each partition resumes.
//
// The commit point of lakestream is the lake's checkpoint, not Kafka's committed
// offsets: on assignment the listener returns the offset to resume from (read from
// the checkpoint); Kafka offsets are committed only for lag monitoring.
//
// Thread-safety: one thread calls every method; listener callbacks run on that
// thread from inside Poll().
#pragma once

#include <chrono>
#include <functional>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kafka/client_config.h"
#include "kafka/group_offsets.h"

namespace lakestream::kafka {

class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  // Partitions were assigned to this member: return the offset to start each at
  // (same order), or -1 to start at the beginning of the partition.
  virtual std::vector<int64_t> OnAssigned(const std::vector<TopicPartition>& partitions) = 0;
  // Partitions are being taken away: finish (checkpoint) their work before returning.
  // `lost`: the assignment was lost (the session expired, e.g. the process was stopped):
  // another member may own them already, so their work must be dropped, not committed.
  virtual void OnRevoked(const std::vector<TopicPartition>& partitions, bool lost) = 0;
  // What to move away to process `partition` from its start (its checkpoint and lake files),
  // for the error that says its offset is gone from the topic.
  virtual std::string ReprocessAdvice(const TopicPartition& partition) const = 0;
};

// The fetch and prefetch settings lakestream's consumer uses unless the user sets them,
// for the librdkafka loaded at run time (bench/bare_consumer.cc reads with the same).
std::vector<std::pair<std::string, std::string>> FetchDefaults();

// Refuses (InvalidArgument naming where each was set) the user's settings that would change
// which group the job joins or what it reads: a group.id other than `group` (--group), an
// auto.offset.reset other than earliest (or error), isolation.level=read_uncommitted.
// Consumer::Make forces the values it needs; these would otherwise be overridden silently.
// Also a max.poll.interval.ms below the session timeout Make sets by default, which
// librdkafka refuses blaming a session.timeout.ms the user never set.
Status CheckConsumerSettings(const ClientConfig& config, const std::string& group);

struct ConsumedMessage {
  std::string_view topic;
  int32_t partition;
  int64_t offset;
  std::string_view key;
  std::string_view value;
  int64_t timestamp_ms = -1;  // the record's timestamp (create or log-append time), -1 if none
  // Not a record: the fetch reached the partition's end (enable.partition.eof=true), and
  // `offset` is where it stands: past the last record and past any transaction markers
  // after it, which no record's offset + 1 reaches.
  bool end_of_partition = false;
};

class Consumer {
 public:
  // Joins `group` and subscribes to `topics`. Uses the cooperative-sticky assignor (unless
  // group.protocol=consumer: the broker's protocol, also incremental) so a
  // rebalance moves only the partitions that change owner.
  // Unless the user set them (and not with group.protocol=consumer, where the broker sets
  // them and the client refuses them): session.timeout.ms kSessionTimeoutMs, so that a
  // restarted or added member gets partitions soon, heartbeat.interval.ms 1000.
  static Result<std::unique_ptr<Consumer>> Make(ClientConfig config, const std::string& group,
                                                const std::vector<std::string>& topics,
                                                RebalanceListener* listener,
                                                int connect_timeout_ms,
                                                const std::function<bool()>& stop = {});
  ~Consumer();
  static constexpr int64_t kSessionTimeoutMs = 10000;
  // The group session timeout in effect (librdkafka's 45 s with group.protocol=consumer,
  // where the broker's counts).
  int64_t session_timeout_ms() const { return session_timeout_ms_; }

  // Polls up to `max` messages (what is queued; waits at most `timeout_ms` only when
  // nothing is), calling `fn` for each (and for each end-of-partition event). Errors that end consumption are returned;
  // transient ones are logged and retried by librdkafka.
  template <typename Fn>
  Result<size_t> Poll(size_t max, int timeout_ms, Fn&& fn);

  // The partitions' low and high watermark offsets (high = one past the last message), in
  // the order given: one ListOffsets request per bound and leader. Ask before the
  // partitions' fetching starts (in OnAssigned): a broker answers a connection's requests in
  // order, so a request sent while a fetch waits for data (fetch.wait.max.ms) waits too.
  Result<std::vector<std::pair<int64_t, int64_t>>> Watermarks(const std::vector<TopicPartition>& parts,
                                                              int timeout_ms);
  // The high watermark librdkafka last saw for the partition (no broker round trip), or -1.
  int64_t CachedHighWatermark(const TopicPartition& tp);
  // Records `next_offset` as the group's committed offset (informational: lag monitoring).
  // Offsets are sent to the group coordinator together (asynchronously), at most once per
  // kOffsetCommitInterval from Poll and for partitions being revoked (after the listener's
  // OnRevoked, while they are still assigned; Close revokes everything): one request per
  // partition checkpoint cost the broker ~1.5 ms of CPU each, a quarter of its work in a
  // backfill. An offset already sent is not sent again; one the coordinator refused (e.g.
  // during a rebalance) is, with the next send, while the partition is still assigned.
  void CommitOffset(const TopicPartition& tp, int64_t next_offset);
  static constexpr std::chrono::milliseconds kOffsetCommitInterval{1000};
  // Leaves the group cleanly: sends every offset the coordinator has not confirmed and
  // waits up to kCloseCommitTimeout for its answer (librdkafka's close does not always wait
  // for a commit sent from its final revocation: a member that closed right after a
  // rebalance lost its last offsets, ~1 run in 10 of test_two_processes_in_one_group under
  // asan), then revokes everything through the listener. If no broker answers within
  // kCloseProbeTimeout, the offsets are dropped, the revocation is served here and the handle
  // destroyed without librdkafka's close, which waited ~10 s for a coordinator; the destroy
  // is given kCloseDestroyTimeout (DestroyConsumerWithin). The offsets are informational
  // (the lake's checkpoints, written before, hold the positions), so the stop takes ~2 s
  // and a warning says so.
  void Close();
  // Whether a broker answers (a metadata request within kCloseProbeTimeout), asked once:
  // Close uses the same answer. The job asks before its final commits, which then need not
  // each wait for a cluster that is gone (process/topic_guard.h).
  bool BrokerAnswersAtStop();
  static constexpr std::chrono::milliseconds kCloseProbeTimeout{1000};
  static constexpr std::chrono::milliseconds kCloseCommitTimeout{2000};
  static constexpr std::chrono::milliseconds kCloseDestroyTimeout{1000};

  // After a stall (the job did not run for longer than the group session: stopped,
  // starved): does the group coordinator still take this member's commits? Asked with a
  // synchronous commit of offsets it confirmed already, so nothing moves. false when it
  // refuses (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS, ...) or does not
  // answer within `wait`; librdkafka, refused, rejoins and serves the loss of the
  // assignment at a next Poll. true when it confirms, or when there is nothing to ask with
  // (no offset confirmed yet).
  bool ConfirmMembership(std::chrono::milliseconds wait);

  rd_kafka_t* handle() { return handle_.get(); }
  const std::string& bootstrap() const { return bootstrap_; }

 private:
  Consumer() = default;
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* parts, void* opaque);
  static void OnCommitted(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                          void* opaque);
  Status PollError(rd_kafka_message_t* m);
  // Sends the offsets recorded since the last send in one OffsetCommit request; `drop`:
  // forgets them instead (the assignment was lost). With a `wait`, returns the
  // coordinator's answer (or _TIMED_OUT); without, does not wait for it.
  rd_kafka_resp_err_t FlushOffsets(bool drop = false, std::chrono::milliseconds wait = std::chrono::milliseconds{0});

  HandlePtr handle_;
  rd_kafka_queue_t* queue_ = nullptr;
  RebalanceListener* listener_ = nullptr;
  std::string bootstrap_;
  std::string group_;
  int64_t session_timeout_ms_ = 45000;
  bool closed_ = false;
  std::optional<bool> broker_answers_at_stop_;  // BrokerAnswersAtStop's answer
  std::vector<rd_kafka_message_t*> batch_;
  GroupOffsets offsets_;
  std::chrono::steady_clock::time_point offsets_sent_{};
};

template <typename Fn>
Result<size_t> Consumer::Poll(size_t max, int timeout_ms, Fn&& fn) {
  if (offsets_.has_unsent() && std::chrono::steady_clock::now() - offsets_sent_ >= kOffsetCommitInterval) {
    FlushOffsets();
  }
  batch_.resize(max);
  // rd_kafka_consume_batch_queue waits until `max` messages are there or the timeout
  // passes; the job would then idle while messages it could process sit in the queue.
  // So: take whatever is queued now, and only if nothing is, wait for the first message
  // (then take what came with it).
  ssize_t n = rd_kafka_consume_batch_queue(queue_, 0, batch_.data(), max);
  if (n == 0 && timeout_ms > 0 && max > 0) {
    n = rd_kafka_consume_batch_queue(queue_, timeout_ms, batch_.data(), 1);
    if (n == 1 && max > 1) {
      // An error here would lose the message already taken: it is left to the next Poll.
      const ssize_t more = rd_kafka_consume_batch_queue(queue_, 0, batch_.data() + 1, max - 1);
      if (more > 0) n += more;
    }
  }
  if (n < 0) return Status::Unavailable(std::string("poll failed: ") + rd_kafka_err2str(rd_kafka_last_error()));
  Status error;
  size_t delivered = 0;
  for (ssize_t i = 0; i < n; ++i) {
    rd_kafka_message_t* m = batch_[static_cast<size_t>(i)];
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (error.ok() && m->rkt != nullptr) {
        fn(ConsumedMessage{rd_kafka_topic_name(m->rkt), m->partition, m->offset, {}, {}, -1, /*end_of_partition=*/true});
      }
    } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (error.ok()) error = PollError(m);
    } else if (error.ok()) {
      fn(ConsumedMessage{rd_kafka_topic_name(m->rkt), m->partition, m->offset,
                         std::string_view(static_cast<const char*>(m->key), m->key ? m->key_len : 0),
                         std::string_view(static_cast<const char*>(m->payload), m->payload ? m->len : 0),
                         rd_kafka_message_timestamp(m, nullptr)});
      ++delivered;
    }
    rd_kafka_message_destroy(m);
  }
  if (!error.ok()) return error;
  return delivered;
}

}  // namespace lakestream::kafka
