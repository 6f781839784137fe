// LinuxHostDriver: snapshots and restores.
//
// Capture (CaptureSnapshot): a FICLONE of the volume file into <pool>/captures/<snap>.img. A
// volume mounted in an instance is frozen (FIFREEZE on its mount point) only around the clone,
// after a syncfs that writes back what is dirty while writers still run; a watchdog thaws after
// freeze_timeout whatever happens (linux/fs_freeze.h). A clone shares extents, so the freeze
// does not grow with the volume's size. The sidecar <snap>.json (volume id, size, timings) is
// written before the image is renamed into place: the .img is the commit point.
//
// Without reflink (pool=plain on ext4) an unmounted volume is copied sparsely (slow: the
// mounts of volumes wait meanwhile), and a mounted volume is refused: a copy under a freeze
// would hold its writers for as long as the copy takes.
//
// Store (StoreSnapshot): <pool>/bases/<vol>/<snap>.img is the capture of the volume's last
// stored snapshot. With one whose snapshot is committed, only the ranges FIEMAP shows as not
// shared between it and the new capture are read (linux/extent_map.h); the new capture then
// replaces it as the volume's base. No base: everything is read.
#include <fcntl.h>
#include <linux/fs.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cloud/host/linux/extent_map.h"
#include "cloud/host/linux/fs_freeze.h"
#include "cloud/host/linux/mount_table.h"
#include "cloud/host/linux/unique_fd.h"
#include "cloud/host/linux_host_driver.h"

namespace spotkeeper::cloud {

using linuxhost::CloneFileContents;
using linuxhost::CloneMethod;
using linuxhost::CloneMethodName;
using linuxhost::FreezeStats;
using linuxhost::HostNames;
using linuxhost::MountTable;
using linuxhost::RunFrozen;
using linuxhost::UniqueFd;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

int64_t Micros(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

Status FsyncPath(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || fsync(fd.get()) != 0) return Internal(Errno("fsync " + path));
  return OkStatus();
}

std::string DirOf(const std::string& path) { return path.substr(0, path.find_last_of('/')); }

// `path` holds `text` completely or is unchanged (temp file, fsync, rename, fsync of the dir).
Status WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid()) return Internal(Errno("create " + tmp));
    for (size_t done = 0; done < text.size();) {
      ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Internal(Errno("write " + tmp));
      done += static_cast<size_t>(n);
    }
    if (fsync(fd.get()) != 0) return Internal(Errno("fsync " + tmp));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) return Internal(Errno("rename " + tmp));
  return FsyncPath(DirOf(path));
}

Status RemoveFile(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return Internal(Errno("unlink " + path));
  return OkStatus();
}

nlohmann::json ToJson(const LinuxHostDriver::CaptureInfo& c) {
  return {{"snapshot_id", c.snapshot_id},
          {"volume_id", c.volume_id},
          {"size_bytes", c.size_bytes},
          {"mounted_at", c.mounted_at},
          {"method", c.method},
          {"blocked_us", c.blocked_us},
          {"sync_us", c.sync_us},
          {"copy_us", c.copy_us},
          {"captured_unix_ms", c.captured_unix_ms}};
}

}  // namespace

Result<LinuxHostDriver::CaptureInfo> LinuxHostDriver::ReadCaptureInfo(
    const std::string& snapshot_id) const {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(snapshot_id));
  if (!Exists(layout_.CaptureFile(snapshot_id))) {
    return NotFound("snapshot " + snapshot_id + " has no capture");
  }
  std::ifstream in(layout_.CaptureSidecar(snapshot_id));
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!in || !j.is_object()) {
    return Internal("capture sidecar " + layout_.CaptureSidecar(snapshot_id) + " is unreadable");
  }
  CaptureInfo c;
  c.snapshot_id = j.value("snapshot_id", "");
  c.volume_id = j.value("volume_id", "");
  c.size_bytes = j.value("size_bytes", int64_t{0});
  c.mounted_at = j.value("mounted_at", "");
  c.method = j.value("method", "");
  c.blocked_us = j.value("blocked_us", int64_t{0});
  c.sync_us = j.value("sync_us", int64_t{0});
  c.copy_us = j.value("copy_us", int64_t{0});
  c.captured_unix_ms = j.value("captured_unix_ms", int64_t{0});
  return c;
}

