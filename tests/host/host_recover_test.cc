// LinuxHostDriver as root: Recover after a cloud restart, DestroyAll.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "cloud/host/linux/command_runner.h"
#include "cloud/host/linux/host_tools.h"
#include "cloud/host/linux/loop_devices.h"
#include "cloud/host/linux/mount_table.h"
#include "host/host_test_fixture.h"

namespace spotkeeper::cloud::testing {
namespace {

namespace fs = std::filesystem;
using RecoverTest = HostDriverTest;

bool AnythingMountedUnder(const std::string& dir) {
  auto table = linuxhost::MountTable::Read();
  return !table.ok() || !table->Under(dir).empty();
}

TEST_F(RecoverTest, AdoptsARunningInstanceAndRemovesHalfMadeOnes) {
  MakeVpc();
  NicConfig a = Nic(10), b = Nic(11), c = Nic(12);
  for (const auto& n : {a, b, c}) ASSERT_OK(driver_->CreateNic(n));
  CreateVolume("vol-data-1");
  CreateVolume("vol-data-2");
  ASSERT_OK(driver_->StartInstance(Instance("i-a", a)));
  ASSERT_OK(driver_->AttachVolume("i-a", {"vol-data-2", "/dev/sdg"}));
  // i-b: started, but the cloud never recorded it (crash before it wrote "running").
  ASSERT_OK(driver_->StartInstance(Instance("i-b", b)));
  // i-c: a crash in the middle of StartInstance: namespace, ENI inside, root volume mounted,
  // no container.
  InstanceConfig partial = Instance("i-c", c);
  ASSERT_OK(driver_->network().EnsureInstanceNamespace("i-c"));
  ASSERT_OK(driver_->network().MoveNicIn("i-c", c));
  const std::string rootvol = driver_->layout().RootVolumeMount("i-c");
  fs::create_directories(rootvol);
  {
    auto loop = linuxhost::LoopDevice::Attach(driver_->VolumeFile(partial.root_volume_id));
    ASSERT_TRUE(loop.ok()) << loop.status().ToString();
    ASSERT_OK(linuxhost::MountFs(loop->device(), rootvol, "ext4", 0, ""));
  }
  auto pid_before = driver_->InstancePid("i-a");
  ASSERT_OK(pid_before);
  ASSERT_GT(*pid_before, 0);

  // The cloud restarts: a new driver on the same pool, told what the cloud's state says.
  driver_ = NewDriver();
  ASSERT_NE(driver_, nullptr);
  HostInventory inventory;
  inventory.vpcs = {{VpcId(), "10.7.0.0/16", "10.7.0.1"}};
  inventory.volumes = {"vol-root-i-a", "vol-root-i-b", "vol-root-i-c", "vol-data-1", "vol-data-2"};
  inventory.nics = {a, b, c};
  inventory.running_instances = {"i-a"};
  // vol-data-1 attached (a crash before the mount), vol-data-2 not (a crash mid-detach).
  inventory.attachments = {{"i-a", {"vol-data-1", "/dev/sdf"}}};
  Status s = driver_->Recover(inventory);
  ASSERT_TRUE(s.ok()) << s.ToString();

  // i-a runs on, not restarted, with the attachments the cloud expects.
  EXPECT_EQ(*driver_->InstancePid("i-a"), *pid_before);
  EXPECT_EQ(Sh("i-a", "mountpoint -q /mnt/sdf && test ! -e /mnt/sdg"), 0);
  // i-b and i-c are gone, their ENIs parked, their volumes free.
  EXPECT_EQ(*driver_->GetInstanceState("i-b"), RuntimeState::kMissing);
  for (const char* id : {"i-b", "i-c"}) {
    EXPECT_FALSE(driver_->network().NamespaceExists(driver_->names().InstanceNamespace(id)));
    EXPECT_FALSE(AnythingMountedUnder(driver_->layout().InstanceDir(id))) << id;
  }
  InstanceConfig d = Instance("i-d", b);
  d.root_volume_id = "vol-root-i-b";
  s = driver_->StartInstance(d);
  ASSERT_TRUE(s.ok()) << s.ToString();
  InstanceConfig e = Instance("i-e", c);
  e.root_volume_id = "vol-root-i-c";
  s = driver_->StartInstance(e);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Sh("i-d", "ping -c 1 -W 2 " + a.ip + " >/dev/null"), 0);
  EXPECT_EQ(Sh("i-e", "ping -c 1 -W 2 " + a.ip + " >/dev/null"), 0);
  // Recovering again changes nothing.
  inventory.running_instances = {"i-a", "i-d", "i-e"};
  ASSERT_OK(driver_->Recover(inventory));
  EXPECT_EQ(*driver_->InstancePid("i-a"), *pid_before);
}

TEST_F(RecoverTest, RecreatesALostVpcRemovesHalfMadeFilesAndMovesUnknownVolumesAside) {
  MakeVpc(7);
  MakeVpc(8);
  NicConfig a = Nic(10), stray = Nic(99);
  ASSERT_OK(driver_->CreateNic(a));
  ASSERT_OK(driver_->CreateNic(stray));
  CreateVolume("vol-keep");
  CreateVolume("vol-unknown");
  CreateVolume("vol-creating");  // made, but the cloud had not recorded it yet
  std::ofstream(driver_->layout().VolumesDir() + "/vol-half.img.tmp") << "half made";
  // A host reboot loses the namespaces (deleting one destroys the veths in it).
  ASSERT_TRUE(linuxhost::RunChecked({linuxhost::FindExecutable("ip"), "netns", "del",
                                     driver_->names().VpcNamespace(VpcId(7))})
                  .ok());

  driver_ = NewDriver();
  HostInventory inventory;
  inventory.vpcs = {{VpcId(7), "10.7.0.0/16", "10.7.0.1"}};
  inventory.volumes = {"vol-keep"};
  inventory.other_volumes = {"vol-creating"};
  inventory.nics = {a};
  Status s = driver_->Recover(inventory);
  ASSERT_TRUE(s.ok()) << s.ToString();

  EXPECT_TRUE(driver_->network().NamespaceExists(driver_->names().VpcNamespace(VpcId(7))));
  EXPECT_FALSE(driver_->network().NamespaceExists(driver_->names().VpcNamespace(VpcId(8))));
  EXPECT_TRUE(*driver_->network().NicExists(a));
  EXPECT_FALSE(*driver_->network().NicExists(stray));
  EXPECT_TRUE(fs::exists(driver_->VolumeFile("vol-keep")));
  EXPECT_TRUE(fs::exists(driver_->VolumeFile("vol-creating")));
  // A volume file the cloud does not know is data nobody asked to delete: moved aside, intact.
  EXPECT_FALSE(fs::exists(driver_->VolumeFile("vol-unknown")));
  EXPECT_TRUE(fs::exists(driver_->layout().QuarantineDir() + "/vol-unknown.img"));
  EXPECT_EQ(fs::file_size(driver_->layout().QuarantineDir() + "/vol-unknown.img"),
            fs::file_size(driver_->VolumeFile("vol-keep")));
  EXPECT_FALSE(fs::exists(driver_->layout().VolumesDir() + "/vol-half.img.tmp"));
  // Recovering again moves nothing more and keeps what was moved aside.
  ASSERT_OK(driver_->Recover(inventory));
  EXPECT_TRUE(fs::exists(driver_->layout().QuarantineDir() + "/vol-unknown.img"));
  // The recreated VPC and ENI work.
  Status started = driver_->StartInstance(Instance("i-a", a));
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_EQ(Sh("i-a", "ping -c 1 -W 2 " + a.gateway + " >/dev/null"), 0);
}

TEST_F(RecoverTest, AnExpectedInstanceWhoseContainerVanishedIsCleanedUpNotRestarted) {
  MakeVpc();
  NicConfig a = Nic(10);
  ASSERT_OK(driver_->CreateNic(a));
  ASSERT_OK(driver_->StartInstance(Instance("i-a", a)));
  const std::string runc = linuxhost::FindExecutable("runc");
  const std::string root = driver_->layout().RuncRoot();
  const std::string cid = driver_->names().ContainerId("i-a");
  ASSERT_OK(linuxhost::RunChecked({runc, "--root", root, "delete", "--force", cid}));

  driver_ = NewDriver();
  HostInventory inventory;
  inventory.vpcs = {{VpcId(), "10.7.0.0/16", "10.7.0.1"}};
  inventory.volumes = {"vol-root-i-a"};
  inventory.nics = {a};
  inventory.running_instances = {"i-a"};
  ASSERT_OK(driver_->Recover(inventory));
  EXPECT_EQ(*driver_->GetInstanceState("i-a"), RuntimeState::kMissing);
  EXPECT_FALSE(AnythingMountedUnder(driver_->layout().InstanceDir("i-a")));
  EXPECT_TRUE(*driver_->network().NicExists(a));
  // The engine may start it again.
  ASSERT_OK(driver_->StartInstance(Instance("i-a2", a)));
}

TEST_F(RecoverTest, DestroyAllLeavesNothingButTheDataDir) {
  MakeVpc(7);
  MakeVpc(8);
  NicConfig a = Nic(10, 7), b = Nic(10, 8);
  ASSERT_OK(driver_->CreateNic(a));
  ASSERT_OK(driver_->CreateNic(b));
  CreateVolume("vol-data");
  InstanceConfig first = Instance("i-a", a);
  first.volumes = {{"vol-data", "/dev/sdf"}};
  ASSERT_OK(driver_->StartInstance(first));
  ASSERT_OK(driver_->StartInstance(Instance("i-b", b, "#!/bin/sh\nsleep 1000\n")));
  std::ofstream(data_dir_ + "/cloud.db") << "the engine's file";

  Status s = driver_->DestroyAll();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(HostLeftovers(prefix_, data_dir_).empty());
  for (const auto& dir : driver_->layout().OwnedDirs()) EXPECT_FALSE(fs::exists(dir)) << dir;
  EXPECT_TRUE(fs::exists(data_dir_ + "/cloud.db"));
  ASSERT_OK(driver_->DestroyAll());  // nothing left to destroy: fine
}

}  // namespace
}  // namespace spotkeeper::cloud::testing
