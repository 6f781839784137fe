// LinuxHostDriver as root: snapshots. Captures of busy mounted volumes (freeze + reflink), of
// unmounted ones, Recover after a crash between capture and store.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "cloud/host/linux/command_runner.h"
#include "cloud/host/linux/host_tools.h"
#include "host/host_test_fixture.h"
#include "host/sequence_writer.h"

namespace spotkeeper::cloud::testing {
namespace {

namespace fs = std::filesystem;
using SnapshotTest = HostDriverTest;

// e2fsck -fn: a read-only full check; exit 0 when the filesystem is clean.
void ExpectCleanExt4(const std::string& image) {
  auto r = linuxhost::RunCommand({.argv = {linuxhost::FindExecutable("e2fsck"), "-fn", image}});
  ASSERT_OK(r);
  EXPECT_EQ(r->exit_code, 0) << image << ":\n" << r->out << r->err;
}

// The contents of a file inside an ext4 image, without mounting it.
Result<std::string> ReadFromImage(const std::string& image, const std::string& path) {
  return linuxhost::RunChecked({linuxhost::FindExecutable("debugfs"), "-R", "cat " + path, image});
}

// An instance with vol-data at /dev/sdf and a writer appending fsync'd records to seq on it,
// from the host (the mount is shared into the host's namespace).
class BusyVolumeTest : public SnapshotTest {
 protected:
  void StartBusyInstance() {
    MakeVpc();
    NicConfig n = Nic(10);
    ASSERT_OK(driver_->CreateNic(n));
    CreateVolume("vol-data");
    InstanceConfig c = Instance("i-a", n);
    c.volumes = {{"vol-data", "/dev/sdf"}};
    ASSERT_OK(driver_->StartInstance(c));
    mount_point_ = driver_->layout().MntDir("i-a") + "/sdf";
    writer_ = std::make_unique<SequenceWriter>(mount_point_ + "/seq");
    ASSERT_OK(writer_->Start());
    ASSERT_TRUE(writer_->WaitFor(100)) << writer_->error().ToString();
  }
  void TearDown() override {
    if (writer_) writer_->Stop();
    writer_.reset();
    SnapshotTest::TearDown();
  }
  // Captures while the writer runs; returns how many records were acknowledged before and after.
  std::pair<uint64_t, uint64_t> CaptureWhileWriting(const std::string& snapshot_id,
                                                    const std::string& volume_id) {
    const uint64_t before = writer_->acknowledged();
    auto t0 = SequenceWriter::Clock::now();
    Status s = driver_->CaptureSnapshot(snapshot_id, volume_id);
    auto t1 = SequenceWriter::Clock::now();
    const uint64_t after = writer_->acknowledged();
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(writer_->WaitFor(after + 20)) << "the writer goes on after the capture";
    auto info = driver_->ReadCaptureInfo(snapshot_id);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    LatencyStats during = Latencies(writer_->writes(), t0, t1);
    LatencyStats all = Latencies(writer_->writes());
    if (info.ok()) {
      std::cout << "capture " << snapshot_id << " of " << volume_id << ": "
                << std::chrono::duration<double, std::milli>(t1 - t0).count()
                << " ms in all; writers blocked " << info->blocked_us / 1000.0 << " ms (clone "
                << info->copy_us / 1000.0 << " ms, syncfs before " << info->sync_us / 1000.0
                << " ms); writes overlapping the capture: " << during.writes << ", max "
                << during.max_ms << " ms; all writes: p50 " << all.p50_ms << " ms, p99 "
                << all.p99_ms << " ms, max " << all.max_ms << " ms\n";
    }
    return {before, after};
  }

