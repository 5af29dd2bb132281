#include "formats/properties.h"

#include <gtest/gtest.h>

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

TEST(Properties, ErrorsNameTheLine) {
  auto r = ParseProperties("a=1\nnot a property\n", "k.properties");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("k.properties:2"), std::string::npos);
}

TEST(Properties, SecretKeys) {
  for (const char* k : {"sasl.password", "ssl.key.password", "sasl.jaas.config",
                        "sasl.oauthbearer.client.secret", "SASL.PASSWORD"}) {
    EXPECT_TRUE(IsSecretKey(k)) << k;
  }
  for (const char* k : {"bootstrap.servers", "sasl.username", "sasl.mechanisms"}) {
    EXPECT_FALSE(IsSecretKey(k)) << k;
  }
}

}  // namespace
}  // namespace lakestream
