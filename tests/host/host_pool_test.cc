// LinuxHostDriver as root: the reflink storage pool (an XFS image on this ext4 host), FIEMAP
// change tracking on it, and the freeze with its watchdog.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "cloud/host/linux/extent_map.h"
#include "cloud/host/linux/fs_freeze.h"
#include "cloud/host/linux/loop_devices.h"
#include "cloud/host/linux/mount_table.h"
#include "cloud/host/linux/unique_fd.h"
#include "host/host_test_fixture.h"

namespace spotkeeper::cloud::testing {
namespace {

namespace fs = std::filesystem;
using linuxhost::FileRange;
using linuxhost::StoragePool;
using linuxhost::UniqueFd;
using PoolTest = HostDriverTest;

constexpr uint64_t kBlock = 4096;

bool IsMountedXfs(const std::string& mount_point) {
  auto table = linuxhost::MountTable::Read();
  if (!table.ok()) return false;
  auto at = table->At(mount_point);
  return at && at->fs_type == "xfs";
}

void WriteAt(int fd, uint64_t offset, size_t length, char fill) {
  std::string buf(length, fill);
  ASSERT_EQ(pwrite(fd, buf.data(), buf.size(), static_cast<off_t>(offset)),
            static_cast<ssize_t>(buf.size()));
}

void Clone(const std::string& from, const std::string& to) {
  UniqueFd src(open(from.c_str(), O_RDONLY | O_CLOEXEC));
  UniqueFd dst(open(to.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  ASSERT_TRUE(src.valid() && dst.valid());
  ASSERT_EQ(ioctl(dst.get(), FICLONE, src.get()), 0) << std::strerror(errno);
}

TEST_F(PoolTest, OnExt4TheVolumesLiveOnAnXfsImageThatSurvivesARestart) {
  const StoragePool& pool = driver_->pool();
  ASSERT_EQ(pool.kind(), StoragePool::Kind::kXfsImage) << pool.Describe();
  EXPECT_TRUE(pool.reflink());
  EXPECT_TRUE(IsMountedXfs(pool.MountPoint()));
  EXPECT_EQ(driver_->layout().VolumesDir(), data_dir_ + "/pool/volumes");
  EXPECT_EQ(driver_->clone_method(), linuxhost::CloneMethod::kReflink);
  struct stat st;
  ASSERT_EQ(stat(pool.ImagePath().c_str(), &st), 0);
  EXPECT_LT(st.st_blocks * 512, st.st_size / 100) << "the image is sparse";

  CreateVolume("vol-a");
  ASSERT_OK(driver_->CloneVolume("vol-b", driver_->VolumeFile("vol-a"), 2));

  // A restart: the mounted pool is taken as it is.
  driver_ = NewDriver();
  ASSERT_NE(driver_, nullptr);
  EXPECT_TRUE(fs::exists(driver_->VolumeFile("vol-b")));

  // The pool unmounted behind the cloud's back (a reboot): Create mounts it again, and an
  // existing image is never formatted again.
  ASSERT_OK(driver_->pool().Unmount(/*remove_image=*/false));
  EXPECT_FALSE(fs::exists(driver_->VolumeFile("vol-a")));
  driver_ = NewDriver();
  ASSERT_NE(driver_, nullptr);
  EXPECT_TRUE(IsMountedXfs(driver_->pool().MountPoint()));
  EXPECT_TRUE(fs::exists(driver_->VolumeFile("vol-a")));
  EXPECT_TRUE(fs::exists(driver_->VolumeFile("vol-b")));
  // Recover mounts it too.
  ASSERT_OK(driver_->pool().Unmount(/*remove_image=*/false));
  HostInventory inventory;
  inventory.volumes = {"vol-a", "vol-b"};
  ASSERT_OK(driver_->Recover(inventory));
  EXPECT_TRUE(fs::exists(driver_->VolumeFile("vol-b")));

  // pool=plain cannot hide an existing pool.
  LinuxHostDriverOptions plain;
  plain.data_dir = data_dir_;
  plain.prefix = prefix_;
  plain.init_path = SK_INIT_BINARY;
  plain.pool.mode = linuxhost::PoolMode::kPlain;
  EXPECT_EQ(LinuxHostDriver::Create(plain).status().code(), Code::kFailedPrecondition);
  // DestroyAll (TearDown) unmounts it, detaches its loop device and removes the image.
}

TEST_F(PoolTest, FiemapChangedRangesCoverEveryWrittenBlockAndLittleElse) {
  const std::string dir = driver_->layout().pool_dir() + "/extent-test";
  fs::create_directories(dir);
  const std::string vol = dir + "/vol", base = dir + "/base", next = dir + "/next";
  constexpr uint64_t kSize = uint64_t{256} << 20;
  {
    UniqueFd fd(open(vol.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    ASSERT_TRUE(fd.valid());
    ASSERT_EQ(ftruncate(fd.get(), kSize), 0);
    for (uint64_t off = 0; off < kSize / 2; off += 1 << 20) WriteAt(fd.get(), off, 1 << 20, 'a');
    ASSERT_EQ(fsync(fd.get()), 0);
  }
  Clone(vol, base);
  // Known writes: scattered single blocks (over data and over holes), one 3 MiB run, one
  // unaligned small write.
  std::set<uint64_t> written;  // block numbers
  {
    UniqueFd fd(open(vol.c_str(), O_RDWR | O_CLOEXEC));
    std::mt19937_64 rng(42);
    for (int i = 0; i < 200; ++i) {
      uint64_t block = rng() % (kSize / kBlock);
      WriteAt(fd.get(), block * kBlock, kBlock, 'b');
      written.insert(block);
    }
    const uint64_t run = (uint64_t{100} << 20) / kBlock;
    WriteAt(fd.get(), run * kBlock, 3 << 20, 'c');
    for (uint64_t b = run; b < run + (3 << 20) / kBlock; ++b) written.insert(b);
    WriteAt(fd.get(), 200 * kBlock + 100, 10, 'd');
    written.insert(200);
    ASSERT_EQ(fsync(fd.get()), 0);
  }
  Clone(vol, next);
  auto changed = linuxhost::ChangedRangesBetween(base, next);
  ASSERT_OK(changed);
  auto covered = [&](uint64_t block) {
    for (const FileRange& r : *changed) {
      if (r.offset <= block * kBlock && (block + 1) * kBlock <= r.offset + r.length) return true;
    }
    return false;
  };
  for (uint64_t b : written) EXPECT_TRUE(covered(b)) << "block " << b << " written, not listed";
  const uint64_t written_bytes = written.size() * kBlock;
  const uint64_t total = linuxhost::TotalLength(*changed);
  std::cout << "written " << written_bytes << " bytes in " << written.size()
            << " blocks; changed ranges: " << changed->size() << ", " << total << " bytes\n";
  EXPECT_GE(total, written_bytes);
  // "Little else": copy on write may round to its allocation unit, never the whole file.
  EXPECT_LE(total, 4 * written_bytes + (1 << 20));

  // Nothing written since: nothing changed; the base against itself: nothing.
  const std::string again = dir + "/again";
  Clone(vol, again);
  auto none = linuxhost::ChangedRangesBetween(next, again);
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty()) << none->size() << " ranges, first at " << none->front().offset;
  fs::remove_all(dir);
}

// An ext4 volume mounted on the host under the test's instances/ directory.
class MountedExt4 {
 public:
  MountedExt4(LinuxHostDriver& driver, const std::string& volume_id) {
    mount_point_ = driver.layout().InstancesDir() + "/i-host/mnt/sdf";
    fs::create_directories(mount_point_);
    auto loop = linuxhost::LoopDevice::Attach(driver.VolumeFile(volume_id));
    EXPECT_OK(loop);
    if (!loop.ok()) return;
    device_ = loop->device();
    ok_ = linuxhost::MountFs(device_, mount_point_, "ext4", 0, "").ok();
  }
  ~MountedExt4() {
    if (ok_) EXPECT_OK(linuxhost::Unmount(mount_point_));
  }
  bool ok() const { return ok_; }
  const std::string& mount_point() const { return mount_point_; }
  dev_t dev() const {
    struct stat st;
    return stat(mount_point_.c_str(), &st) == 0 ? st.st_dev : 0;
  }

 private:
  std::string mount_point_, device_;
  bool ok_ = false;
};

TEST_F(PoolTest, TheWatchdogThawsWhenTheFrozenStepHangs) {
  CreateVolume("vol-f");
  MountedExt4 m(*driver_, "vol-f");
  ASSERT_TRUE(m.ok());
  // The step "hangs" until a writer, blocked by the freeze, gets through: only a thaw by the
  // watchdog lets it.
  std::mutex mu;
  std::condition_variable cv;
  bool write_done = false;
  std::thread writer;
  auto result = linuxhost::RunFrozen(m.mount_point(), m.dev(), std::chrono::milliseconds(200), [&] {
    writer = std::thread([&] {
      std::ofstream(m.mount_point() + "/after-freeze") << "x";
      std::lock_guard<std::mutex> lock(mu);
      write_done = true;
      cv.notify_all();
    });
    std::unique_lock<std::mutex> lock(mu);
    bool done = cv.wait_for(lock, std::chrono::seconds(10), [&] { return write_done; });
    return done ? OkStatus() : Internal("the writer never got through");
  });
  writer.join();
  EXPECT_EQ(result.status().code(), Code::kDeadlineExceeded) << result.status().ToString();
  EXPECT_TRUE(write_done);

  // A normal step: frozen only for the step, writers go on afterwards.
  auto ok = linuxhost::RunFrozen(m.mount_point(), m.dev(), std::chrono::seconds(1),
                                 [] { return OkStatus(); });
  ASSERT_OK(ok);
  EXPECT_LT(ok->blocked.count(), 1000000);
  std::ofstream(m.mount_point() + "/after-thaw") << "y";
  EXPECT_TRUE(fs::exists(m.mount_point() + "/after-thaw"));

  // The wrong device (the volume went away and the directory is the pool's): never frozen.
  EXPECT_EQ(linuxhost::RunFrozen(driver_->layout().VolumesDir(), m.dev(), std::chrono::seconds(1),
                                 [] { return OkStatus(); })
                .status()
                .code(),
            Code::kFailedPrecondition);
}

}  // namespace
}  // namespace spotkeeper::cloud::testing
