// Ec2Provider over a scripted endpoint: the parameters each operation sends and what it makes
// of recorded replies, pagination, id batching, error mapping and retries.
#include "provider/ec2/ec2_provider.h"

#include <gtest/gtest.h>

#include "provider/ec2/ec2_test_util.h"

namespace spotkeeper {
namespace {

using testing::ScriptedProvider;
using testing::Testdata;

constexpr const char* kOk =
    "<R xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><return>true"
    "</return></R>";

class Ec2ProviderTest : public ::testing::Test {
 protected:
  Ec2ProviderTest() { EXPECT_NE(s_.provider, nullptr); }
  Ec2Provider& p() { return *s_.provider; }
  ScriptedProvider s_;
};

TEST_F(Ec2ProviderTest, RequestsAreSignedFormPostsToTheEndpoint) {
  s_.aws.OnFile("DescribeAvailabilityZones", "describe_availability_zones.xml");
  auto azs = p().DescribeAvailabilityZones();
  ASSERT_TRUE(azs.ok()) << azs.status().ToString();
  ASSERT_EQ(azs->size(), 2u);
  EXPECT_EQ((*azs)[0].name, "us-east-1a");
  auto reqs = s_.aws.Requests("DescribeAvailabilityZones");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].url, "https://ec2.test.local/");
  EXPECT_EQ(aws::FindHeader(reqs[0].headers, "Content-Type"),
            "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(aws::FindHeader(reqs[0].headers, "Host"), "ec2.test.local");
  std::string auth = aws::FindHeader(reqs[0].headers, "Authorization").value_or("");
  EXPECT_EQ(auth.rfind("AWS4-HMAC-SHA256 Credential=AKIAUNITTEST00000001/", 0), 0u) << auth;
  EXPECT_NE(auth.find("/us-east-1/ec2/aws4_request"), std::string::npos);
  EXPECT_EQ(s_.aws.Calls("DescribeAvailabilityZones")[0].Get("Version"), "2016-11-15");
}

TEST_F(Ec2ProviderTest, RunInstanceSendsTheRequestAndParsesTheReply) {
  s_.aws.OnFile("RunInstances", "run_instances.xml");
  RunInstanceRequest r;
  r.image_id = "ami-0abcdef1234567890";
  r.instance_type = "m5.large";
  r.market = Market::kSpot;
  r.network_interface_id = "eni-0123456789abcdef0";
  r.user_data = "hello";
  r.tags = {{kTagGroup, "g1"}};
  r.client_token = "tok-run-1";
  auto inst = p().RunInstance(r);
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  EXPECT_EQ(inst->id, "i-1234567890abcdef0");
  EXPECT_EQ(inst->state, InstanceState::kPending);
  EXPECT_EQ(inst->market, Market::kSpot);
  auto call = s_.aws.Calls("RunInstances").at(0);
  EXPECT_EQ(call.Get("ClientToken"), "tok-run-1");
  EXPECT_EQ(call.Get("UserData"), "aGVsbG8=");
  EXPECT_EQ(call.Get("NetworkInterface.1.NetworkInterfaceId"), "eni-0123456789abcdef0");
  EXPECT_EQ(call.Get("NetworkInterface.1.DeviceIndex"), "0");
  EXPECT_EQ(call.Get("InstanceMarketOptions.MarketType"), "spot");
  EXPECT_EQ(call.Get("TagSpecification.1.Tag.2.Value"), "tok-run-1");
}

TEST_F(Ec2ProviderTest, RunInstanceCapacityErrorIsFinal) {
  s_.aws.OnFile("RunInstances", "error_insufficient_instance_capacity.xml", 500);
  RunInstanceRequest r;
  r.client_token = "t";
  auto inst = p().RunInstance(r);
  EXPECT_EQ(inst.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(inst.status().cloud_code(), "InsufficientInstanceCapacity");
  EXPECT_FALSE(inst.status().IsRetryable());
  EXPECT_EQ(s_.aws.CallCount("RunInstances"), 1u);
}

TEST_F(Ec2ProviderTest, RunInstanceThrottledThenLaunched) {
  s_.aws.OnFile("RunInstances", "error_request_limit_exceeded.xml", 503);
  s_.aws.OnFile("RunInstances", "error_request_limit_exceeded.xml", 503);
  s_.aws.OnFile("RunInstances", "run_instances.xml");
  RunInstanceRequest r;
  r.client_token = "t";
  auto inst = p().RunInstance(r);
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  EXPECT_EQ(s_.aws.CallCount("RunInstances"), 3u);
  EXPECT_EQ(s_.Sleeps().size(), 2u);
  // The same ClientToken on every attempt: EC2 launches once.
  for (const auto& c : s_.aws.Calls("RunInstances")) EXPECT_EQ(c.Get("ClientToken"), "t");
}

TEST_F(Ec2ProviderTest, RunInstanceWithoutTokenIsNotRetriedOn5xx) {
  s_.aws.OnFile("RunInstances", "error_internal_error.xml", 500);
  auto inst = p().RunInstance(RunInstanceRequest{});
  EXPECT_EQ(inst.status().code(), Code::kUnavailable);
  EXPECT_EQ(s_.aws.CallCount("RunInstances"), 1u);
}

TEST_F(Ec2ProviderTest, IdempotentParameterMismatchIsInvalidArgument) {
  s_.aws.OnFile("CreateVolume", "error_idempotent_parameter_mismatch.xml", 400);
  CreateVolumeRequest r;
  r.availability_zone = "us-east-1a";
  r.size_gib = 1;
  r.client_token = "t";
  auto v = p().CreateVolume(r);
  EXPECT_EQ(v.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(v.status().cloud_code(), "IdempotentParameterMismatch");
}

TEST_F(Ec2ProviderTest, DescribeInstancesFollowsNextTokenWithMaxResults) {
  s_.aws.OnFile("DescribeInstances", "describe_instances_page1.xml");
  s_.aws.OnFile("DescribeInstances", "describe_instances_page2.xml");
  Filter f;
  f.tags = {{kTagGroup, "g1"}};
  f.states = {"running", "terminated", "stopped"};
  auto all = p().DescribeInstances(f);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, "i-1234567890abcdef0");
  EXPECT_EQ((*all)[2].state, InstanceState::kStopped);
  auto calls = s_.aws.Calls("DescribeInstances");
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].Get("MaxResults"), "1000");
  EXPECT_FALSE(calls[0].Has("NextToken"));
  EXPECT_EQ(calls[1].Get("NextToken"), "page-2-token");
  EXPECT_EQ(calls[1].Get("Filter.1.Name"), "tag:spotkeeper:group");
  EXPECT_EQ(calls[1].Get("Filter.2.Name"), "instance-state-name");
}

