#include "awsproto/query_params.h"

#include <gtest/gtest.h>

#include "awsproto/query_decoder.h"

namespace spotkeeper::aws {
namespace {

TEST(QueryParamsTest, FlattenedListsAndStructures) {
  QueryParams p("RunInstances", "2016-11-15");
  p.Set("MinCount", 1).Set("EbsOptimized", false);
  p.SetList("SecurityGroupId", {"sg-1", "sg-2"});
  p.At("InstanceMarketOptions").Set("MarketType", "spot");
  QueryParams::Scope ni = p.At("NetworkInterface", 1);
  ni.Set("DeviceIndex", 0).Set("NetworkInterfaceId", "eni-1");
  QueryParams::Scope bdm = p.At("BlockDeviceMapping", 2);
  bdm.Set("DeviceName", "/dev/sdf");
  bdm.At("Ebs").Set("VolumeSize", 10).Set("DeleteOnTermination", true);
  QueryParams::Scope tag = p.At("TagSpecification", 1).At("Tag", 3);
  tag.Set("Key", "k").Set("Value", "v");
  p.At("Filter", 1).Set("Name", "tag:a").SetList("Value", {"x", "y"});

  const auto& m = p.params();
  EXPECT_EQ(m.at("Action"), "RunInstances");
  EXPECT_EQ(m.at("Version"), "2016-11-15");
  EXPECT_EQ(m.at("MinCount"), "1");
  EXPECT_EQ(m.at("EbsOptimized"), "false");
  EXPECT_EQ(m.at("SecurityGroupId.2"), "sg-2");
  EXPECT_EQ(m.at("InstanceMarketOptions.MarketType"), "spot");
  EXPECT_EQ(m.at("NetworkInterface.1.DeviceIndex"), "0");
  EXPECT_EQ(m.at("NetworkInterface.1.NetworkInterfaceId"), "eni-1");
  EXPECT_EQ(m.at("BlockDeviceMapping.2.DeviceName"), "/dev/sdf");
  EXPECT_EQ(m.at("BlockDeviceMapping.2.Ebs.VolumeSize"), "10");
  EXPECT_EQ(m.at("BlockDeviceMapping.2.Ebs.DeleteOnTermination"), "true");
  EXPECT_EQ(m.at("TagSpecification.1.Tag.3.Key"), "k");
  EXPECT_EQ(m.at("Filter.1.Name"), "tag:a");
  EXPECT_EQ(m.at("Filter.1.Value.2"), "y");
}

TEST(QueryParamsTest, EncodesSortedWithRfc3986) {
  QueryParams p;
  p.Set("b", "x y+z/~").Set("a", "\xe2\x9c\x93");
  EXPECT_EQ(p.Encode(), "a=%E2%9C%93&b=x%20y%2Bz%2F~");
  EXPECT_EQ(QueryParams().Encode(), "");
}

TEST(QueryParamsTest, EncodeDecodeRoundTrip) {
  QueryParams p("CreateTags", "2016-11-15");
  p.SetList("ResourceId", {"i-1", "vol-2"});
  p.At("Tag", 1).Set("Key", "spotkeeper:group").Set("Value", "a=b&c d");
  auto d = QueryDecoder::Parse(p.Encode());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->params(), p.params());
}

}  // namespace
}  // namespace spotkeeper::aws
