// LinuxHostDriver: creation, VPCs, images, volumes, NICs, console, exec, RunInVpc.
// Instances are in linux_host_instances.cc, Recover and DestroyAll in linux_host_recover.cc.
#include "cloud/host/linux_host_driver.h"

#include <fcntl.h>
#include <limits.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cloud/host/crash_point.h"
#include "cloud/host/linux/base_image.h"
#include "cloud/host/linux/command_runner.h"
#include "cloud/host/linux/loop_devices.h"
#include "cloud/host/linux/mount_table.h"
#include "cloud/host/linux/netns_thread.h"
#include "common/serving_probe.h"

#ifndef SK_DEFAULT_INIT_PATH
#define SK_DEFAULT_INIT_PATH ""
#endif

namespace spotkeeper::cloud {

using linuxhost::BuildBaseImage;
using linuxhost::CloneExt4Volume;
using linuxhost::CloneMethod;
using linuxhost::CloneMethodName;
using linuxhost::CommandResult;
using linuxhost::CommandSpec;
using linuxhost::CreateExt4Volume;
using linuxhost::FindLoopDevices;
using linuxhost::HostNames;
using linuxhost::HostTools;
using linuxhost::ListLoopDevices;
using linuxhost::LoopDevice;
using linuxhost::LoopInfo;
using linuxhost::MountFs;
using linuxhost::MountTable;
using linuxhost::RunCommand;
using linuxhost::StartThreadInNetns;
using linuxhost::StoragePool;
using linuxhost::Unmount;
using linuxhost::WaitForLoopRelease;

namespace {

constexpr size_t kMaxConsoleBytes = 1 << 20;  // ConsoleOutput returns at most the last MiB
// How long an unmounted volume's loop device may take to go away before the volume counts as
// still in use.
constexpr Duration kLoopReleaseWait = std::chrono::seconds(10);

bool IsExecutable(const std::string& path) {
  struct stat st;
  return !path.empty() && stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

Result<std::string> ResolveInitPath(const std::string& configured) {
  std::vector<std::string> candidates;
  if (!configured.empty()) {
    candidates.push_back(configured);
  } else {
    if (const char* env = std::getenv("SPOTKEEPER_INIT")) candidates.push_back(env);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
      std::string exe(self, static_cast<size_t>(n));
      candidates.push_back(exe.substr(0, exe.find_last_of('/')) + "/spotkeeper-init");
    }
    candidates.push_back(SK_DEFAULT_INIT_PATH);
  }
  for (const auto& c : candidates) {
    if (IsExecutable(c)) {
      char real[PATH_MAX];
      if (realpath(c.c_str(), real) != nullptr) return std::string(real);
    }
  }
  return FailedPrecondition(
      "spotkeeper-init not found (build the spotkeeper-init target, put it beside the "
      "spotkeeper binary or set SPOTKEEPER_INIT)");
}

}  // namespace

Result<std::unique_ptr<LinuxHostDriver>> LinuxHostDriver::Create(LinuxHostDriverOptions options) {
  if (geteuid() != 0) {
    return PermissionDenied("the Linux host driver needs root (namespaces, mounts, runc)");
  }
  if (options.data_dir.empty()) return InvalidArgument("LinuxHostDriver needs a data_dir");
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return Internal("mkdir " + options.data_dir + ": " + ec.message());
  char real[PATH_MAX];
  if (realpath(options.data_dir.c_str(), real) == nullptr) {
    return Internal("realpath " + options.data_dir + ": " + std::strerror(errno));
  }
  options.data_dir = real;
  if (options.prefix.empty()) options.prefix = HostNames::DerivePrefix(options.data_dir);
  SK_RETURN_IF_ERROR(HostNames::ValidatePrefix(options.prefix));
  SK_ASSIGN_OR_RETURN(HostTools tools, HostTools::Find());
  if (access("/dev/loop-control", R_OK | W_OK) != 0) {
    return FailedPrecondition("/dev/loop-control is missing (modprobe loop)");
  }
  SK_ASSIGN_OR_RETURN(std::string init_path, ResolveInitPath(options.init_path));
  SK_ASSIGN_OR_RETURN(StoragePool pool, StoragePool::Open(options.data_dir, options.pool));

  std::unique_ptr<LinuxHostDriver> driver(new LinuxHostDriver(
      std::move(options), std::move(tools), std::move(pool), std::move(init_path)));
  SK_RETURN_IF_ERROR(driver->layout_.EnsureDirs());
  driver->clone_method_ =
      driver->pool_.reflink() ? CloneMethod::kReflink : CloneMethod::kSparseCopy;

  if (driver->options_.reap_instances && prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    return Internal(std::string("PR_SET_CHILD_SUBREAPER: ") + std::strerror(errno));
  }
  SK_ASSIGN_OR_RETURN(driver->exit_watch_, linuxhost::InitExitWatch::Create());
  spdlog::info("host driver: data dir {}, prefix {}, pool {}, volume clones by {}, init {}",
               driver->layout_.data_dir(), driver->prefix(), driver->pool_.Describe(),
               CloneMethodName(driver->clone_method_), driver->init_path_);
  return driver;
}

LinuxHostDriver::LinuxHostDriver(LinuxHostDriverOptions options, HostTools tools, StoragePool pool,
                                 std::string init_path)
    : options_(std::move(options)),
      tools_(std::move(tools)),
      names_(options_.prefix),
      pool_(std::move(pool)),
      layout_(options_.data_dir, pool_.root()),
      network_(names_, tools_),
      runc_(tools_.runc, layout_.RuncRoot()),
      init_path_(std::move(init_path)) {}

// --- VPCs and NICs

Status LinuxHostDriver::EnsureVpc(const VpcNetwork& vpc) {
  std::lock_guard<std::mutex> lock(network_mu_);
  return network_.EnsureVpc(vpc).Annotate("EnsureVpc " + vpc.vpc_id);
}

Status LinuxHostDriver::DeleteVpc(const std::string& vpc_id) {
  std::lock_guard<std::mutex> lock(network_mu_);
  return network_.DeleteVpc(vpc_id).Annotate("DeleteVpc " + vpc_id);
}

Status LinuxHostDriver::CreateNic(const NicConfig& nic) {
  std::lock_guard<std::mutex> lock(network_mu_);
  return network_.CreateNic(nic).Annotate("CreateNic " + nic.eni_id);
}

Status LinuxHostDriver::DeleteNic(const NicConfig& nic) {
  std::lock_guard<std::mutex> lock(network_mu_);
  return network_.DeleteNic(nic).Annotate("DeleteNic " + nic.eni_id);
}

Result<std::unique_ptr<VpcThread>> LinuxHostDriver::RunInVpc(const std::string& vpc_id,
                                                             std::function<void()> fn) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(vpc_id));
  return StartThreadInNetns(names_.VpcNamespace(vpc_id), std::move(fn));
}

