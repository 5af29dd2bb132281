#include "kafka/admin.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string_view>
#include <thread>

#include "core/topic_name.h"

namespace lakestream::kafka {

namespace {

struct NewTopicDeleter {
  void operator()(rd_kafka_NewTopic_t* t) const { rd_kafka_NewTopic_destroy(t); }
};
struct DeleteTopicDeleter {
  void operator()(rd_kafka_DeleteTopic_t* t) const { rd_kafka_DeleteTopic_destroy(t); }
};
struct ConfigResourceDeleter {
  void operator()(rd_kafka_ConfigResource_t* r) const { rd_kafka_ConfigResource_destroy(r); }
};
using NewTopicPtr = std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDeleter>;
using DeleteTopicPtr = std::unique_ptr<rd_kafka_DeleteTopic_t, DeleteTopicDeleter>;
using ConfigResourcePtr = std::unique_ptr<rd_kafka_ConfigResource_t, ConfigResourceDeleter>;

// librdkafka reports request timeouts itself; this margin only guards against a lost event.
constexpr int kEventMarginMs = 5000;

// Listed as internal by convention: '__' names (some may be anybody's).
bool IsInternalTopic(const std::string& name) { return name.rfind("__", 0) == 0; }

// The brokers' own topics, which Kafka's tools refuse to delete: __consumer_offsets holds
// every group's offsets on the cluster, __transaction_state every producer's transactions.
bool IsBrokersOwnTopic(std::string_view name) {
  for (std::string_view own : {"__consumer_offsets", "__transaction_state", "__share_group_state", "__cluster_metadata"}) {
    if (name == own) return true;
  }
  return false;
}

// Maps a broker or client error about `what` to a Status whose code tells the caller
// whether retrying can help.
Status FromKafkaError(rd_kafka_resp_err_t err, const char* message, const std::string& what) {
  std::string text = message != nullptr && *message != '\0' ? message : rd_kafka_err2str(err);
  std::string m = fmt::format("{}: {} ({})", what, text, rd_kafka_err2name(err));
  switch (err) {
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      return Status::NotFound(m);
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICA_ASSIGNMENT:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return Status::InvalidArgument(m);
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_DELETION_DISABLED:
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
      return Status::FailedPrecondition(m);
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR_NOT_CONTROLLER:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
      return Status::Unavailable(m);
    default:
      return Status::FailedPrecondition(m);
  }
}

std::string Quoted(const std::string& topic) { return fmt::format("topic '{}'", topic); }

}  // namespace

Admin::Admin(Admin&&) noexcept = default;
Admin::~Admin() = default;

Result<TopicConfig> ParseTopicConfigArgs(const std::vector<std::string>& args) {
  TopicConfig out;
  for (const auto& arg : args) {
    size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument(fmt::format(
          "--topic-config expects key=value (e.g. retention.ms=86400000), got '{}'", arg));
    }
    std::string key = arg.substr(0, eq);
    for (const auto& [k, v] : out) {
      if (k == key)
        return Status::InvalidArgument(fmt::format("--topic-config {} is given twice", key));
    }
    out.emplace_back(std::move(key), arg.substr(eq + 1));
  }
  return out;
}

Result<Admin> Admin::Connect(const ClientConfig& config, int timeout_ms) {
  Admin admin;
  admin.timeout_ms_ = std::max(1, timeout_ms);
  admin.bootstrap_ = config.Bootstrap();
  admin.config_ = config;
  LS_ASSIGN_OR_RETURN(ConfPtr conf, config.Build());
  LS_ASSIGN_OR_RETURN(admin.handle_, CreateHandle(RD_KAFKA_PRODUCER, std::move(conf)));
  LS_RETURN_NOT_OK(WaitForBroker(admin.handle_.get(), admin.bootstrap_, admin.timeout_ms_));
  return admin;
}

Result<AdminOptionsPtr> Admin::Options(rd_kafka_admin_op_t op, bool with_operation_timeout) const {
  AdminOptionsPtr options(rd_kafka_AdminOptions_new(handle_.get(), op));
  char err[512];
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout_ms_, err, sizeof err) != 0) {
    return Status::InvalidArgument(
        fmt::format("admin request timeout {} ms: {}", timeout_ms_, err));
  }
  if (with_operation_timeout && rd_kafka_AdminOptions_set_operation_timeout(
                                    options.get(), timeout_ms_, err, sizeof err) != 0) {
    return Status::InvalidArgument(
        fmt::format("admin operation timeout {} ms: {}", timeout_ms_, err));
  }
  return options;
}

