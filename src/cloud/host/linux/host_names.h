// HostNames: how LinuxHostDriver names every object it makes on the host, derived only from
// the pool's prefix and the cloud's ids, so that another process opening the same pool finds
// the same objects and a prefix selects exactly one pool's objects.
//
//   network namespace of a VPC        <prefix>-v-<vpc id>         sk1a2b-v-vpc-0abc
//   network namespace of an instance  <prefix>-i-<instance id>    sk1a2b-i-i-0123
//   runc container                    <prefix>-<instance id>      sk1a2b-i-0123
//   cgroup (every v1 hierarchy)       /<prefix>-<instance id>
//   bridge (inside the VPC namespace) <prefix>-br
//   ENI, bridge end (VPC namespace)   <prefix>b<h>                sk1a2bb1f2e3d4c
//   ENI, instance end                 <prefix>e<h>  (eth0 while inside an instance)
// where <h> is the FNV-1a 32-bit hash of the ENI id in 8 lowercase hex digits: a prefix of at
// most 6 characters keeps interface names within Linux's 15. Both ends of an ENI carry the
// alias "<eni id> <vpc id>" (IFLA_IFALIAS), which maps an interface back to its ENI (and shows
// hash collisions, refused at CreateNic).
#pragma once

#include <optional>
#include <string>

#include "common/status.h"

namespace spotkeeper::cloud::linuxhost {

class HostNames {
 public:
  // 2 to 6 characters, [a-z][a-z0-9]*: no '-', so "<prefix>-" never matches another prefix.
  static Status ValidatePrefix(const std::string& prefix);
  // Ids become parts of paths and names: [A-Za-z0-9][A-Za-z0-9._-]{0,63}, no "..".
  static Status ValidateId(const std::string& id);
  // "sk" + 4 base-36 characters of a hash of the (canonical) data directory.
  static std::string DerivePrefix(const std::string& data_dir);
  static uint32_t Fnv1a32(const std::string& s);

  explicit HostNames(std::string prefix) : prefix_(std::move(prefix)) {}

  const std::string& prefix() const { return prefix_; }
  std::string VpcNamespace(const std::string& vpc_id) const;
  std::string InstanceNamespace(const std::string& instance_id) const;
  std::string ContainerId(const std::string& instance_id) const;
  std::string CgroupPath(const std::string& instance_id) const;
  std::string Bridge() const;
  std::string NicBridgeEnd(const std::string& eni_id) const;
  std::string NicInstanceEnd(const std::string& eni_id) const;
  static std::string NicAlias(const std::string& eni_id, const std::string& vpc_id);
  // (eni id, vpc id) from an alias written by NicAlias.
  static std::optional<std::pair<std::string, std::string>> ParseNicAlias(const std::string& a);

  // The id in a name of ours, nullopt for a name that is not ours.
  std::optional<std::string> VpcIdFromNamespace(const std::string& ns) const;
  std::optional<std::string> InstanceIdFromNamespace(const std::string& ns) const;
  std::optional<std::string> InstanceIdFromContainer(const std::string& container_id) const;
  bool IsOurNamespace(const std::string& ns) const;
  bool IsOurBridgeEnd(const std::string& ifname) const;

 private:
  std::string prefix_;
};

}  // namespace spotkeeper::cloud::linuxhost
