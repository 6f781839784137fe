// LinuxHostDriver as root: snapshots. Captures of busy mounted volumes (freeze + reflink), of
// unmounted ones, Recover after a crash between capture and store.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "cloud/host/linux/command_runner.h"
#include "cloud/host/linux/extent_map.h"
#include "cloud/host/linux/host_tools.h"
#include "cloud/host/linux/unique_fd.h"
#include "cloud/host/linux/volume_files.h"
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

// The contents of a file inside an ext4 image, without mounting it (debugfs dump: its stdout
// would be cut at RunCommand's capture limit).
Result<std::string> ReadFromImage(const std::string& image, const std::string& path) {
  const std::string out = image + ".dump";
  SK_RETURN_IF_ERROR(linuxhost::RunChecked({linuxhost::FindExecutable("debugfs"), "-R",
                                            "dump " + path + " " + out, image})
                         .status());
  std::ifstream in(out, std::ios::binary);
  if (!in) return NotFound("debugfs could not dump " + path + " from " + image);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(out);
  return data;
}

// Whether two files have the same size and bytes.
::testing::AssertionResult SameContents(const std::string& a, const std::string& b) {
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  if (!fa || !fb) return ::testing::AssertionFailure() << "cannot open " << a << " or " << b;
  if (fs::file_size(a) != fs::file_size(b)) {
    return ::testing::AssertionFailure()
           << a << " has " << fs::file_size(a) << " bytes, " << b << " " << fs::file_size(b);
  }
  std::vector<char> ba(1 << 20), bb(1 << 20);
  for (uint64_t off = 0;; off += ba.size()) {
    fa.read(ba.data(), static_cast<std::streamsize>(ba.size()));
    fb.read(bb.data(), static_cast<std::streamsize>(bb.size()));
    if (fa.gcount() != fb.gcount() || std::memcmp(ba.data(), bb.data(), fa.gcount()) != 0) {
      return ::testing::AssertionFailure() << a << " and " << b << " differ near " << off;
    }
    if (fa.gcount() == 0) return ::testing::AssertionSuccess();
  }
}

