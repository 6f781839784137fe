#include "cloud/host/linux/storage_pool.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "cloud/host/linux/command_runner.h"
#include "cloud/host/linux/host_tools.h"
#include "cloud/host/linux/loop_devices.h"
#include "cloud/host/linux/mount_table.h"
#include "cloud/host/linux/unique_fd.h"
#include "cloud/host/linux/volume_files.h"

namespace spotkeeper::cloud::linuxhost {
namespace {

constexpr int64_t kDefaultImageGiB = 256;
constexpr int64_t kMinImageGiB = 4;
constexpr Duration kReleaseWait = std::chrono::seconds(10);

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

bool HasEntries(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  return !ec && it != std::filesystem::directory_iterator();
}

int64_t FreeGiB(const std::string& dir) {
  struct statvfs st;
  if (statvfs(dir.c_str(), &st) != 0) return kDefaultImageGiB;
  return static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize) / kGiB;
}

Status FsyncPath(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || fsync(fd.get()) != 0) return Internal(Errno("fsync " + path));
  return OkStatus();
}

// mkfs.xfs on "<image>.tmp", then rename: `image` is either absent or a formatted pool.
Status MakeImage(const std::string& image, int64_t size_gib) {
  const std::string mkfs = FindExecutable("mkfs.xfs");
  if (mkfs.empty()) {
    return FailedPrecondition("`mkfs.xfs` not found (apt-get install xfsprogs)");
  }
  const std::string tmp = image + ".tmp";
  unlink(tmp.c_str());
  {
    UniqueFd fd(open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd.valid()) return Internal(Errno("create " + tmp));
    if (ftruncate(fd.get(), size_gib * kGiB) != 0) return Internal(Errno("ftruncate " + tmp));
  }
  // -K: no discard (the file is sparse already); reflink=1 is what the pool is for.
  Result<std::string> r = RunChecked({mkfs, "-q", "-K", "-m", "reflink=1", tmp});
  Status s = r.status();
  if (s.ok()) s = FsyncPath(tmp);
  if (s.ok() && rename(tmp.c_str(), image.c_str()) != 0) s = Internal(Errno("rename " + tmp));
  if (s.ok()) s = FsyncPath(image.substr(0, image.find_last_of('/')));
  if (!s.ok()) unlink(tmp.c_str());
  return s;
}

}  // namespace

Result<PoolMode> ParsePoolMode(const std::string& text) {
  if (text == "auto") return PoolMode::kAuto;
  if (text == "reflink-image") return PoolMode::kReflinkImage;
  if (text == "plain") return PoolMode::kPlain;
  return InvalidArgument("pool must be auto, reflink-image or plain, got '" + text + "'");
}

const char* PoolModeName(PoolMode mode) {
  switch (mode) {
    case PoolMode::kAuto:
      return "auto";
    case PoolMode::kReflinkImage:
      return "reflink-image";
    case PoolMode::kPlain:
      return "plain";
  }
  return "?";
}

Result<StoragePool> StoragePool::Open(const std::string& data_dir,
                                      const StoragePoolOptions& options) {
  const std::string image = data_dir + "/pool.xfs";
  const bool have_image = Exists(image);
  Kind kind = Kind::kXfsImage;
  switch (options.mode) {
    case PoolMode::kReflinkImage:
      break;
    case PoolMode::kPlain:
      if (have_image) {
        return FailedPrecondition("pool=plain, but " + image +
                                  " exists: its volumes would be out of sight (use pool=auto)");
      }
      kind = Kind::kHostFs;
      break;
    case PoolMode::kAuto:
      if (have_image) break;
      if (SupportsReflink(data_dir)) {
        kind = Kind::kHostFs;
      } else if (HasEntries(data_dir + "/volumes")) {
        spdlog::warn(
            "storage pool: {} cannot reflink and already holds volumes/ (made before the pool "
            "image existed): keeping them there; snapshots of attached volumes are refused",
            data_dir);
        kind = Kind::kHostFs;
      }
      break;
  }
  if (kind == Kind::kHostFs) {
    return StoragePool(data_dir, kind, data_dir, SupportsReflink(data_dir));
  }
  if (!have_image) {
    int64_t size = options.image_size_gib;
    if (size <= 0) size = std::max(kMinImageGiB, std::min(kDefaultImageGiB, FreeGiB(data_dir)));
    SK_RETURN_IF_ERROR(MakeImage(image, size).Annotate("make pool image " + image));
    spdlog::info("storage pool: made {} ({} GiB sparse XFS, reflink=1)", image, size);
  }
  StoragePool pool(data_dir, kind, data_dir + "/pool", false);
  SK_RETURN_IF_ERROR(pool.EnsureMounted());
  pool.reflink_ = SupportsReflink(pool.root_);
  if (!pool.reflink_) return Internal("pool " + image + " is mounted but cannot reflink");
  return pool;
}