Result<EventPtr> Admin::AwaitResult(rd_kafka_queue_t* queue, rd_kafka_event_type_t expected,
                                    const char* what) {
  EventPtr event(rd_kafka_queue_poll(queue, timeout_ms_ + kEventMarginMs));
  if (event == nullptr) {
    return Status::Unavailable(fmt::format("{}: no answer from the cluster at {} within {} ms",
                                           what, bootstrap_, timeout_ms_ + kEventMarginMs));
  }
  if (rd_kafka_event_type(event.get()) != expected) {
    return Status::Internal(
        fmt::format("{}: unexpected admin event {}", what, rd_kafka_event_name(event.get())));
  }
  if (rd_kafka_resp_err_t err = rd_kafka_event_error(event.get());
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return FromKafkaError(err, rd_kafka_event_error_string(event.get()), what);
  }
  return event;
}

namespace {

// Listed without error, with a leader for each partition.
bool TopicIsReady(const rd_kafka_metadata_t& md, const std::string& name) {
  for (int i = 0; i < md.topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = md.topics[i];
    if (name != t.topic) continue;
    if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR || t.partition_cnt == 0) return false;
    for (int p = 0; p < t.partition_cnt; ++p) {
      if (t.partitions[p].err != RD_KAFKA_RESP_ERR_NO_ERROR || t.partitions[p].leader < 0) return false;
    }
    return true;
  }
  return false;
}

}  // namespace

Result<CreateOutcome> Admin::CreateTopic(const NewTopic& topic, bool if_not_exists) {
  LS_RETURN_NOT_OK(ValidateTopicName(topic.name));
  if (topic.partitions < 1) {
    return Status::InvalidArgument(fmt::format("{}: --partitions must be at least 1, got {}",
                                               Quoted(topic.name), topic.partitions));
  }
  if (topic.replication_factor < 1 && topic.replication_factor != -1) {
    return Status::InvalidArgument(
        fmt::format("{}: --replication-factor must be at least 1, got {}", Quoted(topic.name),
                    topic.replication_factor));
  }
  char err[512];
  NewTopicPtr request(rd_kafka_NewTopic_new(topic.name.c_str(), topic.partitions,
                                            topic.replication_factor, err, sizeof err));
  if (request == nullptr)
    return Status::InvalidArgument(fmt::format("{}: {}", Quoted(topic.name), err));
  for (const auto& [key, value] : topic.configs) {
    if (rd_kafka_resp_err_t e =
            rd_kafka_NewTopic_set_config(request.get(), key.c_str(), value.c_str());
        e != 0) {
      return FromKafkaError(e, nullptr,
                            fmt::format("{}: topic config '{}'", Quoted(topic.name), key));
    }
  }
  LS_ASSIGN_OR_RETURN(AdminOptionsPtr options, Options(RD_KAFKA_ADMIN_OP_CREATETOPICS, true));
  QueuePtr queue(rd_kafka_queue_new(handle_.get()));
  rd_kafka_NewTopic_t* requests[] = {request.get()};
  rd_kafka_CreateTopics(handle_.get(), requests, 1, options.get(), queue.get());
  const std::string what = fmt::format("cannot create {}", Quoted(topic.name));
  LS_ASSIGN_OR_RETURN(EventPtr event,
                      AwaitResult(queue.get(), RD_KAFKA_EVENT_CREATETOPICS_RESULT, what.c_str()));

  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      if (if_not_exists) return CreateOutcome::kAlreadyExists;
      // The request is wrong as it stands (retrying fails again): exit code 2.
      return Status::InvalidArgument(
          fmt::format("{} already exists on {} (pass --if-not-exists to accept an existing topic)",
                      Quoted(topic.name), bootstrap_));
    }
    return FromKafkaError(e, rd_kafka_topic_result_error_string(results[i]), what);
  }
  // The controller has the topic; the brokers' metadata may lag it (seconds on a broker
  // just restarted with many topics), and a producer started now would be told the topic
  // does not exist. Created means usable: wait until every partition has a leader.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
  // (The topic exists either way: a metadata error here ends the wait, not the command.)
  while (std::chrono::steady_clock::now() < deadline) {
    Result<MetadataPtr> md = AllTopicsMetadata();
    if (!md.ok() || TopicIsReady(**md, topic.name)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return CreateOutcome::kCreated;
}

Result<MetadataPtr> Admin::AllTopicsMetadata() {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(handle_.get(), /*all_topics=*/1, nullptr, &md, timeout_ms_);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return FromKafkaError(err, nullptr,
                          fmt::format("cannot list the topics of the cluster at {}", bootstrap_));
  }
  return MetadataPtr(md);
}