TEST_F(Ec2ProviderTest, DescribeWithIdsBatchesByHundredWithoutMaxResults) {
  s_.aws.OnFile("DescribeVolumes", "describe_volumes.xml");
  Filter f;
  for (int i = 0; i < 250; ++i) f.ids.push_back("vol-" + std::to_string(i));
  auto v = p().DescribeVolumes(f);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->size(), 6u);  // the recorded page (2 volumes) once per batch
  auto calls = s_.aws.Calls("DescribeVolumes");
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].GetList("VolumeId").size(), 100u);
  EXPECT_EQ(calls[1].GetList("VolumeId").front(), "vol-100");
  EXPECT_EQ(calls[2].GetList("VolumeId").size(), 50u);
  for (const auto& c : calls) EXPECT_FALSE(c.Has("MaxResults"));
}

TEST_F(Ec2ProviderTest, RepeatedNextTokenIsAnError) {
  s_.aws.On("DescribeSnapshots", 200,
            "<DescribeSnapshotsResponse><snapshotSet/><nextToken>same</nextToken>"
            "</DescribeSnapshotsResponse>");
  auto r = p().DescribeSnapshots(Filter{});
  EXPECT_EQ(r.status().code(), Code::kInternal);
  EXPECT_EQ(s_.aws.CallCount("DescribeSnapshots"), 2u);
}

