// RunInstances, TerminateInstances, DescribeInstances, DescribeInstanceStatus.
#include <gtest/gtest.h>

#include "provider/fake/fake_cloud_test_util.h"

namespace spotkeeper::testing_fake {
namespace {

class FakeInstancesTest : public FakeCloudTest {};

bool IsEc2Id(const std::string& id, const std::string& prefix) {
  if (id.rfind(prefix, 0) != 0 || id.size() != prefix.size() + 17) return false;
  return id.find_first_not_of("0123456789abcdef", prefix.size()) == std::string::npos;
}

TEST_F(FakeInstancesTest, LaunchIsPendingThenRunningWithinTheConfiguredDelay) {
  const Time t0 = clock_.Now();
  Instance inst = Launch(Market::kOnDemand, "tok-1");
  EXPECT_TRUE(IsEc2Id(inst.id, "i-")) << inst.id;
  EXPECT_EQ(inst.state, InstanceState::kPending);
  EXPECT_EQ(inst.launch_time, t0);
  EXPECT_EQ(inst.availability_zone, "us-east-1a");
  EXPECT_EQ(inst.subnet_id, subnet_a_);
  EXPECT_EQ(inst.root_device_name, "/dev/xvda");
  EXPECT_EQ(inst.client_token, "tok-1");
  EXPECT_EQ(inst.tags.at(kTagToken), "tok-1");
  EXPECT_TRUE(inst.spot_request_id.empty());

  // One primary ENI created by the launch, DeleteOnTermination=true, address in 10.0.1.0/24.
  ASSERT_EQ(inst.network_interfaces.size(), 1u);
  const InstanceNetworkInterface& ni = inst.network_interfaces[0];
  EXPECT_TRUE(IsEc2Id(ni.network_interface_id, "eni-"));
  EXPECT_TRUE(ni.delete_on_termination);
  EXPECT_EQ(ni.device_index, 0);
  EXPECT_EQ(inst.private_ip, ni.private_ip);
  EXPECT_EQ(inst.private_ip.rfind("10.0.1.", 0), 0u) << inst.private_ip;
  NetworkInterface eni = GetEni(ni.network_interface_id);
  EXPECT_EQ(eni.status, "in-use");
  ASSERT_TRUE(eni.attachment.has_value());
  EXPECT_EQ(eni.attachment->instance_id, inst.id);
  EXPECT_EQ(eni.tags.at(kTagToken), "tok-1");

  // The root volume: empty (the base image has no snapshot), 8 GiB, in-use from the start.
  ASSERT_EQ(inst.block_devices.size(), 1u);
  const InstanceBlockDevice& root = inst.block_devices[0];
  EXPECT_EQ(root.device_name, "/dev/xvda");
  EXPECT_TRUE(root.delete_on_termination);
  EXPECT_EQ(root.status, "attached");
  Volume vol = GetVolume(root.volume_id);
  EXPECT_EQ(vol.state, "in-use");
  EXPECT_EQ(vol.size_gib, 8);
  EXPECT_EQ(vol.snapshot_id, "");
  EXPECT_EQ(vol.availability_zone, "us-east-1a");
  ASSERT_EQ(vol.attachments.size(), 1u);
  EXPECT_EQ(vol.attachments[0].instance_id, inst.id);
  EXPECT_EQ(vol.attachments[0].state, "attached");
  EXPECT_EQ(vol.tags.at(kTagToken), "tok-1");

  // pending -> running after 3..8 s.
  Time next = cloud_.NextTransitionTime();
  EXPECT_GE(next, t0 + Duration{500});  // the ENI attachment comes first (0.5..1 s)
  Advance(Duration{2999});
  EXPECT_EQ(Get(inst.id).state, InstanceState::kPending);
  Advance(Duration{5001});
  EXPECT_EQ(Get(inst.id).state, InstanceState::kRunning);
  EXPECT_EQ(GetEni(ni.network_interface_id).attachment->status, "attached");
}

TEST_F(FakeInstancesTest, NextTransitionTimeIsAlwaysAhead) {
  Launch();
  Launch(Market::kSpot);
  int jumps = 0;
  for (Time next = cloud_.NextTransitionTime(); next != kNever;
       next = cloud_.NextTransitionTime()) {
    ASSERT_GT(next, clock_.Now());
    clock_.Set(next + Duration{jumps % 2});  // sometimes overshoot: due work is applied first
    ++jumps;
    ASSERT_LT(jumps, 100);
  }
  // ENI attachments, running, status checks; nothing after that (no vanish: nothing ended).
  EXPECT_GE(jumps, 3);
  EXPECT_EQ(Get(cloud_.AllInstances()[0].id).state, InstanceState::kRunning);
}

TEST_F(FakeInstancesTest, ImageMustExistAndBeAvailable) {
  RunInstanceRequest r = LaunchRequest();
  r.image_id = "ami-0123456789abcdef0";
  SK_EXPECT_ERROR(cloud_.RunInstance(r), Code::kNotFound, "InvalidAMIID.NotFound");
  r.image_id = "debian";
  SK_EXPECT_ERROR(cloud_.RunInstance(r), Code::kInvalidArgument, "InvalidAMIID.Malformed");

  // A registered image is pending until its snapshot completes.
  Instance donor = Launch();
  Settle(Duration{10'000});
  Result<Snapshot> snap =
      cloud_.CreateSnapshot({Get(donor.id).block_devices[0].volume_id, "root", {}, ""});
  SK_ASSERT_OK(snap);
  Result<Image> img = cloud_.RegisterImage(
      {"pending-image", "/dev/xvda", {{"/dev/xvda", snap->id, 0, true}}, {}, ""});
  SK_ASSERT_OK(img);
  r.image_id = img->id;
  SK_EXPECT_ERROR(cloud_.RunInstance(r), Code::kFailedPrecondition, "InvalidAMIID.Unavailable");
  Settle();
  SK_EXPECT_OK(cloud_.RunInstance(r));
  EXPECT_EQ(cloud_.AllInstances().size(), 2u);  // failed launches left nothing behind
}

TEST_F(FakeInstancesTest, InstanceTypeMustBeKnown) {
  RunInstanceRequest r = LaunchRequest();
  r.instance_type = "z9.mega";
  SK_EXPECT_ERROR(cloud_.RunInstance(r), Code::kInvalidArgument, "InvalidParameterValue");
  for (const char* t :
       {"t3.micro", "t3.2xlarge", "m5.2xlarge", "m5a.large", "c5.xlarge", "r5.large"}) {
    r.instance_type = t;
    SK_EXPECT_OK(cloud_.RunInstance(r));
  }
  cloud_.SetSpotCapacity("z9.mega", "us-east-1a", 3);  // a pool makes the type known
  r.instance_type = "z9.mega";
  SK_EXPECT_OK(cloud_.RunInstance(r));
}

TEST_F(FakeInstancesTest, PlacementOnAnExistingEni) {
  Result<NetworkInterface> eni =
      cloud_.CreateNetworkInterface({SubnetIn("us-east-1b"), "10.0.2.77", "ssi eni", {}, {}, ""});
  SK_ASSERT_OK(eni);
  RunInstanceRequest r = LaunchRequest();
  r.subnet_id.clear();
  r.network_interface_id = eni->id;
  Result<Instance> inst = cloud_.RunInstance(r);
  SK_ASSERT_OK(inst);
  EXPECT_EQ(inst->availability_zone, "us-east-1b");
  EXPECT_EQ(inst->subnet_id, eni->subnet_id);
  EXPECT_EQ(inst->private_ip, "10.0.2.77");
  ASSERT_EQ(inst->network_interfaces.size(), 1u);
  EXPECT_EQ(inst->network_interfaces[0].network_interface_id, eni->id);
  EXPECT_FALSE(inst->network_interfaces[0].delete_on_termination);  // EC2's default here
  EXPECT_EQ(GetVolume(inst->block_devices[0].volume_id).availability_zone, "us-east-1b");

  // The ENI is in use now: a second launch on it is refused.
  SK_EXPECT_ERROR(cloud_.RunInstance(r), Code::kFailedPrecondition,
                  "InvalidNetworkInterface.InUse");
  r.network_interface_id = "eni-00000000000000000";
  SK_EXPECT_ERROR(cloud_.RunInstance(r), Code::kNotFound, "InvalidNetworkInterfaceID.NotFound");
  r.network_interface_id = eni->id;
  r.subnet_id = subnet_a_;
  SK_EXPECT_ERROR(cloud_.RunInstance(r), Code::kInvalidArgument, "InvalidParameterCombination");
}

TEST_F(FakeInstancesTest, PlacementInASubnetWithAPrivateIp) {
  RunInstanceRequest r = LaunchRequest();
  r.private_ip = "10.0.1.10";
  Result<Instance> first = cloud_.RunInstance(r);
  SK_ASSERT_OK(first);
  EXPECT_EQ(first->private_ip, "10.0.1.10");
  SK_EXPECT_ERROR(cloud_.RunInstance(r), Code::kFailedPrecondition, "InvalidIPAddress.InUse");
  r.private_ip = "10.0.9.10";
  SK_EXPECT_ERROR(cloud_.RunInstance(r), Code::kInvalidArgument, "InvalidParameterValue");
  r.private_ip = "10.0.1.1";  // reserved by EC2
  SK_EXPECT_ERROR(cloud_.RunInstance(r), Code::kInvalidArgument, "InvalidParameterValue");
  r.private_ip.clear();
  r.subnet_id = "subnet-00000000000000000";
  SK_EXPECT_ERROR(cloud_.RunInstance(r), Code::kNotFound, "InvalidSubnetID.NotFound");
  // No placement at all: a default subnet.
  r.subnet_id.clear();
  Result<Instance> dflt = cloud_.RunInstance(r);
  SK_ASSERT_OK(dflt);
  EXPECT_FALSE(dflt->subnet_id.empty());
  // When the instance is gone its address is free again.
  SK_ASSERT_OK(cloud_.TerminateInstance(first->id));
  Settle();
  r.subnet_id = subnet_a_;
  r.private_ip = "10.0.1.10";
  SK_EXPECT_OK(cloud_.RunInstance(r));
}

TEST_F(FakeInstancesTest, BlockDeviceMappings) {
  // A completed snapshot to restore from.
  Instance donor = Launch();
  Settle(Duration{10'000});
  Result<Snapshot> snap =
      cloud_.CreateSnapshot({Get(donor.id).block_devices[0].volume_id, "", {}, ""});
  SK_ASSERT_OK(snap);

  RunInstanceRequest r = LaunchRequest(Market::kOnDemand, "tok-bd");
  r.volume_tags = {{kTagRole, "data"}};
  r.block_devices = {{"/dev/xvda", 20, "", "gp3", false},      // root: bigger, kept on termination
                     {"/dev/sdf", 50, "", "gp3", false},       // empty data volume
                     {"/dev/sdg", 0, snap->id, "io2", true}};  // from a snapshot, its size
  // The snapshot is still pending.
  SK_EXPECT_ERROR(cloud_.RunInstance(r), Code::kFailedPrecondition, "IncorrectState");
  Settle();
  Result<Instance> inst = cloud_.RunInstance(r);
  SK_ASSERT_OK(inst);
  ASSERT_EQ(inst->block_devices.size(), 3u);
  const auto& bds = inst->block_devices;
  EXPECT_EQ(bds[0].device_name, "/dev/xvda");
  EXPECT_FALSE(bds[0].delete_on_termination);
  EXPECT_EQ(GetVolume(bds[0].volume_id).size_gib, 20);
  EXPECT_EQ(bds[1].device_name, "/dev/sdf");
  EXPECT_EQ(GetVolume(bds[1].volume_id).size_gib, 50);
  EXPECT_EQ(GetVolume(bds[1].volume_id).snapshot_id, "");
  EXPECT_EQ(bds[2].device_name, "/dev/sdg");
  EXPECT_TRUE(bds[2].delete_on_termination);
  Volume restored = GetVolume(bds[2].volume_id);
  EXPECT_EQ(restored.snapshot_id, snap->id);
  EXPECT_EQ(restored.size_gib, 8);
  EXPECT_EQ(restored.volume_type, "io2");
  for (const auto& bd : bds) {
    Volume v = GetVolume(bd.volume_id);
    EXPECT_EQ(v.state, "in-use");
    EXPECT_EQ(v.tags, (Tags{{kTagRole, "data"}, {kTagToken, "tok-bd"}}));
  }

  // Errors: too small for the snapshot, unknown snapshot, duplicate or bad device, no size.
  RunInstanceRequest bad = LaunchRequest();
  bad.block_devices = {{"/dev/sdf", 4, snap->id, "gp3", false}};
  SK_EXPECT_ERROR(cloud_.RunInstance(bad), Code::kInvalidArgument, "InvalidParameterValue");
  bad.block_devices = {{"/dev/sdf", 0, "snap-00000000000000000", "gp3", false}};
  SK_EXPECT_ERROR(cloud_.RunInstance(bad), Code::kNotFound, "InvalidSnapshot.NotFound");
  bad.block_devices = {{"/dev/sdf", 5, "", "gp3", false}, {"/dev/sdf", 5, "", "gp3", false}};
  SK_EXPECT_ERROR(cloud_.RunInstance(bad), Code::kInvalidArgument, "InvalidParameterValue");
  bad.block_devices = {{"sdf", 5, "", "gp3", false}};
  SK_EXPECT_ERROR(cloud_.RunInstance(bad), Code::kInvalidArgument, "InvalidParameterValue");
  bad.block_devices = {{"/dev/sdf", 0, "", "gp3", false}};
  SK_EXPECT_ERROR(cloud_.RunInstance(bad), Code::kInvalidArgument, "InvalidParameterValue");
  bad.block_devices = {{"/dev/sdf", 5, "", "gp9", false}};
  SK_EXPECT_ERROR(cloud_.RunInstance(bad), Code::kInvalidArgument, "InvalidParameterValue");
}

TEST_F(FakeInstancesTest, ClientTokenMakesRunInstancesIdempotent) {
  Instance a = Launch(Market::kSpot, "tok-A");
  const size_t volumes = cloud_.AllVolumes().size();
  const size_t enis = cloud_.AllNetworkInterfaces().size();
  Instance again = Launch(Market::kSpot, "tok-A");
  EXPECT_EQ(again.id, a.id);
  EXPECT_EQ(cloud_.AllInstances().size(), 1u);
  EXPECT_EQ(cloud_.AllVolumes().size(), volumes);
  EXPECT_EQ(cloud_.AllNetworkInterfaces().size(), enis);
  EXPECT_EQ(cloud_.AllSpotInstanceRequests().size(), 1u);

  // Same token, different parameters.
  RunInstanceRequest other = LaunchRequest(Market::kSpot, "tok-A");
  other.instance_type = "m5.xlarge";
  SK_EXPECT_ERROR(cloud_.RunInstance(other), Code::kInvalidArgument, "IdempotentParameterMismatch");
  other = LaunchRequest(Market::kSpot, "tok-A");
  other.tags = {{"x", "y"}};
  SK_EXPECT_ERROR(cloud_.RunInstance(other), Code::kInvalidArgument, "IdempotentParameterMismatch");

  // The token keeps answering with the instance in its current state, even terminated and
  // gone from DescribeInstances.
  Settle(Duration{10'000});
  EXPECT_EQ(Launch(Market::kSpot, "tok-A").state, InstanceState::kRunning);
  SK_ASSERT_OK(cloud_.TerminateInstance(a.id));
  Settle(Duration{7'200'000});
  SK_EXPECT_ERROR(cloud_.DescribeInstances({{a.id}, {}, {}, ""}), Code::kNotFound,
                  "InvalidInstanceID.NotFound");
  Instance late = Launch(Market::kSpot, "tok-A");
  EXPECT_EQ(late.id, a.id);
  EXPECT_EQ(late.state, InstanceState::kTerminated);
  EXPECT_EQ(cloud_.AllInstances().size(), 1u);

  // A failed launch does not use up its token.
  cloud_.SetOnDemandCapacity("m5.large", "us-east-1a", 0);
  SK_EXPECT_ERROR(cloud_.RunInstance(LaunchRequest(Market::kOnDemand, "tok-B")),
                  Code::kResourceExhausted, "InsufficientInstanceCapacity");
  cloud_.SetOnDemandCapacity("m5.large", "us-east-1a", -1);
  SK_EXPECT_OK(cloud_.RunInstance(LaunchRequest(Market::kOnDemand, "tok-B")));
}

TEST_F(FakeInstancesTest, SpotLaunchCreatesAFulfilledSpotRequest) {
  Instance inst = Launch(Market::kSpot);
  EXPECT_EQ(inst.market, Market::kSpot);
  ASSERT_TRUE(inst.spot_request_id.rfind("sir-", 0) == 0) << inst.spot_request_id;
  Result<std::vector<SpotInstanceRequest>> reqs =
      cloud_.DescribeSpotInstanceRequests({{inst.spot_request_id}, {}, {}, ""});
  SK_ASSERT_OK(reqs);
  ASSERT_EQ(reqs->size(), 1u);
  EXPECT_EQ((*reqs)[0].instance_id, inst.id);
  EXPECT_EQ((*reqs)[0].state, "active");
  EXPECT_EQ((*reqs)[0].status_code, "fulfilled");
  EXPECT_EQ((*reqs)[0].instance_type, "m5.large");
  EXPECT_EQ((*reqs)[0].availability_zone, "us-east-1a");
  EXPECT_TRUE(Launch(Market::kOnDemand).spot_request_id.empty());
}

TEST_F(FakeInstancesTest, CapacityPerPoolAndMarket) {
  cloud_.SetSpotCapacity("m5.large", "us-east-1a", 1);
  Instance first = Launch(Market::kSpot);
  const size_t volumes = cloud_.AllVolumes().size();
  Result<Instance> refused = cloud_.RunInstance(LaunchRequest(Market::kSpot));
  SK_EXPECT_ERROR(refused, Code::kResourceExhausted, "InsufficientInstanceCapacity");
  EXPECT_FALSE(refused.status().IsRetryable());
  EXPECT_EQ(cloud_.AllInstances().size(), 1u);
  EXPECT_EQ(cloud_.AllVolumes().size(), volumes);
  EXPECT_EQ(cloud_.AllSpotInstanceRequests().size(), 1u);
  EXPECT_EQ(cloud_.stats().insufficient_capacity, 1);
  // Other pools are unaffected: on-demand, another AZ, another type.
  SK_EXPECT_OK(cloud_.RunInstance(LaunchRequest(Market::kOnDemand)));
  RunInstanceRequest b = LaunchRequest(Market::kSpot);
  b.subnet_id = SubnetIn("us-east-1b");
  SK_EXPECT_OK(cloud_.RunInstance(b));
  RunInstanceRequest other_type = LaunchRequest(Market::kSpot);
  other_type.instance_type = "m5.xlarge";
  SK_EXPECT_OK(cloud_.RunInstance(other_type));
  // The slot frees when the instance is terminated (not before).
  SK_ASSERT_OK(cloud_.TerminateInstance(first.id));
  SK_EXPECT_ERROR(cloud_.RunInstance(LaunchRequest(Market::kSpot)), Code::kResourceExhausted,
                  "InsufficientInstanceCapacity");
  Settle(Duration{10'000});
  SK_EXPECT_OK(cloud_.RunInstance(LaunchRequest(Market::kSpot)));

  cloud_.SetOnDemandCapacity("c5.large", "us-east-1a", 0);
  RunInstanceRequest od = LaunchRequest(Market::kOnDemand);
  od.instance_type = "c5.large";
  SK_EXPECT_ERROR(cloud_.RunInstance(od), Code::kResourceExhausted, "InsufficientInstanceCapacity");
}

TEST_F(FakeInstancesTest, TerminationLetsGoOfVolumesAndInterfaces) {
  Result<NetworkInterface> own_eni = cloud_.CreateNetworkInterface({subnet_a_, "", "", {}, {}, ""});
  SK_ASSERT_OK(own_eni);
  RunInstanceRequest r = LaunchRequest(Market::kSpot);
  r.subnet_id.clear();
  r.network_interface_id = own_eni->id;
  r.block_devices = {{"/dev/sdf", 10, "", "gp3", false}};
  Result<Instance> inst = cloud_.RunInstance(r);
  SK_ASSERT_OK(inst);
  Instance plain = Launch();  // its ENI was made by the launch: DeleteOnTermination
  Settle(Duration{10'000});
  const std::string root = inst->block_devices[0].volume_id;
  const std::string data = inst->block_devices[1].volume_id;
  const std::string plain_eni = plain.network_interfaces[0].network_interface_id;
  DrainEvents();

  const Time t0 = clock_.Now();
  SK_ASSERT_OK(cloud_.TerminateInstance(inst->id));
  SK_ASSERT_OK(cloud_.TerminateInstance(plain.id));
  SK_ASSERT_OK(cloud_.TerminateInstance(inst->id));  // idempotent
  Instance dying = Get(inst->id);
  EXPECT_EQ(dying.state, InstanceState::kShuttingDown);
  EXPECT_EQ(dying.state_reason, "Client.UserInitiatedShutdown: User initiated shutdown");
  Advance(Duration{1999});
  EXPECT_EQ(Get(inst->id).state, InstanceState::kShuttingDown);
  Advance(Duration{3001});  // shutting-down takes 2..5 s
  Instance dead = Get(inst->id);
  EXPECT_EQ(dead.state, InstanceState::kTerminated);
  EXPECT_TRUE(dead.block_devices.empty());
  EXPECT_TRUE(dead.network_interfaces.empty());

  // Root (DeleteOnTermination) deleted; the data volume detaching, then available.
  EXPECT_EQ(GetVolume(root).state, "deleted");
  Volume d = GetVolume(data);
  EXPECT_TRUE(d.state == "in-use" || d.state == "available") << d.state;
  Settle(Duration{5000});
  d = GetVolume(data);
  EXPECT_EQ(d.state, "available");
  EXPECT_TRUE(d.attachments.empty());
  // The separately created ENI is available again (EC2, unlike moto); the launch's is deleted.
  NetworkInterface e = GetEni(own_eni->id);
  EXPECT_EQ(e.status, "available");
  EXPECT_FALSE(e.attachment.has_value());
  EXPECT_EQ(GetEni(plain_eni).status, "deleted");
  SK_EXPECT_ERROR(cloud_.DescribeNetworkInterfaces({{plain_eni}, {}, {}, ""}), Code::kNotFound,
                  "InvalidNetworkInterfaceID.NotFound");

  std::map<std::string, std::string> deleted;
  for (const auto& del : cloud_.deletions()) {
    deleted[del.id] = del.kind + "/" + del.cause;
    EXPECT_GE(del.at, t0);
  }
  EXPECT_EQ(deleted.at(root), "volume/delete-on-termination");
  EXPECT_EQ(deleted.at(plain_eni), "network-interface/delete-on-termination");
  EXPECT_EQ(deleted.count(data), 0u);
  EXPECT_EQ(deleted.count(own_eni->id), 0u);

  // The spot request closed by the user's termination.
  Result<std::vector<SpotInstanceRequest>> sir =
      cloud_.DescribeSpotInstanceRequests({{inst->spot_request_id}, {}, {}, ""});
  SK_ASSERT_OK(sir);
  EXPECT_EQ((*sir)[0].state, "closed");
  EXPECT_EQ((*sir)[0].status_code, "instance-terminated-by-user");

  // State-change events for both instances, in order.
  std::vector<std::string> states;
  for (const CloudEvent& ev : DrainEvents()) {
    if (ev.instance_id == inst->id) states.push_back(ev.state);
  }
  EXPECT_EQ(states, (std::vector<std::string>{"shutting-down", "terminated"}));
}

TEST_F(FakeInstancesTest, TerminatedInstancesVanishAfterAnHour) {
  Instance inst = Launch();
  SK_ASSERT_OK(cloud_.TerminateInstance(inst.id));
  Settle(Duration{10'000});
  Time terminated_at = clock_.Now();
  Advance(Duration{3'600'000 - 10'000});
  SK_EXPECT_OK(cloud_.DescribeInstances({{inst.id}, {}, {}, ""}));
  Settle(Duration{20'000});
  (void)terminated_at;
  SK_EXPECT_ERROR(cloud_.DescribeInstances({{inst.id}, {}, {}, ""}), Code::kNotFound,
                  "InvalidInstanceID.NotFound");
  Result<std::vector<Instance>> all = cloud_.DescribeInstances({});
  SK_ASSERT_OK(all);
  EXPECT_TRUE(all->empty());
  EXPECT_EQ(cloud_.AllInstances().size(), 1u);      // inspection still shows it
  SK_EXPECT_OK(cloud_.TerminateInstance(inst.id));  // once made, always terminable
  SK_EXPECT_ERROR(cloud_.TerminateInstance("i-00000000000000000"), Code::kNotFound,
                  "InvalidInstanceID.NotFound");
  SK_EXPECT_ERROR(cloud_.TerminateInstance("vol-1"), Code::kInvalidArgument,
                  "InvalidInstanceID.Malformed");
  SK_EXPECT_ERROR(cloud_.CreateTags({inst.id}, {{"a", "b"}}), Code::kNotFound,
                  "InvalidInstanceID.NotFound");
}

TEST_F(FakeInstancesTest, DescribeInstancesFilters) {
  RunInstanceRequest r = LaunchRequest();
  r.tags = {{kTagGroup, "g1"}, {kTagSsi, "ssi-1"}};
  Result<Instance> a = cloud_.RunInstance(r);
  r.tags = {{kTagGroup, "g1"}, {kTagSsi, "ssi-2"}};
  r.subnet_id = SubnetIn("us-east-1b");
  Result<Instance> b = cloud_.RunInstance(r);
  r.tags = {{kTagGroup, "g2"}};
  Result<Instance> c = cloud_.RunInstance(r);
  SK_ASSERT_OK(a);
  SK_ASSERT_OK(b);
  SK_ASSERT_OK(c);
  Settle(Duration{10'000});
  SK_ASSERT_OK(cloud_.TerminateInstance(c->id));

  auto ids = [&](const Filter& f) {
    std::vector<std::string> out;
    Result<std::vector<Instance>> got = cloud_.DescribeInstances(f);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    if (got.ok()) {
      for (const Instance& i : *got) out.push_back(i.id);
    }
    return out;
  };
  std::vector<std::string> all = {a->id, b->id, c->id};
  std::sort(all.begin(), all.end());
  EXPECT_EQ(ids({}), all);  // ordered by id
  EXPECT_EQ(ids({{}, {{kTagSsi, "ssi-2"}}, {}, ""}), std::vector<std::string>{b->id});
  EXPECT_EQ(ids({{}, {{kTagGroup, "g1"}, {kTagSsi, "ssi-1"}}, {}, ""}),
            std::vector<std::string>{a->id});
  EXPECT_EQ(ids({{}, {{kTagSsi, ""}}, {}, ""}).size(), 2u);  // key present, any value
  EXPECT_TRUE(ids({{}, {{kTagSsi, "nope"}}, {}, ""}).empty());
  EXPECT_EQ(ids({{}, {}, {"shutting-down"}, ""}), std::vector<std::string>{c->id});
  EXPECT_EQ(ids({{}, {}, {"running", "pending"}, "us-east-1b"}), std::vector<std::string>{b->id});
  EXPECT_EQ(ids({{a->id, b->id}, {}, {}, "us-east-1a"}), std::vector<std::string>{a->id});
  SK_EXPECT_ERROR(cloud_.DescribeInstances({{a->id, "i-0000000000000000a"}, {}, {}, ""}),
                  Code::kNotFound, "InvalidInstanceID.NotFound");
}

TEST_F(FakeInstancesTest, InstanceStatusChecks) {
  FakeCloudOptions o = Unthrottled();
  o.instance_pending = {Duration{4000}, Duration{4000}};
  o.instance_status_initializing = Duration{2000};
  FakeClock clock;
  FakeCloud cloud(&clock, 1, o);
  RunInstanceRequest r;
  r.image_id = cloud.AddImage("base");
  r.instance_type = "t3.micro";
  Result<Instance> inst = cloud.RunInstance(r);
  SK_ASSERT_OK(inst);
  auto status = [&]() -> std::string {
    Result<std::vector<InstanceStatus>> s = cloud.DescribeInstanceStatus({inst->id});
    EXPECT_TRUE(s.ok());
    if (!s.ok() || s->empty()) return "(not listed)";
    EXPECT_EQ((*s)[0].system_status, (*s)[0].instance_status);
    return (*s)[0].instance_status;
  };
  EXPECT_EQ(status(), "(not listed)");  // pending instances are not listed
  clock.Advance(Duration{4000});
  EXPECT_EQ(status(), "initializing");
  clock.Advance(Duration{1999});
  EXPECT_EQ(status(), "initializing");
  clock.Advance(Duration{1});
  EXPECT_EQ(status(), "ok");
  SK_ASSERT_OK(cloud.SetImpaired(inst->id, true));
  EXPECT_EQ(status(), "impaired");
  Result<std::vector<InstanceStatus>> all = cloud.DescribeInstanceStatus({});
  SK_ASSERT_OK(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].state, InstanceState::kRunning);
  SK_ASSERT_OK(cloud.SetImpaired(inst->id, false));
  EXPECT_EQ(status(), "ok");
  SK_EXPECT_ERROR(cloud.DescribeInstanceStatus({"i-00000000000000000"}), Code::kNotFound,
                  "InvalidInstanceID.NotFound");
}

TEST_F(FakeInstancesTest, StateChangeEventsForEveryTransition) {
  Instance inst = Launch();
  Settle(Duration{10'000});
  SK_ASSERT_OK(cloud_.TerminateInstance(inst.id));
  Settle(Duration{10'000});
  std::vector<std::string> states;
  Time last = kEpoch;
  for (const CloudEvent& e : DrainEvents()) {
    EXPECT_EQ(e.kind, CloudEventKind::kInstanceStateChange);
    EXPECT_EQ(e.instance_id, inst.id);
    EXPECT_GE(e.time, last);
    last = e.time;
    states.push_back(e.state);
  }
  EXPECT_EQ(states,
            (std::vector<std::string>{"pending", "running", "shutting-down", "terminated"}));
}

}  // namespace
}  // namespace spotkeeper::testing_fake
