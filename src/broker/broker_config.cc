#include "broker/broker_config.h"

#include <fmt/format.h>

#include <cstdlib>

#include "formats/json_string.h"
#include "formats/properties.h"

namespace lakestream::broker {

namespace {

std::string EnvOrEmpty(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

Result<std::filesystem::path> HomeDir(const BrokerEnv& env, const char* what) {
  if (env.home.empty()) {
    return Status::InvalidArgument(fmt::format(
        "cannot find the default {}: HOME is not set (pass the path explicitly)", what));
  }
  return std::filesystem::path(env.home);
}

bool IsWildcard(const std::string& host) {
  return host == "0.0.0.0" || host == "::" || host == "[::]";
}

// Kafka listener syntax needs IPv6 literals in brackets.
std::string ListenerHost(const std::string& host) {
  if (host.find(':') != std::string::npos && host.front() != '[') return "[" + host + "]";
  return host;
}

// A value for server.properties, which Kafka reads as Java properties, in ISO-8859-1: a
// UTF-8 folder name written as is would name another folder (the data went there, and the
// next start's format found a cluster id it had not made), and a backslash would start an
// escape. JSON's escapes (\\, \uXXXX with surrogate pairs, \n ...) are Java's too, but \b.
std::string JavaPropertyValue(std::string_view text) {
  std::string json;
  AppendJsonString(&json, text);
  std::string out;
  for (size_t i = 1; i + 1 < json.size(); ++i) {  // inside the quotes
    if (json[i] != '\\') {
      out += json[i];
      continue;
    }
    const char escaped = json[++i];
    out += escaped == 'b' ? std::string("\\u0008") : std::string{'\\', escaped};
  }
  return out;
}

}  // namespace

BrokerEnv BrokerEnv::FromProcess() {
  BrokerEnv e;
  e.broker_dir = EnvOrEmpty("LAKESTREAM_BROKER_DIR");
  e.kafka_home = EnvOrEmpty("LAKESTREAM_KAFKA_HOME");
  e.kafka_version = EnvOrEmpty("LAKESTREAM_KAFKA_VERSION");
  e.cache = EnvOrEmpty("LAKESTREAM_CACHE");
  e.xdg_cache = EnvOrEmpty("XDG_CACHE_HOME");
  e.xdg_state = EnvOrEmpty("XDG_STATE_HOME");
  e.home = EnvOrEmpty("HOME");
  e.java_home = EnvOrEmpty("JAVA_HOME");
  return e;
}

Result<std::filesystem::path> ResolveBrokerDir(const std::string& flag, const BrokerEnv& env) {
  std::filesystem::path dir;
  if (!flag.empty()) {
    dir = flag;
  } else if (!env.broker_dir.empty()) {
    dir = env.broker_dir;
  } else if (!env.xdg_state.empty()) {
    dir = std::filesystem::path(env.xdg_state) / "lakestream" / "broker";
  } else {
    LS_ASSIGN_OR_RETURN(std::filesystem::path home, HomeDir(env, "broker folder"));
    dir = home / ".local" / "state" / "lakestream" / "broker";
  }
  // Through symlinks: the folder's name is in the broker's command line, against which stop
  // and status check the pid. Another name of one folder (a symlink, a shell's $PWD where
  // getcwd() gives the real path) found its broker "not running", and stop removed its pid
  // file and left the JVM running.
  std::error_code ec;
  std::filesystem::path real = std::filesystem::weakly_canonical(dir, ec);
  return (ec ? std::filesystem::absolute(dir) : real).lexically_normal();
}

Result<std::filesystem::path> ResolveKafkaHome(const BrokerEnv& env) {
  if (!env.kafka_home.empty()) return std::filesystem::absolute(env.kafka_home).lexically_normal();
  std::filesystem::path cache;
  if (!env.cache.empty()) {
    cache = env.cache;
  } else if (!env.xdg_cache.empty()) {
    cache = std::filesystem::path(env.xdg_cache) / "lakestream";
  } else {
    LS_ASSIGN_OR_RETURN(std::filesystem::path home, HomeDir(env, "Kafka installation"));
    cache = home / ".cache" / "lakestream";
  }
  const std::string version = env.kafka_version.empty() ? kDefaultKafkaVersion : env.kafka_version;
  return std::filesystem::absolute(cache / ("kafka-" + version)).lexically_normal();
}

std::string JavaCommand(const BrokerEnv& env) {
  if (env.java_home.empty()) return "java";
  return (std::filesystem::path(env.java_home) / "bin" / "java").string();
}

Result<BrokerSettings> BrokerSettings::Validated() const {
  BrokerSettings s = *this;
  if (s.host.empty()) return Status::InvalidArgument("--host must not be empty");
  if (s.port == 0) return Status::InvalidArgument("--port must be between 1 and 65535");
  if (s.controller_port == 0) {
    if (s.port == 65535) {
      return Status::InvalidArgument(
          "--port 65535 leaves no room for the controller port (port + 1); "
          "pass --controller-port");
    }
    s.controller_port = static_cast<uint16_t>(s.port + 1);
  }
  if (s.controller_port == s.port) {
    return Status::InvalidArgument(
        fmt::format("--controller-port must differ from --port (both are {})", s.port));
  }
  return s;
}

std::string BrokerSettings::AdvertisedHost() const { return IsWildcard(host) ? "127.0.0.1" : host; }

std::string BrokerSettings::Bootstrap() const {
  return fmt::format("{}:{}", ListenerHost(AdvertisedHost()), port);
}

std::string RenderServerProperties(const BrokerSettings& s, const BrokerPaths& paths) {
  // Static quorum (controller.quorum.voters): the storage is formatted with --cluster-id
  // only, and the ports may change between starts without reformatting.
  return fmt::format(
      "# Generated by `lakestream broker start`; rewritten on every start, edits are lost.\n"
      "process.roles=broker,controller\n"
      "node.id=1\n"
      "controller.quorum.voters=1@127.0.0.1:{cport}\n"
      "listeners=PLAINTEXT://{host}:{port},CONTROLLER://127.0.0.1:{cport}\n"
      "advertised.listeners=PLAINTEXT://{adv}:{port}\n"
      "controller.listener.names=CONTROLLER\n"
      "inter.broker.listener.name=PLAINTEXT\n"
      "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n"
      "log.dirs={data}\n"
      "num.partitions=1\n"
      "offsets.topic.replication.factor=1\n"
      "offsets.topic.num.partitions=1\n"
      "transaction.state.log.replication.factor=1\n"
      "transaction.state.log.min.isr=1\n"
      "transaction.state.log.num.partitions=1\n"
      "share.coordinator.state.topic.replication.factor=1\n"
      "share.coordinator.state.topic.min.isr=1\n"
      "group.initial.rebalance.delay.ms=0\n"
      "log.cleaner.dedupe.buffer.size=33554432\n",
      fmt::arg("host", ListenerHost(s.host)), fmt::arg("port", s.port),
      fmt::arg("cport", s.controller_port), fmt::arg("adv", ListenerHost(s.AdvertisedHost())),
      fmt::arg("data", JavaPropertyValue(paths.DataDir().string())));
}

std::string RenderLog4j2Config() {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by `lakestream broker start`; rewritten on every start. -->
<Configuration status="WARN">
  <Appenders>
    <RollingFile name="server" fileName="${sys:kafka.logs.dir}/${sys:lakestream.log.file:-server.log}"
                 filePattern="${sys:kafka.logs.dir}/${sys:lakestream.log.file:-server.log}.%i">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
      <Policies><SizeBasedTriggeringPolicy size="100MB"/></Policies>
      <DefaultRolloverStrategy max="3"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="server"/></Root>
    <Logger name="kafka.controller" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
  </Loggers>
</Configuration>
)";
}

Result<std::string> BootstrapFromServerProperties(const std::string& text) {
  LS_ASSIGN_OR_RETURN(std::vector<Property> props, ParseProperties(text, "server.properties"));
  std::string listeners;
  for (const auto& p : props) {
    if (p.key == "advertised.listeners") listeners = p.value;
  }
  constexpr std::string_view kPrefix = "PLAINTEXT://";
  size_t start = listeners.find(kPrefix);
  if (start == std::string::npos) {
    return Status::NotFound("server.properties has no advertised.listeners PLAINTEXT:// entry");
  }
  start += kPrefix.size();
  size_t end = listeners.find(',', start);
  return listeners.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

namespace {

std::vector<std::string> JvmArgs(const std::string& java, const BrokerPaths& paths,
                                 const std::filesystem::path& libs_dir,
                                 std::initializer_list<std::string> own) {
  std::vector<std::string> args{java};
  args.insert(args.end(), own.begin(), own.end());
  args.insert(args.end(),
              {"-XX:+UseG1GC", "-Djava.awt.headless=true",
               "-Dlog4j2.configurationFile=" + paths.Log4jConfig().string(),
               "-Dkafka.logs.dir=" + paths.LogsDir().string(), "-cp", (libs_dir / "*").string()});
  return args;
}

}  // namespace

std::vector<std::string> BrokerJvmArgs(const std::string& java, const BrokerPaths& paths,
                                       const std::filesystem::path& libs_dir) {
  return JvmArgs(java, paths, libs_dir, {"-Xms512m", "-Xmx1g"});
}

std::vector<std::string> ToolJvmArgs(const std::string& java, const BrokerPaths& paths,
                                     const std::filesystem::path& libs_dir) {
  // The tools log to their own file: server.log then holds only the broker's runs.
  return JvmArgs(java, paths, libs_dir,
                 {"-Xmx512m", "-Dlakestream.log.file=" + paths.ToolLog().filename().string()});
}

}  // namespace lakestream::broker
