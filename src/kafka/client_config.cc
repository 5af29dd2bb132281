#include "kafka/client_config.h"

#include <fmt/format.h>

#include <atomic>
#include <future>
#include <memory>
#include <thread>

#include "core/topic_name.h"

namespace lakestream::kafka {

Result<ClientConfig> ClientConfig::Load(const std::string& config_file,
                                        const std::vector<std::string>& overrides) {
  ClientConfig c;
  if (!config_file.empty()) {
    LS_ASSIGN_OR_RETURN(c.props_, ReadPropertiesFile(config_file));
  }
  for (const auto& arg : overrides) {
    LS_ASSIGN_OR_RETURN(Property p, ParsePropertyArg(arg));
    c.props_.push_back(std::move(p));
  }
  return c;
}

void ClientConfig::SetDefault(const std::string& key, const std::string& value) {
  for (const auto& p : props_) {
    if (p.key == key) return;
  }
  props_.insert(props_.begin(), Property{key, value, "lakestream default"});
}

void ClientConfig::Force(const std::string& key, const std::string& value) {
  props_.push_back(Property{key, value, "lakestream"});
}

const Property* ClientConfig::Find(const std::string& key) const {
  const Property* last = nullptr;
  for (const auto& p : props_) {
    if (p.key == key) last = &p;  // the last one wins, as in librdkafka
  }
  return last;
}

std::string ClientConfig::Get(const std::string& key) const {
  const Property* p = Find(key);
  return p == nullptr ? std::string() : p->value;
}

std::string ClientConfig::Bootstrap() const {
  std::string v = Get("bootstrap.servers");
  if (v.empty()) v = Get("metadata.broker.list");
  return v.empty() ? kDefaultBootstrap : v;
}

namespace {

// What to do about a key librdkafka does not know: those of Java clients and of Confluent's
// Schema Registry serializers, which their client.properties files hold, are named as such.
std::string UnknownKeyAdvice(std::string_view key) {
  if (key.ends_with(".serializer") || key.ends_with(".deserializer") || key.ends_with(".class") ||
      key.ends_with(".classes")) {
    return "a Java client setting that names a Java class: remove the line";
  }
  for (std::string_view prefix : {"schema.registry.", "basic.auth.", "bearer.auth."}) {
    if (key.starts_with(prefix)) {
      return "a Schema Registry setting of Confluent's serializers, which lakestream does not use: remove the line";
    }
  }
  return fmt::format("librdkafka {} knows the keys listed in its CONFIGURATION.md; fix the spelling or remove the line",
                     rd_kafka_version_str());
}

}  // namespace

Result<ConfPtr> ClientConfig::Build() const {
  ConfPtr conf(rd_kafka_conf_new());
  InstallClientLog(conf.get(), !Get("debug").empty());
  char err[512];
  if (Get("bootstrap.servers").empty() && Get("metadata.broker.list").empty()) {
    rd_kafka_conf_set(conf.get(), "bootstrap.servers", kDefaultBootstrap, err, sizeof err);
  }
  // An empty broker list where it is finally set (the last setting wins, as in librdkafka:
  // a template's `bootstrap.servers=` may be filled in by -X).
  for (const char* key : {"bootstrap.servers", "metadata.broker.list"}) {
    const Property* last = Find(key);
    if (last != nullptr && last->value.empty()) {
      return Status::InvalidArgument(fmt::format(
          "{}: {} is empty: give the brokers as HOST:PORT[,HOST:PORT...] (or leave the key out for {})", last->origin,
          key, kDefaultBootstrap));
    }
  }
  // Every key librdkafka does not know, named at once (a Java client's or Confluent's
  // client.properties has several, which took a run each); else the first invalid value.
  std::string unknown;
  Status invalid;
  for (const auto& p : props_) {
    if (IsSecretKey(p.key)) RememberSecretValue(p.value);  // librdkafka's errors may quote it
    rd_kafka_conf_res_t res = rd_kafka_conf_set(conf.get(), p.key.c_str(), p.value.c_str(), err, sizeof err);
    if (!unknown.empty() && (p.key == "sasl.jaas.config" || res == RD_KAFKA_CONF_UNKNOWN)) unknown += "; ";
    if (p.key == "sasl.jaas.config") {
      // Java clients read it; librdkafka has no such setting (its value holds the password).
      unknown += fmt::format(
          "{}: sasl.jaas.config is a Java client setting that librdkafka does not read: give its username and "
          "password as sasl.username and sasl.password instead (and sasl.mechanism, e.g. PLAIN)",
          p.origin);
    } else if (res == RD_KAFKA_CONF_UNKNOWN) {
      unknown += fmt::format("{}: unknown Kafka client property '{}' ({})", p.origin, p.key, UnknownKeyAdvice(p.key));
    } else if (res != RD_KAFKA_CONF_OK && invalid.ok()) {
      // librdkafka's message may quote the value: never show it for secrets.
      std::string why = IsSecretKey(p.key) ? "invalid value (not shown: secret)" : err;
      invalid = Status::InvalidArgument(fmt::format("{}: property '{}': {}", p.origin, p.key, why));
    }
  }
  if (!unknown.empty()) return Status::InvalidArgument(unknown);
  if (!invalid.ok()) return invalid;
  // OAUTHBEARER without a way to get a token: librdkafka waits for one that never comes and
  // never connects, which looked like a broker that does not answer.
  std::string mechanism = Get("sasl.mechanism");
  if (mechanism.empty()) mechanism = Get("sasl.mechanisms");
  if (mechanism == "OAUTHBEARER" && Get("sasl.oauthbearer.method") != "oidc" &&
      Get("enable.sasl.oauthbearer.unsecure.jwt") != "true") {
    return Status::InvalidArgument(
        "sasl.mechanism=OAUTHBEARER needs a way to get tokens: sasl.oauthbearer.method=oidc with "
        "sasl.oauthbearer.token.endpoint.url, sasl.oauthbearer.client.id and sasl.oauthbearer.client.secret (or, for "
        "a test broker only, enable.sasl.oauthbearer.unsecure.jwt=true)");
  }
  return conf;
}

Result<HandlePtr> CreateHandle(rd_kafka_type_t type, ConfPtr conf) {
  char err[512];
  rd_kafka_t* h = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (h == nullptr) {
    std::string message = err;
    // OpenSSL says only "PEM lib" for a wrong password, a key without one, or a file that
    // is no PEM key; librdkafka's reason why is a debug line.
    char key[1024];
    size_t size = sizeof key;
    if (message.starts_with("ssl.key.location failed") &&
        rd_kafka_conf_get(conf.get(), "ssl.key.location", key, &size) == RD_KAFKA_CONF_OK) {
      message += fmt::format(
          ": the private key in '{}' could not be read. An encrypted key needs ssl.key.password, the password it was "
          "encrypted with; the file must hold a PEM private key (-----BEGIN ... PRIVATE KEY-----)",
          key);
    }
    return Status::InvalidArgument(fmt::format("cannot create Kafka client: {}", message));
  }
  conf.release();  // owned by the handle now
  return HandlePtr(h);
}

namespace {

// One metadata request (of every topic if `all_topics`: asking for one by name could create
// it where auto-creation is on), waited for up to `timeout_ms`.
Result<MetadataPtr> FetchMetadata(rd_kafka_t* handle, const std::string& bootstrap, bool all_topics,
                                  int timeout_ms, const std::function<bool()>& stop = {}) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
  if (!stop) {
    err = rd_kafka_metadata(handle, all_topics ? 1 : 0, nullptr, &md, timeout_ms);
  } else {
    // In slices, so that a stop (Ctrl-C, SIGTERM) ends the wait soon. They grow from 0.25
    // to 1 s: a request slower than its slice is sent again, so a far cluster (a long round
    // trip) needs slices longer than its answer takes; the connection itself (TLS, SASL)
    // carries on between slices.
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    int64_t slice_ms = 250;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) break;
      const auto slice_end = Clock::now() + std::chrono::milliseconds(std::min<int64_t>(left, slice_ms));
      err = rd_kafka_metadata(handle, all_topics ? 1 : 0, nullptr, &md,
                              static_cast<int>(std::min<int64_t>(left, slice_ms)));
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      // An error that came at once (connection refused) would spin: wait out the slice.
      while (!stop() && Clock::now() < slice_end) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (stop()) {
        return Status::Unavailable(fmt::format("stopped before a Kafka broker answered at bootstrap.servers={}",
                                               bootstrap));
      }
      slice_ms = std::min<int64_t>(slice_ms * 2, 1000);
    }
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::string last = LastClientError(handle);
    // A broker that answered but refused the connection's security: not a missing broker.
    for (const char* sign : {"SASL", "SSL", "Authentication", "authentication"}) {
      if (last.find(sign) == std::string::npos) continue;
      return Status::Unavailable(fmt::format(
          "the Kafka broker at bootstrap.servers={} did not let this client in within {:g} s: {}. Check "
          "security.protocol, sasl.mechanism and sasl.username / sasl.password (or the ssl.* settings) against the "
          "cluster's listener",
          bootstrap, timeout_ms / 1000.0, last));
    }
    return Status::Unavailable(fmt::format(
        "no Kafka broker answered at bootstrap.servers={} within {:g} s ({}). Start the local one "
        "with `lakestream broker start`, or point --config / -X bootstrap.servers=HOST:PORT at "
        "your cluster{}",
        bootstrap, timeout_ms / 1000.0, rd_kafka_err2str(err), last.empty() ? "" : ". Last client error: " + last));
  }
  MarkConnected(handle);
  return MetadataPtr(md);
}