Result<LinuxHostDriver::CaptureInfo> LinuxHostDriver::CloneForCapture(const std::string& volume_id,
                                                                      const std::string& tmp) {
  const std::string file = layout_.VolumeFile(volume_id);
  UniqueFd from(open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!from.valid()) {
    if (errno == ENOENT) return NotFound("volume " + volume_id + " has no file");
    return Internal(Errno("open " + file));
  }
  struct stat st;
  if (fstat(from.get(), &st) != 0) return Internal(Errno("fstat " + file));
  CaptureInfo info;
  info.volume_id = volume_id;
  info.size_bytes = st.st_size;
  SK_ASSIGN_OR_RETURN(info.mounted_at, WhereMounted(volume_id));

  unlink(tmp.c_str());
  UniqueFd to(open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!to.valid()) return Internal(Errno("create " + tmp));

  if (info.mounted_at.empty()) {
    // Nothing writes it: volume_mu_ (held by the caller) keeps it from being mounted meanwhile.
    auto t0 = Clock::now();
    SK_ASSIGN_OR_RETURN(CloneMethod method, CloneFileContents(from.get(), to.get()));
    info.method = CloneMethodName(method);
    info.copy_us = Micros(Clock::now() - t0);
  } else {
    if (!pool_.reflink()) {
      return FailedPrecondition(
          "volume " + volume_id + " is attached and the storage pool " + pool_.Describe() +
          " cannot reflink: a point-in-time copy would hold its writers for the whole copy "
          "(use pool=auto or reflink-image, or detach the volume first)");
    }
    SK_ASSIGN_OR_RETURN(MountTable table, MountTable::Read());
    auto entry = table.At(info.mounted_at);
    struct stat dev;
    if (!entry || stat(entry->source.c_str(), &dev) != 0 || !S_ISBLK(dev.st_mode)) {
      return FailedPrecondition("volume " + volume_id + " at " + info.mounted_at +
                                " has no block device to freeze");
    }
    SK_ASSIGN_OR_RETURN(FreezeStats stats,
                        RunFrozen(info.mounted_at, dev.st_rdev, options_.freeze_timeout, [&] {
                          if (ioctl(to.get(), FICLONE, from.get()) != 0) {
                            return Internal(Errno("FICLONE " + file));
                          }
                          return OkStatus();
                        }));
    info.method = CloneMethodName(CloneMethod::kReflink);
    info.blocked_us = stats.blocked.count();
    info.sync_us = stats.sync_time.count();
    info.copy_us = stats.step_time.count();
  }
  if (fsync(to.get()) != 0) return Internal(Errno("fsync " + tmp));
  return info;
}

Status LinuxHostDriver::CaptureSnapshot(const std::string& snapshot_id,
                                        const std::string& volume_id) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(snapshot_id));
  SK_RETURN_IF_ERROR(HostNames::ValidateId(volume_id));
  SK_RETURN_IF_ERROR(layout_.EnsureDirs());
  const std::string capture = layout_.CaptureFile(snapshot_id);
  if (Exists(capture)) return OkStatus();  // captured before (idempotent)
  const std::string tmp = capture + ".tmp";
  Result<CaptureInfo> info = [&] {
    std::lock_guard<std::mutex> lock(volume_mu_);
    return CloneForCapture(volume_id, tmp);
  }();
  Status s = info.status();
  if (s.ok()) {
    info->snapshot_id = snapshot_id;
    info->captured_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    s = WriteFileAtomically(layout_.CaptureSidecar(snapshot_id), ToJson(*info).dump());
  }
  if (s.ok() && rename(tmp.c_str(), capture.c_str()) != 0) s = Internal(Errno("rename " + tmp));
  if (s.ok()) s = FsyncPath(layout_.CapturesDir());
  if (!s.ok()) {
    unlink(tmp.c_str());
    return s.Annotate("CaptureSnapshot " + snapshot_id + " of " + volume_id);
  }
  if (info->mounted_at.empty()) {
    spdlog::info("CaptureSnapshot {} of {} (not mounted): {} in {} us", snapshot_id, volume_id,
                 info->method, info->copy_us);
  } else {
    spdlog::info(
        "CaptureSnapshot {} of {} (mounted at {}): writers blocked {} us (clone {} us; syncfs "
        "before the freeze {} us)",
        snapshot_id, volume_id, info->mounted_at, info->blocked_us, info->copy_us, info->sync_us);
  }
  return OkStatus();
}

