// LinuxHostDriver as root: volumes attached at /mnt/<device>, data across stop/start and
// instances, the overlay's upper layer on the root volume.
#include <unistd.h>

#include <filesystem>

#include "host/host_test_fixture.h"

namespace spotkeeper::cloud::testing {
namespace {

using VolumeTest = HostDriverTest;

constexpr Duration kGrace = std::chrono::seconds(5);

TEST_F(VolumeTest, AttachWhileRunningAppearsAtMntSdfAndDisappearsOnDetach) {
  MakeVpc();
  NicConfig n = Nic(10);
  ASSERT_OK(driver_->CreateNic(n));
  ASSERT_OK(driver_->StartInstance(Instance("i-a", n)));
  CreateVolume("vol-data");
  EXPECT_EQ(Sh("i-a", "test ! -e /mnt/sdf"), 0);
  // /mnt itself is read-only: a workload cannot make the mount point before the volume comes.
  EXPECT_NE(Sh("i-a", "mkdir /mnt/sdf 2>/dev/null"), 0);

  Status s = driver_->AttachVolume("i-a", {"vol-data", "/dev/sdf"});
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_OK(driver_->AttachVolume("i-a", {"vol-data", "/dev/sdf"}));  // idempotent
  EXPECT_EQ(Sh("i-a", "mountpoint -q /mnt/sdf && echo hello > /mnt/sdf/file && sync"), 0);
  EXPECT_EQ(Sh("i-a", "grep -q ' /mnt/sdf ext4 rw' /proc/mounts"), 0);

  s = driver_->DetachVolume("i-a", {"vol-data", "/dev/sdf"});
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_OK(driver_->DetachVolume("i-a", {"vol-data", "/dev/sdf"}));  // idempotent
  EXPECT_EQ(Sh("i-a", "test ! -e /mnt/sdf"), 0);
  EXPECT_FALSE(std::filesystem::exists(driver_->layout().MntDir("i-a") + "/sdf"));

  // Attached again: the file is there.
  ASSERT_OK(driver_->AttachVolume("i-a", {"vol-data", "/dev/sdg"}));
  EXPECT_EQ(Sh("i-a", "grep -q hello /mnt/sdg/file"), 0);
}

TEST_F(VolumeTest, AVolumeInUseIsRefusedElsewhereAndCannotBeDeleted) {
  MakeVpc();
  NicConfig a = Nic(10), b = Nic(11);
  ASSERT_OK(driver_->CreateNic(a));
  ASSERT_OK(driver_->CreateNic(b));
  ASSERT_OK(driver_->StartInstance(Instance("i-a", a)));
  ASSERT_OK(driver_->StartInstance(Instance("i-b", b)));
  CreateVolume("vol-data");
  ASSERT_OK(driver_->AttachVolume("i-a", {"vol-data", "/dev/sdf"}));
  EXPECT_EQ(driver_->AttachVolume("i-b", {"vol-data", "/dev/sdf"}).code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(driver_->DeleteVolume("vol-data").code(), Code::kFailedPrecondition);
  // Another instance's root volume cannot be attached either.
  EXPECT_EQ(driver_->AttachVolume("i-b", {"vol-root-i-a", "/dev/sdh"}).code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(driver_->DetachVolume("i-b", {"vol-data", "/dev/sdf"}).code(),
            Code::kFailedPrecondition);  // attached to i-a, not to i-b
  ASSERT_OK(driver_->DetachVolume("i-a", {"vol-data", "/dev/sdf"}));
  ASSERT_OK(driver_->DeleteVolume("vol-data"));
  ASSERT_OK(driver_->DeleteVolume("vol-data"));
  EXPECT_EQ(driver_->AttachVolume("i-a", {"vol-data", "/dev/sdf"}).code(), Code::kNotFound);
  EXPECT_EQ(driver_->AttachVolume("i-missing", {"vol-root-i-a", "/dev/sdf"}).code(),
            Code::kFailedPrecondition);
}

TEST_F(VolumeTest, DataSurvivesStopStartAndMovesToAnotherInstance) {
  MakeVpc();
  NicConfig a = Nic(10), b = Nic(11);
  ASSERT_OK(driver_->CreateNic(a));
  ASSERT_OK(driver_->CreateNic(b));
  CreateVolume("vol-data");
  InstanceConfig first = Instance("i-a", a);
  first.volumes = {{"vol-data", "/dev/sdf"}};  // attached before the workload starts
  ASSERT_OK(driver_->StartInstance(first));
  ASSERT_EQ(Sh("i-a", "echo data-1 > /mnt/sdf/f"), 0);

  ASSERT_OK(driver_->StopInstance("i-a", kGrace));
  ASSERT_OK(driver_->StartInstance(first));
  EXPECT_EQ(Sh("i-a", "grep -q data-1 /mnt/sdf/f && echo data-2 >> /mnt/sdf/f"), 0);
  ASSERT_OK(driver_->StopInstance("i-a", kGrace));

  ASSERT_OK(driver_->StartInstance(Instance("i-b", b)));
  ASSERT_OK(driver_->AttachVolume("i-b", {"vol-data", "/dev/sdf"}));
  EXPECT_EQ(Sh("i-b", "grep -q data-1 /mnt/sdf/f && grep -q data-2 /mnt/sdf/f"), 0);
}

TEST_F(VolumeTest, TheOverlayUpperLivesOnTheRootVolume) {
  MakeVpc();
  NicConfig a = Nic(10), b = Nic(11);
  ASSERT_OK(driver_->CreateNic(a));
  ASSERT_OK(driver_->CreateNic(b));
  InstanceConfig config = Instance("i-a", a);
  ASSERT_OK(driver_->StartInstance(config));
  ASSERT_EQ(Sh("i-a", "echo written-to-root > /etc/sk-marker && mkdir -p /srv/app"), 0);
  // On the host: in the upper directory on the root volume's filesystem.
  EXPECT_TRUE(
      std::filesystem::exists(driver_->layout().RootVolumeMount("i-a") + "/upper/etc/sk-marker"));
  // Not in the image.
  EXPECT_FALSE(std::filesystem::exists(config.image_rootfs + "/etc/sk-marker"));

  ASSERT_OK(driver_->StopInstance("i-a", kGrace));
  EXPECT_FALSE(std::filesystem::exists(driver_->layout().RootVolumeMount("i-a") + "/upper"));
  ASSERT_OK(driver_->StartInstance(config));
  EXPECT_EQ(Sh("i-a", "grep -q written-to-root /etc/sk-marker && test -d /srv/app"), 0);
  // Another instance with its own root volume sees the plain image.
  ASSERT_OK(driver_->StartInstance(Instance("i-b", b)));
  EXPECT_EQ(Sh("i-b", "test ! -e /etc/sk-marker"), 0);
  // The host's programs run from its read-only /usr.
  EXPECT_EQ(Sh("i-b", "test -x /usr/bin/python3 && ! touch /usr/sk-probe 2>/dev/null"), 0);
}

TEST_F(VolumeTest, CloneVolumeCopiesContents) {
  MakeVpc();
  NicConfig a = Nic(10);
  ASSERT_OK(driver_->CreateNic(a));
  CreateVolume("vol-src");
  InstanceConfig config = Instance("i-a", a);
  config.volumes = {{"vol-src", "/dev/sdf"}};
  ASSERT_OK(driver_->StartInstance(config));
  ASSERT_EQ(Sh("i-a", "echo cloned > /mnt/sdf/f && sync"), 0);
  ASSERT_OK(driver_->StopInstance("i-a", kGrace));

  Status s = driver_->CloneVolume("vol-copy", driver_->VolumeFile("vol-src"), 2);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_OK(driver_->CloneVolume("vol-copy", driver_->VolumeFile("vol-src"), 2));
  std::cout << "clone method: " << linuxhost::CloneMethodName(driver_->clone_method()) << "\n";
  config.volumes = {{"vol-copy", "/dev/sdf"}};
  ASSERT_OK(driver_->StartInstance(config));
  EXPECT_EQ(Sh("i-a", "grep -q cloned /mnt/sdf/f"), 0);
  // Grown to 2 GiB: more than 1.5 GiB of 1 KiB blocks.
  EXPECT_EQ(Sh("i-a", "[ $(df -k /mnt/sdf | awk 'NR==2 {print $2}') -gt 1500000 ]"), 0);
}

}  // namespace
}  // namespace spotkeeper::cloud::testing
