#include "store/etcd/etcd_json.h"

#include <gtest/gtest.h>

namespace spotkeeper::etcd_json {
namespace {

using nlohmann::json;

TEST(EtcdJsonTest, Int64FieldReadsProto3StringsNumbersAndDefaults) {
  json j = json::parse(R"({"a": "9223372036854775807", "b": 42, "c": "-7", "n": null})");
  EXPECT_EQ(Int64Field(j, "a"), INT64_MAX);
  EXPECT_EQ(Int64Field(j, "b"), 42);
  EXPECT_EQ(Int64Field(j, "c"), -7);
  EXPECT_EQ(Int64Field(j, "n"), 0);
  EXPECT_EQ(Int64Field(j, "absent"), 0);
}

TEST(EtcdJsonTest, Int64FieldNeverThrowsOnADamagedReply) {
  json j = json::parse(
      R"({"a": "12x", "b": "", "c": "99999999999999999999", "d": [1], "e": 1.5, "f": true})");
  for (const char* name : {"a", "b", "c", "d", "e", "f"}) {
    EXPECT_EQ(Int64Field(j, name), 0) << name;
  }
}

TEST(EtcdJsonTest, BytesFieldDecodesBase64AndTreatsAbsentAsEmpty) {
  json j = json::parse(R"({"key": "c2stL2dyb3Vwcy9h", "n": 3})");
  Result<std::string> key = BytesField(j, "key");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(*key, "sk-/groups/a");
  Result<std::string> absent = BytesField(j, "value");
  ASSERT_TRUE(absent.ok());
  EXPECT_EQ(*absent, "");
  Result<std::string> not_string = BytesField(j, "n");
  ASSERT_TRUE(not_string.ok());
  EXPECT_EQ(*not_string, "");
}

}  // namespace
}  // namespace spotkeeper::etcd_json