std::atomic<int> handles_left_behind{0};

}  // namespace

bool DestroyConsumerWithin(rd_kafka_t* handle, std::chrono::milliseconds timeout) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  std::thread([handle, done] {
    rd_kafka_destroy_flags(handle, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    ForgetClient(handle);
    done->set_value();
  }).detach();
  if (finished.wait_for(timeout) == std::future_status::ready) return true;
  handles_left_behind.fetch_add(1);
  return false;
}

int HandlesLeftBehind() { return handles_left_behind.load(); }

Status WaitForBroker(rd_kafka_t* handle, const std::string& bootstrap, int timeout_ms,
                     const std::function<bool()>& stop) {
  return FetchMetadata(handle, bootstrap, false, timeout_ms, stop).status();
}

Result<int> PartitionCount(rd_kafka_t* handle, const std::string& topic, const std::string& bootstrap,
                           int timeout_ms, const std::function<bool()>& stop) {
  // Checked first: a name Kafka refuses does not exist, but `topics create` would refuse it too.
  LS_RETURN_NOT_OK(ValidateTopicName(topic));
  LS_ASSIGN_OR_RETURN(MetadataPtr md, FetchMetadata(handle, bootstrap, true, timeout_ms, stop));
  int partitions = 0;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (topic != md->topics[i].topic) continue;
    if (md->topics[i].err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
      return Status::FailedPrecondition(fmt::format(
          "topic '{}' at {}: this client is not authorized to use it ({}); grant its principal (the API key, "
          "sasl.username) access to the topic",
          topic, bootstrap, rd_kafka_err2str(md->topics[i].err)));
    }
    if (md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) partitions = md->topics[i].partition_cnt;
  }
  if (partitions == 0) {
    // A cluster with ACLs leaves out of the answer the topics a client may not describe.
    return Status::NotFound(fmt::format(
        "topic '{}' does not exist at {} (or, on a cluster with ACLs, this client may not describe it); create it "
        "first, e.g. `lakestream topics create {} --partitions 4`",
        topic, bootstrap, topic));
  }
  return partitions;
}

}  // namespace lakestream::kafka
