// The OCI runtime spec (bundle/config.json) of an instance: PID 1 is spotkeeper-init, the root
// is the overlay mounted at bundle/rootfs, the host's /usr is bound read-only, the instance's
// /mnt is a bind of instances/<id>/mnt that receives mounts made there later (rslave), the
// network namespace is the one made beforehand, and cgroup limits come from the instance type.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace spotkeeper::cloud::linuxhost {

struct RuncSpecInput {
  std::string instance_id;
  std::string hostname;
  std::string rootfs;          // absolute: the overlay mount point
  std::string netns_path;      // /run/netns/<name>
  std::string cgroups_path;    // /<prefix>-<instance id>
  std::string init_binary;     // host path of spotkeeper-init (bound at /run/spotkeeper/init)
  std::string user_data_file;  // host path (bound read-only at /run/spotkeeper/user-data)
  std::string mnt_dir;         // host path of instances/<id>/mnt (bound at /mnt)
  int vcpus = 1;
  int64_t memory_mib = 1024;
  // RLIMIT_NOFILE (soft = hard) of the instance's processes; cannot exceed the caller's hard
  // limit unless the caller may raise it.
  uint64_t max_open_files = 65536;
};

inline constexpr const char* kInitPathInInstance = "/run/spotkeeper/init";
inline constexpr const char* kUserDataPathInInstance = "/run/spotkeeper/user-data";

nlohmann::json BuildRuncSpec(const RuncSpecInput& in);

}  // namespace spotkeeper::cloud::linuxhost
