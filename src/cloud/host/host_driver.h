// HostDriver: the seam between the local cloud's EC2 logic (src/cloud/engine) and the Linux
// host that makes instances real (namespaces, veth pairs, loop devices, overlayfs, runc).
// LinuxHostDriver is the real one (root only); FakeHostDriver records calls for tests that run
// without root.
//
// Contract:
//  - Every call is idempotent: calling it again after a crash (or twice) is safe and ends in the
//    same state; deleting something absent is OK.
//  - Everything the driver creates on the host carries its `prefix` (namespaces, interfaces,
//    runc container ids, mount points under the pool directory), so that a test can use its own
//    prefix and clean up only what it made, and DestroyAll never touches anything else.
//  - Names are derived from ids deterministically, so a second process (the `spotkeeper cloud
//    exec|forward` verbs) can open the same pool and reach the same instances.
//  - Instance traffic stays inside the VPC namespace; the host namespace gets no VPC address or
//    route (DESIGN.md §5).
//  - Thread safety: calls for different instances may run concurrently; the engine serialises
//    calls for one instance.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/serving_probe.h"
#include "common/status.h"
#include "common/time.h"

namespace spotkeeper::cloud {

struct VpcNetwork {
  std::string vpc_id;      // vpc-...
  std::string cidr;        // "10.0.0.0/16"
  std::string gateway_ip;  // "10.0.0.1": the bridge's address inside the VPC namespace
};

struct NicConfig {
  std::string eni_id;  // eni-...
  std::string vpc_id;
  std::string mac;      // "02:xx:xx:xx:xx:xx"
  std::string ip;       // primary private IPv4
  int prefix_len = 24;  // of its subnet
  std::string gateway;  // the subnet's gateway (the VPC bridge address)
};

struct VolumeMount {
  std::string volume_id;
  std::string device;  // "/dev/sdf": mounted inside the instance at /mnt/sdf
};

struct InstanceConfig {
  std::string instance_id;   // i-...
  std::string hostname;      // ip-10-0-1-5
  std::string image_rootfs;  // the image's root filesystem directory: the overlay's lower layer
  // The root volume: its filesystem holds the overlay's upper and work directories, so the
  // instance's changes to / live on a volume (and can be snapshotted).
  std::string root_volume_id;
  NicConfig primary_nic;             // moved into the instance's namespace (keeps MAC and IP)
  std::vector<VolumeMount> volumes;  // attached before the workload starts
  int vcpus = 1;
  int64_t memory_mib = 1024;
  std::string user_data;  // run by the instance's init (as a script when it starts with "#!")
  // Answers to the instance's metadata requests come from the cloud's IMDS, reached at
  // 169.254.169.254 inside the VPC; nothing to configure here.
};

enum class RuntimeState {
  kMissing,  // no container
  kRunning,  // its init runs
  kStopped,  // the container exists but its init exited (crashed, or shut down from inside)
};

// What the cloud believes exists, for Recover() after the cloud restarts.
struct HostInventory {
  std::vector<VpcNetwork> vpcs;
  std::vector<std::string> volumes;  // volume ids that exist (made on the host)
  // Volume ids the cloud knows that are not made yet or are being deleted: a file of theirs is
  // left for the engine (which makes or deletes it again), never removed by Recover.
  std::vector<std::string> other_volumes;
  // Snapshot ids the cloud knows (pending or completed). Recover drops captures it does not
  // list (a CreateSnapshot that crashed before it was recorded) and never deletes a stored one.
  std::vector<std::string> snapshots;
  std::vector<NicConfig> nics;
  std::vector<std::string> running_instances;  // instance ids that should be running
  std::vector<std::pair<std::string, VolumeMount>> attachments;  // (instance id, mount)
};

class HostDriver {
 public:
  virtual ~HostDriver() = default;

  // --- VPCs: a network namespace with a bridge; the gateway address on the bridge.
  virtual Status EnsureVpc(const VpcNetwork& vpc) = 0;
  virtual Status DeleteVpc(const std::string& vpc_id) = 0;

  // --- Images: the base root filesystem (a small directory with the merged-/usr symlinks, a
  // few files of /etc and empty mount points; the host's /usr is bind-mounted read-only into
  // every instance). Returns its directory; building it again is a no-op.
  virtual Result<std::string> EnsureBaseImage(const std::string& image_id) = 0;

  // --- Volumes: sparse ext4 image files, formatted at creation.
  virtual Status CreateVolume(const std::string& volume_id, int size_gib) = 0;
  // A volume whose contents start as a copy of another volume's image file (reflink when the
  // pool supports it); used later for snapshots and restores.
  virtual Status CloneVolume(const std::string& volume_id, const std::string& source_file,
                             int size_gib) = 0;
  virtual Status DeleteVolume(const std::string& volume_id) = 0;
  virtual std::string VolumeFile(const std::string& volume_id) const = 0;

