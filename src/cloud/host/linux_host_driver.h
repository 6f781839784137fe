// LinuxHostDriver: the HostDriver that makes instances real on this Linux host (root only).
//
//   VPC        network namespace <prefix>-v-<vpc> with a bridge holding the gateway address(es)
//              and 169.254.169.254/32; nothing of a VPC in the host namespace
//   ENI        veth pair made inside the VPC namespace; bridge end on the bridge, instance end
//              parked beside it, or eth0 of an instance namespace while the instance runs
//   pool       the filesystem of volumes and snapshot captures: the data dir's own when it can
//              reflink, else a loop-mounted XFS image <data dir>/pool.xfs (linux/storage_pool.h)
//   volume     sparse ext4 file in <pool>/volumes, on an autoclear loop device while mounted
//   snapshot   FICLONE of the volume file under FIFREEZE (<pool>/captures), then stored in the
//              chunk store <data dir>/snapshots reading only what FIEMAP says changed since the
//              volume's previous snapshot (<pool>/bases); see linux_host_snapshots.cc
//   instance   runc container (runc --root <data dir>/run) in namespace <prefix>-i-<instance>:
//              root = overlay(image rootfs, upper+work on the root volume), host /usr read-only,
//              /mnt = shared bind of instances/<id>/mnt (attach = mount there), PID 1 =
//              spotkeeper-init with the console log as its stdout, cgroup limits from the type
//
// See linux/host_names.h for every name and linux/pool_layout.h for every path. All external
// programs run through linux/command_runner.h (argv, no shell, timeout, stderr in errors).
//
// The driver keeps no state in memory: everything is derived from ids and read back from the
// host, so a second driver on the same data dir (another process, or after a restart) sees
// the same instances. Thread-safety as HostDriver requires.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "cloud/host/host_driver.h"
#include "cloud/host/linux/host_names.h"
#include "cloud/host/linux/host_tools.h"
#include "cloud/host/linux/init_exit_watch.h"
#include "cloud/host/linux/network_plumbing.h"
#include "cloud/host/linux/pool_layout.h"
#include "cloud/host/linux/runc_client.h"
#include "cloud/host/linux/storage_pool.h"
#include "cloud/host/linux/volume_files.h"
#include "cloud/snapshot/chunk_store.h"

namespace spotkeeper::cloud {

struct LinuxHostDriverOptions {
  // The cloud's data directory (made if missing). The driver owns what linux/pool_layout.h
  // lists (volumes, captures, images, instances, runc state, snapshots, the pool image) and
  // nothing else in it.
  std::string data_dir;
  // Where volume files live: the data dir's filesystem or a loop-mounted XFS image (reflink).
  linuxhost::StoragePoolOptions pool;
  // The longest a volume's filesystem stays frozen for a capture; the watchdog thaws then and
  // the capture fails (DeadlineExceeded).
  Duration freeze_timeout = std::chrono::seconds(1);
  // Hashing and compression workers of the snapshot store; 0: all cores.
  int snapshot_threads = 0;
  // Names every host object; 2-6 characters [a-z][a-z0-9]*. Empty: "sk" + 4 characters derived
  // from the canonical data_dir, so every process opening the same data dir agrees.
  std::string prefix;
  // spotkeeper-init. Empty: $SPOTKEEPER_INIT, else "spotkeeper-init" beside the running
  // executable, else the one this build made.
  std::string init_path;
  // Make this process the child subreaper, so that an instance's init, orphaned when
  // `runc run -d` exits, is reaped by the driver (GetInstanceState/StopInstance) instead of
  // staying a zombie under a PID 1 that does not reap.
  bool reap_instances = true;
};

class LinuxHostDriver final : public HostDriver {
 public:
  // Checks root, the host tools (naming the Debian package of a missing one), /dev/loop-control
  // and the init binary; makes the pool directories; probes reflink support.
  static Result<std::unique_ptr<LinuxHostDriver>> Create(LinuxHostDriverOptions options);