Result<snapshot::ChunkStore*> LinuxHostDriver::SnapshotStore() {
  std::lock_guard<std::mutex> lock(store_mu_);
  if (!store_) {
    snapshot::ChunkStoreOptions options;
    options.dir = layout_.SnapshotStoreDir();
    options.threads = options_.snapshot_threads;
    SK_ASSIGN_OR_RETURN(store_, snapshot::ChunkStore::Open(std::move(options)));
  }
  return store_.get();
}

std::shared_ptr<std::mutex> LinuxHostDriver::VolumeStoreMutex(const std::string& volume_id) {
  std::lock_guard<std::mutex> lock(store_mu_);
  auto& mu = store_locks_[volume_id];
  if (!mu) mu = std::make_shared<std::mutex>();
  return mu;
}

std::optional<std::pair<std::string, std::string>> LinuxHostDriver::FindBase(
    const std::string& volume_id) {
  std::optional<std::pair<std::string, std::string>> best;
  int64_t best_ms = -1;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(layout_.BaseDir(volume_id), ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() <= 4 || name.compare(name.size() - 4, 4, ".img") != 0) continue;
    const std::string id = name.substr(0, name.size() - 4);
    Result<snapshot::SnapshotInfo> info = store_->Get(id);
    // A base whose snapshot is not committed (deleted meanwhile) says nothing about what
    // changed. Two bases (a crash mid-promotion): either is right; the newer diffs less.
    if (!info.ok() || info->created_unix_ms <= best_ms) continue;
    best_ms = info->created_unix_ms;
    best = std::make_pair(e.path().string(), id);
  }
  return best;
}

Status LinuxHostDriver::PromoteToBase(const std::string& volume_id,
                                      const std::string& snapshot_id) {
  const std::string capture = layout_.CaptureFile(snapshot_id);
  const std::string dir = layout_.BaseDir(volume_id);
  const std::string base = layout_.BaseFile(volume_id, snapshot_id);
  if (Exists(capture)) {
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Internal(Errno("mkdir " + dir));
    if (rename(capture.c_str(), base.c_str()) != 0) return Internal(Errno("rename " + capture));
    SK_RETURN_IF_ERROR(FsyncPath(dir));
    SK_RETURN_IF_ERROR(FsyncPath(layout_.CapturesDir()));
  }
  SK_RETURN_IF_ERROR(RemoveFile(layout_.CaptureSidecar(snapshot_id)));
  if (!Exists(base)) return OkStatus();
  // Older bases of the volume hold blocks the volume no longer has: drop them.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().string() != base) SK_RETURN_IF_ERROR(RemoveFile(e.path().string()));
  }
  return OkStatus();
}