TEST_F(Ec2ProviderTest, PageSizeConfig) {
  Ec2ProviderConfig c;
  c.page_size = 5;
  ScriptedProvider small(c);
  small.aws.OnFile("DescribeNetworkInterfaces", "describe_network_interfaces.xml");
  ASSERT_TRUE(small.provider->DescribeNetworkInterfaces(Filter{}).ok());
  EXPECT_EQ(small.aws.Calls("DescribeNetworkInterfaces")[0].Get("MaxResults"), "5");
}

TEST_F(Ec2ProviderTest, TerminateIsIdempotent) {
  s_.aws.OnFile("TerminateInstances", "terminate_instances.xml");
  EXPECT_TRUE(p().TerminateInstance("i-1234567890abcdef0").ok());
  EXPECT_EQ(s_.aws.Calls("TerminateInstances")[0].Get("InstanceId.1"), "i-1234567890abcdef0");
  ScriptedProvider gone;
  gone.aws.OnFile("TerminateInstances", "error_invalid_instance_id_not_found.xml", 400);
  EXPECT_TRUE(gone.provider->TerminateInstance("i-1234567890abcdef0").ok());
  ScriptedProvider denied;
  denied.aws.OnFile("TerminateInstances", "error_auth_failure.xml", 401);
  Status s = denied.provider->TerminateInstance("i-1");
  EXPECT_EQ(s.code(), Code::kUnauthenticated);
  EXPECT_EQ(s.cloud_code(), "AuthFailure");
}

TEST_F(Ec2ProviderTest, InstanceStatus) {
  s_.aws.OnFile("DescribeInstanceStatus", "describe_instance_status.xml");
  auto st = p().DescribeInstanceStatus({"i-1234567890abcdef0", "i-0000000000000000b"});
  ASSERT_TRUE(st.ok());
  ASSERT_EQ(st->size(), 2u);
  EXPECT_EQ((*st)[0].instance_status, "impaired");
  auto call = s_.aws.Calls("DescribeInstanceStatus")[0];
  EXPECT_EQ(call.Get("IncludeAllInstances"), "true");
  EXPECT_EQ(call.GetList("InstanceId").size(), 2u);
}

TEST_F(Ec2ProviderTest, VolumeOperations) {
  s_.aws.OnFile("CreateVolume", "create_volume.xml");
  s_.aws.On("AttachVolume", 200, kOk);
  s_.aws.On("DetachVolume", 200, kOk);
  s_.aws.On("DeleteVolume", 200, kOk);
  s_.aws.OnFile("DescribeVolumes", "describe_volumes.xml");
  CreateVolumeRequest r{"us-east-1a", 80, "snap-1234567890abcdef0", "gp3", {}, "tok-vol-1"};
  auto v = p().CreateVolume(r);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->state, "creating");
  EXPECT_EQ(s_.aws.Calls("CreateVolume")[0].Get("ClientToken"), "tok-vol-1");

  ASSERT_TRUE(p().AttachVolume("vol-1234567890abcdef0", "i-1234567890abcdef0", "/dev/sdf").ok());
  auto attach = s_.aws.Calls("AttachVolume")[0];
  EXPECT_EQ(attach.Get("VolumeId"), "vol-1234567890abcdef0");
  EXPECT_EQ(attach.Get("InstanceId"), "i-1234567890abcdef0");
  EXPECT_EQ(attach.Get("Device"), "/dev/sdf");

  // Detach names the attachment found by DescribeVolumes (the recorded page's first volume is
  // attached to i-1234567890abcdef0 at /dev/sdf).
  ASSERT_TRUE(p().DetachVolume("vol-1234567890abcdef0", /*force=*/true).ok());
  auto detach = s_.aws.Calls("DetachVolume")[0];
  EXPECT_EQ(detach.Get("VolumeId"), "vol-1234567890abcdef0");
  EXPECT_EQ(detach.Get("Force"), "true");
  EXPECT_EQ(s_.aws.Calls("DescribeVolumes")[0].Get("VolumeId.1"), "vol-1234567890abcdef0");

  ASSERT_TRUE(p().DeleteVolume("vol-1").ok());
  EXPECT_EQ(s_.aws.Calls("DeleteVolume")[0].Get("VolumeId"), "vol-1");
}