  // --- HostDriver
  Status EnsureVpc(const VpcNetwork& vpc) override;
  Status DeleteVpc(const std::string& vpc_id) override;
  Result<std::string> EnsureBaseImage(const std::string& image_id) override;
  Status CreateVolume(const std::string& volume_id, int size_gib) override;
  Status CloneVolume(const std::string& volume_id, const std::string& source_file,
                     int size_gib) override;
  Status DeleteVolume(const std::string& volume_id) override;
  std::string VolumeFile(const std::string& volume_id) const override;
  Status CaptureSnapshot(const std::string& snapshot_id, const std::string& volume_id) override;
  Status StoreSnapshot(const std::string& snapshot_id, const std::string& volume_id,
                       std::function<void(int)> progress) override;
  Status CopySnapshot(const std::string& snapshot_id,
                      const std::string& source_snapshot_id) override;
  Status DeleteSnapshot(const std::string& snapshot_id) override;
  Status RestoreVolume(const std::string& volume_id, const std::string& snapshot_id,
                       int size_gib) override;
  Status CreateNic(const NicConfig& nic) override;
  Status DeleteNic(const NicConfig& nic) override;
  Status StartInstance(const InstanceConfig& config) override;
  Status StopInstance(const std::string& instance_id, Duration grace) override;
  Result<RuntimeState> GetInstanceState(const std::string& instance_id) override;
  void SetExitListener(std::function<void(const std::string& instance_id)> listener) override;
  Status AttachVolume(const std::string& instance_id, const VolumeMount& m) override;
  Status DetachVolume(const std::string& instance_id, const VolumeMount& m) override;
  Result<std::string> ConsoleOutput(const std::string& instance_id) override;
  Result<int> Exec(const std::string& instance_id, const std::vector<std::string>& argv,
                   bool tty) override;
  Result<std::unique_ptr<VpcThread>> RunInVpc(const std::string& vpc_id,
                                              std::function<void()> fn) override;
  Status ProbeServing(const std::string& vpc_id, const std::string& ip, const ServingProbe& probe,
                      Duration timeout) override;
  Status Recover(const HostInventory& expected) override;
  Status DestroyAll() override;

  // --- Beyond HostDriver
  const std::string& prefix() const { return names_.prefix(); }
  const linuxhost::HostNames& names() const { return names_; }
  const linuxhost::PoolLayout& layout() const { return layout_; }
  const linuxhost::StoragePool& pool() const { return pool_; }
  // The chunk store of stored snapshots (<data dir>/snapshots), opened at the first use: the
  // store is one process's at a time, and most processes that open a driver on a data dir
  // (the `cloud exec|forward` verbs) never touch snapshots.
  Result<snapshot::ChunkStore*> SnapshotStore();
  linuxhost::NetworkPlumbing& network() { return network_; }
  // How CloneVolume copies in this pool: kReflink when its filesystem shares extents.
  linuxhost::CloneMethod clone_method() const { return clone_method_; }
  const std::string& init_path() const { return init_path_; }
  // The instance's init PID as seen from the host (0 when not running).
  Result<int> InstancePid(const std::string& instance_id);

  // What CaptureSnapshot recorded in a capture's sidecar (until StoreSnapshot consumes it).
  struct CaptureInfo {
    std::string snapshot_id;
    std::string volume_id;
    int64_t size_bytes = 0;
    std::string mounted_at;  // "" when the volume was not mounted (no freeze)
    std::string method;      // "reflink" | "sparse-copy"
    int64_t blocked_us = 0;  // writers held by the freeze (0 without one)
    int64_t sync_us = 0;     // the syncfs before the freeze
    int64_t copy_us = 0;     // the clone itself
    int64_t captured_unix_ms = 0;
  };
  Result<CaptureInfo> ReadCaptureInfo(const std::string& snapshot_id) const;

 private:
  LinuxHostDriver(LinuxHostDriverOptions options, linuxhost::HostTools tools,
                  linuxhost::StoragePool pool, std::string init_path);