Status LinuxHostDriver::MakeRestoredBase(const std::string& volume_id,
                                         const std::string& snapshot_id, const std::string& image) {
  const std::string dir = layout_.BaseDir(volume_id);
  const std::string base = layout_.BaseFile(volume_id, snapshot_id);
  const std::string tmp = base + ".tmp";
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Internal(Errno("mkdir " + dir));
  unlink(tmp.c_str());
  {
    UniqueFd from(open(image.c_str(), O_RDONLY | O_CLOEXEC));
    UniqueFd to(open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!from.valid() || !to.valid() || ioctl(to.get(), FICLONE, from.get()) != 0) {
      Status err = Internal(Errno("clone " + image + " to " + tmp));
      unlink(tmp.c_str());
      return err;
    }
  }
  if (rename(tmp.c_str(), base.c_str()) != 0) {
    Status err = Internal(Errno("rename " + tmp));
    unlink(tmp.c_str());
    return err;
  }
  SK_RETURN_IF_ERROR(FsyncPath(dir));
  // Any older base of this volume id describes other contents.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().string() != base) SK_RETURN_IF_ERROR(RemoveFile(e.path().string()));
  }
  return OkStatus();
}

Status LinuxHostDriver::RemoveBases(const std::string& volume_id) {
  const std::string dir = layout_.BaseDir(volume_id);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    SK_RETURN_IF_ERROR(RemoveFile(e.path().string()));
  }
  if (rmdir(dir.c_str()) != 0 && errno != ENOENT) return Internal(Errno("rmdir " + dir));
  return OkStatus();
}

Status LinuxHostDriver::StoreSnapshot(const std::string& snapshot_id, const std::string& volume_id,
                                      std::function<void(int)> progress) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(snapshot_id));
  SK_RETURN_IF_ERROR(HostNames::ValidateId(volume_id));
  std::shared_ptr<std::mutex> mu = VolumeStoreMutex(volume_id);
  SK_RETURN_IF_ERROR(SnapshotStore().status().Annotate("StoreSnapshot " + snapshot_id));
  std::lock_guard<std::mutex> lock(*mu);
  const std::string capture = layout_.CaptureFile(snapshot_id);
  if (store_->Get(snapshot_id).ok()) {
    // Stored before; a crash may have come before its capture became the base.
    if (progress) progress(100);
    return PromoteToBase(volume_id, snapshot_id).Annotate("StoreSnapshot " + snapshot_id);
  }
  Result<CaptureInfo> captured = ReadCaptureInfo(snapshot_id);
  if (!captured.ok()) {
    if (captured.status().code() == Code::kNotFound) {
      return FailedPrecondition("StoreSnapshot " + snapshot_id + ": not captured");
    }
    return captured.status().Annotate("StoreSnapshot " + snapshot_id);
  }
  if (captured->volume_id != volume_id) {
    return InvalidArgument("StoreSnapshot " + snapshot_id + ": captured from " +
                           captured->volume_id + ", not " + volume_id);
  }
  snapshot::CreateRequest request;
  request.snapshot_id = snapshot_id;
  request.source_path = capture;
  request.labels = {{"volume_id", volume_id}};
  request.progress = std::move(progress);
  auto t0 = Clock::now();
  std::string how = "full read (no base)";
  if (auto base = FindBase(volume_id)) {
    struct stat bs;
    Result<std::vector<linuxhost::FileRange>> changed = NotFound("");
    if (stat(base->first.c_str(), &bs) == 0 && bs.st_size == captured->size_bytes) {
      changed = linuxhost::ChangedRangesBetween(base->first, capture);
    }
    if (changed.status().code() == Code::kNotFound) {
      how = "full read (the base has another size)";
    } else if (!changed.ok()) {
      spdlog::warn("StoreSnapshot {}: no change tracking ({}); reading everything", snapshot_id,
                   changed.status().ToString());
      how = "full read (FIEMAP failed)";
    } else {
      request.parent_id = base->second;
      request.changed.emplace();
      for (const auto& r : *changed) request.changed->push_back({r.offset, r.length});
      how = "incremental on " + base->second + ": " + std::to_string(changed->size()) +
            " changed ranges, " + std::to_string(linuxhost::TotalLength(*changed)) + " bytes";
    }
  }
  auto t1 = Clock::now();
  Result<snapshot::SnapshotInfo> stored = store_->Create(request);
  if (!stored.ok()) return stored.status().Annotate("StoreSnapshot " + snapshot_id);
  spdlog::info(
      "StoreSnapshot {} of {}: {} (FIEMAP {} ms); read {} bytes, {} new chunks ({} bytes) in {} "
      "ms",
      snapshot_id, volume_id, how, Micros(t1 - t0) / 1000, stored->bytes_read, stored->new_chunks,
      stored->new_bytes, Micros(Clock::now() - t1) / 1000);
  return PromoteToBase(volume_id, snapshot_id).Annotate("StoreSnapshot " + snapshot_id);
}