TEST_F(Ec2ProviderTest, DetachOfASingleAttachmentNamesIt) {
  s_.aws.On("DescribeVolumes", 200,
            "<DescribeVolumesResponse><volumeSet><item><volumeId>vol-1</volumeId><attachmentSet>"
            "<item><instanceId>i-9</instanceId><device>/dev/sdh</device><status>attached</status>"
            "</item></attachmentSet></item></volumeSet></DescribeVolumesResponse>");
  s_.aws.On("DetachVolume", 200, kOk);
  ASSERT_TRUE(p().DetachVolume("vol-1", false).ok());
  auto detach = s_.aws.Calls("DetachVolume")[0];
  EXPECT_EQ(detach.Get("InstanceId"), "i-9");
  EXPECT_EQ(detach.Get("Device"), "/dev/sdh");
  EXPECT_FALSE(detach.Has("Force"));
}

TEST_F(Ec2ProviderTest, SnapshotOperations) {
  s_.aws.OnFile("CreateSnapshot", "create_snapshot.xml");
  s_.aws.OnFile("DescribeSnapshots", "describe_snapshots.xml");
  s_.aws.On("DeleteSnapshot", 200, kOk);
  auto snap = p().CreateSnapshot({"vol-1234567890abcdef0", "root of ssi-1", {}, "tok-snap-1"});
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->progress, "60%");
  auto list = p().DescribeSnapshots(Filter{});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
  EXPECT_EQ(s_.aws.Calls("DescribeSnapshots")[0].Get("Owner.1"), "self");
  ASSERT_TRUE(p().DeleteSnapshot("snap-1").ok());
  EXPECT_EQ(s_.aws.Calls("DeleteSnapshot")[0].Get("SnapshotId"), "snap-1");
}

TEST_F(Ec2ProviderTest, CreateSnapshotIsNotRetriedAfterAnAmbiguousFailure) {
  s_.aws.OnFile("CreateSnapshot", "error_internal_error.xml", 500);
  auto snap = p().CreateSnapshot({"vol-1", "", {}, "t"});
  EXPECT_EQ(snap.status().code(), Code::kUnavailable);
  EXPECT_EQ(s_.aws.CallCount("CreateSnapshot"), 1u);
  // Throttling is refused before anything happens: retried.
  ScriptedProvider throttled;
  throttled.aws.OnFile("CreateSnapshot", "error_request_limit_exceeded.xml", 503);
  throttled.aws.OnFile("CreateSnapshot", "create_snapshot.xml");
  EXPECT_TRUE(throttled.provider->CreateSnapshot({"vol-1", "", {}, "t"}).ok());
  EXPECT_EQ(throttled.aws.CallCount("CreateSnapshot"), 2u);
}

