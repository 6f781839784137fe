// StoragePool: the filesystem that holds the driver's volume files and snapshot captures.
//
// Point-in-time captures need FICLONE (an instant copy that shares extents), so volumes,
// captures and change-tracking bases must live on a filesystem that can reflink. When the data
// directory's own filesystem cannot (this host's ext4 /), the pool is a sparse XFS image
// `<data dir>/pool.xfs` formatted with reflink=1, on an autoclear loop device (page cache, no
// direct I/O), mounted at `<data dir>/pool` (as Incus does with loop-backed pools).
//
//   kind          where volume files live          reflink
//   kHostFs       <data dir>/volumes ...           yes (btrfs, XFS) or no (ext4, pool=plain)
//   kXfsImage     <data dir>/pool/volumes ...      yes
//
// Mode "auto": an existing pool.xfs is always used; else the data dir's filesystem when it
// reflinks; else the host fs when <data dir>/volumes already holds files (a cloud made before
// the pool existed keeps its volumes; a warning says captures of attached volumes are refused);
// else a new XFS image.
//
// Open is idempotent: it makes the image once (mkfs on "pool.xfs.tmp", then rename: an existing
// image is never formatted again) and mounts it when it is not mounted (first start, after a
// reboot or a crash). Unmount releases it (the loop device goes with the mount, autoclear).
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace spotkeeper::cloud::linuxhost {

enum class PoolMode {
  kAuto,          // see above
  kReflinkImage,  // always the XFS image, even on a filesystem that reflinks
  kPlain,         // always the data dir's filesystem (no reflink on ext4: see linux_host_snapshots)
};
Result<PoolMode> ParsePoolMode(const std::string& text);  // "auto" | "reflink-image" | "plain"
const char* PoolModeName(PoolMode mode);

struct StoragePoolOptions {
  PoolMode mode = PoolMode::kAuto;
  // Apparent size of a new XFS image. 0: 256 GiB, capped by the free space of the data dir's
  // filesystem when the image is made (a sparse image much larger than the space behind it
  // would let XFS accept writes its backing file cannot take). Never below 4 GiB.
  int64_t image_size_gib = 0;
};

class StoragePool {
 public:
  enum class Kind { kHostFs, kXfsImage };

  // `data_dir` absolute and canonical. Decides the kind (see above); for kXfsImage makes the
  // image if missing and mounts it if not mounted.
  static Result<StoragePool> Open(const std::string& data_dir, const StoragePoolOptions& options);

  Kind kind() const { return kind_; }
  // The directory that holds volumes/, captures/ and bases/.
  const std::string& root() const { return root_; }
  bool reflink() const { return reflink_; }
  std::string ImagePath() const { return data_dir_ + "/pool.xfs"; }
  std::string MountPoint() const { return data_dir_ + "/pool"; }
  std::string Describe() const;

  // kXfsImage: mounts the image at MountPoint() unless it is mounted there. No-op for kHostFs.
  Status EnsureMounted() const;
  // kXfsImage: unmounts it (everything below must be unmounted first), waits for its loop
  // device to go and removes the mount point; `remove_image` also deletes pool.xfs.
  Status Unmount(bool remove_image) const;

 private:
  StoragePool(std::string data_dir, Kind kind, std::string root, bool reflink)
      : data_dir_(std::move(data_dir)), kind_(kind), root_(std::move(root)), reflink_(reflink) {}

  std::string data_dir_;
  Kind kind_;
  std::string root_;
  bool reflink_;
};

}  // namespace spotkeeper::cloud::linuxhost