std::string StoragePool::Describe() const {
  if (kind_ == Kind::kHostFs) {
    return root_ + (reflink_ ? " (host filesystem, reflink)" : " (host filesystem, no reflink)");
  }
  return ImagePath() + " on " + MountPoint() + " (XFS image, reflink)";
}

Status StoragePool::EnsureMounted() const {
  if (kind_ != Kind::kXfsImage) return OkStatus();
  const std::string image = ImagePath(), mount_point = MountPoint();
  // One process at a time checks and mounts (the cloud and a CLI verb may open the pool
  // together); the lock goes with the descriptor.
  UniqueFd lock(open(image.c_str(), O_RDONLY | O_CLOEXEC));
  if (!lock.valid()) return Internal(Errno("open " + image));
  if (flock(lock.get(), LOCK_EX) != 0) return Internal(Errno("flock " + image));

  SK_ASSIGN_OR_RETURN(MountTable table, MountTable::Read());
  SK_ASSIGN_OR_RETURN(std::vector<std::string> loops, FindLoopDevices(image));
  if (auto at = table.At(mount_point)) {
    if (std::find(loops.begin(), loops.end(), at->source) != loops.end()) return OkStatus();
    return FailedPrecondition(mount_point + " holds another mount (" + at->source + ")");
  }
  if (!loops.empty()) {
    // On a loop device, not mounted here: mounted elsewhere, or being released.
    for (const auto& e : table.entries()) {
      if (std::find(loops.begin(), loops.end(), e.source) != loops.end()) {
        return FailedPrecondition(image + " is mounted at " + e.mount_point);
      }
    }
    SK_RETURN_IF_ERROR(WaitForLoopRelease(image, kReleaseWait));
  }
  if (mkdir(mount_point.c_str(), 0700) != 0 && errno != EEXIST) {
    return Internal(Errno("mkdir " + mount_point));
  }
  SK_ASSIGN_OR_RETURN(LoopDevice loop, LoopDevice::Attach(image));
  Status s = MountFs(loop.device(), mount_point, "xfs", 0, "");
  loop.Close();  // the mount keeps the (autoclear) device
  if (!s.ok()) return s.Annotate("mount pool " + image);
  spdlog::info("storage pool: mounted {} at {} ({})", image, mount_point, loop.device());
  return OkStatus();
}

Status StoragePool::Unmount(bool remove_image) const {
  if (kind_ != Kind::kXfsImage) return OkStatus();
  const std::string image = ImagePath(), mount_point = MountPoint();
  SK_RETURN_IF_ERROR(linuxhost::Unmount(mount_point).Annotate("unmount pool"));
  SK_RETURN_IF_ERROR(WaitForLoopRelease(image, kReleaseWait));
  if (rmdir(mount_point.c_str()) != 0 && errno != ENOENT) {
    return Internal(Errno("rmdir " + mount_point));
  }
  if (remove_image) {
    for (const auto& f : {image, image + ".tmp"}) {
      if (unlink(f.c_str()) != 0 && errno != ENOENT) return Internal(Errno("unlink " + f));
    }
  }
  return OkStatus();
}

}  // namespace spotkeeper::cloud::linuxhost