TEST_F(Ec2ProviderTest, ImageOperations) {
  s_.aws.OnFile("RegisterImage", "register_image.xml");
  s_.aws.On("CreateTags", 200, kOk);
  s_.aws.OnFile("CreateImage", "create_image.xml");
  s_.aws.OnFile("DescribeImages", "describe_images.xml");
  s_.aws.On("DeregisterImage", 200, kOk);
  RegisterImageRequest ri;
  ri.name = "spotkeeper-ssi-1-root";
  ri.root_device_name = "/dev/xvda";
  ri.block_devices = {{"/dev/xvda", "snap-1234567890abcdef0", 8, true}};
  ri.tags = {{kTagSsi, "ssi-1"}};
  ri.client_token = "tok-img";
  auto img = p().RegisterImage(ri);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->id, "ami-1234567890abcdef0");
  EXPECT_EQ(img->state, "pending");
  EXPECT_EQ(img->root_device_name, "/dev/xvda");
  EXPECT_EQ(img->block_devices.size(), 1u);
  EXPECT_EQ(img->tags.at(kTagToken), "tok-img");
  // Re-tagged after registration (see docs/aws.md).
  auto tags = s_.aws.Calls("CreateTags");
  ASSERT_EQ(tags.size(), 1u);
  EXPECT_EQ(tags[0].Get("ResourceId.1"), "ami-1234567890abcdef0");

  auto made = p().CreateImage({"i-1", "final", true, {}, ""});
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made->id, "ami-0000000000000000c");
  EXPECT_EQ(s_.aws.Calls("CreateImage")[0].Get("NoReboot"), "true");
  EXPECT_EQ(s_.aws.CallCount("CreateTags"), 1u);  // CreateImage does not re-tag

  auto images = p().DescribeImages(Filter{{"ami-1234567890abcdef0"}, {}, {}, ""});
  ASSERT_TRUE(images.ok());
  EXPECT_EQ(images->front().block_devices.size(), 2u);
  EXPECT_FALSE(s_.aws.Calls("DescribeImages")[0].Has("Owner.1"));
  ASSERT_TRUE(p().DeregisterImage("ami-1").ok());
  EXPECT_EQ(s_.aws.Calls("DeregisterImage")[0].Get("ImageId"), "ami-1");
}

TEST_F(Ec2ProviderTest, NetworkInterfaceOperations) {
  s_.aws.OnFile("CreateNetworkInterface", "create_network_interface.xml");
  s_.aws.OnFile("DescribeNetworkInterfaces", "describe_network_interfaces.xml");
  s_.aws.On("ModifyNetworkInterfaceAttribute", 200, kOk);
  s_.aws.On("DeleteNetworkInterface", 200, kOk);
  auto eni = p().CreateNetworkInterface(
      {"subnet-0a1b2c3d4e5f60001", "", "ssi-1 primary", {}, {}, "tok-eni-1"});
  ASSERT_TRUE(eni.ok());
  EXPECT_EQ(eni->id, "eni-0123456789abcdef0");
  EXPECT_EQ(s_.aws.Calls("CreateNetworkInterface")[0].Get("ClientToken"), "tok-eni-1");

  ASSERT_TRUE(p().SetNetworkInterfaceDeleteOnTermination("eni-0123456789abcdef0", true).ok());
  auto modify = s_.aws.Calls("ModifyNetworkInterfaceAttribute")[0];
  EXPECT_EQ(modify.Get("NetworkInterfaceId"), "eni-0123456789abcdef0");
  EXPECT_EQ(modify.Get("Attachment.AttachmentId"), "eni-attach-0123456789abcdef0");
  EXPECT_EQ(modify.Get("Attachment.DeleteOnTermination"), "true");

  ASSERT_TRUE(p().DeleteNetworkInterface("eni-1").ok());
  EXPECT_EQ(s_.aws.Calls("DeleteNetworkInterface")[0].Get("NetworkInterfaceId"), "eni-1");
}

TEST_F(Ec2ProviderTest, DeleteOnTerminationOfAnUnattachedEni) {
  s_.aws.On("DescribeNetworkInterfaces", 200,
            "<DescribeNetworkInterfacesResponse><networkInterfaceSet><item><networkInterfaceId>"
            "eni-1</networkInterfaceId><status>available</status></item></networkInterfaceSet>"
            "</DescribeNetworkInterfacesResponse>");
  Status s = p().SetNetworkInterfaceDeleteOnTermination("eni-1", false);
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.cloud_code(), "IncorrectState");
  EXPECT_EQ(s_.aws.CallCount("ModifyNetworkInterfaceAttribute"), 0u);
}

