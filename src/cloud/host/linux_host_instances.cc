// LinuxHostDriver: instances (start, stop, state, volume attachments).
#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cloud/host/crash_point.h"
#include "cloud/host/linux/mount_table.h"
#include "cloud/host/linux/runc_spec.h"
#include "cloud/host/linux/unique_fd.h"
#include "cloud/host/linux_host_driver.h"

namespace spotkeeper::cloud {

using linuxhost::BuildRuncSpec;
using linuxhost::ContainerState;
using linuxhost::HostNames;
using linuxhost::MakeSharedMountPoint;
using linuxhost::MountFs;
using linuxhost::MountTable;
using linuxhost::RuncSpecInput;
using linuxhost::UniqueFd;
using linuxhost::UnmountTree;

namespace {

constexpr Duration kKillWait = std::chrono::seconds(10);

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

Status MakeDir(const std::string& dir, mode_t mode) {
  if (mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) return Internal(Errno("mkdir " + dir));
  return OkStatus();
}

Status WriteFileAtomically(const std::string& path, const std::string& text, mode_t mode) {
  const std::string tmp = path + ".tmp";
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) return Internal(Errno("create " + tmp));
  for (size_t done = 0; done < text.size();) {
    ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Internal(Errno("write " + tmp));
    done += static_cast<size_t>(n);
  }
  if (fchmod(fd.get(), mode) != 0) return Internal(Errno("chmod " + tmp));
  fd.reset();
  if (rename(tmp.c_str(), path.c_str()) != 0) return Internal(Errno("rename " + tmp));
  return OkStatus();
}

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.size() > 2000) text = text.substr(text.size() - 2000);
  return text;
}

// Waits until process `pid` has exited (or is a zombie), up to `timeout`. A pidfd becomes
// readable at exit: no polling interval, no sleeps.
bool WaitForExit(int pid, Duration timeout) {
  if (pid <= 0) return true;
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd.valid()) return errno == ESRCH;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p = {pidfd.get(), POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

bool IsLive(const ContainerState& st) {
  return st.status == "running" || st.status == "paused" || st.status == "created";
}

// A SIGTERM sent right after `runc run -d` returned can be lost, and the whole grace period
// wasted: PID 1 may still be runc's own init (comm "runc:[2:INIT]", whose Go runtime takes
// the signal and then execs the instance's init), or the instance's init before its
// sigaction (PID 1 of a PID namespace drops signals from outside it has no handler for).
// Waits (polling /proc/<pid>/status) until `pid` is no longer runc's init and catches
// SIGTERM, at most `timeout`; false when it never did.
bool WaitForSigtermHandler(int pid, Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string path = "/proc/";  // appended: GCC 12's -Wrestrict misfires on "..." + string
  path += std::to_string(pid);
  path += "/status";
  while (true) {  // bounded by the deadline
    std::ifstream in(path);
    if (!in) return false;  // gone
    std::string line;
    bool runc_init = false;
    while (std::getline(in, line)) {
      if (line.rfind("Name:", 0) == 0) runc_init = line.find("runc") != std::string::npos;
      if (line.rfind("SigCgt:", 0) == 0) {
        uint64_t caught = std::strtoull(line.c_str() + 7, nullptr, 16);
        if (!runc_init && ((caught >> (SIGTERM - 1)) & 1u)) return true;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// A copy of the host's ping in `dir` without its file capability (copies leave extended
// attributes behind), for instances that have no CAP_NET_RAW (runc_spec.h); "" when the host
// has no ping.
Result<std::string> CopyPingWithoutCapabilities(const std::string& dir) {
  const std::string host_ping = "/usr/bin/ping";
  std::error_code ec;
  if (!std::filesystem::exists(host_ping, ec)) return std::string();
  const std::string copy = dir + "/ping";
  std::filesystem::copy_file(host_ping, copy, std::filesystem::copy_options::overwrite_existing,
                             ec);
  if (ec) return Internal("copy " + host_ping + " to " + copy + ": " + ec.message());
  return copy;
}

}  // namespace

void LinuxHostDriver::RememberInit(const std::string& instance_id, int pid) {
  std::lock_guard<std::mutex> lock(pids_mu_);
  if (pid > 0) init_pids_[instance_id] = pid;
}

void LinuxHostDriver::ReapInit(const std::string& instance_id) {
  std::lock_guard<std::mutex> lock(pids_mu_);
  auto it = init_pids_.find(instance_id);
  if (it == init_pids_.end()) return;
  pid_t r = waitpid(it->second, nullptr, WNOHANG);
  if (r == it->second || (r < 0 && errno == ECHILD)) init_pids_.erase(it);
}

void LinuxHostDriver::WatchInit(const std::string& instance_id, int pid, bool verify) {
  if (pid <= 0) return;
  Status s = exit_watch_->Watch(instance_id, pid);
  if (s.ok() && verify) {
    Result<int> now = InstancePid(instance_id);
    // The pidfd may name another process: watch the init runc names now, if any (one that
    // has exited meanwhile is left to the engine's periodic pass).
    if (now.ok() && *now != pid) {
      exit_watch_->Forget(instance_id);
      s = *now > 0 ? exit_watch_->Watch(instance_id, *now) : OkStatus();
    }
  }
  if (!s.ok()) spdlog::warn("watch the init of {}: {}", instance_id, s.ToString());
}

void LinuxHostDriver::SetExitListener(std::function<void(const std::string&)> listener) {
  exit_watch_->SetListener(std::move(listener));
}

Result<int> LinuxHostDriver::InstancePid(const std::string& instance_id) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(instance_id));
  Result<ContainerState> st = runc_.State(names_.ContainerId(instance_id));
  if (!st.ok()) return st.status().code() == Code::kNotFound ? Result<int>(0) : st.status();
  return st->status == "running" ? st->pid : 0;
}

Result<RuntimeState> LinuxHostDriver::GetInstanceState(const std::string& instance_id) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(instance_id));
  Result<ContainerState> st = runc_.State(names_.ContainerId(instance_id));
  if (!st.ok()) {
    if (st.status().code() == Code::kNotFound) return RuntimeState::kMissing;
    return st.status();
  }
  if (st->status == "running" || st->status == "paused") return RuntimeState::kRunning;
  ReapInit(instance_id);
  return RuntimeState::kStopped;  // exited by itself, or "created" by a start that crashed
}

