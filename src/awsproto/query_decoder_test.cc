#include "awsproto/query_decoder.h"

#include <gtest/gtest.h>

namespace spotkeeper::aws {
namespace {

TEST(QueryDecoderTest, ParsesFormBody) {
  auto d = QueryDecoder::Parse("Action=RunInstances&UserData=a+b%2Bc&Empty=&Flag");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->Get("Action"), "RunInstances");
  EXPECT_EQ(d->Get("UserData"), "a b+c");
  EXPECT_EQ(d->Get("Empty"), "");
  EXPECT_EQ(d->Get("Flag"), "");
  EXPECT_EQ(d->Get("Missing"), std::nullopt);
  EXPECT_EQ(d->GetOr("Missing", "x"), "x");
}

TEST(QueryDecoderTest, MalformedEscape) {
  auto d = QueryDecoder::Parse("a=%G1");
  EXPECT_EQ(d.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(d.status().cloud_code(), "MalformedQueryString");
}

TEST(QueryDecoderTest, OnlyUtf8NamesAndValues) {
  auto ok = QueryDecoder::Parse("Tag.1.Value=caf%C3%A9%20%E2%82%AC%F0%9F%98%80");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(*ok->Get("Tag.1.Value"), "caf\xC3\xA9 \xE2\x82\xAC\xF0\x9F\x98\x80");
  // A stray byte, a cut sequence, an overlong '/', a surrogate, past U+10FFFF; in a value and
  // in a name.
  for (const char* bad : {"v=%FF", "v=a%C3", "v=%C0%AF", "v=%ED%A0%80", "v=%F4%90%80%80",
                          "Tag.1.Value=ok&%FEkey=1"}) {
    auto d = QueryDecoder::Parse(bad);
    EXPECT_EQ(d.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(d.status().cloud_code(), "InvalidParameterValue") << bad;
    EXPECT_NE(d.status().message().find("not valid UTF-8"), std::string::npos) << bad;
  }
  EXPECT_NE(QueryDecoder::Parse("v=%FF").status().message().find("parameter v "),
            std::string::npos);
}

TEST(QueryDecoderTest, ParameterCountIsCapped) {
  std::string body = "Action=DescribeInstances";
  for (size_t i = 1; i < kMaxQueryParameters; ++i)
    body += "&InstanceId." + std::to_string(i) + "=i";
  auto full = QueryDecoder::Parse(body);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(full->params().size(), kMaxQueryParameters);
  // A repeated key is one parameter; one more new key is too many, in the URL or the body.
  EXPECT_TRUE(QueryDecoder::Parse(body + "&Action=DescribeVolumes").ok());
  auto over = QueryDecoder::Parse("Extra=1", body);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().cloud_code(), "InvalidParameterValue");
  EXPECT_NE(over.status().message().find(std::to_string(kMaxQueryParameters)), std::string::npos);
}

TEST(QueryDecoderTest, BodyWinsOverUrlQuery) {
  auto d = QueryDecoder::Parse("Action=A&Version=1", "Action=B");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->Get("Action"), "B");
  EXPECT_EQ(d->Get("Version"), "1");
}

TEST(QueryDecoderTest, RequireIntAndBool) {
  auto d = *QueryDecoder::Parse("MinCount=2&Bad=x&On=TRUE&Off=false&Empty=");
  EXPECT_EQ(*d.Require("MinCount"), "2");
  EXPECT_EQ(d.Require("Empty").status().cloud_code(), "MissingParameter");
  EXPECT_EQ(d.Require("Nope").status().cloud_code(), "MissingParameter");
  EXPECT_EQ(d.GetInt("MinCount")->value(), 2);
  EXPECT_FALSE(d.GetInt("Nope")->has_value());
  EXPECT_EQ(d.GetInt("Bad").status().cloud_code(), "InvalidParameterValue");
  EXPECT_EQ(d.GetBool("On")->value(), true);
  EXPECT_EQ(d.GetBool("Off")->value(), false);
  EXPECT_EQ(d.GetBool("Bad").status().cloud_code(), "InvalidParameterValue");
}

TEST(QueryDecoderTest, IndexedListsAndStructures) {
  auto d = *QueryDecoder::Parse(
      "InstanceId.2=i-2&InstanceId.1=i-1&InstanceId.10=i-10&"
      "Filter.1.Name=tag%3Ak&Filter.1.Value.1=a&Filter.1.Value.2=b&"
      "Filter.2.Name=instance-state-name&Filter.2.Value.1=running&"
      "BlockDeviceMapping.1.DeviceName=%2Fdev%2Fsdf&BlockDeviceMapping.1.Ebs.VolumeSize=10&"
      "FilterX=1&InstanceIdX.1=no");
  EXPECT_EQ(d.GetList("InstanceId"), (std::vector<std::string>{"i-1", "i-2", "i-10"}));
  EXPECT_EQ(d.Indices("Filter"), (std::vector<int>{1, 2}));
  std::vector<QueryDecoder> filters = d.SubList("Filter");
  ASSERT_EQ(filters.size(), 2u);
  EXPECT_EQ(filters[0].Get("Name"), "tag:k");
  EXPECT_EQ(filters[0].GetList("Value"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(filters[1].GetList("Value"), (std::vector<std::string>{"running"}));
  QueryDecoder bdm = d.Sub("BlockDeviceMapping.1");
  EXPECT_EQ(bdm.Get("DeviceName"), "/dev/sdf");
  EXPECT_EQ(bdm.Sub("Ebs").GetInt("VolumeSize")->value(), 10);
  EXPECT_TRUE(d.GetList("Nothing").empty());
}

}  // namespace
}  // namespace spotkeeper::aws
