#include "broker/broker_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace lakestream::broker {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

BrokerEnv HomeOnly() {
  BrokerEnv env;
  env.home = "/home/ana";
  return env;
}

TEST(ResolveBrokerDir, FlagWinsOverEnvironment) {
  BrokerEnv env = HomeOnly();
  env.broker_dir = "/srv/env-broker";
  EXPECT_EQ(ResolveBrokerDir("/tmp/flag-broker", env)->string(), "/tmp/flag-broker");
}

TEST(ResolveBrokerDir, EnvironmentWinsOverDefault) {
  BrokerEnv env = HomeOnly();
  env.broker_dir = "/srv/env-broker/";
  EXPECT_EQ(ResolveBrokerDir("", env)->string(), "/srv/env-broker/");
}

TEST(ResolveBrokerDir, DefaultsUnderLocalState) {
  EXPECT_EQ(ResolveBrokerDir("", HomeOnly())->string(), "/home/ana/.local/state/lakestream/broker");
  BrokerEnv env = HomeOnly();
  env.xdg_state = "/xdg/state";
  EXPECT_EQ(ResolveBrokerDir("", env)->string(), "/xdg/state/lakestream/broker");
}

TEST(ResolveBrokerDir, RelativeFlagBecomesAbsolute) {
  Result<std::filesystem::path> dir = ResolveBrokerDir("build/x/../test-broker", HomeOnly());
  ASSERT_TRUE(dir.ok());
  EXPECT_TRUE(dir->is_absolute());
  EXPECT_EQ(*dir, (std::filesystem::current_path() / "build/test-broker").lexically_normal());
}

// The folder's name is in the broker's command line, which stop and status check the pid
// against: one folder reached through a symlink (or a shell's $PWD) must resolve the same.
TEST(ResolveBrokerDir, SymlinkResolvesToTheFolder) {
  const std::filesystem::path tmp = std::filesystem::temp_directory_path() /
                                    ("ls_broker_config_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(tmp);
  std::filesystem::create_directories(tmp / "real");
  std::filesystem::create_directory_symlink(tmp / "real", tmp / "link");
  const std::filesystem::path real = std::filesystem::canonical(tmp / "real");
  EXPECT_EQ(*ResolveBrokerDir((tmp / "link").string(), HomeOnly()), real);
  EXPECT_EQ(*ResolveBrokerDir((tmp / "link" / "new").string(), HomeOnly()), real / "new");
  std::filesystem::remove_all(tmp);
}

TEST(ResolveBrokerDir, NoHomeIsAClearError) {
  Result<std::filesystem::path> dir = ResolveBrokerDir("", BrokerEnv{});
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(dir.status().message(), HasSubstr("HOME is not set"));
}

// The same precedence as scripts/env.sh, which installed the jars.
TEST(ResolveKafkaHome, FollowsEnvSh) {
  BrokerEnv env = HomeOnly();
  EXPECT_EQ(ResolveKafkaHome(env)->string(), std::string("/home/ana/.cache/lakestream/kafka-") + kDefaultKafkaVersion);
  env.xdg_cache = "/xdg/cache";
  EXPECT_EQ(ResolveKafkaHome(env)->string(), std::string("/xdg/cache/lakestream/kafka-") + kDefaultKafkaVersion);
  env.cache = "/opt/ls-cache";
  env.kafka_version = "4.3.0";
  EXPECT_EQ(ResolveKafkaHome(env)->string(), "/opt/ls-cache/kafka-4.3.0");
  env.kafka_home = "/opt/kafka";
  EXPECT_EQ(ResolveKafkaHome(env)->string(), "/opt/kafka");
}

TEST(JavaCommand, PrefersJavaHome) {
  BrokerEnv env;
  EXPECT_EQ(JavaCommand(env), "java");
  env.java_home = "/usr/lib/jvm/java-17";
  EXPECT_EQ(JavaCommand(env), "/usr/lib/jvm/java-17/bin/java");
}

TEST(BrokerSettings, ControllerPortDefaultsToPortPlusOne) {
  BrokerSettings s;
  s.port = 39092;
  Result<BrokerSettings> v = s.Validated();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->controller_port, 39093);
  EXPECT_EQ(v->Bootstrap(), "127.0.0.1:39092");
}

TEST(BrokerSettings, RejectsClashingOrImpossiblePorts) {
  BrokerSettings s;
  s.port = 39092;
  s.controller_port = 39092;
  EXPECT_EQ(s.Validated().status().code(), StatusCode::kInvalidArgument);
  s.controller_port = 0;
  s.port = 65535;
  EXPECT_THAT(s.Validated().status().message(), HasSubstr("--controller-port"));
  s.port = 0;
  EXPECT_FALSE(s.Validated().ok());
}

