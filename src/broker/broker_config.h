// Settings of the local single-node Kafka broker (KRaft, broker+controller in one JVM)
// and the files generated from them. Everything here is pure: no process is
// started and no file is written, so it is unit-tested without Java or Kafka.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace lakestream::broker {

inline constexpr uint16_t kDefaultPort = 9092;
inline constexpr int kDefaultStartTimeoutS = 90;
inline constexpr int kDefaultStopTimeoutS = 60;
// The version scripts/setup.sh installs (scripts/env.sh, passed in by the build).
inline constexpr const char* kDefaultKafkaVersion = LAKESTREAM_KAFKA_VERSION;

// The environment variables the broker paths depend on, captured once so that
// resolution is a pure function. Unset variables are empty strings.
struct BrokerEnv {
  std::string broker_dir;     // LAKESTREAM_BROKER_DIR
  std::string kafka_home;     // LAKESTREAM_KAFKA_HOME
  std::string kafka_version;  // LAKESTREAM_KAFKA_VERSION
  std::string cache;          // LAKESTREAM_CACHE
  std::string xdg_cache;      // XDG_CACHE_HOME
  std::string xdg_state;      // XDG_STATE_HOME
  std::string home;           // HOME
  std::string java_home;      // JAVA_HOME

  static BrokerEnv FromProcess();
};

// The broker folder: `flag` (--dir) if given, else $LAKESTREAM_BROKER_DIR, else
// ${XDG_STATE_HOME:-~/.local/state}/lakestream/broker. InvalidArgument if none can be
// determined (no HOME). The result is absolute, with symlinks resolved (of the part that
// exists).
Result<std::filesystem::path> ResolveBrokerDir(const std::string& flag, const BrokerEnv& env);

// The Kafka installation (the folder holding libs/), resolved exactly as scripts/env.sh
// does: $LAKESTREAM_KAFKA_HOME, else
// ${LAKESTREAM_CACHE:-${XDG_CACHE_HOME:-~/.cache}/lakestream}/kafka-${LAKESTREAM_KAFKA_VERSION:-kDefaultKafkaVersion}.
Result<std::filesystem::path> ResolveKafkaHome(const BrokerEnv& env);

// The java launcher: $JAVA_HOME/bin/java if JAVA_HOME is set, else "java" (found on PATH).
std::string JavaCommand(const BrokerEnv& env);

// The files inside one broker folder. Only the folder is configurable; the layout is fixed
// so that `stop` and `status` find what `start` wrote.
struct BrokerPaths {
  std::filesystem::path dir;
  std::filesystem::path ServerProperties() const { return dir / "server.properties"; }
  std::filesystem::path Log4jConfig() const { return dir / "log4j2.xml"; }
  std::filesystem::path PidFile() const { return dir / "broker.pid"; }
  std::filesystem::path DataDir() const { return dir / "data"; }
  std::filesystem::path LogsDir() const { return dir / "logs"; }
  // Written by log4j2 (see RenderLog4j2Config).
  std::filesystem::path ServerLog() const { return LogsDir() / "server.log"; }
  // The JVM's own stdout/stderr: crashes before log4j2 is up land here.
  std::filesystem::path ConsoleLog() const { return LogsDir() / "broker.out"; }
  // kafka.tools.StorageTool's stdout/stderr, and its log4j2 log.
  std::filesystem::path StorageToolLog() const { return LogsDir() / "storage-tool.out"; }
  std::filesystem::path ToolLog() const { return LogsDir() / "tools.log"; }
  // Present once the storage was formatted: KRaft writes it into every log dir.
  std::filesystem::path MetaProperties() const { return DataDir() / "meta.properties"; }
};

struct BrokerSettings {
  // Address the PLAINTEXT listener binds to. Loopback by default: a developer broker
  // without authentication must not be reachable from the network unless asked for.
  std::string host = "127.0.0.1";
  uint16_t port = kDefaultPort;
  // The KRaft controller listener; 0 means port + 1. Always bound to 127.0.0.1: only this
  // node's own broker talks to its controller.
  uint16_t controller_port = 0;

  // Rejects port 0, equal ports, a controller port that overflows, an empty host.
  // Returns the settings with controller_port filled in.
  Result<BrokerSettings> Validated() const;

  // The address clients use: host, or 127.0.0.1 when host is a wildcard address.
  std::string AdvertisedHost() const;
  // "host:port" as a client's bootstrap.servers.
  std::string Bootstrap() const;
};

// server.properties for one combined broker+controller node with a static quorum of one
// voter. Tuned for a 2-core laptop: one partition for internal topics, replication factor
// 1 everywhere, no rebalance delay, a small log cleaner buffer. `settings` must be
// Validated().
std::string RenderServerProperties(const BrokerSettings& settings, const BrokerPaths& paths);

// log4j2 configuration: everything at INFO (kafka.controller and state.change at WARN) to
// ${sys:kafka.logs.dir}/server.log (or the file named by -Dlakestream.log.file, for the
// tools), rolled at 100 MB, 3 files kept.
std::string RenderLog4j2Config();

// The bootstrap address recorded in a server.properties file (its advertised.listeners
// PLAINTEXT entry), so that `status` reports what `start` configured. NotFound if absent.
Result<std::string> BootstrapFromServerProperties(const std::string& server_properties_text);

// JVM arguments for the broker and for kafka.tools.StorageTool, without the main class's
// own arguments. `libs_dir` is the folder of jars (the classpath is "libs_dir/*").
std::vector<std::string> BrokerJvmArgs(const std::string& java, const BrokerPaths& paths,
                                       const std::filesystem::path& libs_dir);
std::vector<std::string> ToolJvmArgs(const std::string& java, const BrokerPaths& paths,
                                     const std::filesystem::path& libs_dir);

}  // namespace lakestream::broker
