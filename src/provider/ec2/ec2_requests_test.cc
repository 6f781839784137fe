#include "provider/ec2/ec2_requests.h"

#include <gtest/gtest.h>

namespace spotkeeper {
namespace {

using Params = std::map<std::string, std::string>;

// The entries of `p` whose key starts with `prefix`.
Params With(const aws::QueryParams& p, const std::string& prefix) {
  Params out;
  for (const auto& [k, v] : p.params()) {
    if (k.rfind(prefix, 0) == 0) out[k] = v;
  }
  return out;
}

TEST(Ec2RequestsTest, RunInstancesWithExistingEniSpotAndBlockDevices) {
  RunInstanceRequest r;
  r.image_id = "ami-1";
  r.instance_type = "m5.large";
  r.market = Market::kSpot;
  r.network_interface_id = "eni-1";
  r.subnet_id = "subnet-ignored";
  r.security_group_ids = {"sg-ignored"};
  r.block_devices = {{"/dev/xvda", 0, "", "gp3", true},
                     {"/dev/sdf", 0, "snap-1", "gp3", false},
                     {"/dev/sdg", 20, "", "io2", false}};
  r.user_data = "#!/bin/sh\necho hi\n";
  r.tags = {{kTagGroup, "g1"}};
  r.volume_tags = {{kTagRole, "data"}};
  r.client_token = "tok-1";
  aws::QueryParams p = RunInstancesParams(r);
  EXPECT_EQ(p.Get("Action"), "RunInstances");
  EXPECT_EQ(p.Get("Version"), "2016-11-15");
  EXPECT_EQ(p.Get("ImageId"), "ami-1");
  EXPECT_EQ(p.Get("InstanceType"), "m5.large");
  EXPECT_EQ(p.Get("MinCount"), "1");
  EXPECT_EQ(p.Get("MaxCount"), "1");
  EXPECT_EQ(p.Get("ClientToken"), "tok-1");
  EXPECT_EQ(With(p, "NetworkInterface."),
            (Params{{"NetworkInterface.1.DeviceIndex", "0"},
                    {"NetworkInterface.1.NetworkInterfaceId", "eni-1"}}));
  EXPECT_FALSE(p.Has("SubnetId"));
  EXPECT_TRUE(With(p, "SecurityGroupId").empty());
  EXPECT_EQ(With(p, "BlockDeviceMapping."),
            (Params{{"BlockDeviceMapping.1.DeviceName", "/dev/xvda"},
                    {"BlockDeviceMapping.1.Ebs.DeleteOnTermination", "true"},
                    {"BlockDeviceMapping.1.Ebs.VolumeType", "gp3"},
                    {"BlockDeviceMapping.2.DeviceName", "/dev/sdf"},
                    {"BlockDeviceMapping.2.Ebs.DeleteOnTermination", "false"},
                    {"BlockDeviceMapping.2.Ebs.SnapshotId", "snap-1"},
                    {"BlockDeviceMapping.2.Ebs.VolumeType", "gp3"},
                    {"BlockDeviceMapping.3.DeviceName", "/dev/sdg"},
                    {"BlockDeviceMapping.3.Ebs.DeleteOnTermination", "false"},
                    {"BlockDeviceMapping.3.Ebs.VolumeSize", "20"},
                    {"BlockDeviceMapping.3.Ebs.VolumeType", "io2"}}));
  EXPECT_EQ(p.Get("UserData"), "IyEvYmluL3NoCmVjaG8gaGkK");
  EXPECT_EQ(With(p, "InstanceMarketOptions."),
            (Params{{"InstanceMarketOptions.MarketType", "spot"},
                    {"InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior", "terminate"},
                    {"InstanceMarketOptions.SpotOptions.SpotInstanceType", "one-time"}}));
  EXPECT_EQ(With(p, "TagSpecification."),
            (Params{{"TagSpecification.1.ResourceType", "instance"},
                    {"TagSpecification.1.Tag.1.Key", "spotkeeper:group"},
                    {"TagSpecification.1.Tag.1.Value", "g1"},
                    {"TagSpecification.1.Tag.2.Key", "spotkeeper:token"},
                    {"TagSpecification.1.Tag.2.Value", "tok-1"},
                    {"TagSpecification.2.ResourceType", "volume"},
                    {"TagSpecification.2.Tag.1.Key", "spotkeeper:role"},
                    {"TagSpecification.2.Tag.1.Value", "data"},
                    {"TagSpecification.2.Tag.2.Key", "spotkeeper:token"},
                    {"TagSpecification.2.Tag.2.Value", "tok-1"},
                    {"TagSpecification.3.ResourceType", "spot-instances-request"},
                    {"TagSpecification.3.Tag.1.Key", "spotkeeper:group"},
                    {"TagSpecification.3.Tag.1.Value", "g1"},
                    {"TagSpecification.3.Tag.2.Key", "spotkeeper:token"},
                    {"TagSpecification.3.Tag.2.Value", "tok-1"}}));
}

TEST(Ec2RequestsTest, RunInstancesInSubnetOnDemandWithoutToken) {
  RunInstanceRequest r;
  r.image_id = "ami-1";
  r.instance_type = "t3.micro";
  r.subnet_id = "subnet-1";
  r.private_ip = "10.0.1.9";
  r.security_group_ids = {"sg-1", "sg-2"};
  aws::QueryParams p = RunInstancesParams(r);
  EXPECT_EQ(p.Get("SubnetId"), "subnet-1");
  EXPECT_EQ(p.Get("PrivateIpAddress"), "10.0.1.9");
  EXPECT_EQ(p.Get("SecurityGroupId.1"), "sg-1");
  EXPECT_EQ(p.Get("SecurityGroupId.2"), "sg-2");
  EXPECT_FALSE(p.Has("ClientToken"));
  EXPECT_FALSE(p.Has("UserData"));
  EXPECT_TRUE(With(p, "InstanceMarketOptions").empty());
  EXPECT_TRUE(With(p, "TagSpecification").empty());
  EXPECT_TRUE(With(p, "NetworkInterface").empty());
}

TEST(Ec2RequestsTest, CreateVolumeSnapshotEniImage) {
  CreateVolumeRequest v{"us-east-1a", 10, "snap-1", "gp3", {{"a", "1"}}, "tv"};
  aws::QueryParams pv = CreateVolumeParams(v);
  EXPECT_EQ(pv.Get("AvailabilityZone"), "us-east-1a");
  EXPECT_EQ(pv.Get("Size"), "10");
  EXPECT_EQ(pv.Get("SnapshotId"), "snap-1");
  EXPECT_EQ(pv.Get("VolumeType"), "gp3");
  EXPECT_EQ(pv.Get("ClientToken"), "tv");
  EXPECT_EQ(pv.Get("TagSpecification.1.ResourceType"), "volume");
  EXPECT_EQ(pv.Get("TagSpecification.1.Tag.2.Key"), kTagToken);
  CreateVolumeRequest from_snapshot{"us-east-1a", 0, "snap-1", "gp3", {}, ""};
  EXPECT_FALSE(CreateVolumeParams(from_snapshot).Has("Size"));
  EXPECT_TRUE(With(CreateVolumeParams(from_snapshot), "TagSpecification").empty());

  aws::QueryParams ps = CreateSnapshotParams({"vol-1", "desc", {{"k", "v"}}, "ts"});
  EXPECT_EQ(ps.Get("VolumeId"), "vol-1");
  EXPECT_EQ(ps.Get("Description"), "desc");
  EXPECT_FALSE(ps.Has("ClientToken"));  // CreateSnapshot has none: the tag carries the token
  EXPECT_EQ(ps.Get("TagSpecification.1.ResourceType"), "snapshot");
  EXPECT_EQ(ps.Get("TagSpecification.1.Tag.2.Value"), "ts");

  CreateNetworkInterfaceRequest e{"subnet-1", "10.0.1.5", "d", {"sg-1"}, {{"k", "v"}}, "te"};
  aws::QueryParams pe = CreateNetworkInterfaceParams(e);
  EXPECT_EQ(pe.Get("SubnetId"), "subnet-1");
  EXPECT_EQ(pe.Get("PrivateIpAddress"), "10.0.1.5");
  EXPECT_EQ(pe.Get("Description"), "d");
  EXPECT_EQ(pe.Get("SecurityGroupId.1"), "sg-1");
  EXPECT_EQ(pe.Get("ClientToken"), "te");
  EXPECT_EQ(pe.Get("TagSpecification.1.ResourceType"), "network-interface");

  RegisterImageRequest ri;
  ri.name = "img";
  ri.root_device_name = "/dev/xvda";
  ri.block_devices = {{"/dev/xvda", "snap-1", 8, true}, {"/dev/sdf", "", 20, false}};
  ri.client_token = "ti";
  aws::QueryParams pr = RegisterImageParams(ri);
  EXPECT_EQ(pr.Get("Name"), "img");
  EXPECT_EQ(pr.Get("RootDeviceName"), "/dev/xvda");
  EXPECT_EQ(pr.Get("Architecture"), "x86_64");
  EXPECT_EQ(pr.Get("VirtualizationType"), "hvm");
  EXPECT_EQ(pr.Get("EnaSupport"), "true");
  EXPECT_EQ(pr.Get("BlockDeviceMapping.1.Ebs.SnapshotId"), "snap-1");
  EXPECT_EQ(pr.Get("BlockDeviceMapping.1.Ebs.DeleteOnTermination"), "true");
  EXPECT_FALSE(pr.Has("BlockDeviceMapping.2.Ebs.SnapshotId"));
  EXPECT_EQ(pr.Get("BlockDeviceMapping.2.Ebs.VolumeSize"), "20");
  EXPECT_EQ(pr.Get("TagSpecification.1.ResourceType"), "image");
  EXPECT_EQ(pr.Get("TagSpecification.1.Tag.1.Value"), "ti");

  CreateImageRequest ci{"i-1", "img", true, {{"k", "v"}}, "tc"};
  aws::QueryParams pc = CreateImageParams(ci);
  EXPECT_EQ(pc.Get("InstanceId"), "i-1");
  EXPECT_EQ(pc.Get("NoReboot"), "true");
  EXPECT_EQ(pc.Get("TagSpecification.1.ResourceType"), "image");
  EXPECT_EQ(pc.Get("TagSpecification.2.ResourceType"), "snapshot");
}

TEST(Ec2RequestsTest, Tags) {
  aws::QueryParams c = CreateTagsParams({"i-1", "vol-1"}, {{"a", "1"}, {"b", ""}});
  EXPECT_EQ(With(c, "ResourceId."), (Params{{"ResourceId.1", "i-1"}, {"ResourceId.2", "vol-1"}}));
  EXPECT_EQ(
      With(c, "Tag."),
      (Params{{"Tag.1.Key", "a"}, {"Tag.1.Value", "1"}, {"Tag.2.Key", "b"}, {"Tag.2.Value", ""}}));
  aws::QueryParams d = DeleteTagsParams({"i-1"}, {"a"});
  EXPECT_EQ(d.Get("Action"), "DeleteTags");
  EXPECT_EQ(With(d, "Tag."), (Params{{"Tag.1.Key", "a"}}));
  EXPECT_EQ(WithTokenTag({{"a", "1"}}, ""), (Tags{{"a", "1"}}));
  EXPECT_EQ(WithTokenTag({}, "t"), (Tags{{kTagToken, "t"}}));
}

TEST(Ec2RequestsTest, DescribeFilterNamesPerResource) {
  Filter f;
  f.ids = {"x-1", "x-2"};
  f.tags = {{kTagGroup, "g1"}, {kTagSsi, ""}};
  f.states = {"running", "pending"};
  f.availability_zone = "us-east-1a";
  aws::QueryParams p;
  AddDescribeFilter(p, Ec2Resource::kInstance, f);
  EXPECT_EQ(p.params(), (Params{{"InstanceId.1", "x-1"},
                                {"InstanceId.2", "x-2"},
                                {"Filter.1.Name", "tag:spotkeeper:group"},
                                {"Filter.1.Value.1", "g1"},
                                {"Filter.2.Name", "tag-key"},
                                {"Filter.2.Value.1", "spotkeeper:ssi"},
                                {"Filter.3.Name", "instance-state-name"},
                                {"Filter.3.Value.1", "running"},
                                {"Filter.3.Value.2", "pending"},
                                {"Filter.4.Name", "availability-zone"},
                                {"Filter.4.Value.1", "us-east-1a"}}));
  struct Row {
    Ec2Resource r;
    const char* id_key;
    const char* state;
    const char* az;  // "" when not applicable
  };
  const Row rows[] = {
      {Ec2Resource::kVolume, "VolumeId.1", "status", "availability-zone"},
      {Ec2Resource::kSnapshot, "SnapshotId.1", "status", ""},
      {Ec2Resource::kImage, "ImageId.1", "state", ""},
      {Ec2Resource::kNetworkInterface, "NetworkInterfaceId.1", "status", "availability-zone"},
      {Ec2Resource::kSpotRequest, "SpotInstanceRequestId.1", "state", "launched-availability-zone"},
  };
  for (const Row& row : rows) {
    Filter g;
    g.ids = {"x-1"};
    g.states = {"s"};
    g.availability_zone = "us-east-1a";
    aws::QueryParams q;
    AddDescribeFilter(q, row.r, g);
    EXPECT_EQ(q.Get(row.id_key), "x-1") << row.id_key;
    EXPECT_EQ(q.Get("Filter.1.Name"), row.state) << row.id_key;
    EXPECT_EQ(q.Get("Filter.2.Name"), row.az) << row.id_key;
    EXPECT_FALSE(q.Has("Owner.1"));
  }
}

TEST(Ec2RequestsTest, OwnSnapshotsAndImagesOnlyWithoutIds) {
  for (Ec2Resource r : {Ec2Resource::kSnapshot, Ec2Resource::kImage}) {
    aws::QueryParams p;
    AddDescribeFilter(p, r, Filter{});
    EXPECT_EQ(p.Get("Owner.1"), "self");
  }
  aws::QueryParams v;
  AddDescribeFilter(v, Ec2Resource::kVolume, Filter{});
  EXPECT_TRUE(v.params().empty());
}

}  // namespace
}  // namespace spotkeeper
