// spotkeeper's own ec2 provider against the local cloud: the flows of the controller (launch
// with a kept ENI and data volumes, find by token, terminate, reattach to a replacement, events
// from the queue) through the real client, SigV4 and XML parsing. Prints call latencies.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "tests/cloud/cloud_fixture.h"

namespace spotkeeper {
namespace {

using ProviderOnLocalCloud = LocalCloudProviderTest;

std::string SubnetIn(CloudProvider* p, const std::string& az) {
  auto subnets = p->DescribeSubnets({});
  EXPECT_TRUE(subnets.ok()) << subnets.status().ToString();
  for (const Subnet& s : *subnets) {
    if (s.availability_zone == az) return s.id;
  }
  return "";
}

TEST_F(ProviderOnLocalCloud, TopologyAndImages) {
  auto zones = provider_->DescribeAvailabilityZones();
  ASSERT_TRUE(zones.ok()) << zones.status().ToString();
  ASSERT_EQ(zones->size(), 2u);
  EXPECT_EQ((*zones)[0].name, "local-1a");
  EXPECT_EQ((*zones)[0].state, "available");
  EXPECT_FALSE(SubnetIn(provider_.get(), "local-1b").empty());
  auto images = provider_->DescribeImages({});
  ASSERT_TRUE(images.ok()) << images.status().ToString();
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].id, "ami-00000000000000001");
  EXPECT_EQ((*images)[0].root_device_name, "/dev/xvda");
  EXPECT_EQ((*images)[0].state, "available");
}