// An instant copy (FICLONE) of a file in the pool, for comparing with later.
void Keep(const std::string& from, const std::string& to) {
  linuxhost::UniqueFd src(open(from.c_str(), O_RDONLY | O_CLOEXEC));
  linuxhost::UniqueFd dst(open(to.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  ASSERT_TRUE(src.valid() && dst.valid());
  ASSERT_TRUE(linuxhost::CloneFileContents(src.get(), dst.get()).ok());
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

TEST_F(BusyVolumeTest, StoredIncrementallyAndRestoredBitExactWhileAWriterRuns) {
  StartBusyInstance();
  const std::string keep_dir = driver_->layout().pool_dir() + "/test-keep";
  fs::create_directories(keep_dir);
  auto opened = driver_->SnapshotStore();
  ASSERT_OK(opened);
  snapshot::ChunkStore& store = **opened;

  // 128 MiB of data beside the writer's file, so that a full read has something to read.
  {
    std::ofstream fill(mount_point_ + "/fill", std::ios::binary);
    std::string block(1 << 20, '\0');
    for (int i = 0; i < 128; ++i) {
      std::memset(block.data(), 'a' + i % 26, block.size());
      fill.write(block.data(), static_cast<std::streamsize>(block.size()));
    }
  }
  linuxhost::UniqueFd dir(open(mount_point_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_EQ(syncfs(dir.get()), 0);

  // First snapshot: no base, everything is read.
  CaptureWhileWriting("snap-1", "vol-data");
  Keep(driver_->layout().CaptureFile("snap-1"), keep_dir + "/snap-1");
  std::vector<int> progress;
  ASSERT_OK(driver_->StoreSnapshot("snap-1", "vol-data", [&](int p) { progress.push_back(p); }));
  EXPECT_FALSE(fs::exists(driver_->layout().CaptureFile("snap-1")));
  EXPECT_TRUE(fs::exists(driver_->layout().BaseFile("vol-data", "snap-1")));
  auto first = store.Get("snap-1");
  ASSERT_OK(first);
  EXPECT_EQ(first->parent_id, "");

  // Second: only what changed since snap-1 is read.
  const uint64_t at = writer_->acknowledged();
  ASSERT_TRUE(writer_->WaitFor(at + 200));
  auto [before, after] = CaptureWhileWriting("snap-2", "vol-data");
  // What FIEMAP will show as changed, in bytes and in whole chunks of the store.
  auto changed = linuxhost::ChangedRangesBetween(driver_->layout().BaseFile("vol-data", "snap-1"),
                                                 driver_->layout().CaptureFile("snap-2"));
  ASSERT_OK(changed);
  const uint64_t chunk = store.chunk_size();
  std::set<uint64_t> chunks;
  for (const auto& r : *changed) {
    for (uint64_t c = r.offset / chunk; c * chunk < r.offset + r.length; ++c) chunks.insert(c);
  }
  ASSERT_OK(driver_->StoreSnapshot("snap-2", "vol-data", nullptr));
  ASSERT_OK(driver_->StoreSnapshot("snap-2", "vol-data", nullptr));  // idempotent
  auto second = store.Get("snap-2");
  ASSERT_OK(second);
  EXPECT_EQ(second->parent_id, "snap-1");
  std::cout << "snap-1 (full): read " << first->bytes_read << " bytes, " << first->new_chunks
            << " chunks; snap-2 (incremental, " << (after - at) * SequenceWriter::kRecord
            << " bytes of records written since): read " << second->bytes_read << " bytes, "
            << second->new_chunks << " new chunks; FIEMAP: " << changed->size() << " ranges, "
            << linuxhost::TotalLength(*changed) << " bytes, in " << chunks.size() << " chunks of "
            << chunk << "\n";
  EXPECT_LE(second->bytes_read, chunks.size() * chunk);
  EXPECT_LT(second->bytes_read, first->bytes_read / 4);
  EXPECT_TRUE(fs::exists(driver_->layout().BaseFile("vol-data", "snap-2")));
  EXPECT_FALSE(fs::exists(driver_->layout().BaseFile("vol-data", "snap-1")));

  // The chunk store restores the incremental snapshot bit-exactly as captured.
  const std::string restored_2 = keep_dir + "/restored-2";
  ASSERT_OK(store.Restore("snap-2", restored_2, 0));
  EXPECT_TRUE(SameContents(restored_2, driver_->layout().BaseFile("vol-data", "snap-2")));

  // RestoreVolume from the store (snap-1: its base is gone), same size: bit-exact.
  ASSERT_OK(driver_->RestoreVolume("vol-r1", "snap-1", 1));
  ASSERT_OK(driver_->RestoreVolume("vol-r1", "snap-1", 1));  // idempotent
  EXPECT_TRUE(SameContents(driver_->VolumeFile("vol-r1"), keep_dir + "/snap-1"));
  // RestoreVolume grown to 2 GiB (from the base clone): a clean, larger ext4 with a prefix of
  // the writes.
  ASSERT_OK(driver_->RestoreVolume("vol-r2", "snap-2", 2));
  EXPECT_EQ(fs::file_size(driver_->VolumeFile("vol-r2")), uint64_t{2} << 30);
  ExpectCleanExt4(driver_->VolumeFile("vol-r2"));
  auto data = ReadFromImage(driver_->VolumeFile("vol-r2"), "/seq");
  ASSERT_OK(data);
  auto records = CheckSequence(*data);
  ASSERT_OK(records);
  EXPECT_GE(*records, before);
  EXPECT_LE(*records, after);
  auto blocks = linuxhost::RunChecked(
      {linuxhost::FindExecutable("dumpe2fs"), "-h", driver_->VolumeFile("vol-r2")});
  ASSERT_OK(blocks);
  EXPECT_NE(blocks->find("Block count:              524288"), std::string::npos) << *blocks;
  EXPECT_EQ(driver_->RestoreVolume("vol-r3", "snap-missing", 1).code(), Code::kNotFound);

  // Copy, then delete the originals: the copy still restores.
  ASSERT_OK(driver_->CopySnapshot("snap-3", "snap-2"));
  ASSERT_OK(driver_->DeleteSnapshot("snap-2"));
  ASSERT_OK(driver_->DeleteSnapshot("snap-1"));
  ASSERT_OK(driver_->DeleteSnapshot("snap-1"));
  EXPECT_FALSE(fs::exists(driver_->layout().BaseFile("vol-data", "snap-2")));
  EXPECT_EQ(store.Get("snap-2").status().code(), Code::kNotFound);
  ASSERT_OK(driver_->RestoreVolume("vol-r3", "snap-3", 1));
  EXPECT_TRUE(SameContents(driver_->VolumeFile("vol-r3"), restored_2));
  fs::remove_all(keep_dir);
}

TEST_F(SnapshotTest, ARestoredVolumeIsSnapshottedIncrementallyOnTheSnapshotItCameFrom) {
  CreateVolume("vol-a");
  ASSERT_OK(driver_->CaptureSnapshot("snap-1", "vol-a"));
  ASSERT_OK(driver_->StoreSnapshot("snap-1", "vol-a", nullptr));
  // Restored from the chunk store (vol-a's base is gone with vol-a) and from the base clone.
  ASSERT_OK(driver_->RestoreVolume("vol-r", "snap-1", 1));
  ASSERT_OK(driver_->DeleteVolume("vol-a"));
  EXPECT_FALSE(fs::exists(driver_->layout().BaseDir("vol-a"))) << "bases go with the volume";
  ASSERT_OK(driver_->RestoreVolume("vol-s", "snap-1", 1));
  for (const char* vol : {"vol-r", "vol-s"}) {
    EXPECT_TRUE(fs::exists(driver_->layout().BaseFile(vol, "snap-1"))) << vol;
  }
  // One MiB written into the restored volume (raw: the snapshot does not look inside).
  {
    linuxhost::UniqueFd fd(open(driver_->VolumeFile("vol-r").c_str(), O_WRONLY | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    std::string block(1 << 20, 'z');
    ASSERT_EQ(pwrite(fd.get(), block.data(), block.size(), 300LL << 20),
              static_cast<ssize_t>(block.size()));
    ASSERT_EQ(fsync(fd.get()), 0);
  }
  ASSERT_OK(driver_->CaptureSnapshot("snap-2", "vol-r"));
  const std::string keep = driver_->layout().pool_dir() + "/test-keep-r";
  Keep(driver_->layout().CaptureFile("snap-2"), keep);
  ASSERT_OK(driver_->StoreSnapshot("snap-2", "vol-r", nullptr));
  auto second = (*driver_->SnapshotStore())->Get("snap-2");
  ASSERT_OK(second);
  EXPECT_EQ(second->parent_id, "snap-1");
  const uint64_t chunk = (*driver_->SnapshotStore())->chunk_size();
  EXPECT_LE(second->bytes_read, (1u << 20) + 2 * chunk) << "only the written MiB is read";
  EXPECT_GT(second->bytes_read, 0u);
  ASSERT_OK(driver_->RestoreVolume("vol-t", "snap-2", 1));
  EXPECT_TRUE(SameContents(driver_->VolumeFile("vol-t"), keep));
  ASSERT_OK(driver_->DeleteVolume("vol-r"));
  EXPECT_FALSE(fs::exists(driver_->layout().BaseDir("vol-r")));
  fs::remove(keep);
}

TEST_F(SnapshotTest, RecoverAfterACrashBetweenCaptureAndStore) {
  CreateVolume("vol-a");
  ASSERT_OK(driver_->CaptureSnapshot("snap-a", "vol-a"));
  ASSERT_OK(driver_->CaptureSnapshot("snap-b", "vol-a"));
  const std::string keep = driver_->layout().pool_dir() + "/test-keep-a";
  Keep(driver_->layout().CaptureFile("snap-a"), keep);
  // snap-b: stored, then a crash before its capture became the base.
  snapshot::CreateRequest request;
  request.snapshot_id = "snap-b";
  request.source_path = driver_->layout().CaptureFile("snap-b");
  request.labels = {{"volume_id", "vol-a"}};
  ASSERT_OK(driver_->SnapshotStore());
  ASSERT_OK((*driver_->SnapshotStore())->Create(request));

  driver_ = NewDriver();  // the cloud restarts
  ASSERT_NE(driver_, nullptr);
  HostInventory inventory;
  inventory.volumes = {"vol-a"};
  inventory.snapshots = {"snap-a", "snap-b"};
  ASSERT_OK(driver_->Recover(inventory));
  const auto& layout = driver_->layout();
  EXPECT_TRUE(fs::exists(layout.CaptureFile("snap-a")));
  EXPECT_FALSE(fs::exists(layout.CaptureFile("snap-b")));
  EXPECT_TRUE(fs::exists(layout.BaseFile("vol-a", "snap-b")));
  ASSERT_OK(driver_->StoreSnapshot("snap-b", "vol-a", nullptr));  // stored already: OK

  // The engine re-runs the store of snap-a: incremental on snap-b's base (nothing changed).
  ASSERT_OK(driver_->StoreSnapshot("snap-a", "vol-a", nullptr));
  auto a = (*driver_->SnapshotStore())->Get("snap-a");
  ASSERT_OK(a);
  EXPECT_EQ(a->parent_id, "snap-b");
  EXPECT_EQ(a->bytes_read, 0u);
  ASSERT_OK(driver_->RestoreVolume("vol-ra", "snap-a", 1));
  EXPECT_TRUE(SameContents(driver_->VolumeFile("vol-ra"), keep));
  // Stored snapshots are never removed by Recover, listed or not.
  inventory.snapshots = {};
  inventory.volumes = {"vol-a", "vol-ra"};
  ASSERT_OK(driver_->Recover(inventory));
  EXPECT_OK((*driver_->SnapshotStore())->Get("snap-a"));
  EXPECT_OK((*driver_->SnapshotStore())->Get("snap-b"));
  EXPECT_FALSE(fs::exists(layout.BaseFile("vol-a", "snap-a")));  // bases of unlisted ones go
  fs::remove(keep);
}

}  // namespace
}  // namespace spotkeeper::cloud::testing