TEST_F(Ec2ProviderTest, TagOperations) {
  s_.aws.On("CreateTags", 200, kOk);
  s_.aws.On("DeleteTags", 200, kOk);
  ASSERT_TRUE(p().CreateTags({"i-1", "vol-1"}, {{"a", "1"}}).ok());
  ASSERT_TRUE(p().DeleteTags({"i-1"}, {"a"}).ok());
  EXPECT_EQ(s_.aws.Calls("CreateTags")[0].Get("ResourceId.2"), "vol-1");
  EXPECT_EQ(s_.aws.Calls("DeleteTags")[0].Get("Tag.1.Key"), "a");
  // Nothing to do: no call (a DeleteTags without keys would delete every tag).
  ASSERT_TRUE(p().DeleteTags({"i-1"}, {}).ok());
  ASSERT_TRUE(p().CreateTags({}, {{"a", "1"}}).ok());
  EXPECT_EQ(s_.aws.CallCount("DeleteTags"), 1u);
  EXPECT_EQ(s_.aws.CallCount("CreateTags"), 1u);
}

TEST_F(Ec2ProviderTest, SpotRequestsPricesAndSubnets) {
  s_.aws.OnFile("DescribeSpotInstanceRequests", "describe_spot_instance_requests.xml");
  s_.aws.OnFile("DescribeSpotPriceHistory", "describe_spot_price_history.xml");
  s_.aws.OnFile("DescribeSubnets", "describe_subnets.xml");
  Filter f;
  f.states = {"active"};
  auto sirs = p().DescribeSpotInstanceRequests(f);
  ASSERT_TRUE(sirs.ok());
  EXPECT_EQ(sirs->size(), 2u);
  EXPECT_EQ(s_.aws.Calls("DescribeSpotInstanceRequests")[0].Get("Filter.1.Name"), "state");

  auto prices = p().DescribeSpotPriceHistory({"m5.large"}, {"us-east-1a", "us-east-1b"});
  ASSERT_TRUE(prices.ok());
  ASSERT_EQ(prices->size(), 2u);  // the newest per (type, AZ)
  EXPECT_EQ((*prices)[0].availability_zone, "us-east-1a");
  EXPECT_DOUBLE_EQ((*prices)[0].price, 0.0381);
  EXPECT_DOUBLE_EQ((*prices)[1].price, 0.0412);
  auto call = s_.aws.Calls("DescribeSpotPriceHistory")[0];
  EXPECT_EQ(call.Get("InstanceType.1"), "m5.large");
  EXPECT_EQ(call.Get("ProductDescription.1"), "Linux/UNIX");
  EXPECT_EQ(call.Get("StartTime"), FormatTime(s_.clock.Now()));
  EXPECT_EQ(call.Get("Filter.1.Name"), "availability-zone");
  EXPECT_EQ(call.GetList("Filter.1.Value").size(), 2u);

  auto subnets = p().DescribeSubnets({"subnet-0a1b2c3d4e5f60001"});
  ASSERT_TRUE(subnets.ok());
  EXPECT_EQ(subnets->front().cidr_block, "10.0.1.0/24");
  EXPECT_EQ(s_.aws.Calls("DescribeSubnets")[0].Get("SubnetId.1"), "subnet-0a1b2c3d4e5f60001");
}

TEST_F(Ec2ProviderTest, MalformedReplyIsInternal) {
  s_.aws.On("DescribeAvailabilityZones", 200, "<unclosed>");
  auto azs = p().DescribeAvailabilityZones();
  EXPECT_EQ(azs.status().code(), Code::kInternal);
  EXPECT_EQ(azs.status().cloud_code(), "MalformedResponse");
}

TEST(Ec2ProviderCreateTest, RejectsBadEndpoints) {
  Ec2ProviderConfig c;
  c.endpoint_url = "not a url";
  EXPECT_EQ(Ec2Provider::Create(c).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace spotkeeper