TEST_F(ProviderOnLocalCloud, StatefulInstanceFlowWithAKeptInterfaceAndVolume) {
  std::map<std::string, std::vector<double>> ms;
  auto timed = [&](const std::string& op, auto fn) {
    auto start = std::chrono::steady_clock::now();
    auto r = fn();
    ms[op].push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
    return r;
  };
  CreateNetworkInterfaceRequest eni_req;
  eni_req.subnet_id = SubnetIn(provider_.get(), "local-1a");
  eni_req.tags = {{kTagSsi, "ssi-1"}, {kTagRole, "eni"}};
  eni_req.client_token = "ssi-1-eni";
  auto eni =
      timed("CreateNetworkInterface", [&] { return provider_->CreateNetworkInterface(eni_req); });
  ASSERT_TRUE(eni.ok()) << eni.status().ToString();
  EXPECT_EQ(eni->tags.at(kTagToken), "ssi-1-eni");

  RunInstanceRequest run;
  run.image_id = "ami-00000000000000001";
  run.instance_type = "m5.large";
  run.market = Market::kSpot;
  run.network_interface_id = eni->id;
  run.block_devices = {{"/dev/sdf", 2, "", "gp3", false}};
  run.user_data = "#!/bin/sh\nredis-server --dir /mnt/sdf\n";
  run.tags = {{kTagGroup, "g1"}, {kTagSsi, "ssi-1"}};
  run.volume_tags = {{kTagSsi, "ssi-1"}};
  run.client_token = "ssi-1-launch-1";
  auto inst = timed("RunInstances", [&] { return provider_->RunInstance(run); });
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  EXPECT_EQ(inst->state, InstanceState::kPending);
  EXPECT_EQ(inst->market, Market::kSpot);
  EXPECT_EQ(inst->private_ip, eni->private_ip);
  ASSERT_EQ(inst->network_interfaces.size(), 1u);
  EXPECT_EQ(inst->network_interfaces[0].network_interface_id, eni->id);
  // A retry of the same call (lost reply) is the same instance.
  auto retry = provider_->RunInstance(run);
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->id, inst->id);
  ASSERT_TRUE(Settle());

  Filter by_token;
  by_token.tags = {{kTagToken, "ssi-1-launch-1"}};
  auto found = timed("DescribeInstances", [&] { return provider_->DescribeInstances(by_token); });
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_EQ(found->size(), 1u);
  const Instance& running = (*found)[0];
  EXPECT_EQ(running.state, InstanceState::kRunning);
  std::string data_volume;
  for (const InstanceBlockDevice& b : running.block_devices) {
    if (b.device_name == "/dev/sdf") {
      data_volume = b.volume_id;
      EXPECT_FALSE(b.delete_on_termination);
      EXPECT_EQ(b.status, "attached");
    }
  }
  ASSERT_FALSE(data_volume.empty());
  auto status = provider_->DescribeInstanceStatus({inst->id});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ((*status)[0].instance_status, "ok");

  // Pause: terminate; the interface and the data volume stay.
  ASSERT_TRUE(
      timed("TerminateInstances", [&] { return provider_->TerminateInstance(inst->id); }).ok());
  ASSERT_TRUE(Settle());
  Filter vf;
  vf.ids = {data_volume};
  auto vols = timed("DescribeVolumes", [&] { return provider_->DescribeVolumes(vf); });
  ASSERT_TRUE(vols.ok());
  EXPECT_EQ((*vols)[0].state, "available");
  EXPECT_EQ((*vols)[0].tags.at(kTagSsi), "ssi-1");
  Filter ef;
  ef.ids = {eni->id};
  auto enis =
      timed("DescribeNetworkInterfaces", [&] { return provider_->DescribeNetworkInterfaces(ef); });
  ASSERT_TRUE(enis.ok());
  EXPECT_EQ((*enis)[0].status, "available");

  // Resume: a replacement on the same interface, the volume reattached.
  run.client_token = "ssi-1-launch-2";
  run.block_devices.clear();
  auto replacement = provider_->RunInstance(run);
  ASSERT_TRUE(replacement.ok()) << replacement.status().ToString();
  ASSERT_TRUE(Settle());
  ASSERT_TRUE(timed("AttachVolume", [&] {
                return provider_->AttachVolume(data_volume, replacement->id, "/dev/sdf");
              }).ok());
  ASSERT_TRUE(Settle());
  vols = provider_->DescribeVolumes(vf);
  ASSERT_EQ((*vols)[0].attachments.size(), 1u);
  EXPECT_EQ((*vols)[0].attachments[0].instance_id, replacement->id);
  EXPECT_EQ((*vols)[0].attachments[0].state, "attached");
  auto host = driver_.Instances().at(replacement->id);
  EXPECT_EQ(host.config.primary_nic.mac, eni->mac);
  EXPECT_EQ(host.mounts.at("/dev/sdf").volume_id, data_volume);
  ASSERT_TRUE(provider_->SetNetworkInterfaceDeleteOnTermination(eni->id, false).ok());

  // Detach, delete; wrong-zone attach is refused with EC2's code.
  ASSERT_TRUE(
      timed("DetachVolume", [&] { return provider_->DetachVolume(data_volume, false); }).ok());
  ASSERT_TRUE(Settle());
  CreateVolumeRequest other;
  other.availability_zone = "local-1b";
  other.size_gib = 1;
  other.client_token = "v-b";
  auto vb = timed("CreateVolume", [&] { return provider_->CreateVolume(other); });
  ASSERT_TRUE(vb.ok());
  ASSERT_TRUE(Settle());
  Status mismatch = provider_->AttachVolume(vb->id, replacement->id, "/dev/sdg");
  EXPECT_EQ(mismatch.cloud_code(), "InvalidVolume.ZoneMismatch");
  EXPECT_EQ(mismatch.code(), Code::kFailedPrecondition);
  ASSERT_TRUE(timed("DeleteVolume", [&] { return provider_->DeleteVolume(vb->id); }).ok());
  ASSERT_TRUE(timed("CreateTags", [&] {
                return provider_->CreateTags({replacement->id, data_volume}, {{"x", "y"}});
              }).ok());
  ASSERT_TRUE(provider_->DeleteTags({replacement->id}, {"x"}).ok());
  ASSERT_TRUE(provider_->TerminateInstance(replacement->id).ok());
  EXPECT_TRUE(provider_->TerminateInstance("i-0000000000000000f").ok());  // unknown: fine
  ASSERT_TRUE(Settle());

  for (auto& [op, v] : ms) {
    std::sort(v.begin(), v.end());
    std::printf("[ timing ] %-26s n=%zu p50=%.2f ms max=%.2f ms\n", op.c_str(), v.size(),
                v[v.size() / 2], v.back());
  }
}

