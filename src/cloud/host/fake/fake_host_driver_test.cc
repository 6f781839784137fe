#include "cloud/host/fake/fake_host_driver.h"

#include <gtest/gtest.h>

namespace spotkeeper::cloud {
namespace {

InstanceConfig Config() {
  InstanceConfig c;
  c.instance_id = "i-1";
  c.root_volume_id = "vol-root";
  c.primary_nic = NicConfig{"eni-1", "vpc-1", "02:00:00:00:00:01", "10.0.1.4", 24, "10.0.1.1"};
  c.volumes = {{"vol-data", "/dev/sdf"}};
  return c;
}

TEST(FakeHostDriver, FollowsTheHostDriverContract) {
  FakeHostDriver d;
  ASSERT_TRUE(d.EnsureVpc({"vpc-1", "10.0.0.0/16", "10.0.0.1"}).ok());
  ASSERT_TRUE(d.CreateVolume("vol-root", 8).ok());
  ASSERT_TRUE(d.CreateVolume("vol-data", 1).ok());
  ASSERT_TRUE(d.CreateNic(Config().primary_nic).ok());
  ASSERT_TRUE(d.StartInstance(Config()).ok());
  ASSERT_TRUE(d.StartInstance(Config()).ok());  // idempotent
  EXPECT_EQ(d.Instances().at("i-1").starts, 1);
  EXPECT_EQ(d.Nics().at("eni-1").location, "i-1");
  EXPECT_FALSE(d.DeleteNic(Config().primary_nic).ok());  // in use
  EXPECT_FALSE(d.DeleteVolume("vol-data").ok());         // mounted
  ASSERT_TRUE(d.StopInstance("i-1", Duration{0}).ok());
  ASSERT_TRUE(d.StopInstance("i-1", Duration{0}).ok());  // absent is fine
  EXPECT_EQ(d.Nics().at("eni-1").location, "parked");
  EXPECT_EQ(*d.GetInstanceState("i-1"), RuntimeState::kMissing);
  ASSERT_TRUE(d.DeleteVolume("vol-data").ok());
  ASSERT_TRUE(d.DeleteVolume("vol-data").ok());
  ASSERT_TRUE(d.DestroyAll().ok());
  EXPECT_TRUE(d.Empty());
}

TEST(FakeHostDriver, InjectsFailuresBeforeOrAfterTheEffect) {
  FakeHostDriver d;
  d.FailNext("CreateVolume", Unavailable("disk full"));
  EXPECT_FALSE(d.CreateVolume("vol-1", 1).ok());
  EXPECT_TRUE(d.Volumes().empty());
  d.FailNext("CreateVolume", Unavailable("lost reply"), /*after_effect=*/true);
  EXPECT_FALSE(d.CreateVolume("vol-1", 1).ok());
  EXPECT_EQ(d.Volumes().size(), 1u);
  EXPECT_EQ(d.CallCount("CreateVolume"), 2);
}

TEST(FakeHostDriver, RecoverKeepsWhatTheInventoryNamesAndRemovesTheRest) {
  FakeHostDriver d;
  ASSERT_TRUE(d.EnsureVpc({"vpc-1", "10.0.0.0/16", "10.0.0.1"}).ok());
  ASSERT_TRUE(d.CreateVolume("vol-root", 8).ok());
  ASSERT_TRUE(d.CreateVolume("vol-data", 1).ok());
  ASSERT_TRUE(d.CreateVolume("vol-half", 1).ok());
  ASSERT_TRUE(d.CreateNic(Config().primary_nic).ok());
  ASSERT_TRUE(d.StartInstance(Config()).ok());
  HostInventory inv;
  inv.vpcs = {{"vpc-1", "10.0.0.0/16", "10.0.0.1"}};
  inv.volumes = {"vol-root", "vol-data"};
  inv.nics = {Config().primary_nic};
  inv.running_instances = {"i-1"};
  inv.attachments = {{"i-1", {"vol-data", "/dev/sdf"}}};
  ASSERT_TRUE(d.Recover(inv).ok());
  EXPECT_EQ(d.Volumes(), (std::set<std::string>{"vol-data", "vol-root"}));
  EXPECT_EQ(d.Instances().at("i-1").starts, 1);
  inv.running_instances.clear();
  inv.attachments.clear();
  ASSERT_TRUE(d.Recover(inv).ok());
  EXPECT_TRUE(d.Instances().empty());
  EXPECT_EQ(d.Nics().at("eni-1").location, "parked");
}

}  // namespace
}  // namespace spotkeeper::cloud
