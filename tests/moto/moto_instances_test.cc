// Instances, network interfaces, attachments and spot launches against moto_server.
#include <gtest/gtest.h>

#include <algorithm>

#include "moto/moto_fixture.h"

namespace spotkeeper {
namespace {

class MotoInstancesTest : public MotoTest {
 protected:
  void SetUp() override {
    MotoTest::SetUp();
    if (HasFatalFailure()) return;
    subnet_ = SubnetIn("us-east-1a");
    ASSERT_FALSE(subnet_.id.empty());
    image_id_ = MakeImage();
    ASSERT_FALSE(image_id_.empty());
  }

  RunInstanceRequest BaseRun(const std::string& token) {
    RunInstanceRequest r;
    r.image_id = image_id_;
    r.instance_type = "m5.large";
    r.subnet_id = subnet_.id;
    r.tags = {{kTagGroup, "g1"}, {kTagSsi, "ssi-1"}, {kTagRole, "instance"}};
    r.volume_tags = {{kTagGroup, "g1"}};
    r.client_token = token;
    return r;
  }

  Subnet subnet_;
  std::string image_id_;
};

TEST_F(MotoInstancesTest, RunWithExistingEniBlockDevicesAndUserData) {
  CreateNetworkInterfaceRequest ereq;
  ereq.subnet_id = subnet_.id;
  ereq.description = "ssi-1 primary";
  ereq.tags = {{kTagGroup, "g1"}, {kTagRole, "eni"}};
  ereq.client_token = "tok-eni-1";
  auto eni = provider_->CreateNetworkInterface(ereq);
  ASSERT_TRUE(eni.ok()) << eni.status().ToString();
  EXPECT_EQ(eni->id.rfind("eni-", 0), 0u);
  EXPECT_EQ(eni->status, "available");
  EXPECT_EQ(eni->subnet_id, subnet_.id);
  EXPECT_FALSE(eni->private_ip.empty());
  EXPECT_FALSE(eni->attachment.has_value());
  EXPECT_EQ(eni->tags.at(kTagToken), "tok-eni-1");
  EXPECT_EQ(eni->description, "ssi-1 primary");
  // Setting delete-on-termination on an unattached ENI is refused: there is no attachment.
  EXPECT_EQ(provider_->SetNetworkInterfaceDeleteOnTermination(eni->id, false).cloud_code(),
            "IncorrectState");

  RunInstanceRequest run = BaseRun("tok-run-1");
  run.subnet_id.clear();
  run.network_interface_id = eni->id;
  run.user_data = "#!/bin/sh\necho spotkeeper\n";
  run.block_devices = {{"/dev/sdf", 5, "", "gp3", false}};
  auto inst = provider_->RunInstance(run);
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  EXPECT_EQ(inst->id.rfind("i-", 0), 0u);
  EXPECT_EQ(inst->image_id, image_id_);
  EXPECT_EQ(inst->instance_type, "m5.large");
  EXPECT_EQ(inst->market, Market::kOnDemand);
  EXPECT_EQ(inst->state, InstanceState::kPending);
  EXPECT_EQ(inst->private_ip, eni->private_ip);
  EXPECT_EQ(inst->tags.at(kTagToken), "tok-run-1");
  EXPECT_EQ(inst->tags.at(kTagSsi), "ssi-1");
  ASSERT_FALSE(inst->network_interfaces.empty());
  EXPECT_EQ(inst->network_interfaces.front().network_interface_id, eni->id);
  EXPECT_EQ(inst->network_interfaces.front().device_index, 0);

  Filter by_token;
  by_token.tags = {{kTagToken, "tok-run-1"}};
  auto described = provider_->DescribeInstances(by_token);
  ASSERT_TRUE(described.ok()) << described.status().ToString();
  ASSERT_EQ(described->size(), 1u);
  const Instance& d = described->front();
  EXPECT_EQ(d.id, inst->id);
  EXPECT_EQ(d.state, InstanceState::kRunning);
  EXPECT_EQ(d.availability_zone, "us-east-1a");
  EXPECT_EQ(d.subnet_id, subnet_.id);
  EXPECT_EQ(d.client_token, "tok-run-1");
  auto sdf = std::find_if(d.block_devices.begin(), d.block_devices.end(),
                          [](const InstanceBlockDevice& b) { return b.device_name == "/dev/sdf"; });
  ASSERT_NE(sdf, d.block_devices.end());
  EXPECT_FALSE(sdf->delete_on_termination);
  // The launch's volumes carry the volume tags and the token.
  Filter launch_volumes;
  launch_volumes.tags = {{kTagToken, "tok-run-1"}, {kTagGroup, "g1"}};
  auto vols = provider_->DescribeVolumes(launch_volumes);
  ASSERT_TRUE(vols.ok()) << vols.status().ToString();
  EXPECT_FALSE(vols->empty());

  Filter running;
  running.states = {"running"};
  running.tags = {{kTagGroup, "g1"}};
  EXPECT_EQ(provider_->DescribeInstances(running)->size(), 1u);
  Filter stopped;
  stopped.states = {"stopped"};
  EXPECT_TRUE(provider_->DescribeInstances(stopped)->empty());

  auto statuses = provider_->DescribeInstanceStatus({inst->id});
  ASSERT_TRUE(statuses.ok()) << statuses.status().ToString();
  ASSERT_EQ(statuses->size(), 1u);
  EXPECT_EQ(statuses->front().instance_id, inst->id);
  EXPECT_EQ(statuses->front().state, InstanceState::kRunning);
  EXPECT_FALSE(statuses->front().system_status.empty());

  // The ENI is now attached: flip its delete-on-termination through its attachment id.
  auto attached = provider_->DescribeNetworkInterfaces(Filter{{eni->id}, {}, {}, ""});
  ASSERT_TRUE(attached.ok());
  ASSERT_TRUE(attached->front().attachment.has_value());
  EXPECT_EQ(attached->front().attachment->instance_id, inst->id);
  EXPECT_EQ(attached->front().status, "in-use");
  // moto deviation: ModifyNetworkInterfaceAttribute ignores Attachment.DeleteOnTermination, so
  // only the call itself (looked-up attachment id, signed request, accepted) is checked here;
  // the fake-HTTP unit test checks the parameters.
  ASSERT_TRUE(provider_->SetNetworkInterfaceDeleteOnTermination(eni->id, true).ok());
  ASSERT_TRUE(provider_->SetNetworkInterfaceDeleteOnTermination(eni->id, false).ok());
  EXPECT_FALSE(provider_->DescribeNetworkInterfaces(Filter{{eni->id}, {}, {}, ""})
                   ->front()
                   .attachment->delete_on_termination);
  // EC2 refuses to delete an attached ENI (InvalidNetworkInterface.InUse); moto 5.2.1 deletes it,
  // so the attempt is made on a spare: create, find by tag, delete, gone.
  CreateNetworkInterfaceRequest spare_req;
  spare_req.subnet_id = subnet_.id;
  spare_req.tags = {{kTagRole, "eni"}};
  spare_req.client_token = "tok-eni-spare";
  auto spare = provider_->CreateNetworkInterface(spare_req);
  ASSERT_TRUE(spare.ok()) << spare.status().ToString();
  Filter spare_by_token;
  spare_by_token.tags = {{kTagToken, "tok-eni-spare"}};
  spare_by_token.states = {"available"};
  spare_by_token.availability_zone = "us-east-1a";
  auto spares = provider_->DescribeNetworkInterfaces(spare_by_token);
  ASSERT_TRUE(spares.ok()) << spares.status().ToString();
  ASSERT_EQ(spares->size(), 1u);
  EXPECT_EQ(spares->front().id, spare->id);
  ASSERT_TRUE(provider_->DeleteNetworkInterface(spare->id).ok());
  auto spare_gone = provider_->DescribeNetworkInterfaces(Filter{{spare->id}, {}, {}, ""});
  EXPECT_EQ(spare_gone.status().code(), Code::kNotFound) << spare_gone.status().ToString();
  EXPECT_EQ(provider_->DeleteNetworkInterface(spare->id).code(), Code::kNotFound);

  // CreateImage from the running instance. moto deviation: a "snapshot" TagSpecification is a
  // NotImplementedError (HTTP 500, HTML body) there; EC2 accepts it. Untagged works on both.
  CreateImageRequest ci;
  ci.instance_id = inst->id;
  ci.name = "ssi-1-final";
  auto made = provider_->CreateImage(ci);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->id.rfind("ami-", 0), 0u);
  EXPECT_EQ(provider_->DescribeImages(Filter{{made->id}, {}, {}, ""})->size(), 1u);
  ci.name = "ssi-1-final-tagged";
  ci.tags = {{kTagSsi, "ssi-1"}};
  ci.client_token = "tok-ci-1";
  auto tagged = provider_->CreateImage(ci);
  if (!tagged.ok()) {
    EXPECT_EQ(tagged.status().code(), Code::kUnavailable) << tagged.status().ToString();
    EXPECT_NE(tagged.status().message().find("HTTP 500"), std::string::npos);
  }