Status LinuxHostDriver::PrepareRootfs(const InstanceConfig& config) {
  const std::string& id = config.instance_id;
  const std::string rootvol = layout_.RootVolumeMount(id);
  SK_RETURN_IF_ERROR(MountVolumeAt(config.root_volume_id, rootvol));
  SK_RETURN_IF_ERROR(MakeDir(rootvol + "/upper", 0755));
  SK_RETURN_IF_ERROR(MakeDir(rootvol + "/work", 0700));
  const std::string rootfs = layout_.RootfsDir(id);
  SK_ASSIGN_OR_RETURN(MountTable table, MountTable::Read());
  if (!table.IsMountPoint(rootfs)) {
    // index=off: the upper layer may later meet a copy of its lower layer (a restored image)
    // or come from a cloned volume; nothing to verify across those.
    SK_RETURN_IF_ERROR(MountFs("overlay", rootfs, "overlay", 0,
                               "lowerdir=" + config.image_rootfs + ",upperdir=" + rootvol +
                                   "/upper,workdir=" + rootvol + "/work,index=off"));
  }
  return OkStatus();
}

Status LinuxHostDriver::StartInstance(const InstanceConfig& config) {
  const std::string& id = config.instance_id;
  SK_RETURN_IF_ERROR(HostNames::ValidateId(id));
  SK_RETURN_IF_ERROR(HostNames::ValidateId(config.root_volume_id));
  if (config.vcpus < 1 || config.memory_mib < 16) {
    return InvalidArgument("StartInstance " + id + ": needs >= 1 vCPU and >= 16 MiB");
  }
  std::error_code ec;
  // The path goes into overlayfs's option string, where ',' and ':' separate things.
  if (config.image_rootfs.empty() || config.image_rootfs.find_first_of(",:") != std::string::npos ||
      !std::filesystem::is_directory(config.image_rootfs, ec)) {
    return FailedPrecondition("StartInstance " + id + ": no image at '" + config.image_rootfs +
                              "'");
  }
  const std::string cid = names_.ContainerId(id);
  Result<ContainerState> existing = runc_.State(cid);
  if (existing.ok() && (existing->status == "running" || existing->status == "paused")) {
    return OkStatus();  // started before (idempotent)
  }
  if (existing.ok() || existing.status().code() != Code::kNotFound) {
    // A container that stopped, or a start that crashed half-way: begin from a clean slate.
    SK_RETURN_IF_ERROR(TeardownInstance(id, Duration::zero()));
  }
  SK_RETURN_IF_ERROR(layout_.EnsureDirs());

  auto start = [&]() -> Status {
    const std::string dir = layout_.InstanceDir(id);
    SK_RETURN_IF_ERROR(MakeDir(dir, 0700));
    SK_RETURN_IF_ERROR(MakeDir(layout_.BundleDir(id), 0700));
    SK_RETURN_IF_ERROR(MakeDir(layout_.RootfsDir(id), 0755));
    SK_RETURN_IF_ERROR(MakeDir(layout_.RootVolumeMount(id), 0700));
    SK_RETURN_IF_ERROR(MakeDir(layout_.MntDir(id), 0755));
    SK_RETURN_IF_ERROR(PrepareRootfs(config));
    SK_RETURN_IF_ERROR(MakeSharedMountPoint(layout_.MntDir(id)));
    for (const auto& v : config.volumes) {
      SK_ASSIGN_OR_RETURN(std::string mp, layout_.VolumeMountPoint(id, v.device));
      SK_RETURN_IF_ERROR(MountVolumeAt(v.volume_id, mp).Annotate("volume " + v.volume_id));
    }
    SK_RETURN_IF_ERROR(WriteFileAtomically(layout_.UserDataFile(id), config.user_data, 0700));
    SK_RETURN_IF_ERROR(network_.EnsureInstanceNamespace(id));
    if (!config.primary_nic.eni_id.empty()) {
      SK_RETURN_IF_ERROR(network_.MoveNicIn(id, config.primary_nic));
    }
    RuncSpecInput spec;
    spec.instance_id = id;
    spec.hostname = config.hostname;
    spec.rootfs = layout_.RootfsDir(id);
    spec.netns_path = "/run/netns/" + names_.InstanceNamespace(id);
    spec.cgroups_path = names_.CgroupPath(id);
    spec.init_binary = init_path_;
    spec.user_data_file = layout_.UserDataFile(id);
    spec.mnt_dir = layout_.MntDir(id);
    SK_ASSIGN_OR_RETURN(spec.ping_binary, CopyPingWithoutCapabilities(dir));
    spec.vcpus = config.vcpus;
    spec.memory_mib = config.memory_mib;
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_max != RLIM_INFINITY) {
      spec.max_open_files = std::min<uint64_t>(spec.max_open_files, nofile.rlim_max);
    }
    SK_RETURN_IF_ERROR(WriteFileAtomically(layout_.BundleDir(id) + "/config.json",
                                           BuildRuncSpec(spec).dump(2), 0600));
    UniqueFd console(
        open(layout_.ConsoleLog(id).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (!console.valid()) return Internal(Errno("open console log"));
    UniqueFd err(
        open(layout_.RuncErrFile(id).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!err.valid()) return Internal(Errno("open runc.err"));
    CrashPoint("host.instance.before-runc");
    Status run = runc_.RunDetached(cid, layout_.BundleDir(id), console.get(), err.get(),
                                   layout_.RuncLogFile(id));
    if (!run.ok()) return run.Annotate(ReadSmallFile(layout_.RuncErrFile(id)));
    Result<int> pid = InstancePid(id);
    if (pid.ok()) {
      RememberInit(id, *pid);
      WatchInit(id, *pid, /*verify=*/!options_.reap_instances);
    }
    return OkStatus();
  };
  Status s = start();
  if (!s.ok()) {
    Status undo = TeardownInstance(id, Duration::zero());
    if (!undo.ok()) spdlog::warn("StartInstance {}: undo failed: {}", id, undo.ToString());
    return s.Annotate("StartInstance " + id);
  }
  return OkStatus();
}

Status LinuxHostDriver::StopContainer(const std::string& instance_id, Duration grace) {
  // A stop asked for is no exit to report.
  exit_watch_->Forget(instance_id);
  const std::string cid = names_.ContainerId(instance_id);
  Result<ContainerState> st = runc_.State(cid);
  if (!st.ok()) return st.status().code() == Code::kNotFound ? OkStatus() : st.status();
  if (IsLive(*st)) {
    RememberInit(instance_id, st->pid);
    bool exited = false;
    if (grace.count() > 0) {
      WaitForSigtermHandler(st->pid, std::min<Duration>(grace, std::chrono::seconds(1)));
      SK_RETURN_IF_ERROR(runc_.Kill(cid, "TERM"));
      exited = WaitForExit(st->pid, grace);
    }
    if (!exited) {
      SK_RETURN_IF_ERROR(runc_.Kill(cid, "KILL"));
      if (!WaitForExit(st->pid, kKillWait)) {
        return DeadlineExceeded("instance " + instance_id + " survived SIGKILL");
      }
    }
  }
  ReapInit(instance_id);
  return runc_.Delete(cid);
}

Status LinuxHostDriver::TeardownInstance(const std::string& instance_id, Duration grace) {
  // The container first: nothing below can be undone while it runs.
  SK_RETURN_IF_ERROR(StopContainer(instance_id, grace));
  Status first;
  auto note = [&first](Status s) {
    if (!s.ok() && first.ok()) first = std::move(s);
  };
  // The volume files mounted for it, to wait for their loop devices at the end.
  Result<std::vector<std::string>> files =
      VolumeFilesMountedUnder(layout_.InstanceDir(instance_id));
  if (!files.ok()) return files.status().Annotate("teardown " + instance_id);
  const std::string mnt = layout_.MntDir(instance_id);
  note(UnmountTree(mnt));  // the volumes, then the shared bind itself
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(mnt, ec)) {
    rmdir(e.path().c_str());  // mount points exist only while attached; keeps non-empty dirs
  }
  note(network_.DeleteInstanceNamespace(instance_id));
  // Overlay, then the root volume under it (UnmountTree goes deepest first).
  note(UnmountTree(layout_.InstanceDir(instance_id)));
  if (first.ok()) note(WaitForRelease(*files));
  return first.ok() ? OkStatus() : first.Annotate("teardown " + instance_id);
}

Status LinuxHostDriver::StopInstance(const std::string& instance_id, Duration grace) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(instance_id));
  return TeardownInstance(instance_id, grace).Annotate("StopInstance " + instance_id);
}