TEST_F(ProviderOnLocalCloud, EventsArriveThroughTheQueue) {
  RunInstanceRequest run;
  run.image_id = "ami-00000000000000001";
  run.instance_type = "t3.micro";
  run.subnet_id = SubnetIn(provider_.get(), "local-1b");
  run.client_token = "ev-1";
  auto inst = provider_->RunInstance(run);
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  ASSERT_TRUE(Settle());
  ASSERT_TRUE(provider_->TerminateInstance(inst->id).ok());
  ASSERT_TRUE(Settle());
  std::vector<std::string> states;
  std::vector<std::string> receipts;
  for (int i = 0; i < 10 && states.size() < 4; ++i) {
    auto events = provider_->ReceiveEvents(10);
    ASSERT_TRUE(events.ok()) << events.status().ToString();
    for (const CloudEvent& e : *events) {
      EXPECT_EQ(e.kind, CloudEventKind::kInstanceStateChange);
      EXPECT_EQ(e.instance_id, inst->id);
      states.push_back(e.state);
      receipts.push_back(e.receipt);
    }
  }
  EXPECT_EQ(states,
            (std::vector<std::string>{"pending", "running", "shutting-down", "terminated"}));
  ASSERT_TRUE(provider_->AckEvents(receipts).ok());
}