Status LinuxHostDriver::CopySnapshot(const std::string& snapshot_id,
                                     const std::string& source_snapshot_id) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(snapshot_id));
  SK_RETURN_IF_ERROR(HostNames::ValidateId(source_snapshot_id));
  SK_RETURN_IF_ERROR(SnapshotStore().status().Annotate("CopySnapshot " + snapshot_id));
  return store_->Copy(snapshot_id, source_snapshot_id)
      .status()
      .Annotate("CopySnapshot " + source_snapshot_id + " → " + snapshot_id);
}

Status LinuxHostDriver::DeleteSnapshot(const std::string& snapshot_id) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(snapshot_id));
  SK_RETURN_IF_ERROR(SnapshotStore().status().Annotate("DeleteSnapshot " + snapshot_id));
  const std::string capture = layout_.CaptureFile(snapshot_id);
  // The image first: a sidecar without its image is a half capture Recover removes.
  for (const auto& f : {capture, capture + ".tmp", layout_.CaptureSidecar(snapshot_id),
                        layout_.CaptureSidecar(snapshot_id) + ".tmp"}) {
    SK_RETURN_IF_ERROR(RemoveFile(f).Annotate("DeleteSnapshot " + snapshot_id));
  }
  // The base before the stored snapshot: no base may name a snapshot that is gone.
  std::error_code ec;
  for (const auto& vol : fs::directory_iterator(layout_.BasesDir(), ec)) {
    SK_RETURN_IF_ERROR(
        RemoveFile(vol.path().string() + "/" + snapshot_id + ".img").Annotate("DeleteSnapshot"));
  }
  Status s = store_->Delete(snapshot_id);
  if (s.code() == Code::kNotFound) return OkStatus();
  return s.Annotate("DeleteSnapshot " + snapshot_id);
}

Status LinuxHostDriver::RestoreVolume(const std::string& volume_id, const std::string& snapshot_id,
                                      int size_gib) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(volume_id));
  SK_RETURN_IF_ERROR(HostNames::ValidateId(snapshot_id));
  SK_RETURN_IF_ERROR(layout_.EnsureDirs());
  const std::string file = layout_.VolumeFile(volume_id);
  if (Exists(file)) return OkStatus();  // restored before (idempotent)
  const std::string what = "RestoreVolume " + volume_id + " from " + snapshot_id;
  SK_RETURN_IF_ERROR(SnapshotStore().status().Annotate(what));
  Result<snapshot::SnapshotInfo> info = store_->Get(snapshot_id);
  if (!info.ok()) return info.status().Annotate(what);
  const int64_t want = int64_t{size_gib} * linuxhost::kGiB;
  if (size_gib < 1 || want < static_cast<int64_t>(info->image_size)) {
    return InvalidArgument(what + ": size " + std::to_string(size_gib) +
                           " GiB is smaller than the snapshot (" +
                           std::to_string(info->image_size) + " bytes)");
  }
  const std::string tmp = file + ".tmp";
  unlink(tmp.c_str());
  auto t0 = Clock::now();
  // The snapshot's capture, when it is still some volume's base, is the same image: a clone
  // of it is instant. Else the chunk store writes it.
  std::string base;
  std::error_code ec;
  for (const auto& vol : fs::directory_iterator(layout_.BasesDir(), ec)) {
    const std::string candidate = vol.path().string() + "/" + snapshot_id + ".img";
    if (Exists(candidate)) base = candidate;
  }
  Status s;
  const char* how = "chunk store";
  if (!base.empty() && pool_.reflink()) {
    UniqueFd from(open(base.c_str(), O_RDONLY | O_CLOEXEC));
    UniqueFd to(open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (from.valid() && to.valid() && ioctl(to.get(), FICLONE, from.get()) == 0) how = "base clone";
  }
  if (std::string(how) == "chunk store") s = store_->Restore(snapshot_id, tmp, 0);
  if (s.ok() && want > static_cast<int64_t>(info->image_size)) {
    s = linuxhost::GrowExt4Image(tools_, tmp, want);
  } else if (s.ok() && pool_.reflink()) {
    // The restored volume is the snapshot's image: a clone of it becomes the volume's base, so
    // the volume's next snapshot reads only what changed since (not the whole volume again).
    Status b = MakeRestoredBase(volume_id, snapshot_id, tmp);
    if (!b.ok()) spdlog::warn("{}: no change-tracking base ({})", what, b.ToString());
  }
  if (s.ok()) s = linuxhost::PublishFile(tmp, file);
  if (!s.ok()) {
    unlink(tmp.c_str());
    return s.Annotate(what);
  }
  spdlog::info("{}: {} GiB by {} in {} ms", what, size_gib, how, Micros(Clock::now() - t0) / 1000);
  return OkStatus();
}

