// FakeHostDriver: a HostDriver that keeps the "host" in memory, for tests and for
// `spotkeeper cloud serve --host-driver fake` without root. It never touches the host: no
// namespaces, files, processes or sockets outside loopback (RunInVpc runs `fn` on a plain
// thread in the host namespace, so callers must only use loopback there).
//
// It records every call (Calls()), keeps what exists (volumes, NICs and where they are,
// instances and their mounts, snapshots captured or stored with their volume's size), follows the
// HostDriver contract (idempotent calls, Recover removes what the inventory does not mention and
// adopts what it does) and can inject failures:
//   FailNext("StartInstance", status)          the next call fails before doing anything
//   FailNext("StartInstance", status, true)    the next call does its work, then fails (a crash
//                                              after the host changed but before the caller
//                                              heard about it)
// Thread-safe.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cloud/host/host_driver.h"

namespace spotkeeper::cloud {

class FakeHostDriver final : public HostDriver {
 public:
  struct FakeInstance {
    InstanceConfig config;
    RuntimeState state = RuntimeState::kRunning;
    std::map<std::string, VolumeMount> mounts;  // by device
    std::string console;
    int starts = 0;  // how many times StartInstance created it
  };
  struct FakeNic {
    NicConfig config;
    std::string location;  // "parked" or the instance id it is in
  };
  struct FakeSnapshot {
    std::string volume_id;  // the volume captured ("" for a copy)
    int size_gib = 0;       // of that volume at the capture
    bool stored = false;    // false: captured only
  };

  FakeHostDriver() = default;

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

  // --- test controls
  // The next call of `method` fails with `status`; with `after_effect` it first does its work.
  void FailNext(const std::string& method, Status status, bool after_effect = false);
  // Every call of `method` fails with `status` until cleared (ok status clears).
  void FailAlways(const std::string& method, Status status);
  // The instance's init exits by itself (a shutdown from inside): state becomes kStopped, and
  // the exit listener hears of it (unless `tell` is false: an exit the listener misses).
  void ExitInstance(const std::string& instance_id, bool tell = true);
  void AppendConsole(const std::string& instance_id, const std::string& text);
  // ProbeServing of ip:port answers OK (or ConnectionRefused, the default) from now on.
  void SetListening(const std::string& ip, int port, bool listening);
  // The probe ProbeServing was last asked to run (its kind and fields, as the route passed them).
  ServingProbe last_probe() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_probe_;
  }

  // --- inspection
  std::vector<std::string> Calls() const;          // "StartInstance i-1", in order
  int CallCount(const std::string& method) const;  // calls of `method`, failed ones included
  std::set<std::string> Vpcs() const;
  std::set<std::string> Volumes() const;
  std::set<std::string> QuarantinedVolumes() const;  // moved aside by Recover
  std::map<std::string, FakeNic> Nics() const;
  std::map<std::string, FakeInstance> Instances() const;
  std::map<std::string, FakeSnapshot> Snapshots() const;
  int VolumeSize(const std::string& volume_id) const;  // 0 when absent
  // The snapshot a volume was restored from ("" when it was made empty or is absent).
  std::string RestoredFrom(const std::string& volume_id) const;
  bool Empty() const;  // nothing exists (after DestroyAll)

 private:
  struct Failure {
    Status status;
    bool after_effect = false;
  };
  // Records the call; returns the injected failure for it (ok when none) and whether the effect
  // should still happen.
  Status Enter(const std::string& method, const std::string& arg, bool* do_effect);
  void RemoveInstanceLocked(const std::string& instance_id);

  std::mutex listener_mu_;  // held while the listener runs
  std::function<void(const std::string&)> listener_;
  mutable std::mutex mu_;
  std::vector<std::string> calls_;
  std::map<std::string, int> call_counts_;
  std::map<std::string, std::deque<Failure>> fail_next_;
  std::map<std::string, Status> fail_always_;
  std::set<std::string> vpcs_;
  ServingProbe last_probe_;
  std::set<std::string> listening_;  // "ip:port" that ProbeServing finds serving
  std::set<std::string> images_;
  std::map<std::string, int> volumes_;              // id -> size
  std::map<std::string, int> quarantined_volumes_;  // moved aside by Recover: id -> size
  std::map<std::string, FakeNic> nics_;
  std::map<std::string, FakeInstance> instances_;
  std::map<std::string, FakeSnapshot> snapshots_;
  std::map<std::string, std::string> restored_from_;  // volume id -> snapshot id
};

}  // namespace spotkeeper::cloud
