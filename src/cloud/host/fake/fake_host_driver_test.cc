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

TEST(FakeHostDriver, SnapshotsCaptureStoreCopyRestoreIdempotently) {
  FakeHostDriver d;
  ASSERT_TRUE(d.CreateVolume("vol-1", 4).ok());
  EXPECT_EQ(d.CaptureSnapshot("snap-x", "vol-none").code(), Code::kNotFound);
  EXPECT_EQ(d.StoreSnapshot("snap-1", "vol-1", nullptr).code(), Code::kNotFound);  // not captured
  ASSERT_TRUE(d.CaptureSnapshot("snap-1", "vol-1").ok());
  ASSERT_TRUE(d.CaptureSnapshot("snap-1", "vol-1").ok());
  EXPECT_FALSE(d.Snapshots().at("snap-1").stored);
  EXPECT_EQ(d.RestoreVolume("vol-2", "snap-1", 4).code(), Code::kNotFound);  // not stored yet
  std::vector<int> progress;
  ASSERT_TRUE(d.StoreSnapshot("snap-1", "vol-1", [&](int p) { progress.push_back(p); }).ok());
  ASSERT_TRUE(d.StoreSnapshot("snap-1", "vol-1", [&](int p) { progress.push_back(p); }).ok());
  EXPECT_EQ(progress, (std::vector<int>{50, 100}));
  EXPECT_EQ(d.Snapshots().at("snap-1").size_gib, 4);
  ASSERT_TRUE(d.CopySnapshot("snap-2", "snap-1").ok());
  ASSERT_TRUE(d.CopySnapshot("snap-2", "snap-1").ok());
  EXPECT_EQ(d.CopySnapshot("snap-3", "snap-none").code(), Code::kNotFound);
  ASSERT_TRUE(d.RestoreVolume("vol-2", "snap-2", 2).ok());  // never smaller than the snapshot
  ASSERT_TRUE(d.RestoreVolume("vol-2", "snap-2", 2).ok());
  EXPECT_EQ(d.VolumeSize("vol-2"), 4);
  EXPECT_EQ(d.RestoredFrom("vol-2"), "snap-2");
  ASSERT_TRUE(d.RestoreVolume("vol-3", "snap-1", 9).ok());
  EXPECT_EQ(d.VolumeSize("vol-3"), 9);
  ASSERT_TRUE(d.DeleteSnapshot("snap-1").ok());
  ASSERT_TRUE(d.DeleteSnapshot("snap-1").ok());
  EXPECT_EQ(d.Snapshots().count("snap-1"), 0u);
  ASSERT_TRUE(d.DestroyAll().ok());
  EXPECT_TRUE(d.Empty());
}

TEST(FakeHostDriver, SnapshotCallsHonourInjectedFailures) {
  FakeHostDriver d;
  ASSERT_TRUE(d.CreateVolume("vol-1", 1).ok());
  d.FailNext("CaptureSnapshot", Unavailable("freeze timed out"));
  EXPECT_FALSE(d.CaptureSnapshot("snap-1", "vol-1").ok());
  EXPECT_TRUE(d.Snapshots().empty());
  ASSERT_TRUE(d.CaptureSnapshot("snap-1", "vol-1").ok());
  d.FailNext("StoreSnapshot", Unavailable("lost reply"), /*after_effect=*/true);
  EXPECT_FALSE(d.StoreSnapshot("snap-1", "vol-1", nullptr).ok());
  EXPECT_TRUE(d.Snapshots().at("snap-1").stored);
  d.FailNext("RestoreVolume", Unavailable("disk full"));
  EXPECT_FALSE(d.RestoreVolume("vol-2", "snap-1", 1).ok());
  EXPECT_EQ(d.VolumeSize("vol-2"), 0);
  EXPECT_EQ(d.CallCount("StoreSnapshot"), 1);
}

TEST(FakeHostDriver, RecoverDropsCapturesTheInventoryDoesNotNameAndKeepsStoredOnes) {
  FakeHostDriver d;
  ASSERT_TRUE(d.CreateVolume("vol-1", 1).ok());
  ASSERT_TRUE(d.CaptureSnapshot("snap-known", "vol-1").ok());
  ASSERT_TRUE(d.CaptureSnapshot("snap-orphan", "vol-1").ok());
  ASSERT_TRUE(d.CaptureSnapshot("snap-stored", "vol-1").ok());
  ASSERT_TRUE(d.StoreSnapshot("snap-stored", "vol-1", nullptr).ok());
  HostInventory inv;
  inv.volumes = {"vol-1"};
  inv.snapshots = {"snap-known"};
  ASSERT_TRUE(d.Recover(inv).ok());
  auto snaps = d.Snapshots();
  EXPECT_EQ(snaps.count("snap-known"), 1u);
  EXPECT_EQ(snaps.count("snap-orphan"), 0u);
  EXPECT_EQ(snaps.count("snap-stored"), 1u);
}

}  // namespace
}  // namespace spotkeeper::cloud