TEST_F(ProviderOnLocalCloud, SnapshotsAndImagesOfTheRootAndDataFlows) {
  // An instance with a data volume, as a stateful instance runs.
  RunInstanceRequest run;
  run.image_id = "ami-00000000000000001";
  run.instance_type = "t3.micro";
  run.subnet_id = SubnetIn(provider_.get(), "local-1a");
  run.block_devices = {{"/dev/sdf", 3, "", "gp3", false}};
  run.tags = {{kTagSsi, "ssi-9"}};
  run.client_token = "ssi-9-launch-1";
  auto inst = provider_->RunInstance(run);
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  ASSERT_TRUE(Settle());
  Filter by_id;
  by_id.ids = {inst->id};
  auto running = provider_->DescribeInstances(by_id);
  ASSERT_TRUE(running.ok());
  std::string root_volume, data_volume;
  for (const InstanceBlockDevice& b : (*running)[0].block_devices) {
    (b.device_name == "/dev/sdf" ? data_volume : root_volume) = b.volume_id;
  }
  ASSERT_FALSE(root_volume.empty());
  ASSERT_FALSE(data_volume.empty());

  // Periodic snapshots of root and data.
  auto root_snap = provider_->CreateSnapshot(
      {root_volume, "root of ssi-9", {{kTagSsi, "ssi-9"}}, "ssi-9-root-1"});
  ASSERT_TRUE(root_snap.ok()) << root_snap.status().ToString();
  EXPECT_EQ(root_snap->state, "pending");
  EXPECT_EQ(root_snap->tags.at(kTagToken), "ssi-9-root-1");
  auto data_snap = provider_->CreateSnapshot({data_volume, "data of ssi-9", {}, "ssi-9-data-1"});
  ASSERT_TRUE(data_snap.ok()) << data_snap.status().ToString();
  ASSERT_TRUE(Settle());
  Filter mine;
  mine.tags = {{kTagSsi, "ssi-9"}};
  mine.states = {"completed"};
  auto snaps = provider_->DescribeSnapshots(mine);
  ASSERT_TRUE(snaps.ok()) << snaps.status().ToString();
  ASSERT_EQ(snaps->size(), 1u);
  EXPECT_EQ((*snaps)[0].id, root_snap->id);
  EXPECT_EQ((*snaps)[0].progress, "100%");
  EXPECT_EQ((*snaps)[0].volume_size_gib, 8);

  // Root persistence: an image registered from the root snapshot.
  RegisterImageRequest reg;
  reg.name = "ssi-9-root-1";
  reg.root_device_name = "/dev/xvda";
  reg.block_devices = {{"/dev/xvda", root_snap->id, 0, true}};
  reg.tags = {{kTagSsi, "ssi-9"}};
  reg.client_token = "ssi-9-image-1";
  auto img = provider_->RegisterImage(reg);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  Filter by_token;
  by_token.tags = {{kTagToken, "ssi-9-image-1"}};
  auto images = provider_->DescribeImages(by_token);
  ASSERT_TRUE(images.ok()) << images.status().ToString();
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].id, img->id);
  EXPECT_EQ((*images)[0].state, "available");
  ASSERT_EQ((*images)[0].block_devices.size(), 1u);
  EXPECT_EQ((*images)[0].block_devices[0].snapshot_id, root_snap->id);
  EXPECT_EQ(provider_->DeleteSnapshot(root_snap->id).cloud_code(), "InvalidSnapshot.InUse");

  // Resume in the other zone: boot from the image, the data volume from its snapshot.
  ASSERT_TRUE(provider_->TerminateInstance(inst->id).ok());
  ASSERT_TRUE(Settle());
  RunInstanceRequest resume;
  resume.image_id = img->id;
  resume.instance_type = "t3.micro";
  resume.subnet_id = SubnetIn(provider_.get(), "local-1b");
  resume.block_devices = {{"/dev/xvda", 0, "", "gp3", true},
                          {"/dev/sdf", 0, data_snap->id, "gp3", false}};
  resume.client_token = "ssi-9-launch-2";
  auto replacement = provider_->RunInstance(resume);
  ASSERT_TRUE(replacement.ok()) << replacement.status().ToString();
  ASSERT_TRUE(Settle());
  auto host = driver_.Instances().at(replacement->id);
  EXPECT_EQ(driver_.RestoredFrom(host.config.root_volume_id), root_snap->id);
  EXPECT_EQ(driver_.RestoredFrom(host.mounts.at("/dev/sdf").volume_id), data_snap->id);
  EXPECT_EQ(driver_.VolumeSize(host.mounts.at("/dev/sdf").volume_id), 3);

  // Pause's final image, straight from the instance.
  CreateImageRequest ci;
  ci.instance_id = replacement->id;
  ci.name = "ssi-9-final";
  ci.tags = {{kTagSsi, "ssi-9"}};
  ci.client_token = "ssi-9-image-2";
  auto made = provider_->CreateImage(ci);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  ASSERT_TRUE(Settle());
  Filter made_f;
  made_f.ids = {made->id};
  auto made_images = provider_->DescribeImages(made_f);
  ASSERT_TRUE(made_images.ok());
  EXPECT_EQ((*made_images)[0].state, "available");
  EXPECT_EQ((*made_images)[0].block_devices.size(), 2u);

  // Deallocate: images, then snapshots.
  ASSERT_TRUE(provider_->TerminateInstance(replacement->id).ok());
  ASSERT_TRUE(provider_->DeregisterImage(img->id).ok());
  ASSERT_TRUE(provider_->DeregisterImage(made->id).ok());
  ASSERT_TRUE(provider_->DeleteSnapshot(root_snap->id).ok());
  ASSERT_TRUE(provider_->DeleteSnapshot(data_snap->id).ok());
  EXPECT_EQ(provider_->DeleteSnapshot(data_snap->id).code(), Code::kNotFound);
  ASSERT_TRUE(Settle());
}

