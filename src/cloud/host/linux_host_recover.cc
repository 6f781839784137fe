// LinuxHostDriver: Recover (after the cloud restarts) and DestroyAll.
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "cloud/host/linux/command_runner.h"
#include "cloud/host/linux/loop_devices.h"
#include "cloud/host/linux/mount_table.h"
#include "cloud/host/linux_host_driver.h"
#include "common/durable_file.h"

namespace spotkeeper::cloud {

using linuxhost::ContainerState;
using linuxhost::DetachLoopDevice;
using linuxhost::HostNames;
using linuxhost::LinkInfo;
using linuxhost::ListLoopDevices;
using linuxhost::LoopInfo;
using linuxhost::MountTable;
using linuxhost::PoolLayout;
using linuxhost::RunChecked;
using linuxhost::Unmount;
using linuxhost::WaitForLoopRelease;

namespace {

namespace fs = std::filesystem;

// Keeps the first error and goes on: recovery and destruction do as much as they can.
class FirstError {
 public:
  void Note(Status s) {
    if (!s.ok()) {
      spdlog::warn("host driver: {}", s.ToString());
      if (first_.ok()) first_ = std::move(s);
    }
  }
  Status Take() { return std::move(first_); }

 private:
  Status first_;
};

// Instance ids that have something under instances/<id>/ mounted.
std::set<std::string> InstancesWithMounts(const MountTable& table, const PoolLayout& layout) {
  std::set<std::string> ids;
  const std::string head = layout.InstancesDir() + "/";
  for (const auto& e : table.entries()) {
    if (e.mount_point.compare(0, head.size(), head) != 0) continue;
    std::string rest = e.mount_point.substr(head.size());
    ids.insert(rest.substr(0, rest.find('/')));
  }
  return ids;
}

const std::vector<std::string> kCgroupHierarchies = {
    "cpu",     "cpuacct",  "cpuset",     "memory",  "devices", "freezer", "blkio",   "pids",
    "net_cls", "net_prio", "perf_event", "hugetlb", "rdma",    "misc",    "systemd", "unified"};

}  // namespace

Status LinuxHostDriver::RecoverInstances(const HostInventory& expected) {
  FirstError errors;
  const std::set<std::string> should_run(expected.running_instances.begin(),
                                         expected.running_instances.end());
  std::set<std::string> keep;  // expected to run and found with a container
  SK_ASSIGN_OR_RETURN(std::vector<ContainerState> containers, runc_.List());
  for (const auto& c : containers) {
    auto id = names_.InstanceIdFromContainer(c.id);
    if (!id) continue;
    if (should_run.count(*id)) {
      // Running: adopted as it is. Stopped (its workload ended, or the host rebooted): left
      // for the engine to see as kStopped and stop.
      keep.insert(*id);
      if (c.status == "running") {
        RememberInit(*id, c.pid);
        WatchInit(*id, c.pid, /*verify=*/true);  // not this process's child any more
      }
      continue;
    }
    errors.Note(TeardownInstance(*id, Duration::zero()));  // not the cloud's: a half-made one
  }
  // Namespaces and mounts of instances without a container: a start that crashed before
  // `runc run`, or a stop that crashed after `runc delete`.
  std::set<std::string> leftovers;
  SK_ASSIGN_OR_RETURN(std::vector<std::string> namespaces, network_.ListOurNamespaces());
  for (const auto& ns : namespaces) {
    if (auto id = names_.InstanceIdFromNamespace(ns); id && !keep.count(*id)) leftovers.insert(*id);
  }
  SK_ASSIGN_OR_RETURN(MountTable table, MountTable::Read());
  for (const auto& id : InstancesWithMounts(table, layout_)) {
    if (!keep.count(id)) leftovers.insert(id);
  }
  for (const auto& id : leftovers) errors.Note(TeardownInstance(id, Duration::zero()));

  // Attachments of the instances that run: mount what the cloud says is attached (a crash
  // mid-AttachVolume), unmount what it does not (a crash mid-DetachVolume).
  std::map<std::string, std::map<std::string, std::string>> want;  // id → mount point → volume
  for (const auto& [id, m] : expected.attachments) {
    Result<std::string> mp = layout_.VolumeMountPoint(id, m.device);
    if (mp.ok()) want[id][*mp] = m.volume_id;
  }
  for (const auto& id : keep) {
    Result<RuntimeState> state = GetInstanceState(id);
    if (!state.ok() || *state != RuntimeState::kRunning) continue;
    SK_ASSIGN_OR_RETURN(MountTable now, MountTable::Read());
    const std::string mnt_head = layout_.MntDir(id) + "/";
    for (const auto& e : now.entries()) {
      if (e.mount_point.compare(0, mnt_head.size(), mnt_head) != 0) continue;
      if (!want[id].count(e.mount_point)) errors.Note(UnmountVolumeAt(e.mount_point));
    }
    for (const auto& [mp, volume_id] : want[id]) {
      errors.Note(MountVolumeAt(volume_id, mp).Annotate("re-attach " + volume_id));
    }
  }
  return errors.Take();
}

Status LinuxHostDriver::RecoverNetwork(const HostInventory& expected) {
  FirstError errors;
  std::set<std::string> vpcs;
  for (const auto& v : expected.vpcs) vpcs.insert(v.vpc_id);
  SK_ASSIGN_OR_RETURN(std::vector<std::string> namespaces, network_.ListOurNamespaces());
  for (const auto& ns : namespaces) {
    auto vpc_id = names_.VpcIdFromNamespace(ns);
    if (vpc_id && !vpcs.count(*vpc_id)) errors.Note(DeleteVpc(*vpc_id));
  }
  for (const auto& v : expected.vpcs) errors.Note(EnsureVpc(v));  // e.g. lost at a reboot

  std::set<std::string> enis;
  for (const auto& n : expected.nics) enis.insert(n.eni_id);
  for (const auto& v : expected.vpcs) {
    const std::string ns = names_.VpcNamespace(v.vpc_id);
    if (!network_.NamespaceExists(ns)) continue;
    Result<std::vector<LinkInfo>> links = network_.ListLinks(ns);
    if (!links.ok()) {
      errors.Note(links.status());
      continue;
    }
    for (const auto& l : *links) {
      if (!names_.IsOurBridgeEnd(l.name)) continue;
      auto ids = HostNames::ParseNicAlias(l.alias);
      if (ids && enis.count(ids->first)) continue;
      // An ENI the cloud does not know (or a half-made one): remove the pair.
      Status s = network_.Batch(ns, {"link del " + l.name});
      errors.Note(s.Annotate("remove leftover interface " + l.name));
    }
  }
  for (const auto& n : expected.nics) errors.Note(CreateNic(n));  // no-op when it exists
  return errors.Take();
}

Status LinuxHostDriver::Quarantine(const std::string& name) {
  const std::string dir = layout_.QuarantineDir();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Internal("mkdir " + dir + ": " + ec.message());
  const std::string from = layout_.VolumesDir() + "/" + name;
  std::string to = dir + "/" + name;
  for (int n = 1; fs::exists(to, ec); ++n) to = dir + "/" + name + "." + std::to_string(n);
  if (rename(from.c_str(), to.c_str()) != 0) {
    return Internal("move " + from + " aside to " + to + ": " + strerror(errno));
  }
  // Durably moved: after a power loss the file is in one place or the other, never neither.
  SK_RETURN_IF_ERROR(FsyncDirectory(dir));
  SK_RETURN_IF_ERROR(FsyncDirectory(layout_.VolumesDir()));
  spdlog::warn(
      "host driver: volume file {} is unknown to the cloud's database; moved it to {} (nothing "
      "was deleted: restore the database, or remove the file once it is not needed)",
      from, to);
  return OkStatus();
}

Status LinuxHostDriver::RecoverVolumes(const HostInventory& expected) {
  FirstError errors;
  SK_ASSIGN_OR_RETURN(std::vector<LoopInfo> loops, ListLoopDevices());
  SK_ASSIGN_OR_RETURN(MountTable table, MountTable::Read());
  std::set<std::string> mounted_devices;
  for (const auto& e : table.entries()) mounted_devices.insert(e.source);
  std::set<std::string> in_use;  // files on a loop device that is mounted
  for (const auto& l : loops) {
    if (!layout_.Contains(l.backing_file)) continue;
    if (mounted_devices.count(l.device)) {
      in_use.insert(l.backing_file);
    } else {
      errors.Note(DetachLoopDevice(l.device));  // attached, never mounted: a crash in between
    }
  }
  // Files of volumes the cloud knows stay. A ".tmp" is half-made by construction (a volume
  // file appears only by rename): it goes. Anything else is data the cloud does not know (a
  // lost or rolled-back cloud database must not wipe stateful data): moved aside, reported.
  std::set<std::string> known(expected.volumes.begin(), expected.volumes.end());
  known.insert(expected.other_volumes.begin(), expected.other_volumes.end());
  std::error_code ec;
  std::vector<std::string> unknown;
  for (const auto& e : fs::directory_iterator(layout_.VolumesDir(), ec)) {
    if (!e.is_regular_file(ec)) continue;  // the quarantine directory, ...
    const std::string path = e.path().string();
    const std::string name = e.path().filename().string();
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0) {
      if (in_use.count(path)) continue;
      if (unlink(path.c_str()) != 0 && errno != ENOENT) {
        errors.Note(Internal("unlink " + path + ": " + strerror(errno)));
      }
      continue;
    }
    std::string id;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".img") == 0) {
      id = name.substr(0, name.size() - 4);
    }
    if (!id.empty() && known.count(id)) continue;
    if (in_use.count(path)) {
      errors.Note(
          FailedPrecondition("volume file " + path + " is unknown to the cloud but mounted"));
      continue;
    }
    unknown.push_back(name);
  }
  for (const auto& name : unknown) errors.Note(Quarantine(name));
  for (const auto& id : expected.volumes) {
    if (access(layout_.VolumeFile(id).c_str(), F_OK) != 0) {
      errors.Note(NotFound("volume " + id + " has no file " + layout_.VolumeFile(id)));
    }
  }
  for (const auto& e : fs::directory_iterator(layout_.ImagesDir(), ec)) {
    for (const auto& sub : fs::directory_iterator(e.path(), ec)) {
      const std::string n = sub.path().filename().string();
      if (n.size() > 4 && n.compare(n.size() - 4, 4, ".tmp") == 0) fs::remove_all(sub.path(), ec);
    }
  }
  return errors.Take();
}

