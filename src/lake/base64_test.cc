#include "lake/base64.h"

#include <gtest/gtest.h>

namespace lakestream::lake {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},          {"f", "Zg=="},         {"fo", "Zm8="},
      {"foo", "Zm9v"},   {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}, {std::string("\0\xff\xfe", 3), "AP/+"},
  };
  for (const auto& [raw, text] : cases) {
    EXPECT_EQ(Base64Encode(raw), text);
    std::string appended = "x";
    AppendBase64(raw, &appended);
    EXPECT_EQ(appended, "x" + text);
    EXPECT_EQ(Base64Decode(text), std::optional<std::string>(raw)) << text;
  }
}

TEST(Base64, RejectsMalformed) {
  for (const char* text : {"Zg=", "Zg", "Z===", "Zh==", "Zm9v!A==", "Zg==Zg=="}) {
    EXPECT_EQ(Base64Decode(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace lakestream::lake