TEST_F(ProviderOnLocalCloud, SpotInstancesRequestsPricesAndInterruptions) {
  RunInstanceRequest run;
  run.image_id = "ami-00000000000000001";
  run.instance_type = "t3.micro";
  run.subnet_id = SubnetIn(provider_.get(), "local-1a");
  run.client_token = "spot-1";
  run.market = Market::kSpot;
  run.tags = {{kTagSsi, "ssi-9"}};
  auto inst = provider_->RunInstance(run);
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  EXPECT_EQ(inst->market, Market::kSpot);
  ASSERT_EQ(inst->spot_request_id.rfind("sir-", 0), 0u);
  ASSERT_TRUE(Settle());
  Filter by_id;
  by_id.ids = {inst->id};
  auto described = provider_->DescribeInstances(by_id);
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  ASSERT_EQ(described->size(), 1u);
  EXPECT_EQ((*described)[0].market, Market::kSpot);
  EXPECT_EQ((*described)[0].spot_request_id, inst->spot_request_id);

  Filter by_request;
  by_request.ids = {inst->spot_request_id};
  auto requests = provider_->DescribeSpotInstanceRequests(by_request);
  ASSERT_TRUE(requests.ok()) << requests.status().ToString();
  ASSERT_EQ(requests->size(), 1u);
  EXPECT_EQ((*requests)[0].instance_id, inst->id);
  EXPECT_EQ((*requests)[0].state, "active");
  EXPECT_EQ((*requests)[0].status_code, "fulfilled");
  EXPECT_EQ((*requests)[0].availability_zone, "local-1a");
  EXPECT_EQ((*requests)[0].instance_type, "t3.micro");
  Filter by_tag;  // the provider tags the request like the instance
  by_tag.tags = {{kTagSsi, "ssi-9"}};
  by_tag.states = {"active"};
  by_tag.availability_zone = "local-1a";
  EXPECT_EQ(provider_->DescribeSpotInstanceRequests(by_tag)->size(), 1u);

  auto prices = provider_->DescribeSpotPriceHistory({"t3.micro", "m5.large"}, {"local-1a"});
  ASSERT_TRUE(prices.ok()) << prices.status().ToString();
  ASSERT_EQ(prices->size(), 2u);
  for (const SpotPrice& p : *prices) {
    EXPECT_EQ(p.availability_zone, "local-1a");
    EXPECT_GT(p.price, 0);
    EXPECT_LT(p.price, p.instance_type == "t3.micro" ? 0.0104 : 0.096);
  }

  // An interruption arrives through the queue as the controller reads it.
  ASSERT_TRUE(provider_->ReceiveEvents(10).ok());  // the launch's state changes
  auto sched = cloud_->engine()->InterruptInstances(
      {inst->id}, {std::chrono::seconds(60), std::chrono::seconds(0)});
  ASSERT_TRUE(sched.ok()) << sched.status().ToString();
  std::vector<CloudEventKind> kinds;
  for (int i = 0; i < 20 && kinds.size() < 2; ++i) {
    auto events = provider_->ReceiveEvents(10);
    ASSERT_TRUE(events.ok()) << events.status().ToString();
    for (const CloudEvent& e : *events) {
      if (e.kind == CloudEventKind::kInstanceStateChange) continue;
      EXPECT_EQ(e.instance_id, inst->id);
      kinds.push_back(e.kind);
      if (e.kind == CloudEventKind::kSpotInterruptionWarning) {
        EXPECT_EQ(e.instance_action, "terminate");
      }
    }
  }
  EXPECT_EQ(kinds, (std::vector<CloudEventKind>{CloudEventKind::kRebalanceRecommendation,
                                                CloudEventKind::kSpotInterruptionWarning}));
  requests = provider_->DescribeSpotInstanceRequests(by_request);
  ASSERT_TRUE(requests.ok());
  EXPECT_EQ((*requests)[0].state, "closed");
  EXPECT_EQ((*requests)[0].status_code, "instance-terminated-no-capacity");
}

}  // namespace
}  // namespace spotkeeper