  std::string mount_point_;
  std::unique_ptr<SequenceWriter> writer_;
};

TEST_F(BusyVolumeTest, AnAttachedVolumeIsCapturedConsistentlyWhileAWriterRuns) {
  StartBusyInstance();
  auto [before, after] = CaptureWhileWriting("snap-1", "vol-data");
  auto info = driver_->ReadCaptureInfo("snap-1");
  ASSERT_OK(info);
  EXPECT_EQ(info->volume_id, "vol-data");
  EXPECT_EQ(info->mounted_at, mount_point_);
  EXPECT_EQ(info->method, "reflink");
  EXPECT_EQ(info->size_bytes, int64_t{1} << 30);
  EXPECT_GT(info->blocked_us, 0);

  const std::string capture = driver_->layout().CaptureFile("snap-1");
  ExpectCleanExt4(capture);
  auto data = ReadFromImage(capture, "/seq");
  ASSERT_OK(data);
  auto records = CheckSequence(*data);
  ASSERT_OK(records);
  // A prefix of the writes: everything acknowledged before the capture began, nothing written
  // after it returned.
  EXPECT_GE(*records, before);
  EXPECT_LE(*records, after);

  // Idempotent; the root volume (under the overlay) is captured the same way.
  ASSERT_OK(driver_->CaptureSnapshot("snap-1", "vol-data"));
  auto again = driver_->ReadCaptureInfo("snap-1");
  ASSERT_OK(again);
  EXPECT_EQ(again->captured_unix_ms, info->captured_unix_ms);
  ASSERT_OK(driver_->CaptureSnapshot("snap-root", "vol-root-i-a"));
  auto root = driver_->ReadCaptureInfo("snap-root");
  ASSERT_OK(root);
  EXPECT_EQ(root->mounted_at, driver_->layout().RootVolumeMount("i-a"));
  ExpectCleanExt4(driver_->layout().CaptureFile("snap-root"));

  ASSERT_OK(driver_->DeleteSnapshot("snap-1"));
  ASSERT_OK(driver_->DeleteSnapshot("snap-1"));
  EXPECT_FALSE(fs::exists(capture));
  EXPECT_FALSE(fs::exists(driver_->layout().CaptureSidecar("snap-1")));
}

TEST_F(SnapshotTest, AnUnmountedVolumeIsClonedWithoutAFreeze) {
  CreateVolume("vol-a");
  EXPECT_EQ(driver_->CaptureSnapshot("snap-1", "vol-missing").code(), Code::kNotFound);
  EXPECT_FALSE(fs::exists(driver_->layout().CaptureSidecar("snap-1")));
  ASSERT_OK(driver_->CaptureSnapshot("snap-1", "vol-a"));
  auto info = driver_->ReadCaptureInfo("snap-1");
  ASSERT_OK(info);
  EXPECT_EQ(info->mounted_at, "");
  EXPECT_EQ(info->method, "reflink");
  EXPECT_EQ(info->blocked_us, 0);
  ExpectCleanExt4(driver_->layout().CaptureFile("snap-1"));
}

TEST_F(SnapshotTest, RecoverDropsCapturesTheCloudDoesNotKnowAndHalfWrittenOnes) {
  CreateVolume("vol-a");
  ASSERT_OK(driver_->CaptureSnapshot("snap-known", "vol-a"));
  ASSERT_OK(driver_->CaptureSnapshot("snap-unknown", "vol-a"));  // never recorded: a crash
  const linuxhost::PoolLayout layout = driver_->layout();        // a copy: the driver is replaced
  // A capture that crashed mid-clone, and one that crashed after its sidecar.
  std::ofstream(layout.CaptureFile("snap-half") + ".tmp") << "x";
  std::ofstream(layout.CaptureSidecar("snap-side")) << "{}";

  driver_ = NewDriver();  // the cloud restarts
  ASSERT_NE(driver_, nullptr);
  HostInventory inventory;
  inventory.volumes = {"vol-a"};
  inventory.snapshots = {"snap-known", "snap-side"};
  ASSERT_OK(driver_->Recover(inventory));
  EXPECT_TRUE(fs::exists(layout.CaptureFile("snap-known")));
  EXPECT_TRUE(fs::exists(layout.CaptureSidecar("snap-known")));
  EXPECT_FALSE(fs::exists(layout.CaptureFile("snap-unknown")));
  EXPECT_FALSE(fs::exists(layout.CaptureSidecar("snap-unknown")));
  EXPECT_FALSE(fs::exists(layout.CaptureFile("snap-half") + ".tmp"));
  EXPECT_FALSE(fs::exists(layout.CaptureSidecar("snap-side")));
  // What is left is still a capture to store (the engine re-runs StoreSnapshot).
  ASSERT_OK(driver_->ReadCaptureInfo("snap-known"));
}

}  // namespace
}  // namespace spotkeeper::cloud::testing
