// Network interfaces, subnets, zones and tags.
#include <gtest/gtest.h>

#include <regex>

#include "provider/fake/fake_cloud_test_util.h"

namespace spotkeeper::testing_fake {
namespace {

class FakeNetworkTest : public FakeCloudTest {};

TEST_F(FakeNetworkTest, DefaultTopology) {
  Result<std::vector<Subnet>> subnets = cloud_.DescribeSubnets({});
  SK_ASSERT_OK(subnets);
  ASSERT_EQ(subnets->size(), 3u);
  std::set<std::string> cidrs, azs, vpcs;
  for (const Subnet& s : *subnets) {
    cidrs.insert(s.cidr_block);
    azs.insert(s.availability_zone);
    vpcs.insert(s.vpc_id);
    EXPECT_EQ(s.id.rfind("subnet-", 0), 0u);
  }
  EXPECT_EQ(cidrs, (std::set<std::string>{"10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"}));
  EXPECT_EQ(azs, (std::set<std::string>{"us-east-1a", "us-east-1b", "us-east-1c"}));
  EXPECT_EQ(vpcs.size(), 1u);
  EXPECT_EQ(vpcs.begin()->rfind("vpc-", 0), 0u);

  Result<std::vector<AvailabilityZone>> zones = cloud_.DescribeAvailabilityZones();
  SK_ASSERT_OK(zones);
  ASSERT_EQ(zones->size(), 3u);
  EXPECT_EQ((*zones)[0].name, "us-east-1a");
  EXPECT_EQ((*zones)[0].state, "available");

  Result<std::vector<Subnet>> one = cloud_.DescribeSubnets({subnet_a_});
  SK_ASSERT_OK(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].availability_zone, "us-east-1a");
  SK_EXPECT_ERROR(cloud_.DescribeSubnets({subnet_a_, "subnet-00000000000000000"}), Code::kNotFound,
                  "InvalidSubnetID.NotFound");
}

TEST_F(FakeNetworkTest, AddSubnet) {
  Result<std::string> big = cloud_.AddSubnet("us-east-1b", "10.1.0.0/16");
  SK_ASSERT_OK(big);
  EXPECT_EQ(cloud_.subnets().size(), 4u);
  SK_EXPECT_ERROR(cloud_.AddSubnet("us-east-1b", "10.1.4.0/24"), Code::kInvalidArgument,
                  "InvalidSubnet.Conflict");
  SK_EXPECT_ERROR(cloud_.AddSubnet("eu-west-1a", "10.2.0.0/24"), Code::kInvalidArgument,
                  "InvalidParameterValue");
  SK_EXPECT_ERROR(cloud_.AddSubnet("us-east-1b", "10.2.0.0/8"), Code::kInvalidArgument,
                  "InvalidSubnet.Range");
  Result<NetworkInterface> eni =
      cloud_.CreateNetworkInterface({*big, "10.1.200.9", "", {}, {}, ""});
  SK_ASSERT_OK(eni);
  EXPECT_EQ(eni->availability_zone, "us-east-1b");
}

TEST_F(FakeNetworkTest, CreateNetworkInterface) {
  Result<NetworkInterface> eni = cloud_.CreateNetworkInterface(
      {subnet_a_, "", "ssi-1 primary", {"sg-1"}, {{kTagSsi, "1"}}, "et"});
  SK_ASSERT_OK(eni);
  EXPECT_EQ(eni->id.rfind("eni-", 0), 0u);
  EXPECT_EQ(eni->status, "available");
  EXPECT_FALSE(eni->attachment.has_value());
  EXPECT_EQ(eni->availability_zone, "us-east-1a");
  EXPECT_EQ(eni->subnet_id, subnet_a_);
  EXPECT_EQ(eni->description, "ssi-1 primary");
  EXPECT_EQ(eni->private_ip.rfind("10.0.1.", 0), 0u);
  EXPECT_TRUE(std::regex_match(eni->mac, std::regex("02(:[0-9a-f]{2}){5}"))) << eni->mac;
  EXPECT_EQ(eni->tags, (Tags{{kTagSsi, "1"}, {kTagToken, "et"}}));

  // ClientToken.
  Result<NetworkInterface> same = cloud_.CreateNetworkInterface(
      {subnet_a_, "", "ssi-1 primary", {"sg-1"}, {{kTagSsi, "1"}}, "et"});
  SK_ASSERT_OK(same);
  EXPECT_EQ(same->id, eni->id);
  SK_EXPECT_ERROR(cloud_.CreateNetworkInterface({subnet_a_, "", "other", {}, {}, "et"}),
                  Code::kInvalidArgument, "IdempotentParameterMismatch");
  EXPECT_EQ(cloud_.AllNetworkInterfaces().size(), 1u);

  // Addresses.
  SK_EXPECT_ERROR(cloud_.CreateNetworkInterface({subnet_a_, eni->private_ip, "", {}, {}, ""}),
                  Code::kFailedPrecondition, "InvalidIPAddress.InUse");
  SK_EXPECT_ERROR(cloud_.CreateNetworkInterface({subnet_a_, "10.0.2.9", "", {}, {}, ""}),
                  Code::kInvalidArgument, "InvalidParameterValue");
  SK_EXPECT_ERROR(cloud_.CreateNetworkInterface({"subnet-00000000000000000", "", "", {}, {}, ""}),
                  Code::kNotFound, "InvalidSubnetID.NotFound");
  Result<NetworkInterface> fixed =
      cloud_.CreateNetworkInterface({subnet_a_, "10.0.1.200", "", {}, {}, ""});
  SK_ASSERT_OK(fixed);
  EXPECT_EQ(fixed->private_ip, "10.0.1.200");
}

TEST_F(FakeNetworkTest, SubnetRunsOutOfAddresses) {
  Result<std::string> tiny = cloud_.AddSubnet("us-east-1c", "10.9.0.0/28");  // 11 usable
  SK_ASSERT_OK(tiny);
  for (int i = 0; i < 11; ++i)
    SK_ASSERT_OK(cloud_.CreateNetworkInterface({*tiny, "", "", {}, {}, ""}));
  SK_EXPECT_ERROR(cloud_.CreateNetworkInterface({*tiny, "", "", {}, {}, ""}),
                  Code::kResourceExhausted, "InsufficientFreeAddressesInSubnet");
  RunInstanceRequest r = LaunchRequest();
  r.subnet_id = *tiny;
  SK_EXPECT_ERROR(cloud_.RunInstance(r), Code::kResourceExhausted,
                  "InsufficientFreeAddressesInSubnet");
}

TEST_F(FakeNetworkTest, DeleteNetworkInterface) {
  Result<NetworkInterface> eni =
      cloud_.CreateNetworkInterface({subnet_a_, "10.0.1.50", "", {}, {}, ""});
  SK_ASSERT_OK(eni);
  RunInstanceRequest r = LaunchRequest();
  r.subnet_id.clear();
  r.network_interface_id = eni->id;
  Result<Instance> inst = cloud_.RunInstance(r);
  SK_ASSERT_OK(inst);
  SK_EXPECT_ERROR(cloud_.DeleteNetworkInterface(eni->id), Code::kFailedPrecondition,
                  "InvalidNetworkInterface.InUse");
  SK_ASSERT_OK(cloud_.TerminateInstance(inst->id));
  Advance(Duration{5000});  // terminated; the ENI is detaching for 0.5..1 s
  Settle(Duration{1000});
  SK_ASSERT_OK(cloud_.DeleteNetworkInterface(eni->id));
  SK_EXPECT_ERROR(cloud_.DeleteNetworkInterface(eni->id), Code::kNotFound,
                  "InvalidNetworkInterfaceID.NotFound");
  // Its address is free again.
  SK_EXPECT_OK(cloud_.CreateNetworkInterface({subnet_a_, "10.0.1.50", "", {}, {}, ""}));
  std::vector<FakeCloud::Deletion> d = cloud_.deletions();
  bool found = false;
  for (const auto& x : d)
    found |= x.id == eni->id && x.kind == "network-interface" && x.cause == "api";
  EXPECT_TRUE(found);
}

TEST_F(FakeNetworkTest, DeleteOnTerminationOfAnAttachedInterface) {
  Result<NetworkInterface> eni = cloud_.CreateNetworkInterface({subnet_a_, "", "", {}, {}, ""});
  SK_ASSERT_OK(eni);
  SK_EXPECT_ERROR(cloud_.SetNetworkInterfaceDeleteOnTermination(eni->id, true),
                  Code::kFailedPrecondition, "IncorrectState");
  SK_EXPECT_ERROR(cloud_.SetNetworkInterfaceDeleteOnTermination("eni-00000000000000000", true),
                  Code::kNotFound, "InvalidNetworkInterfaceID.NotFound");
  RunInstanceRequest r = LaunchRequest();
  r.subnet_id.clear();
  r.network_interface_id = eni->id;
  Result<Instance> inst = cloud_.RunInstance(r);
  SK_ASSERT_OK(inst);
  SK_ASSERT_OK(cloud_.SetNetworkInterfaceDeleteOnTermination(eni->id, true));
  EXPECT_TRUE(GetEni(eni->id).attachment->delete_on_termination);
  EXPECT_TRUE(Get(inst->id).network_interfaces[0].delete_on_termination);
  SK_ASSERT_OK(cloud_.TerminateInstance(inst->id));
  Settle(Duration{10'000});
  EXPECT_EQ(GetEni(eni->id).status, "deleted");

  // And the other way round: an interface made by the launch kept on termination.
  Instance other = Launch();
  const std::string own = other.network_interfaces[0].network_interface_id;
  SK_ASSERT_OK(cloud_.SetNetworkInterfaceDeleteOnTermination(own, false));
  SK_ASSERT_OK(cloud_.TerminateInstance(other.id));
  Settle(Duration{10'000});
  EXPECT_EQ(GetEni(own).status, "available");
}

TEST_F(FakeNetworkTest, DescribeNetworkInterfacesFilters) {
  Result<NetworkInterface> a =
      cloud_.CreateNetworkInterface({subnet_a_, "", "", {}, {{kTagSsi, "a"}}, ""});
  Result<NetworkInterface> b =
      cloud_.CreateNetworkInterface({SubnetIn("us-east-1b"), "", "", {}, {{kTagSsi, "b"}}, ""});
  SK_ASSERT_OK(a);
  SK_ASSERT_OK(b);
  Instance inst = Launch();
  auto count = [&](const Filter& f) {
    Result<std::vector<NetworkInterface>> got = cloud_.DescribeNetworkInterfaces(f);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? got->size() : 0;
  };
  EXPECT_EQ(count({}), 3u);
  EXPECT_EQ(count({{}, {}, {"available"}, ""}), 2u);
  EXPECT_EQ(count({{}, {}, {"in-use"}, ""}), 1u);
  EXPECT_EQ(count({{}, {}, {}, "us-east-1b"}), 1u);
  EXPECT_EQ(count({{}, {{kTagSsi, "a"}}, {}, ""}), 1u);
  EXPECT_EQ(count({{a->id, b->id}, {}, {}, ""}), 2u);
  SK_EXPECT_ERROR(cloud_.DescribeNetworkInterfaces({{"eni-00000000000000000"}, {}, {}, ""}),
                  Code::kNotFound, "InvalidNetworkInterfaceID.NotFound");
}

TEST_F(FakeNetworkTest, TagsOnEveryKindOfResource) {
  Instance inst = Launch(Market::kSpot);
  Settle(Duration{10'000});
  const std::string vol = inst.block_devices[0].volume_id;
  const std::string eni = inst.network_interfaces[0].network_interface_id;
  Result<Snapshot> snap = cloud_.CreateSnapshot({vol, "", {}, ""});
  SK_ASSERT_OK(snap);
  Result<Image> image =
      cloud_.RegisterImage({"tagged", "/dev/xvda", {{"/dev/xvda", snap->id, 0, true}}, {}, ""});
  SK_ASSERT_OK(image);
  std::vector<std::string> ids = {inst.id,  vol, eni, snap->id, image->id, inst.spot_request_id,
                                  subnet_a_};
  SK_ASSERT_OK(cloud_.CreateTags(ids, {{kTagGroup, "g"}, {"Name", "x"}}));
  EXPECT_EQ(Get(inst.id).tags.at(kTagGroup), "g");
  EXPECT_EQ(GetVolume(vol).tags.at(kTagGroup), "g");
  EXPECT_EQ(GetEni(eni).tags.at(kTagGroup), "g");
  EXPECT_EQ(GetSnapshot(snap->id).tags.at(kTagGroup), "g");
  EXPECT_EQ(GetImage(image->id).tags.at(kTagGroup), "g");
  // The index follows: Describe by the new tag finds each.
  Filter by_group{{}, {{kTagGroup, "g"}}, {}, ""};
  EXPECT_EQ(cloud_.DescribeInstances(by_group)->size(), 1u);
  EXPECT_EQ(cloud_.DescribeVolumes(by_group)->size(), 1u);
  EXPECT_EQ(cloud_.DescribeNetworkInterfaces(by_group)->size(), 1u);
  EXPECT_EQ(cloud_.DescribeSnapshots(by_group)->size(), 1u);
  EXPECT_EQ(cloud_.DescribeImages(by_group)->size(), 1u);
  EXPECT_EQ(cloud_.DescribeSpotInstanceRequests(by_group)->size(), 1u);
  // Overwrite a value.
  SK_ASSERT_OK(cloud_.CreateTags({inst.id}, {{kTagGroup, "h"}}));
  EXPECT_TRUE(cloud_.DescribeInstances(by_group)->empty());
  EXPECT_EQ(cloud_.DescribeInstances({{}, {{kTagGroup, "h"}}, {}, ""})->size(), 1u);

  SK_ASSERT_OK(cloud_.DeleteTags(ids, {kTagGroup}));
  EXPECT_EQ(Get(inst.id).tags.count(kTagGroup), 0u);
  EXPECT_EQ(Get(inst.id).tags.at("Name"), "x");
  EXPECT_TRUE(cloud_.DescribeVolumes(by_group)->empty());
  EXPECT_TRUE(cloud_.DescribeInstances({{}, {{kTagGroup, "h"}}, {}, ""})->empty());
}

TEST_F(FakeNetworkTest, TagErrorsChangeNothing) {
  Instance inst = Launch();
  SK_EXPECT_ERROR(cloud_.CreateTags({inst.id, "vol-00000000000000000"}, {{"a", "1"}}),
                  Code::kNotFound, "InvalidVolume.NotFound");
  EXPECT_EQ(Get(inst.id).tags.count("a"), 0u);  // all or nothing
  SK_EXPECT_ERROR(cloud_.CreateTags({"i-00000000000000000"}, {{"a", "1"}}), Code::kNotFound,
                  "InvalidInstanceID.NotFound");
  SK_EXPECT_ERROR(cloud_.CreateTags({"snap-00000000000000000"}, {{"a", "1"}}), Code::kNotFound,
                  "InvalidSnapshot.NotFound");
  SK_EXPECT_ERROR(cloud_.CreateTags({"ami-00000000000000000"}, {{"a", "1"}}), Code::kNotFound,
                  "InvalidAMIID.NotFound");
  SK_EXPECT_ERROR(cloud_.CreateTags({"eni-00000000000000000"}, {{"a", "1"}}), Code::kNotFound,
                  "InvalidNetworkInterfaceID.NotFound");
  SK_EXPECT_ERROR(cloud_.DeleteTags({"sir-00000000000000000"}, {"a"}), Code::kNotFound,
                  "InvalidSpotInstanceRequestID.NotFound");
  SK_EXPECT_ERROR(cloud_.CreateTags({"bogus-1"}, {{"a", "1"}}), Code::kInvalidArgument,
                  "InvalidID");
  SK_EXPECT_ERROR(cloud_.CreateTags({image_}, {{"a", "1"}}), Code::kPermissionDenied,
                  "UnauthorizedOperation");  // public base images are not ours to tag
  EXPECT_TRUE(GetImage(image_).tags.empty());
  SK_EXPECT_ERROR(cloud_.CreateTags({inst.id}, {{"aws:cloudformation", "1"}}),
                  Code::kInvalidArgument, "InvalidParameterValue");
  SK_EXPECT_ERROR(cloud_.CreateTags({inst.id}, {{std::string(129, 'k'), "1"}}),
                  Code::kInvalidArgument, "InvalidParameterValue");
  Tags many;
  for (int i = 0; i < 50; ++i) many["k" + std::to_string(i)] = "v";
  SK_ASSERT_OK(cloud_.CreateTags({inst.id}, many));  // exactly 50
  SK_EXPECT_ERROR(cloud_.CreateTags({inst.id}, {{"one-more", "v"}}), Code::kInvalidArgument,
                  "TagLimitExceeded");
}

}  // namespace
}  // namespace spotkeeper::testing_fake