  ASSERT_TRUE(provider_->TerminateInstance(inst->id).ok());
  ASSERT_TRUE(provider_->TerminateInstance(inst->id).ok());  // idempotent
  auto after = provider_->DescribeInstances(Filter{{inst->id}, {}, {}, ""});
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->front().state == InstanceState::kTerminated ||
              after->front().state == InstanceState::kShuttingDown);
  // A well-formed id EC2 does not know (forgotten after termination): still OK.
  EXPECT_TRUE(provider_->TerminateInstance("i-0123456789abcdef0").ok());
  // moto deviation: the separately created ENI stays in-use after termination (EC2 makes it
  // available again). Both are accepted here; docs/aws.md lists the deviation.
  auto eni_after = provider_->DescribeNetworkInterfaces(Filter{{eni->id}, {}, {}, ""});
  ASSERT_TRUE(eni_after.ok());
  EXPECT_TRUE(eni_after->front().status == "available" || eni_after->front().status == "in-use");
}

TEST_F(MotoInstancesTest, SubnetPlacementWithPrivateIpAndVolumeAttachments) {
  RunInstanceRequest run = BaseRun("tok-run-2");
  std::string prefix = subnet_.cidr_block.substr(0, subnet_.cidr_block.rfind('.'));
  run.private_ip = prefix + ".77";
  auto inst = provider_->RunInstance(run);
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  EXPECT_EQ(inst->private_ip, prefix + ".77");

  CreateVolumeRequest vreq;
  vreq.availability_zone = "us-east-1a";
  vreq.size_gib = 2;
  auto vol = provider_->CreateVolume(vreq);
  ASSERT_TRUE(vol.ok());
  ASSERT_TRUE(provider_->AttachVolume(vol->id, inst->id, "/dev/sdg").ok());
  auto attached = provider_->DescribeVolumes(Filter{{vol->id}, {}, {}, ""});
  ASSERT_TRUE(attached.ok());
  ASSERT_EQ(attached->front().attachments.size(), 1u);
  EXPECT_EQ(attached->front().attachments.front().instance_id, inst->id);
  EXPECT_EQ(attached->front().attachments.front().device, "/dev/sdg");
  EXPECT_EQ(attached->front().state, "in-use");
  // A volume in use is not deleted.
  Status in_use = provider_->DeleteVolume(vol->id);
  EXPECT_EQ(in_use.code(), Code::kFailedPrecondition) << in_use.ToString();
  ASSERT_TRUE(provider_->DetachVolume(vol->id, /*force=*/false).ok());
  auto detached = provider_->DescribeVolumes(Filter{{vol->id}, {}, {}, ""});
  EXPECT_EQ(detached->front().state, "available");
  ASSERT_TRUE(provider_->AttachVolume(vol->id, inst->id, "/dev/sdg").ok());
  ASSERT_TRUE(provider_->DetachVolume(vol->id, /*force=*/true).ok());
  ASSERT_TRUE(provider_->DeleteVolume(vol->id).ok());

  // Across AZs EC2 refuses with InvalidVolume.ZoneMismatch; moto 5.2.1 attaches.
  vreq.availability_zone = "us-east-1b";
  auto far = provider_->CreateVolume(vreq);
  ASSERT_TRUE(far.ok());
  Status cross = provider_->AttachVolume(far->id, inst->id, "/dev/sdh");
  if (!cross.ok()) {
    EXPECT_EQ(cross.cloud_code(), "InvalidVolume.ZoneMismatch");
    EXPECT_EQ(cross.code(), Code::kFailedPrecondition);
  }
}