Status LinuxHostDriver::ProbeServing(const std::string& vpc_id, const std::string& ip,
                                     const ServingProbe& probe, Duration timeout) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(vpc_id));
  Status probed;
  SK_RETURN_IF_ERROR(linuxhost::RunInNetns(names_.VpcNamespace(vpc_id), [&] {
    probed = spotkeeper::ProbeServing(ip, probe, timeout);
    return OkStatus();
  }));
  return probed;
}

// --- Images

Result<std::string> LinuxHostDriver::EnsureBaseImage(const std::string& image_id) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(image_id));
  std::lock_guard<std::mutex> lock(image_mu_);
  SK_RETURN_IF_ERROR(layout_.EnsureDirs());
  const std::string rootfs = layout_.ImageRootfs(image_id);
  std::error_code ec;
  std::filesystem::create_directories(layout_.ImagesDir() + "/" + image_id, ec);
  if (ec) return Internal("mkdir image " + image_id + ": " + ec.message());
  SK_RETURN_IF_ERROR(BuildBaseImage(rootfs).Annotate("EnsureBaseImage " + image_id));
  return rootfs;
}

// --- Volumes

std::string LinuxHostDriver::VolumeFile(const std::string& volume_id) const {
  return layout_.VolumeFile(volume_id);
}