TEST(BrokerSettings, WildcardHostAdvertisesLoopback) {
  BrokerSettings s;
  s.host = "0.0.0.0";
  EXPECT_EQ(s.AdvertisedHost(), "127.0.0.1");
  s.host = "::1";
  EXPECT_EQ(s.Bootstrap(), "[::1]:9092");
}

TEST(RenderServerProperties, SingleNodeKraftOnLoopback) {
  BrokerSettings s;
  s.port = 39092;
  BrokerPaths paths{"/b"};
  const std::string text = RenderServerProperties(*s.Validated(), paths);
  for (const char* line : {
           "process.roles=broker,controller\n",
           "node.id=1\n",
           "controller.quorum.voters=1@127.0.0.1:39093\n",
           "listeners=PLAINTEXT://127.0.0.1:39092,CONTROLLER://127.0.0.1:39093\n",
           "advertised.listeners=PLAINTEXT://127.0.0.1:39092\n",
           "controller.listener.names=CONTROLLER\n",
           "log.dirs=/b/data\n",
           "offsets.topic.num.partitions=1\n",
           "offsets.topic.replication.factor=1\n",
           "transaction.state.log.min.isr=1\n",
           "share.coordinator.state.topic.replication.factor=1\n",
           "group.initial.rebalance.delay.ms=0\n",
           "log.cleaner.dedupe.buffer.size=33554432\n",
       }) {
    EXPECT_THAT(text, HasSubstr(line));
  }
  EXPECT_THAT(text, Not(HasSubstr("0.0.0.0")));
}

TEST(RenderServerProperties, HostFlagMovesOnlyTheClientListener) {
  BrokerSettings s;
  s.host = "0.0.0.0";
  s.controller_port = 40000;
  const std::string text = RenderServerProperties(*s.Validated(), BrokerPaths{"/b"});
  EXPECT_THAT(text, HasSubstr("listeners=PLAINTEXT://0.0.0.0:9092,CONTROLLER://127.0.0.1:40000\n"));
  EXPECT_THAT(text, HasSubstr("advertised.listeners=PLAINTEXT://127.0.0.1:9092\n"));
}

// Kafka reads server.properties as Java properties in ISO-8859-1: a UTF-8 folder name
// written as is named another folder (its bytes read one character each), and a backslash
// started an escape.
TEST(RenderServerProperties, FolderWithJavaEscapes) {
  BrokerSettings s;
  const BrokerPaths paths{"/home/jos\xc3\xa9/a\\b \xf0\x9f\x98\x80"};
  const std::string text = RenderServerProperties(*s.Validated(), paths);
  EXPECT_THAT(text, HasSubstr("log.dirs=/home/jos\\u00e9/a\\\\b \\ud83d\\ude00/data\n"));
}

TEST(BootstrapFromServerProperties, RoundTripsRenderedFile) {
  BrokerSettings s;
  s.port = 39100;
  const std::string text = RenderServerProperties(*s.Validated(), BrokerPaths{"/b"});
  EXPECT_EQ(*BootstrapFromServerProperties(text), "127.0.0.1:39100");
  EXPECT_EQ(BootstrapFromServerProperties("node.id=1\n").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*BootstrapFromServerProperties("advertised.listeners=SSL://h:1,PLAINTEXT://h:2\n"),
            "h:2");
}

TEST(RenderLog4j2Config, WritesIntoKafkaLogsDir) {
  const std::string xml = RenderLog4j2Config();
  EXPECT_THAT(xml, HasSubstr("${sys:kafka.logs.dir}/${sys:lakestream.log.file:-server.log}"));
  EXPECT_THAT(xml, HasSubstr("<Root level=\"INFO\">"));
}

TEST(BrokerJvmArgs, HeapClasspathAndLogging) {
  BrokerPaths paths{"/b"};
  std::vector<std::string> args = BrokerJvmArgs("java", paths, "/k/libs");
  EXPECT_EQ(args.front(), "java");
  EXPECT_THAT(args, ::testing::IsSupersetOf({"-Xms512m", "-Xmx1g", "-cp", "/k/libs/*",
                                             "-Dkafka.logs.dir=/b/logs",
                                             "-Dlog4j2.configurationFile=/b/log4j2.xml"}));
  EXPECT_THAT(ToolJvmArgs("java", paths, "/k/libs"),
              ::testing::IsSupersetOf({"-Xmx512m", "-Dlakestream.log.file=tools.log"}));
  EXPECT_THAT(args, Not(::testing::Contains(HasSubstr("lakestream.log.file"))));
}

}  // namespace
}  // namespace lakestream::broker