Status LinuxHostDriver::AttachVolume(const std::string& instance_id, const VolumeMount& m) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(instance_id));
  SK_ASSIGN_OR_RETURN(std::string mp, layout_.VolumeMountPoint(instance_id, m.device));
  SK_ASSIGN_OR_RETURN(RuntimeState state, GetInstanceState(instance_id));
  if (state != RuntimeState::kRunning) {
    return FailedPrecondition("AttachVolume: instance " + instance_id + " is not running");
  }
  return MountVolumeAt(m.volume_id, mp).Annotate("AttachVolume " + m.volume_id);
}

Status LinuxHostDriver::DetachVolume(const std::string& instance_id, const VolumeMount& m) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(instance_id));
  SK_RETURN_IF_ERROR(HostNames::ValidateId(m.volume_id));
  SK_ASSIGN_OR_RETURN(std::string mp, layout_.VolumeMountPoint(instance_id, m.device));
  std::lock_guard<std::mutex> lock(volume_mu_);
  SK_ASSIGN_OR_RETURN(std::string where, WhereMounted(m.volume_id));
  if (where.empty()) {
    SK_ASSIGN_OR_RETURN(MountTable table, MountTable::Read());
    if (table.IsMountPoint(mp)) {
      return FailedPrecondition("DetachVolume: another volume is mounted at " + m.device);
    }
    rmdir(mp.c_str());  // a mount point left by a crash after the unmount
    return OkStatus();
  }
  if (where != mp) {
    return FailedPrecondition("DetachVolume: " + m.volume_id + " is mounted at " + where +
                              ", not at " + mp);
  }
  return UnmountVolumeAt(mp).Annotate("DetachVolume " + m.volume_id);
}

}  // namespace spotkeeper::cloud