TEST_F(MotoInstancesTest, DescribeInstancesFollowsNextToken) {
  Ec2ProviderConfig config = BaseConfig();
  config.page_size = 5;
  std::unique_ptr<Ec2Provider> paged = MakeProvider(config);
  std::vector<std::string> want;
  for (int i = 0; i < 12; ++i) {
    auto inst = paged->RunInstance(BaseRun("tok-page-" + std::to_string(i)));
    ASSERT_TRUE(inst.ok()) << inst.status().ToString();
    want.push_back(inst->id);
  }
  std::sort(want.begin(), want.end());
  int64_t before = paged->sender_stats().requests;
  Filter ours;
  ours.tags = {{kTagGroup, "g1"}};
  auto all = paged->DescribeInstances(ours);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::vector<std::string> got;
  for (const Instance& i : *all) got.push_back(i.id);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);
  // 12 instances in pages of 5: three requests, the last two carrying NextToken.
  EXPECT_EQ(paged->sender_stats().requests - before, 3);
}

TEST_F(MotoInstancesTest, SpotLaunch) {
  RunInstanceRequest run = BaseRun("tok-spot-1");
  run.market = Market::kSpot;
  auto inst = provider_->RunInstance(run);
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  EXPECT_EQ(inst->market, Market::kSpot);
  auto requests = provider_->DescribeSpotInstanceRequests(Filter{});
  ASSERT_TRUE(requests.ok()) << requests.status().ToString();
  // moto deviation: no spot request is created for RunInstances with market options (EC2 makes
  // one, state active, status fulfilled). Accept both; check the EC2 shape when present.
  for (const SpotInstanceRequest& r : *requests) {
    if (r.instance_id != inst->id) continue;
    EXPECT_EQ(r.state, "active");
    EXPECT_EQ(r.status_code, "fulfilled");
    EXPECT_EQ(inst->spot_request_id, r.id);
  }
}

TEST_F(MotoInstancesTest, RepeatedClientTokenIsToleratedEitherWay) {
  auto first = provider_->RunInstance(BaseRun("tok-dup"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = provider_->RunInstance(BaseRun("tok-dup"));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  // EC2 returns the same instance; moto 5.2.1 launches another. Either way the token tag finds
  // every instance the token made, which is how the controller detects (and reaps) a duplicate.
  Filter by_token;
  by_token.tags = {{kTagToken, "tok-dup"}};
  auto found = provider_->DescribeInstances(by_token);
  ASSERT_TRUE(found.ok());
  std::vector<std::string> ids;
  for (const Instance& i : *found) ids.push_back(i.id);
  EXPECT_NE(std::find(ids.begin(), ids.end(), first->id), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), second->id), ids.end());
  EXPECT_EQ(ids.size(), first->id == second->id ? 1u : 2u);
}

}  // namespace
}  // namespace spotkeeper
