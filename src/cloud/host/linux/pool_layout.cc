#include "cloud/host/linux/pool_layout.h"

#include <filesystem>
#include <system_error>

#include "cloud/host/linux/host_names.h"

namespace spotkeeper::cloud::linuxhost {

std::string PoolLayout::VolumeFile(const std::string& volume_id) const {
  return VolumesDir() + "/" + volume_id + ".img";
}
std::string PoolLayout::CaptureFile(const std::string& snapshot_id) const {
  return CapturesDir() + "/" + snapshot_id + ".img";
}
std::string PoolLayout::CaptureSidecar(const std::string& snapshot_id) const {
  return CapturesDir() + "/" + snapshot_id + ".json";
}
std::string PoolLayout::BaseDir(const std::string& volume_id) const {
  return BasesDir() + "/" + volume_id;
}
std::string PoolLayout::BaseFile(const std::string& volume_id,
                                 const std::string& snapshot_id) const {
  return BaseDir(volume_id) + "/" + snapshot_id + ".img";
}
std::string PoolLayout::ImageRootfs(const std::string& image_id) const {
  return ImagesDir() + "/" + image_id + "/rootfs";
}
std::string PoolLayout::InstanceDir(const std::string& instance_id) const {
  return InstancesDir() + "/" + instance_id;
}
std::string PoolLayout::BundleDir(const std::string& instance_id) const {
  return InstanceDir(instance_id) + "/bundle";
}
std::string PoolLayout::RootfsDir(const std::string& instance_id) const {
  return BundleDir(instance_id) + "/rootfs";
}
std::string PoolLayout::RootVolumeMount(const std::string& instance_id) const {
  return InstanceDir(instance_id) + "/rootvol";
}
std::string PoolLayout::MntDir(const std::string& instance_id) const {
  return InstanceDir(instance_id) + "/mnt";
}
Result<std::string> PoolLayout::VolumeMountPoint(const std::string& instance_id,
                                                 const std::string& device) const {
  std::string base = device.substr(device.find_last_of('/') + 1);
  if (!HostNames::ValidateId(base).ok()) {
    return InvalidArgument("not a usable device name: '" + device + "'");
  }
  return MntDir(instance_id) + "/" + base;
}
std::string PoolLayout::UserDataFile(const std::string& instance_id) const {
  return InstanceDir(instance_id) + "/user-data";
}
std::string PoolLayout::ConsoleLog(const std::string& instance_id) const {
  return InstanceDir(instance_id) + "/console.log";
}
std::string PoolLayout::RuncErrFile(const std::string& instance_id) const {
  return InstanceDir(instance_id) + "/runc.err";
}
std::string PoolLayout::RuncLogFile(const std::string& instance_id) const {
  return InstanceDir(instance_id) + "/runc.log";
}

std::vector<std::string> PoolLayout::OwnedDirs() const {
  return {VolumesDir(),   CapturesDir(), BasesDir(),        ImagesDir(),
          InstancesDir(), RuncRoot(),    SnapshotStoreDir()};
}

Status PoolLayout::EnsureDirs() const {
  for (const auto& dir : OwnedDirs()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Internal("mkdir " + dir + ": " + ec.message());
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
    if (ec) return Internal("chmod " + dir + ": " + ec.message());
  }
  return OkStatus();
}

bool PoolLayout::Contains(const std::string& path) const {
  if (path == data_dir_) return true;
  return path.size() > data_dir_.size() && path.compare(0, data_dir_.size(), data_dir_) == 0 &&
         path[data_dir_.size()] == '/';
}

}  // namespace spotkeeper::cloud::linuxhost