Status LinuxHostDriver::RecoverSnapshots(const HostInventory& expected) {
  const std::set<std::string> snapshots(expected.snapshots.begin(), expected.snapshots.end());
  const std::set<std::string> volumes(expected.volumes.begin(), expected.volumes.end());
  Status first;
  auto note = [&](Status s) {
    if (!s.ok()) {
      spdlog::warn("host driver: {}", s.ToString());
      if (first.ok()) first = std::move(s);
    }
  };
  auto strip = [](const std::string& name, const std::string& tail) -> std::optional<std::string> {
    if (name.size() > tail.size() &&
        name.compare(name.size() - tail.size(), tail.size(), tail) == 0) {
      return name.substr(0, name.size() - tail.size());
    }
    return std::nullopt;
  };
  const bool store_ok = SnapshotStore().ok();  // else committed captures wait for next time
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(layout_.CapturesDir(), ec)) {
    const std::string name = e.path().filename().string();
    std::optional<std::string> id;
    if (strip(name, ".tmp")) {
      note(RemoveFile(e.path().string()));  // a capture or sidecar being written at the crash
      continue;
    }
    if ((id = strip(name, ".img"))) {
      if (!snapshots.count(*id)) {
        note(RemoveFile(e.path().string()));
      } else if (store_ok && store_->Get(*id).ok()) {
        // Stored, then a crash before it became its volume's base: it becomes it now.
        Result<CaptureInfo> info = ReadCaptureInfo(*id);
        note(info.ok() ? PromoteToBase(info->volume_id, *id) : RemoveFile(e.path().string()));
      }
    } else if ((id = strip(name, ".json"))) {
      if (!snapshots.count(*id) || !Exists(layout_.CaptureFile(*id))) {
        note(RemoveFile(e.path().string()));
      }
    } else {
      note(RemoveFile(e.path().string()));
    }
    if (id && !snapshots.count(*id)) spdlog::info("recover: dropped the capture of {}", *id);
  }
  for (const auto& vol : fs::directory_iterator(layout_.BasesDir(), ec)) {
    const std::string volume_id = vol.path().filename().string();
    for (const auto& e : fs::directory_iterator(vol.path(), ec)) {
      auto id = strip(e.path().filename().string(), ".img");
      if (!volumes.count(volume_id) || !id || !snapshots.count(*id)) {
        note(RemoveFile(e.path().string()));
      }
    }
    if (!volumes.count(volume_id)) rmdir(vol.path().c_str());
  }
  return first;
}

}  // namespace spotkeeper::cloud
