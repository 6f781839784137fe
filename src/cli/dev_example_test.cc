#include "cli/dev_example.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "spec/group_spec.h"

namespace spotkeeper::cli {
namespace {

std::string ReadExample(const std::string& name) {
  std::ifstream in(std::string(SPOTKEEPER_EXAMPLES_DIR) + "/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

LocalPlacement Local() {
  LocalPlacement p;
  p.region = "local-1";
  p.zones = {{"local-1a", "subnet-1234", "10.0.1.0/24"}, {"local-1b", "subnet-5678", ""}};
  p.image_id = "ami-00000000000000001";
  p.security_group = "sg-5678";
  p.instance_types = {"t3.micro", "m5.large"};
  return p;
}

TEST(MapExampleToLocalCloud, RedisExampleBecomesAValidLocalSpec) {
  const std::string text = ReadExample("redis.yaml");
  ASSERT_FALSE(text.empty());
  ParseOutcome original = ParseGroupSpec(text);
  ASSERT_TRUE(original.ok());

  Result<std::string> mapped = MapExampleToLocalCloud(text, Local());
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  ParseOutcome out = ParseGroupSpec(*mapped);
  ASSERT_TRUE(out.ok()) << (out.errors.empty() ? "" : out.errors[0].ToString()) << "\n" << *mapped;
  const GroupSpec& s = *out.spec;
  EXPECT_EQ(s.region, "local-1");
  ASSERT_EQ(s.compute.availability_zones.size(), 1u);  // the example names one zone
  EXPECT_EQ(s.compute.availability_zones[0].name, "local-1a");
  EXPECT_EQ(s.compute.availability_zones[0].subnet_ids, std::vector<std::string>{"subnet-1234"});
  EXPECT_EQ(s.compute.launch_specification.image_id, "ami-00000000000000001");
  EXPECT_EQ(s.compute.launch_specification.security_group_ids, std::vector<std::string>{"sg-5678"});
  // m5a.large is not in the local cloud's catalog.
  EXPECT_EQ(s.compute.instance_types.spot, std::vector<std::string>{"m5.large"});
  EXPECT_EQ(s.compute.instance_types.ondemand, "m5.large");
  // Every persistence mode is kept as written: the local cloud has snapshots and images.
  EXPECT_TRUE(s.strategy.persistence.should_persist_root_device);
  // What the example is about is kept as written.
  const GroupSpec& o = *original.spec;
  EXPECT_EQ(s.compute.launch_specification.user_data, o.compute.launch_specification.user_data);
  EXPECT_EQ(s.compute.launch_specification.block_device_mappings,
            o.compute.launch_specification.block_device_mappings);
  EXPECT_EQ(s.strategy.persistence.should_persist_block_devices, true);
  EXPECT_EQ(s.strategy.persistence.should_persist_private_ip, true);
  EXPECT_EQ(s.strategy.persistence.block_devices_mode, BlockDevicesMode::kReattach);
  EXPECT_EQ(s.capacity, o.capacity);
  EXPECT_EQ(s.name, o.name);
}

TEST(MapExampleToLocalCloud, ZonesMapInOrderAsFarAsTheCloudHasThem) {
  // onlaunch-multi-az.yaml names three zones; the local cloud has two.
  Result<std::string> mapped =
      MapExampleToLocalCloud(ReadExample("onlaunch-multi-az.yaml"), Local());
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  ParseOutcome out = ParseGroupSpec(*mapped);
  ASSERT_TRUE(out.ok()) << *mapped;
  const auto& zones = out.spec->compute.availability_zones;
  ASSERT_EQ(zones.size(), 2u);
  EXPECT_EQ(zones[0].name, "local-1a");
  EXPECT_EQ(zones[0].subnet_ids, std::vector<std::string>{"subnet-1234"});
  EXPECT_EQ(zones[1].name, "local-1b");
  EXPECT_EQ(zones[1].subnet_ids, std::vector<std::string>{"subnet-5678"});
  EXPECT_EQ(out.spec->strategy.persistence.block_devices_mode, BlockDevicesMode::kOnLaunch);
}

TEST(MapExampleToLocalCloud, EveryDemoExampleMapsToAValidSpec) {
  for (const char* name : {"redis.yaml", "redis-onlaunch.yaml", "redis-root.yaml", "postgres.yaml",
                           "etcd.yaml", "zookeeper.yaml"}) {
    SCOPED_TRACE(name);
    const std::string text = ReadExample(name);
    ASSERT_FALSE(text.empty());
    Result<std::string> mapped = MapExampleToLocalCloud(text, Local());
    ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
    ParseOutcome out = ParseGroupSpec(*mapped);
    ASSERT_TRUE(out.ok()) << (out.errors.empty() ? "" : out.errors[0].ToString()) << "\n"
                          << *mapped;
  }
}

TEST(MapExampleToLocalCloud, PrivateIpsStayOnlyWhenInsideTheFirstZonesSubnet) {
  // etcd.yaml's members are named by their addresses, which are the local cloud's.
  Result<std::string> etcd = MapExampleToLocalCloud(ReadExample("etcd.yaml"), Local());
  ASSERT_TRUE(etcd.ok()) << etcd.status().ToString();
  EXPECT_EQ(YAML::Load(*etcd)["compute"]["privateIps"].as<std::vector<std::string>>(),
            (std::vector<std::string>{"10.0.1.10", "10.0.1.11", "10.0.1.12"}));
  Result<std::string> zookeeper = MapExampleToLocalCloud(ReadExample("zookeeper.yaml"), Local());
  ASSERT_TRUE(zookeeper.ok()) << zookeeper.status().ToString();
  EXPECT_EQ(YAML::Load(*zookeeper)["compute"]["privateIps"].as<std::vector<std::string>>(),
            (std::vector<std::string>{"10.0.1.20", "10.0.1.21", "10.0.1.22"}));
  // ip-pool.yaml's are too (10.0.1.11-13); one address outside the block drops them all.
  const std::string outside =
      "name: x\nregion: us-east-1\ncompute:\n  privateIps: [10.0.1.11, 10.0.2.11]\n"
      "  launchSpecification: {imageId: ami-1}\n";
  Result<std::string> mapped = MapExampleToLocalCloud(outside, Local());
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  EXPECT_FALSE(YAML::Load(*mapped)["compute"]["privateIps"]) << *mapped;
  // Where the subnet's block is unknown, nothing can be kept.
  LocalPlacement unknown = Local();
  unknown.zones[0].cidr.clear();
  mapped = MapExampleToLocalCloud(ReadExample("etcd.yaml"), unknown);
  ASSERT_TRUE(mapped.ok());
  EXPECT_FALSE(YAML::Load(*mapped)["compute"]["privateIps"]) << *mapped;
}

TEST(MapExampleToLocalCloud, UnknownInstanceTypesFallBackToTheFirstKnownOne) {
  const std::string text =
      "name: x\nregion: us-east-1\ncompute:\n  instanceTypes: {ondemand: z9.huge, spot: "
      "[z9.huge]}\n  launchSpecification: {imageId: ami-1}\n";
  Result<std::string> mapped = MapExampleToLocalCloud(text, Local());
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  YAML::Node types = YAML::Load(*mapped)["compute"]["instanceTypes"];
  EXPECT_EQ(types["ondemand"].as<std::string>(), "t3.micro") << *mapped;
  EXPECT_EQ(types["spot"].as<std::vector<std::string>>(), std::vector<std::string>{"t3.micro"});
}

TEST(MapExampleToLocalCloud, RefusesWhatIsNotASpec) {
  EXPECT_EQ(MapExampleToLocalCloud("- a\n- b\n", Local()).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(MapExampleToLocalCloud("name: x\n", Local()).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(MapExampleToLocalCloud("a: [", Local()).status().code(), Code::kInvalidArgument);
  LocalPlacement none = Local();
  none.instance_types.clear();
  EXPECT_EQ(MapExampleToLocalCloud(ReadExample("redis.yaml"), none).status().code(),
            Code::kInvalidArgument);
}

TEST(ParseInterruptionRate, PerHourMinuteOrDayOrOff) {
  EXPECT_DOUBLE_EQ(*ParseInterruptionRate("12/h"), 12);
  EXPECT_DOUBLE_EQ(*ParseInterruptionRate("0.5/h"), 0.5);
  EXPECT_DOUBLE_EQ(*ParseInterruptionRate("1/m"), 60);
  EXPECT_DOUBLE_EQ(*ParseInterruptionRate("6/d"), 0.25);
  EXPECT_DOUBLE_EQ(*ParseInterruptionRate("off"), 0);
  EXPECT_DOUBLE_EQ(*ParseInterruptionRate("0"), 0);
  EXPECT_DOUBLE_EQ(*ParseInterruptionRate("0/h"), 0);
  EXPECT_DOUBLE_EQ(*ParseInterruptionRate(kDefaultDevInterruptions), 12);
  for (const char* bad : {"", "12", "12/", "/h", "12/s", "12/hh", "-1/h", "x/h", "1e9/h", "on"}) {
    auto r = ParseInterruptionRate(bad);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("N/h, N/m or N/d"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace spotkeeper::cli