Status LinuxHostDriver::Recover(const HostInventory& expected) {
  SK_RETURN_IF_ERROR(pool_.EnsureMounted().Annotate("recover storage pool"));  // e.g. a reboot
  SK_RETURN_IF_ERROR(layout_.EnsureDirs());
  FirstError errors;
  // Instances first (their teardown parks ENIs), then networks, then volumes (which must be
  // unmounted by then to be removable).
  errors.Note(RecoverInstances(expected).Annotate("recover instances"));
  errors.Note(RecoverNetwork(expected).Annotate("recover network"));
  errors.Note(RecoverVolumes(expected).Annotate("recover volumes"));
  errors.Note(RecoverSnapshots(expected).Annotate("recover snapshots"));
  return errors.Take();
}

Status LinuxHostDriver::DestroyAll() {
  FirstError errors;
  std::error_code ec;
  if (fs::exists(layout_.RuncRoot(), ec)) {
    Result<std::vector<ContainerState>> containers = runc_.List();
    errors.Note(containers.status());
    if (containers.ok()) {
      for (const auto& c : *containers) {
        if (!names_.InstanceIdFromContainer(c.id)) continue;
        errors.Note(StopContainer(*names_.InstanceIdFromContainer(c.id), Duration::zero()));
      }
    }
  }
  Result<std::vector<std::string>> namespaces = network_.ListOurNamespaces();
  errors.Note(namespaces.status());
  if (namespaces.ok()) {
    // Instances first: their namespaces hold ENIs whose other ends are in the VPCs.
    for (bool instances : {true, false}) {
      for (const auto& ns : *namespaces) {
        if (names_.InstanceIdFromNamespace(ns).has_value() != instances) continue;
        Result<std::string> r = RunChecked({tools_.ip, "netns", "del", ns});
        errors.Note(r.status());
      }
    }
  }
  // Mounts below the owned directories (not the data dir itself: it may be a mount, such as a
  // loop-mounted reflink pool).
  for (const auto& dir : layout_.OwnedDirs()) {
    Result<MountTable> table = MountTable::Read();
    errors.Note(table.status());
    if (!table.ok()) break;
    for (const auto& mp : table->Under(dir)) {
      Status s = Unmount(mp);
      if (s.code() == Code::kFailedPrecondition) {
        // Busy, and everything is going away: detach it lazily.
        s = umount2(mp.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0
                ? OkStatus()
                : Internal("lazy unmount " + mp + ": " + std::strerror(errno));
      }
      errors.Note(s);
    }
  }
  Result<std::vector<LoopInfo>> loops = ListLoopDevices();
  errors.Note(loops.status());
  if (loops.ok()) {
    for (const auto& l : *loops) {
      if (!layout_.Contains(l.backing_file)) continue;
      if (l.backing_file == pool_.ImagePath()) continue;  // the pool goes last, below
      errors.Note(DetachLoopDevice(l.device));
      errors.Note(WaitForLoopRelease(l.backing_file, std::chrono::seconds(10)));
    }
  }
  // runc removes its cgroups at delete; these are what a crash in between left.
  for (const auto& h : kCgroupHierarchies) {
    for (const auto& e : fs::directory_iterator("/sys/fs/cgroup/" + h, ec)) {
      std::string name = e.path().filename().string();
      if (e.is_directory(ec) && names_.InstanceIdFromContainer(name)) rmdir(e.path().c_str());
    }
  }
  // Files last, and only when nothing is mounted below them any more.
  Result<MountTable> table = MountTable::Read();
  errors.Note(table.status());
  bool clear = table.ok();
  for (const auto& dir : layout_.OwnedDirs()) {
    if (table.ok() && !table->Under(dir).empty()) {
      clear = false;
      errors.Note(FailedPrecondition("still mounted below " + dir + ": " + table->Under(dir)[0]));
    }
  }
  if (clear) {
    for (const auto& dir : layout_.OwnedDirs()) {
      fs::remove_all(dir, ec);
      if (ec) errors.Note(Internal("remove " + dir + ": " + ec.message()));
    }
    // The pool image, once nothing in it is used any more.
    errors.Note(pool_.Unmount(/*remove_image=*/true).Annotate("storage pool"));
  }
  {
    std::lock_guard<std::mutex> lock(pids_mu_);
    init_pids_.clear();
  }
  return errors.Take().Annotate("DestroyAll");
}

}  // namespace spotkeeper::cloud
