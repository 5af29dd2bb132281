#include "kafka/client_config.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "formats/test_util.h"

namespace lakestream::kafka {
namespace {

// Configuration errors name where the key came from and what to do, and never show a
// secret's value.
TEST(ClientConfig, ErrorsNameTheSourceAndHideSecrets) {
  struct Case {
    std::vector<std::string> overrides;
    const char* message;
  };
  const Case cases[] = {
      {{"linger.mss=5"},
       "-X: unknown Kafka client property 'linger.mss' (librdkafka VERSION knows the keys listed in its "
       "CONFIGURATION.md; fix the spelling or remove the line)"},
      {{"sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username='u' "
        "password='hunter2';"},
       "-X: sasl.jaas.config is a Java client setting that librdkafka does not read: give its username and password "
       "as sasl.username and sasl.password instead (and sasl.mechanism, e.g. PLAIN)"},
      {{"ssl.key.password"}, "-X expects key=value, got a setting of a secret (not shown)"},
      {{"sasl.mechanism=OAUTHBEARER"},
       "sasl.mechanism=OAUTHBEARER needs a way to get tokens: sasl.oauthbearer.method=oidc with "
       "sasl.oauthbearer.token.endpoint.url, sasl.oauthbearer.client.id and sasl.oauthbearer.client.secret (or, for a "
       "test broker only, enable.sasl.oauthbearer.unsecure.jwt=true)"},
      {{"bootstrap.servers=127.0.0.1:1", "bootstrap.servers="},
       "-X: bootstrap.servers is empty: give the brokers as HOST:PORT[,HOST:PORT...] (or leave the key out for "
       "127.0.0.1:9092)"},
  };
  for (const Case& c : cases) {
    auto loaded = ClientConfig::Load("", c.overrides);
    Status st = loaded.ok() ? loaded->Build().status() : loaded.status();
    ASSERT_FALSE(st.ok()) << c.overrides[0];
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    std::string want = c.message;
    if (size_t at = want.find("VERSION"); at != std::string::npos) want.replace(at, 7, rd_kafka_version_str());
    EXPECT_EQ(st.message(), want);
    EXPECT_EQ(st.message().find("hunter2"), std::string::npos);
  }
}

// Every key librdkafka does not know is named at once (a Java client's or Confluent's
// client.properties has several), with what it is when it is a Java class or a Schema
// Registry setting, before a bad value further down.
TEST(ClientConfig, EveryUnknownKeyIsNamedAtOnce) {
  auto loaded = ClientConfig::Load("", {"bootstrap.servers=127.0.0.1:1", "linger.ms=x", "key.serializer=org.Str",
                                        "schema.registry.url=https://sr", "basic.auth.user.info=K:Xy7Secret9",
                                        "sasl.jaas.config=x password='Xy7Secret9';", "lingerr.ms=5"});
  ASSERT_TRUE(loaded.ok());
  Status st = loaded->Build().status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(),
            fmt::format("-X: unknown Kafka client property 'key.serializer' (a Java client setting that names a Java "
                        "class: remove the line); -X: unknown Kafka client property 'schema.registry.url' (a Schema "
                        "Registry setting of Confluent's serializers, which lakestream does not use: remove the "
                        "line); -X: unknown Kafka client property 'basic.auth.user.info' (a Schema Registry setting "
                        "of Confluent's serializers, which lakestream does not use: remove the line); -X: "
                        "sasl.jaas.config is a Java client setting that librdkafka does not read: give its username "
                        "and password as sasl.username and sasl.password instead (and sasl.mechanism, e.g. PLAIN); "
                        "-X: unknown Kafka client property 'lingerr.ms' (librdkafka {} knows the keys listed in its "
                        "CONFIGURATION.md; fix the spelling or remove the line)",
                        rd_kafka_version_str()));
  EXPECT_EQ(st.message().find("Xy7Secret9"), std::string::npos);
}

// A secret setting's value is remembered when the configuration is built: librdkafka's
// own errors about it (which quote it) are then shown redacted.
TEST(ClientConfig, BuildRemembersSecretValues) {
  auto loaded = ClientConfig::Load("", {"sasl.oauthbearer.config=principal=u extension_k=Xy7Secret9"});
  ASSERT_TRUE(loaded.ok());
  (void)loaded->Build();
  EXPECT_EQ(RedactSecrets("Unrecognized sasl.oauthbearer.config beginning at: extension_k=Xy7Secret9"),
            "Unrecognized sasl.oauthbearer.config beginning at: [redacted]");
}

// The last setting wins, as in librdkafka: a template's empty broker list filled in by -X.
// OpenSSL's own words for a key it cannot read (a wrong ssl.key.password, a missing one,
// a file that is no PEM key) are "PEM lib": the error says what to check.
TEST(ClientConfig, AKeyThatCannotBeReadSaysWhatToCheck) {
  testing::TempFile key(".key");
  key.Write("not a key\n");
  auto config = ClientConfig::Load("", {"bootstrap.servers=127.0.0.1:1", "security.protocol=SSL",
                                        "ssl.key.location=" + key.path(), "ssl.key.password=S3cr3tValue"});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  auto conf = config->Build();
  ASSERT_TRUE(conf.ok()) << conf.status().ToString();
  auto handle = CreateHandle(RD_KAFKA_PRODUCER, std::move(*conf));
  ASSERT_FALSE(handle.ok());
  EXPECT_EQ(handle.status().code(), StatusCode::kInvalidArgument);
  const std::string& m = handle.status().message();
  EXPECT_EQ(m.rfind("cannot create Kafka client: ssl.key.location failed: ", 0), 0u) << m;
  EXPECT_NE(m.find("PEM lib: the private key in '" + key.path() +
                   "' could not be read. An encrypted key needs ssl.key.password, the password it was encrypted "
                   "with; the file must hold a PEM private key (-----BEGIN ... PRIVATE KEY-----)"),
            std::string::npos)
      << m;
  EXPECT_EQ(m.find("S3cr3tValue"), std::string::npos);
}

TEST(ClientConfig, AnEmptyBrokerListSetAgainLaterIsFine) {
  auto loaded = ClientConfig::Load("", {"bootstrap.servers=", "bootstrap.servers=127.0.0.1:1"});
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->Build().ok());
  EXPECT_EQ(loaded->Bootstrap(), "127.0.0.1:1");
}

}  // namespace
}  // namespace lakestream::kafka