Result<std::vector<TopicListing>> Admin::ListTopics(bool include_internal) {
  LS_ASSIGN_OR_RETURN(MetadataPtr md, AllTopicsMetadata());
  std::vector<TopicListing> out;
  for (int i = 0; i < md->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = md->topics[i];
    TopicListing listing{t.topic, t.partition_cnt, IsInternalTopic(t.topic)};
    if (listing.internal && !include_internal) continue;
    out.push_back(std::move(listing));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Result<std::vector<PartitionLag>> Admin::GroupLag(const std::string& group, const std::string& topic) {
  LS_RETURN_NOT_OK(ValidateTopicName(topic));
  if (group.empty()) return Status::InvalidArgument("--group must not be empty");
  LS_ASSIGN_OR_RETURN(TopicDescription desc, DescribePartitions(topic));
  std::vector<PartitionLag> out;
  PartitionListPtr parts(rd_kafka_topic_partition_list_new(static_cast<int>(desc.partitions.size())));
  for (const auto& p : desc.partitions) {
    out.push_back(PartitionLag{p.id});
    rd_kafka_topic_partition_list_add(parts.get(), topic.c_str(), p.id);
  }

  // The committed offsets come from a consumer handle of the group (rd_kafka_committed),
  // which never joins it, not from the admin API's ListConsumerGroupOffsets: librdkafka
  // (2.4-2.16 at least, its issue #5040) crashes in that call when the coordinator answers
  // NOT_COORDINATOR or is still loading the group, as right after a broker restart,
  // because a producer-type admin handle has no group to hand the error to. A consumer's
  // group survives those answers; they are asked again (backing off from 50 ms) until the
  // admin timeout, after which the last one is reported.
  const std::string what = fmt::format("cannot read the committed offsets of group '{}'", group);
  ClientConfig config = config_;
  config.Force("group.id", group);
  config.Force("enable.auto.commit", "false");
  LS_ASSIGN_OR_RETURN(ConfPtr conf, config.Build());
  LS_ASSIGN_OR_RETURN(HandlePtr consumer, CreateHandle(RD_KAFKA_CONSUMER, std::move(conf)));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
  for (int backoff_ms = 50;; backoff_ms = std::min(2 * backoff_ms, 1000)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    const int wait_ms = static_cast<int>(std::max<int64_t>(1, left.count()));
    const rd_kafka_resp_err_t err = rd_kafka_committed(consumer.get(), parts.get(), wait_ms);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    const bool coordinator_busy = err == RD_KAFKA_RESP_ERR_NOT_COORDINATOR ||
                                  err == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE ||
                                  err == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS;
    if (!coordinator_busy) return FromKafkaError(err, nullptr, what);
    if (std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff_ms) >= deadline) {
      Status st = FromKafkaError(err, nullptr, what);
      return Status(st.code(), fmt::format("{}; the group's coordinator was not ready within {:g} s "
                                           "(a broker that just started loads its groups first): "
                                           "try again, or give it longer with --timeout",
                                           st.message(), timeout_ms_ / 1000.0));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
  }
  for (int k = 0; k < parts->cnt; ++k) {
    const rd_kafka_topic_partition_t& e = parts->elems[k];
    if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return FromKafkaError(e.err, nullptr, fmt::format("{} ({}/{})", what, topic, e.partition));
    }
    for (auto& p : out) {
      if (p.partition == e.partition) p.committed = e.offset < 0 ? -1 : e.offset;
    }
  }
  for (auto& p : out) {
    int64_t low = -1;
    rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(handle_.get(), topic.c_str(), p.partition, &low, &p.end, timeout_ms_);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return FromKafkaError(err, nullptr, fmt::format("cannot read the end offset of {}/{}", topic, p.partition));
    }
  }
  return out;
}

