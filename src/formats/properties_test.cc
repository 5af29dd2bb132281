#include "formats/properties.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace lakestream {
namespace {

TEST(Properties, ParsesTheSeedFormat) {
  auto r = ParseProperties(
      "# Confluent Cloud\n"
      "bootstrap.servers=pkc-1.example:9092\n"
      "! a Java comment\n"
      "\n"
      "security.protocol = SASL_SSL\r\n"
      "sasl.password=abc=def\n",
      "kafka.properties");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].key, "bootstrap.servers");
  EXPECT_EQ((*r)[1].value, "SASL_SSL");
  EXPECT_EQ((*r)[2].value, "abc=def");  // split on the first '='
  EXPECT_EQ((*r)[2].origin, "kafka.properties:6");
  EXPECT_EQ(DisplayValue((*r)[2]), "[redacted]");
  EXPECT_EQ(DisplayValue((*r)[0]), "pkc-1.example:9092");
}

// The layout of a Java client's client.properties (without Java's escapes).
TEST(Properties, JavaSyntax) {
  struct Case {
    const char* name;
    const char* text;
    std::vector<std::pair<std::string, std::string>> want;  // key, value
    std::vector<std::string> origins;
  };
  const Case cases[] = {
      {"colon separator", "security.protocol: SASL_SSL\n", {{"security.protocol", "SASL_SSL"}}, {"k:1"}},
      {"space separator", "bootstrap.servers   broker:9092\n", {{"bootstrap.servers", "broker:9092"}}, {"k:1"}},
      {"spaces around =", "linger.ms  =  5\n", {{"linger.ms", "5"}}, {"k:1"}},
      {"= then : in the value", "a=b:c=d\n", {{"a", "b:c=d"}}, {"k:1"}},
      {"continuation lines",
       "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\\n"
       "    username='u' \\\n"
       "    password='p';\n"
       "linger.ms=5\n",
       {{"sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username='u' "
                             "password='p';"},
        {"linger.ms", "5"}},
       {"k:1", "k:4"}},
      {"a '#' on a continuation line is not a comment", "a=1,\\\n  #2\n", {{"a", "1,#2"}}, {"k:1"}},
      {"a backslash before a line that is not indented is the value's", "sasl.password=abc\\\nlinger.ms=5\n",
       {{"sasl.password", "abc\\"}, {"linger.ms", "5"}}, {"k:1", "k:2"}},
      {"two backslashes at the end are no continuation, and stay", "a=x\\\\\nb=y\n", {{"a", "x\\\\"}, {"b", "y"}},
       {"k:1", "k:2"}},
      {"backslashes are kept", "ssl.ca.location=C:\\certs\\ca.pem\nsasl.password=a\\tb\n",
       {{"ssl.ca.location", "C:\\certs\\ca.pem"}, {"sasl.password", "a\\tb"}}, {"k:1", "k:2"}},
      {"a backslash on the last line is the value's", "a=1\\", {{"a", "1\\"}}, {"k:1"}},
  };
  for (const Case& c : cases) {
    auto r = ParseProperties(c.text, "k");
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.status().ToString();
    std::vector<std::pair<std::string, std::string>> got;
    std::vector<std::string> origins;
    for (const Property& p : *r) {
      got.emplace_back(p.key, p.value);
      origins.push_back(p.origin);
    }
    EXPECT_EQ(got, c.want) << c.name;
    EXPECT_EQ(origins, c.origins) << c.name;
  }
}

TEST(Properties, ErrorsNameTheLine) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"a=1\nlonely\n", "k.properties:2: expected key=value, got a line without '=' (comment it out with '#')"},
      {"a=1\n=2\n", "k.properties:2: empty key before '='"},
  };
  for (const Case& c : cases) {
    auto r = ParseProperties(c.text, "k.properties");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), c.message);
  }
}

// -X takes one key=value; a malformed one is named without its value, and never when it
// names a secret.
TEST(Properties, PropertyArg) {
  auto ok = ParsePropertyArg("linger.ms=5");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->key, "linger.ms");
  EXPECT_EQ(ok->value, "5");
  struct Case {
    const char* arg;
    const char* message;
  };
  const Case cases[] = {
      // A lone word is not shown: it may be the part of a secret that the shell split off.
      {"linger.ms", "-X expects key=value, got a word without '=' (not shown: it may be part of a secret); quote a "
                    "value with spaces: -X 'key=two words'"},
      {"S3CRET", "-X expects key=value, got a word without '=' (not shown: it may be part of a secret); quote a "
                 "value with spaces: -X 'key=two words'"},
      {"sasl.password hunter2", "-X expects key=value, got a setting of a secret (not shown)"},
      {"sasl.password:hunter2", "-X expects key=value, got a setting of a secret (not shown)"},
      {"=5", "-X expects key=value, got an empty key before '='"},
  };
  for (const Case& c : cases) {
    auto r = ParsePropertyArg(c.arg);
    ASSERT_FALSE(r.ok()) << c.arg;
    EXPECT_EQ(r.status().message(), c.message);
  }
}

TEST(Properties, SecretKeys) {
  for (const char* k : {"sasl.password", "ssl.key.password", "sasl.jaas.config",
                        "sasl.oauthbearer.client.secret", "SASL.PASSWORD", "sasl.oauthbearer.config",
                        "sasl.oauthbearer.assertion.private.key.passphrase",
                        // The Schema Registry's KEY:SECRET (refused as a key librdkafka does not know, and
                        // named so with its file:line, but never with its value).
                        "basic.auth.user.info", "schema.registry.basic.auth.user.info"}) {
    EXPECT_TRUE(IsSecretKey(k)) << k;
  }
  for (const char* k : {"bootstrap.servers", "sasl.username", "sasl.mechanisms"}) {
    EXPECT_FALSE(IsSecretKey(k)) << k;
  }
}

// A remembered secret is hidden in any text, whole or by the parts an error may quote: the
// rest of it from a word on, or a secret-named word's value. Other words stay readable.
TEST(Properties, RedactSecretsHidesRememberedValuesAndTheirParts) {
  RememberSecretValue("principal=admin scope=x clientsecret=Qz8w7Rt");
  RememberSecretValue("pa55 word");
  RememberSecretValue("org.apache.kafka.PlainLoginModule required username=\"alice\" password=\"al1ce-pw\";");
  struct Case {
    const char* text;
    const char* shown;
  };
  const Case cases[] = {
      {"Unrecognized sasl.oauthbearer.config beginning at: clientsecret=Qz8w7Rt",
       "Unrecognized sasl.oauthbearer.config beginning at: [redacted]"},
      {"value 'Qz8w7Rt' twice: Qz8w7Rt", "value '[redacted]' twice: [redacted]"},
      {"principal=admin scope=x clientsecret=Qz8w7Rt", "[redacted]"},
      {"beginning at: scope=x clientsecret=Qz8w7Rt", "beginning at: [redacted]"},
      {"got 'pa55 word'", "got '[redacted]'"},
      {"login failed for al1ce-pw", "login failed for [redacted]"},
      // Words that are not secrets stay: a group option's "required", a principal, a scope.
      {"--group is required for alice, admin, scope=x", "--group is required for alice, admin, scope=x"},
  };
  for (const Case& c : cases) EXPECT_EQ(RedactSecrets(c.text), c.shown) << c.text;
}

}  // namespace
}  // namespace lakestream