Status LinuxHostDriver::CreateVolume(const std::string& volume_id, int size_gib) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(volume_id));
  SK_RETURN_IF_ERROR(layout_.EnsureDirs());
  const std::string file = layout_.VolumeFile(volume_id);
  if (access(file.c_str(), F_OK) == 0) return OkStatus();  // made before (idempotent)
  return CreateExt4Volume(tools_, file, size_gib).Annotate("CreateVolume " + volume_id);
}

Status LinuxHostDriver::CloneVolume(const std::string& volume_id, const std::string& source_file,
                                    int size_gib) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(volume_id));
  SK_RETURN_IF_ERROR(layout_.EnsureDirs());
  const std::string file = layout_.VolumeFile(volume_id);
  if (access(file.c_str(), F_OK) == 0) return OkStatus();
  auto start = std::chrono::steady_clock::now();
  Result<CloneMethod> method = CloneExt4Volume(tools_, source_file, file, size_gib);
  if (!method.ok()) return method.status().Annotate("CloneVolume " + volume_id);
  spdlog::info("CloneVolume {} from {}: {} in {} ms", volume_id, source_file,
               CloneMethodName(*method),
               std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count());
  return OkStatus();
}

Status LinuxHostDriver::DeleteVolume(const std::string& volume_id) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(volume_id));
  const std::string file = layout_.VolumeFile(volume_id);
  std::lock_guard<std::mutex> lock(volume_mu_);
  SK_ASSIGN_OR_RETURN(std::vector<std::string> loops, FindLoopDevices(file));
  if (!loops.empty()) {
    return FailedPrecondition("DeleteVolume " + volume_id + ": in use (" + loops.front() + ")");
  }
  for (const auto& f : {file, file + ".tmp"}) {
    if (unlink(f.c_str()) != 0 && errno != ENOENT) {
      return Internal("DeleteVolume " + volume_id + ": unlink " + f + ": " + std::strerror(errno));
    }
  }
  // Its change-tracking bases hold blocks nobody needs any more.
  return RemoveBases(volume_id).Annotate("DeleteVolume " + volume_id);
}

Result<std::string> LinuxHostDriver::WhereMounted(const std::string& volume_id) {
  SK_ASSIGN_OR_RETURN(std::vector<std::string> loops,
                      FindLoopDevices(layout_.VolumeFile(volume_id)));
  if (loops.empty()) return std::string();
  SK_ASSIGN_OR_RETURN(MountTable table, MountTable::Read());
  for (const auto& e : table.entries()) {
    for (const auto& dev : loops) {
      if (e.source == dev) return e.mount_point;
    }
  }
  return FailedPrecondition("volume " + volume_id + " is on " + loops.front() +
                            " but not mounted (being attached elsewhere?)");
}

