// The OCI runtime spec (bundle/config.json) of an instance: PID 1 is spotkeeper-init, the root
// is the overlay mounted at bundle/rootfs, the host's /usr is bound read-only, the instance's
// /mnt is a bind of instances/<id>/mnt that receives mounts made there later (rslave), the
// network namespace is the one made beforehand, and cgroup limits come from the instance type.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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
  // Host path of a copy of ping without file capabilities, bound over /usr/bin/ping; "" none.
  std::string ping_binary;
  int vcpus = 1;
  int64_t memory_mib = 1024;
  // RLIMIT_NOFILE (soft = hard) of the instance's processes; cannot exceed the caller's hard
  // limit unless the caller may raise it.
  uint64_t max_open_files = 65536;
};

inline constexpr const char* kInitPathInInstance = "/run/spotkeeper/init";
inline constexpr const char* kUserDataPathInInstance = "/run/spotkeeper/user-data";

// Without CAP_NET_RAW (no packets written by hand), with net.ipv4.ping_group_range open (ping
// uses ICMP datagram sockets instead), and with a seccomp filter that answers EPERM to the
// system calls of SeccompBlockedSyscalls(), to unshare/clone with CLONE_NEWUSER, and ENOSYS to
// clone3 (see runc_spec.cc).
nlohmann::json BuildRuncSpec(const RuncSpecInput& in);

// The names the seccomp filter blocks whatever their arguments.
const std::vector<std::string>& SeccompBlockedSyscalls();

}  // namespace spotkeeper::cloud::linuxhost
