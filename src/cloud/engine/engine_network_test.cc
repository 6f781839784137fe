#include <gtest/gtest.h>

#include "cloud/engine/engine_test_util.h"

namespace spotkeeper::cloud {
namespace {

using Network = EngineTest;

TEST_F(Network, ANewCloudHasADefaultVpcWithASubnetPerZoneAndTheBaseImage) {
  auto vpcs = engine_->DescribeVpcs({});
  ASSERT_TRUE(vpcs.ok());
  ASSERT_EQ(vpcs->size(), 1u);
  EXPECT_TRUE((*vpcs)[0].is_default);
  EXPECT_EQ((*vpcs)[0].cidr, "10.0.0.0/16");
  EXPECT_EQ((*vpcs)[0].state, "pending");
  Drain();
  EXPECT_EQ(engine_->DescribeVpcs({})->at(0).state, "available");
  EXPECT_EQ(driver_.Vpcs(), std::set<std::string>{(*vpcs)[0].id});
  auto subnets = engine_->DescribeSubnets({});
  ASSERT_EQ(subnets->size(), 2u);
  std::map<std::string, std::string> by_zone;
  for (const SubnetView& s : *subnets) {
    by_zone[s.subnet.az] = s.subnet.cidr;
    EXPECT_TRUE(s.subnet.default_for_az);
    EXPECT_EQ(s.available_ips, 251);
  }
  EXPECT_EQ(by_zone["local-1a"], "10.0.1.0/24");
  EXPECT_EQ(by_zone["local-1b"], "10.0.2.0/24");
  auto images = engine_->DescribeImages({}, {"self"});
  ASSERT_EQ(images->items.size(), 1u);
  EXPECT_EQ(images->items[0].id, kBaseImageId);
  EXPECT_EQ(images->items[0].name, "spotkeeper-base");
  EXPECT_EQ(images->items[0].root_device_name, "/dev/xvda");
  EXPECT_EQ(images->items[0].rootfs, "/fake/images/" + std::string(kBaseImageId) + "/rootfs");
  EXPECT_TRUE(engine_->DescribeImages({}, {"amazon"})->items.empty());
  DescribeRequest missing;
  missing.ids = {"ami-00000000000000002"};
  EXPECT_EQ(engine_->DescribeImages(missing, {}).status().cloud_code(), "InvalidAMIID.NotFound");
  auto zones = engine_->DescribeAvailabilityZones({});
  ASSERT_EQ(zones->size(), 2u);
  DescribeRequest z;
  z.ids = {"local-1c"};
  EXPECT_EQ(engine_->DescribeAvailabilityZones(z).status().cloud_code(), "InvalidParameterValue");
}

TEST_F(Network, CreateVpcAndSubnetCheckRanges) {
  EXPECT_EQ(engine_->CreateVpc("10.1.0.0/8", {}).status().cloud_code(), "InvalidVpc.Range");
  EXPECT_EQ(engine_->CreateVpc("10.1.0.1/16", {}).status().cloud_code(), "InvalidVpc.Range");
  auto vpc = engine_->CreateVpc("10.1.0.0/16", {{"vpc", {{"Name", "second"}}}});
  ASSERT_TRUE(vpc.ok()) << vpc.status().ToString();
  EXPECT_EQ(vpc->tags.at("Name"), "second");
  Drain();
  EXPECT_EQ(driver_.Vpcs().count(vpc->id), 1u);
  EXPECT_EQ(engine_->CreateSubnet(vpc->id, "10.2.0.0/24", "", {}).status().cloud_code(),
            "InvalidSubnet.Range");
  auto s = engine_->CreateSubnet(vpc->id, "10.1.5.0/24", "local-1b", {});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(engine_->CreateSubnet(vpc->id, "10.1.5.128/25", "", {}).status().cloud_code(),
            "InvalidSubnet.Conflict");
  EXPECT_EQ(engine_->CreateSubnet(vpc->id, "10.1.6.0/24", "local-9", {}).status().cloud_code(),
            "InvalidParameterValue");
  EXPECT_EQ(
      engine_->CreateSubnet("vpc-00000000000000001", "10.1.6.0/24", "", {}).status().cloud_code(),
      "InvalidVpcID.NotFound");
  // An instance in the new subnet gets an address of it and the subnet's gateway.
  RunInstancesRequest r = Launch("");
  r.availability_zone.clear();
  r.subnet_id = s->id;
  std::string id = Running(r);
  auto host = driver_.Instances().at(id);
  EXPECT_EQ(host.config.primary_nic.ip, "10.1.5.4");
  EXPECT_EQ(host.config.primary_nic.gateway, "10.1.5.1");
  EXPECT_EQ(host.config.primary_nic.vpc_id, vpc->id);
}

TEST_F(Network, InterfacesCreateDescribeModifyDelete) {
  auto subnets = engine_->DescribeSubnets({});
  CreateNetworkInterfaceRequest c;
  c.subnet_id = subnets->at(0).subnet.id;
  c.description = "pool ip";
  c.tag_specs = {{"network-interface", {{"pool", "p1"}}}};
  c.client_token = "eni-token";
  auto eni = engine_->CreateNetworkInterface(c);
  ASSERT_TRUE(eni.ok()) << eni.status().ToString();
  EXPECT_EQ(engine_->CreateNetworkInterface(c)->id, eni->id);  // idempotent
  c.description = "other";
  EXPECT_EQ(engine_->CreateNetworkInterface(c).status().cloud_code(),
            "IdempotentParameterMismatch");
  Drain();
  EXPECT_EQ(driver_.Nics().count(eni->id), 1u);
  DescribeRequest d;
  d.filters = {{"tag:pool", {"p1"}}, {"status", {"available"}}};
  auto found = engine_->DescribeNetworkInterfaces(d);
  ASSERT_EQ(found->items.size(), 1u);
  EXPECT_EQ(found->items[0].description, "pool ip");
  EXPECT_EQ(found->items[0].mac.substr(0, 3), "02:");

  ModifyNetworkInterfaceRequest m;
  m.network_interface_id = eni->id;
  m.description = "renamed";
  ASSERT_TRUE(engine_->ModifyNetworkInterfaceAttribute(m).ok());
  m = {};
  m.network_interface_id = eni->id;
  m.attachment_id = "eni-attach-00000000000000001";
  m.delete_on_termination = true;
  EXPECT_EQ(engine_->ModifyNetworkInterfaceAttribute(m).cloud_code(),
            "InvalidAttachmentID.NotFound");  // not attached
  m = {};
  m.network_interface_id = eni->id;
  EXPECT_EQ(engine_->ModifyNetworkInterfaceAttribute(m).cloud_code(), "MissingParameter");

  RunInstancesRequest r = Launch();
  r.availability_zone.clear();
  r.network_interfaces = {{eni->id, 0, "", "", "", {}, std::nullopt}};
  std::string id = Running(r);
  auto v = engine_->FindInstance(id);
  m = {};
  m.network_interface_id = eni->id;
  m.attachment_id = v->eni->attachment->attachment_id;
  m.delete_on_termination = true;
  ASSERT_TRUE(engine_->ModifyNetworkInterfaceAttribute(m).ok());
  ASSERT_TRUE(engine_->TerminateInstances({id}).ok());
  Drain();
  DescribeRequest by_id;
  by_id.ids = {eni->id};
  EXPECT_EQ(engine_->DescribeNetworkInterfaces(by_id).status().cloud_code(),
            "InvalidNetworkInterfaceID.NotFound");  // deleted with its instance now
  EXPECT_TRUE(driver_.Nics().empty());

  auto other = engine_->CreateNetworkInterface({c.subnet_id, "", "", {}, {}, "", ""});
  Drain();
  ASSERT_TRUE(engine_->DeleteNetworkInterface(other->id).ok());
  Drain();
  EXPECT_TRUE(driver_.Nics().empty());
  EXPECT_EQ(engine_->DeleteNetworkInterface(other->id).cloud_code(),
            "InvalidNetworkInterfaceID.NotFound");
  EXPECT_EQ(engine_->CreateNetworkInterface({"subnet-00000000000000001", "", "", {}, {}, "", ""})
                .status()
                .cloud_code(),
            "InvalidSubnetID.NotFound");
}

TEST_F(Network, TagsOnEveryKindOfResource) {
  std::string id = Running();
  auto v = engine_->FindInstance(id);
  std::string vol = v->volumes[0].id, eni = v->eni->id;
  std::string vpc = engine_->DescribeVpcs({})->at(0).id;
  ASSERT_TRUE(engine_->CreateTags({id, vol, eni, vpc, kBaseImageId}, {{"team", "db"}}).ok());
  DescribeRequest d;
  d.filters = {{"key", {"team"}}};
  auto tags = engine_->DescribeTags(d);
  ASSERT_TRUE(tags.ok());
  ASSERT_EQ(tags->items.size(), 5u);
  std::set<std::string> types;
  for (const TagDescription& t : tags->items) types.insert(t.resource_type);
  EXPECT_EQ(types,
            (std::set<std::string>{"instance", "volume", "network-interface", "vpc", "image"}));
  d.filters = {{"resource-type", {"instance"}}, {"value", {"d*"}}};
  EXPECT_EQ(engine_->DescribeTags(d)->items.size(), 1u);
  d.filters = {{"tag:team", {"db"}}};
  EXPECT_EQ(engine_->DescribeInstances(d)->items.size(), 1u);

  ASSERT_TRUE(engine_->DeleteTags({id}, {{"team", std::string("other")}}).ok());  // no match
  EXPECT_EQ(engine_->FindInstance(id)->instance.tags.count("team"), 1u);
  ASSERT_TRUE(engine_->DeleteTags({id}, {{"team", std::nullopt}}).ok());
  EXPECT_EQ(engine_->FindInstance(id)->instance.tags.count("team"), 0u);

  EXPECT_EQ(engine_->CreateTags({"i-00000000000000001"}, {{"a", "b"}}).cloud_code(),
            "InvalidInstanceID.NotFound");
  EXPECT_EQ(engine_->CreateTags({"vol-00000000000000001"}, {{"a", "b"}}).cloud_code(),
            "InvalidVolume.NotFound");
  EXPECT_EQ(engine_->CreateTags({"thing-1"}, {{"a", "b"}}).cloud_code(), "InvalidID");
  EXPECT_EQ(engine_->CreateTags({id}, {{"aws:reserved", "b"}}).cloud_code(),
            "InvalidParameterValue");
  EXPECT_EQ(engine_->CreateTags({id}, {}).cloud_code(), "MissingParameter");
  TagMap many;
  for (int i = 0; i < 51; ++i) many["k" + std::to_string(i)] = "v";
  EXPECT_EQ(engine_->CreateTags({id}, many).cloud_code(), "TagLimitExceeded");
  // All or nothing: one bad id leaves the others untouched.
  EXPECT_FALSE(engine_->CreateTags({vol, "i-00000000000000001"}, {{"x", "y"}}).ok());
  EXPECT_EQ(Volume(vol).tags.count("x"), 0u);

  DescribeRequest page;
  page.max_results = 5;
  ASSERT_TRUE(engine_->CreateTags({id}, {{"a", "1"}, {"b", "2"}, {"c", "3"}}).ok());
  auto p1 = engine_->DescribeTags(page);
  ASSERT_EQ(p1->items.size(), 5u);
  page.next_token = p1->next_token;
  EXPECT_EQ(engine_->DescribeTags(page)->items.size(), 2u);
}

TEST_F(Network, InstanceTypesHaveVcpusMemoryAndPrices) {
  DescribeRequest d;
  d.ids = {"t3.micro", "m5.xlarge"};
  auto types = engine_->DescribeInstanceTypes(d);
  ASSERT_TRUE(types.ok());
  ASSERT_EQ(types->items.size(), 2u);
  EXPECT_EQ(types->items[0].name, "m5.xlarge");
  EXPECT_EQ(types->items[0].vcpus, 4);
  EXPECT_EQ(types->items[0].memory_mib, 16384);
  EXPECT_GT(types->items[1].on_demand_price, 0.0);
  d.ids = {"t3.enormous"};
  EXPECT_EQ(engine_->DescribeInstanceTypes(d).status().cloud_code(), "InvalidInstanceType");
  DescribeRequest f;
  f.filters = {{"instance-type", {"c5.*"}}};
  EXPECT_EQ(engine_->DescribeInstanceTypes(f)->items.size(), 3u);
  f.filters = {{"vcpu-info.default-vcpus", {"8"}}};
  EXPECT_EQ(engine_->DescribeInstanceTypes(f)->items.size(), 4u);
  DescribeRequest page;
  page.max_results = 10;
  auto p1 = engine_->DescribeInstanceTypes(page);
  EXPECT_EQ(p1->items.size(), 10u);
  page.next_token = p1->next_token;
  EXPECT_EQ(engine_->DescribeInstanceTypes(page)->items.size(), 6u);
}

}  // namespace
}  // namespace spotkeeper::cloud