  // --- Snapshots (EBS semantics): point in time at CaptureSnapshot, stored incrementally by
  // StoreSnapshot in the pool's chunk store, each restorable on its own.
  // Takes the point-in-time copy of the volume now. A volume mounted in a running instance is
  // frozen only for the instant of the copy (an instant clone: the time writers are blocked does
  // not grow with the volume's size), under a timeout that always thaws. Idempotent: a snapshot
  // already captured or stored is left as it is.
  virtual Status CaptureSnapshot(const std::string& snapshot_id, const std::string& volume_id) = 0;
  // Stores the captured copy: reads only what changed since the volume's previous stored
  // snapshot (all of it when that history is unknown), keeps only new chunks, commits, then
  // drops the capture. `progress` gets 0..100 (may be empty). Idempotent: a stored snapshot
  // returns OK at once.
  virtual Status StoreSnapshot(const std::string& snapshot_id, const std::string& volume_id,
                               std::function<void(int)> progress) = 0;
  // A stored snapshot `snapshot_id` with the contents of stored snapshot `source_snapshot_id`
  // (CopySnapshot; shares its chunks). Idempotent.
  virtual Status CopySnapshot(const std::string& snapshot_id,
                              const std::string& source_snapshot_id) = 0;
  // Removes the snapshot (captured or stored) and the chunks nothing else needs; absent is OK.
  virtual Status DeleteSnapshot(const std::string& snapshot_id) = 0;
  // Makes volume `volume_id` (which must not exist yet) from a stored snapshot, grown (file and
  // ext4 filesystem) to `size_gib` when that is larger than the snapshot's volume.
  virtual Status RestoreVolume(const std::string& volume_id, const std::string& snapshot_id,
                               int size_gib) = 0;

  // --- Network interfaces: a veth pair, the bridge end in the VPC namespace, the instance end
  // parked (in a parking namespace of the VPC) while no instance uses it. MAC and IP stay.
  virtual Status CreateNic(const NicConfig& nic) = 0;
  virtual Status DeleteNic(const NicConfig& nic) = 0;

  // --- Instances: a runc container in its own network namespace, root = overlay(image,
  // root volume), PID 1 = spotkeeper's init (runs user data, forwards SIGTERM, reaps, writes
  // the console log). Returns once the container runs.
  virtual Status StartInstance(const InstanceConfig& config) = 0;
  // SIGTERM to the init, up to `grace`, then SIGKILL. Unmounts volumes, parks the NIC, deletes
  // the instance's namespace and container; the root volume keeps the instance's changes.
  virtual Status StopInstance(const std::string& instance_id, Duration grace) = 0;
  virtual Result<RuntimeState> GetInstanceState(const std::string& instance_id) = 0;
  // Tells `listener` (empty: nobody) the moment a started instance's init exits by itself
  // (crashed, killed, shut down from inside), so the engine need not wait for its periodic
  // GetInstanceState pass. Best effort: the pass stays the safety net (a listener may miss an
  // exit around a restart). Called on a driver thread; it must return quickly and not call the
  // driver. Once SetExitListener returns, the previous listener is not running and is never
  // called again.
  virtual void SetExitListener(std::function<void(const std::string& instance_id)> listener) = 0;
  // Mount/unmount a volume inside a running instance at /mnt/<device basename>; the mount
  // point exists only while the volume is mounted.
  virtual Status AttachVolume(const std::string& instance_id, const VolumeMount& m) = 0;
  virtual Status DetachVolume(const std::string& instance_id, const VolumeMount& m) = 0;
  virtual Result<std::string> ConsoleOutput(const std::string& instance_id) = 0;
  // Runs argv inside the instance (its namespaces and root), with the caller's stdio.
  // Returns the exit code.
  virtual Result<int> Exec(const std::string& instance_id, const std::vector<std::string>& argv,
                           bool tty) = 0;

  // Runs `fn` on a new thread that has entered the VPC's network namespace: sockets it makes
  // live in the VPC (IMDS listeners at 169.254.169.254, port forwards). The thread ends when
  // `fn` returns; the returned handle joins it.
  virtual Result<std::unique_ptr<class VpcThread>> RunInVpc(const std::string& vpc_id,
                                                            std::function<void()> fn) = 0;
  // Does the workload at `ip` in VPC `vpc_id` serve as `probe` says (a TCP connect, a TCP
  // send/expect, an HTTP GET) within `timeout`? The probe runs on a short-lived thread inside
  // the VPC's namespace (the host namespace never gets a route into the VPC).
  // ProbeServing's answers (common/serving_probe.h).
  virtual Status ProbeServing(const std::string& vpc_id, const std::string& ip,
                              const ServingProbe& probe, Duration timeout) = 0;

  // After the cloud restarts: make the host match `expected` without restarting what runs
  // (re-find namespaces, loop devices, mounts, containers; remove partial leftovers that
  // `expected` does not mention). Stored data is never deleted on a guess: a volume file the
  // cloud does not know (a lost or rolled-back cloud database) is moved aside into the pool's
  // quarantine and reported, not removed; only files known to be half-made go.
  virtual Status Recover(const HostInventory& expected) = 0;
  // Removes everything this driver's prefix owns.
  virtual Status DestroyAll() = 0;
};

class VpcThread {
 public:
  virtual ~VpcThread() = default;  // joins
};

}  // namespace spotkeeper::cloud