Result<TopicDescription> Admin::DescribePartitions(const std::string& name) {
  LS_RETURN_NOT_OK(ValidateTopicName(name));
  // Metadata for all topics, not just this one: a request naming one topic may auto-create
  // it on brokers with auto.create.topics.enable=true, and describe must never create.
  LS_ASSIGN_OR_RETURN(MetadataPtr md, AllTopicsMetadata());
  TopicDescription desc;
  desc.name = name;
  const rd_kafka_metadata_topic_t* found = nullptr;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (name == md->topics[i].topic) found = &md->topics[i];
  }
  if (found == nullptr || found->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
    return Status::NotFound(
        fmt::format("{} does not exist on {} (`lakestream topics list` shows the topics)",
                    Quoted(name), bootstrap_));
  }
  if (found->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return FromKafkaError(found->err, nullptr, fmt::format("cannot describe {}", Quoted(name)));
  }
  for (int i = 0; i < found->partition_cnt; ++i) {
    const rd_kafka_metadata_partition_t& p = found->partitions[i];
    PartitionDescription pd;
    pd.id = p.id;
    pd.leader = p.leader;
    pd.replicas.assign(p.replicas, p.replicas + p.replica_cnt);
    pd.isr.assign(p.isrs, p.isrs + p.isr_cnt);
    desc.partitions.push_back(std::move(pd));
  }
  std::sort(desc.partitions.begin(), desc.partitions.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  return desc;
}

Result<TopicDescription> Admin::DescribeTopic(const std::string& name) {
  LS_ASSIGN_OR_RETURN(TopicDescription desc, DescribePartitions(name));

  ConfigResourcePtr resource(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.c_str()));
  LS_ASSIGN_OR_RETURN(AdminOptionsPtr options, Options(RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, false));
  QueuePtr queue(rd_kafka_queue_new(handle_.get()));
  rd_kafka_ConfigResource_t* resources[] = {resource.get()};
  rd_kafka_DescribeConfigs(handle_.get(), resources, 1, options.get(), queue.get());
  const std::string what = fmt::format("cannot read the configuration of {}", Quoted(name));
  LS_ASSIGN_OR_RETURN(
      EventPtr event,
      AwaitResult(queue.get(), RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, what.c_str()));
  size_t count = 0;
  const rd_kafka_ConfigResource_t** results = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(event.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    if (rd_kafka_resp_err_t e = rd_kafka_ConfigResource_error(results[i]);
        e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return FromKafkaError(e, rd_kafka_ConfigResource_error_string(results[i]), what);
    }
    size_t entry_count = 0;
    const rd_kafka_ConfigEntry_t** entries =
        rd_kafka_ConfigResource_configs(results[i], &entry_count);
    for (size_t j = 0; j < entry_count; ++j) {
      ConfigEntry c;
      c.name = rd_kafka_ConfigEntry_name(entries[j]);
      const char* value = rd_kafka_ConfigEntry_value(entries[j]);
      c.value = value == nullptr ? "" : value;
      c.source = rd_kafka_ConfigSource_name(rd_kafka_ConfigEntry_source(entries[j]));
      c.is_default = rd_kafka_ConfigEntry_is_default(entries[j]) != 0;
      c.is_sensitive = rd_kafka_ConfigEntry_is_sensitive(entries[j]) != 0;
      desc.configs.push_back(std::move(c));
    }
  }
  std::sort(desc.configs.begin(), desc.configs.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return desc;
}

Result<bool> Admin::DeleteTopic(const std::string& name, bool if_exists) {
  LS_RETURN_NOT_OK(ValidateTopicName(name));
  if (IsBrokersOwnTopic(name)) {
    return Status::InvalidArgument(fmt::format(
        "'{}' is one of the brokers' own topics (group offsets, transactions): lakestream does not delete it", name));
  }
  DeleteTopicPtr request(rd_kafka_DeleteTopic_new(name.c_str()));
  LS_ASSIGN_OR_RETURN(AdminOptionsPtr options, Options(RD_KAFKA_ADMIN_OP_DELETETOPICS, true));
  QueuePtr queue(rd_kafka_queue_new(handle_.get()));
  rd_kafka_DeleteTopic_t* requests[] = {request.get()};
  rd_kafka_DeleteTopics(handle_.get(), requests, 1, options.get(), queue.get());
  const std::string what = fmt::format("cannot delete {}", Quoted(name));
  LS_ASSIGN_OR_RETURN(EventPtr event,
                      AwaitResult(queue.get(), RD_KAFKA_EVENT_DELETETOPICS_RESULT, what.c_str()));
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (e == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      if (if_exists) return false;
      return Status::NotFound(fmt::format(
          "{} does not exist on {} (pass --if-exists to accept that)", Quoted(name), bootstrap_));
    }
    return FromKafkaError(e, rd_kafka_topic_result_error_string(results[i]), what);
  }
  return true;
}

}  // namespace lakestream::kafka
