#include "kafka/topic_id.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include "kafka/client_config.h"

namespace lakestream::kafka {
namespace {

// librdkafka >= 2.3's DescribeTopics API, by the types of its own declarations (the types new
// in 2.3 as void: the older headers do not declare them).
struct DescribeTopicsApi {
  void* (*collection_of_topic_names)(const char** topics, size_t count);
  void (*collection_destroy)(void* collection);
  void (*describe_topics)(rd_kafka_t* rk, const void* collection, const rd_kafka_AdminOptions_t* options,
                          rd_kafka_queue_t* queue);
  const void* (*event_result)(rd_kafka_event_t* event);
  const void** (*result_topics)(const void* result, size_t* count);
  const char* (*description_name)(const void* description);
  const rd_kafka_error_t* (*description_error)(const void* description);
  const void* (*description_topic_id)(const void* description);
  const char* (*uuid_base64str)(const void* uuid);
};

template <typename Fn>
bool Find(const char* name, Fn* fn) {
  *fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
  return *fn != nullptr;
}

// nullptr if the library lacks any of them.
const DescribeTopicsApi* Api() {
  static const std::optional<DescribeTopicsApi> api = []() -> std::optional<DescribeTopicsApi> {
    DescribeTopicsApi a{};
    const bool all = Find("rd_kafka_TopicCollection_of_topic_names", &a.collection_of_topic_names) &&
                     Find("rd_kafka_TopicCollection_destroy", &a.collection_destroy) &&
                     Find("rd_kafka_DescribeTopics", &a.describe_topics) &&
                     Find("rd_kafka_event_DescribeTopics_result", &a.event_result) &&
                     Find("rd_kafka_DescribeTopics_result_topics", &a.result_topics) &&
                     Find("rd_kafka_TopicDescription_name", &a.description_name) &&
                     Find("rd_kafka_TopicDescription_error", &a.description_error) &&
                     Find("rd_kafka_TopicDescription_topic_id", &a.description_topic_id) &&
                     Find("rd_kafka_Uuid_base64str", &a.uuid_base64str);
    if (!all) return std::nullopt;
    return a;
  }();
  return api ? &*api : nullptr;
}

}  // namespace

bool TopicIdsAvailable() { return Api() != nullptr; }

Result<std::optional<std::string>> DescribeTopicId(rd_kafka_t* rk, const std::string& topic, int timeout_ms) {
  const DescribeTopicsApi* api = Api();
  if (api == nullptr) return std::optional<std::string>();
  const std::string what = fmt::format("describing topic '{}'", topic);
  std::unique_ptr<rd_kafka_AdminOptions_t, void (*)(rd_kafka_AdminOptions_t*)> options(
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ANY), rd_kafka_AdminOptions_destroy);
  char err[512];
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout_ms, err, sizeof err) != 0) {
    return Status::InvalidArgument(fmt::format("{}: request timeout {} ms: {}", what, timeout_ms, err));
  }
  QueuePtr queue(rd_kafka_queue_new(rk));
  const char* names[] = {topic.c_str()};
  std::unique_ptr<void, void (*)(void*)> collection(api->collection_of_topic_names(names, 1), api->collection_destroy);
  api->describe_topics(rk, collection.get(), options.get(), queue.get());
  // The request's own timeout ends it first; the margin only bounds a lost event.
  EventPtr event(rd_kafka_queue_poll(queue.get(), timeout_ms + 1000));
  if (event == nullptr) {
    return Status::Unavailable(fmt::format("{}: no answer within {} ms", what, timeout_ms + 1000));
  }
  if (rd_kafka_resp_err_t e = rd_kafka_event_error(event.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Unavailable(fmt::format("{}: {}", what, rd_kafka_event_error_string(event.get())));
  }
  const void* result = api->event_result(event.get());
  if (result == nullptr) return Status::Internal(fmt::format("{}: unexpected event {}", what, rd_kafka_event_name(event.get())));
  size_t count = 0;
  const void** topics = api->result_topics(result, &count);
  for (size_t i = 0; i < count; ++i) {
    if (topic != api->description_name(topics[i])) continue;
    if (const rd_kafka_error_t* e = api->description_error(topics[i]); e != nullptr) {
      if (rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
        return Status::NotFound(fmt::format("{}: no such topic", what));
      }
      return Status::Unavailable(fmt::format("{}: {}", what, rd_kafka_error_string(e)));
    }
    const void* id = api->description_topic_id(topics[i]);
    if (id == nullptr) return Status::Internal(fmt::format("{}: the answer holds no topic id", what));
    return std::optional<std::string>(api->uuid_base64str(id));
  }
  return Status::Internal(fmt::format("{}: the answer does not name it", what));
}

}  // namespace lakestream::kafka