  // StopInstance without the checks: stop the container (grace, then SIGKILL), delete it,
  // unmount the volumes, park the NIC, delete the namespace, unmount overlay and root volume.
  // Everything is optional: tears down whatever is there.
  Status TeardownInstance(const std::string& instance_id, Duration grace);
  Status StopContainer(const std::string& instance_id, Duration grace);
  Status PrepareRootfs(const InstanceConfig& config);
  Status MountVolumeAt(const std::string& volume_id, const std::string& mount_point);
  // Unmounts, removes the mount point and waits for the volume's loop device to go.
  Status UnmountVolumeAt(const std::string& mount_point);
  // The pool's volume files on loop devices mounted at or below `dir`.
  Result<std::vector<std::string>> VolumeFilesMountedUnder(const std::string& dir);
  // Waits for the loop devices of `files` to be released (see WaitForLoopRelease).
  Status WaitForRelease(const std::vector<std::string>& files);
  // The mount point where the volume's file is mounted now, "" when it is not.
  Result<std::string> WhereMounted(const std::string& volume_id);
  // Reaps the instance's init if it has exited and is this process's child (subreaper).
  void ReapInit(const std::string& instance_id);
  void RememberInit(const std::string& instance_id, int pid);
  // Watches the init (`pid`, just read from runc as the running container's) for its exit.
  // With `verify`, runc is asked again after the pidfd is open, so the pidfd is known to be the
  // init's even if the PID could have been reused in between (the init is not this process's
  // child: after a restart, or without reap_instances). As a child it cannot be: its PID stays
  // until this process reaps it.
  void WatchInit(const std::string& instance_id, int pid, bool verify);
  Status RecoverInstances(const HostInventory& expected);
  Status RecoverNetwork(const HostInventory& expected);
  Status RecoverVolumes(const HostInventory& expected);
  // Moves volumes/<name> into the quarantine directory (never overwriting what is there).
  Status Quarantine(const std::string& name);
  // Captures the inventory does not list, half-written captures, bases of unknown volumes or
  // snapshots. Never a stored snapshot.
  Status RecoverSnapshots(const HostInventory& expected);
  // The clone of the volume file into `tmp`, under a freeze when the volume is mounted.
  Result<CaptureInfo> CloneForCapture(const std::string& volume_id, const std::string& tmp);
  // The volume's change-tracking base: the file and the (committed) snapshot it is; nullopt
  // when there is none.
  std::optional<std::pair<std::string, std::string>> FindBase(const std::string& volume_id);
  // The stored snapshot's capture becomes the volume's base (replacing older ones).
  Status PromoteToBase(const std::string& volume_id, const std::string& snapshot_id);
  // A clone of `image` (a volume just restored from the snapshot) becomes the volume's base.
  Status MakeRestoredBase(const std::string& volume_id, const std::string& snapshot_id,
                          const std::string& image);
  // Drops the volume's bases (the volume is deleted).
  Status RemoveBases(const std::string& volume_id);
  std::shared_ptr<std::mutex> VolumeStoreMutex(const std::string& volume_id);

  LinuxHostDriverOptions options_;
  linuxhost::HostTools tools_;
  linuxhost::HostNames names_;
  linuxhost::StoragePool pool_;
  linuxhost::PoolLayout layout_;
  linuxhost::NetworkPlumbing network_;
  linuxhost::RuncClient runc_;
  std::string init_path_;
  linuxhost::CloneMethod clone_method_ = linuxhost::CloneMethod::kSparseCopy;
  std::mutex image_mu_;    // EnsureBaseImage
  std::mutex network_mu_;  // VPC and NIC creation and deletion
  std::mutex volume_mu_;   // the check-then-mount of a volume (one mount at a time)
  std::mutex pids_mu_;
  std::map<std::string, int> init_pids_;  // instance id → host PID of its init, to reap it
  std::unique_ptr<linuxhost::InitExitWatch> exit_watch_;  // the inits of running instances
  std::unique_ptr<snapshot::ChunkStore> store_;
  std::mutex store_mu_;  // store_ (its opening), store_locks_
  // Per volume: StoreSnapshot reads and replaces the volume's base under it.
  std::map<std::string, std::shared_ptr<std::mutex>> store_locks_;
};

}  // namespace spotkeeper::cloud
