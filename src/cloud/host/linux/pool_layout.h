// PoolLayout: where LinuxHostDriver keeps its files inside the cloud's data directory. The
// driver owns exactly these subdirectories (DestroyAll removes them and nothing else), and
// pool.xfs with its mount point pool/ (see storage_pool.h).
//
// In the storage pool: <pool> is the data dir itself when its filesystem reflinks (or with
// pool=plain), else pool/, the mount point of the XFS image pool.xfs. Everything that is
// cloned with FICLONE lives here, on one filesystem:
//   <pool>/volumes/<volume id>.img     sparse ext4 image files (".tmp" while being made)
//   <pool>/volumes/quarantine/         files unknown to the cloud at a restart, moved aside
//   <pool>/captures/<snap id>.img      point-in-time clone of a volume, until StoreSnapshot
//   <pool>/captures/<snap id>.json     its sidecar: volume id, size (written before the .img)
//   <pool>/bases/<vol id>/<snap id>.img  the capture of the volume's last stored snapshot: the
//                                      FIEMAP change-tracking base for the next one (the name
//                                      says which snapshot it is: no sidecar to disagree)
// In the data dir:
//   pool.xfs                           the XFS pool image (only when <pool> is pool/)
//   snapshots/                         the chunk store (stored snapshots; chunk_store.h)
//   images/<image id>/rootfs           base root filesystems (overlay lower layers)
//   instances/<instance id>/
//       bundle/config.json             runc spec
//       bundle/rootfs/                 overlay mount point (the container's /)
//       rootvol/                       the root volume's mount: upper/ and work/ of the overlay
//       mnt/                           shared-propagation bind mount, the instance's /mnt;
//       mnt/<device>/                  attached volumes (exist only while mounted)
//       user-data                      the instance's user data (read by spotkeeper-init)
//       console.log                    the init's stdout and stderr, appended across boots
//       runc.err, runc.log             runc's own messages for the last start
//   run/                               runc --root (container state)
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace spotkeeper::cloud::linuxhost {

class PoolLayout {
 public:
  // `data_dir` must be absolute and canonical (no symlinks): mount points and loop backing
  // files are compared with it as strings.
  // `pool_dir`: the storage pool's root (data_dir, or data_dir + "/pool").
  PoolLayout(std::string data_dir, std::string pool_dir)
      : data_dir_(std::move(data_dir)), pool_dir_(std::move(pool_dir)) {}

  const std::string& data_dir() const { return data_dir_; }
  const std::string& pool_dir() const { return pool_dir_; }
  std::string VolumesDir() const { return pool_dir_ + "/volumes"; }
  std::string CapturesDir() const { return pool_dir_ + "/captures"; }
  std::string BasesDir() const { return pool_dir_ + "/bases"; }
  std::string SnapshotStoreDir() const { return data_dir_ + "/snapshots"; }
  std::string ImagesDir() const { return data_dir_ + "/images"; }
  std::string InstancesDir() const { return data_dir_ + "/instances"; }
  std::string RuncRoot() const { return data_dir_ + "/run"; }
  // Volume files the cloud did not know at a restart, moved aside (never deleted).
  std::string QuarantineDir() const { return VolumesDir() + "/quarantine"; }

  std::string VolumeFile(const std::string& volume_id) const;
  std::string CaptureFile(const std::string& snapshot_id) const;
  std::string CaptureSidecar(const std::string& snapshot_id) const;
  std::string BaseDir(const std::string& volume_id) const;
  std::string BaseFile(const std::string& volume_id, const std::string& snapshot_id) const;
  std::string ImageRootfs(const std::string& image_id) const;
  std::string InstanceDir(const std::string& instance_id) const;
  std::string BundleDir(const std::string& instance_id) const;
  std::string RootfsDir(const std::string& instance_id) const;
  std::string RootVolumeMount(const std::string& instance_id) const;
  std::string MntDir(const std::string& instance_id) const;
  // instances/<id>/mnt/<basename of device>: "/dev/sdf" → ".../mnt/sdf".
  Result<std::string> VolumeMountPoint(const std::string& instance_id,
                                       const std::string& device) const;
  std::string UserDataFile(const std::string& instance_id) const;
  std::string ConsoleLog(const std::string& instance_id) const;
  std::string RuncErrFile(const std::string& instance_id) const;
  std::string RuncLogFile(const std::string& instance_id) const;

  // The subdirectories the driver owns.
  std::vector<std::string> OwnedDirs() const;
  Status EnsureDirs() const;
  // True for data_dir itself and paths below it.
  bool Contains(const std::string& path) const;

 private:
  std::string data_dir_;
  std::string pool_dir_;
};

}  // namespace spotkeeper::cloud::linuxhost