Status LinuxHostDriver::MountVolumeAt(const std::string& volume_id,
                                      const std::string& mount_point) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(volume_id));
  const std::string file = layout_.VolumeFile(volume_id);
  if (access(file.c_str(), F_OK) != 0) return NotFound("volume " + volume_id + " has no file");
  std::lock_guard<std::mutex> lock(volume_mu_);
  Result<std::string> mounted = WhereMounted(volume_id);
  if (!mounted.ok() && mounted.status().code() == Code::kFailedPrecondition) {
    // On a loop device but not mounted: just unmounted (by us, or another process on this
    // pool) and not yet released. Give it the time a release takes.
    SK_RETURN_IF_ERROR(
        WaitForLoopRelease(file, kLoopReleaseWait).Annotate(mounted.status().message()));
    mounted = WhereMounted(volume_id);
  }
  SK_ASSIGN_OR_RETURN(std::string where, std::move(mounted));
  if (where == mount_point) return OkStatus();
  if (!where.empty()) {
    return FailedPrecondition("volume " + volume_id + " is in use (mounted at " + where + ")");
  }
  bool made_dir = mkdir(mount_point.c_str(), 0755) == 0;
  if (!made_dir && errno != EEXIST) {
    return Internal("mkdir " + mount_point + ": " + std::strerror(errno));
  }
  SK_ASSIGN_OR_RETURN(MountTable table, MountTable::Read());
  if (table.IsMountPoint(mount_point)) {
    return FailedPrecondition(mount_point + " holds another mount");
  }
  Result<LoopDevice> loop = LoopDevice::Attach(file);
  if (loop.ok()) CrashPoint("host.volume.after-loop");
  Status s = loop.status();
  if (s.ok()) s = MountFs(loop->device(), mount_point, "ext4", 0, "");
  // Closing our descriptor leaves the mount as the device's only user (autoclear).
  if (loop.ok()) loop->Close();
  if (!s.ok() && made_dir) rmdir(mount_point.c_str());
  return s;
}

Result<std::vector<std::string>> LinuxHostDriver::VolumeFilesMountedUnder(const std::string& dir) {
  SK_ASSIGN_OR_RETURN(MountTable table, MountTable::Read());
  SK_ASSIGN_OR_RETURN(std::vector<LoopInfo> loops, ListLoopDevices());
  const std::vector<std::string> below = table.Under(dir);
  std::vector<std::string> files;
  for (const auto& e : table.entries()) {
    if (std::find(below.begin(), below.end(), e.mount_point) == below.end()) continue;
    for (const auto& l : loops) {
      if (l.device == e.source && layout_.Contains(l.backing_file)) {
        files.push_back(l.backing_file);
      }
    }
  }
  return files;
}

Status LinuxHostDriver::WaitForRelease(const std::vector<std::string>& files) {
  for (const auto& f : files) SK_RETURN_IF_ERROR(WaitForLoopRelease(f, kLoopReleaseWait));
  return OkStatus();
}

Status LinuxHostDriver::UnmountVolumeAt(const std::string& mount_point) {
  SK_ASSIGN_OR_RETURN(std::vector<std::string> files, VolumeFilesMountedUnder(mount_point));
  SK_RETURN_IF_ERROR(Unmount(mount_point));
  if (rmdir(mount_point.c_str()) != 0 && errno != ENOENT) {
    return Internal("rmdir " + mount_point + ": " + std::strerror(errno));
  }
  return WaitForRelease(files);
}

// --- Console and exec

Result<std::string> LinuxHostDriver::ConsoleOutput(const std::string& instance_id) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(instance_id));
  std::ifstream in(layout_.ConsoleLog(instance_id), std::ios::binary);
  if (!in) return std::string();  // never started: no output yet, as EC2 says
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  std::streamoff from = size > static_cast<std::streamoff>(kMaxConsoleBytes)
                            ? size - static_cast<std::streamoff>(kMaxConsoleBytes)
                            : 0;
  in.seekg(from);
  std::string text(static_cast<size_t>(size - from), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

Result<int> LinuxHostDriver::Exec(const std::string& instance_id,
                                  const std::vector<std::string>& argv, bool tty) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(instance_id));
  if (argv.empty()) return InvalidArgument("Exec needs a command");
  SK_ASSIGN_OR_RETURN(RuntimeState state, GetInstanceState(instance_id));
  if (state != RuntimeState::kRunning) {
    return FailedPrecondition("instance " + instance_id + " is not running");
  }
  CommandSpec spec;
  spec.argv = runc_.ExecArgv(names_.ContainerId(instance_id), argv, tty);
  spec.inherit_stdio = true;
  spec.timeout = Duration::zero();
  SK_ASSIGN_OR_RETURN(CommandResult r, RunCommand(spec));
  return r.exit_code;
}

}  // namespace spotkeeper::cloud
