// NetworkPlumbing: VPC namespaces, their bridges, ENI veth pairs and instance namespaces, made
// with iproute2 (`ip -n <ns> ...`, several steps in one `ip -batch` where they share a
// namespace). Names come from HostNames. Nothing is ever created in the host namespace: veth
// pairs are created inside the VPC namespace and only move between our namespaces.
//
// Where an ENI is:
//   parked          both ends in the VPC namespace; the instance end down, off the bridge
//   in an instance  the instance end is eth0 in the instance namespace, with its IP and routes
// A veth moved between namespaces keeps its MAC and alias and loses its addresses, so
// MoveNicIn sets the address again every time.
//
// Thread-safe: every call is a self-contained sequence of commands; calls that create shared
// things (namespaces, the bridge) tolerate a concurrent caller having created them first.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cloud/host/host_driver.h"
#include "cloud/host/linux/host_names.h"
#include "cloud/host/linux/host_tools.h"
#include "common/status.h"

namespace spotkeeper::cloud::linuxhost {

struct LinkInfo {
  std::string name;
  std::string alias;
  std::string mac;
  std::string master;  // the bridge it is attached to, if any
  bool up = false;
};

class NetworkPlumbing {
 public:
  NetworkPlumbing(HostNames names, HostTools tools)
      : names_(std::move(names)), tools_(std::move(tools)) {}

  // VPC namespace with lo up, IPv4 forwarding (between its subnets), the bridge with the
  // gateway address (/prefix of the VPC's cidr) and 169.254.169.254/32 (IMDS).
  Status EnsureVpc(const VpcNetwork& vpc);
  // Deletes the VPC namespace (and with it the bridge and every veth still in it).
  Status DeleteVpc(const std::string& vpc_id);
  // Adds `gateway`/`prefix_len` to the VPC's bridge (a subnet's gateway); idempotent.
  Status EnsureGateway(const std::string& vpc_id, const std::string& gateway, int prefix_len);

  // The ENI's veth pair, parked. AlreadyExists when another ENI hashes to the same names.
  Status CreateNic(const NicConfig& nic);
  // Deletes the pair wherever its instance end is. Absent: OK.
  Status DeleteNic(const NicConfig& nic);
  // True when the ENI's pair exists (its bridge end is in the VPC namespace).
  Result<bool> NicExists(const NicConfig& nic);

  Status EnsureInstanceNamespace(const std::string& instance_id);
  // Parked ENI → eth0 of the instance (up, its IP, default route and a route to
  // 169.254.169.254 via the gateway). Already there: makes sure of the address and routes.
  Status MoveNicIn(const std::string& instance_id, const NicConfig& nic);
  // Every ENI inside the instance's namespace goes back to parking in its VPC namespace (found
  // from the interface's alias). No namespace or no ENI: OK.
  Status ParkNics(const std::string& instance_id);
  // Parks the ENIs, then deletes the namespace.
  Status DeleteInstanceNamespace(const std::string& instance_id);

  // Namespaces whose names carry our prefix.
  Result<std::vector<std::string>> ListOurNamespaces() const;
  bool NamespaceExists(const std::string& ns) const;
  Result<std::vector<LinkInfo>> ListLinks(const std::string& ns) const;
  // `ip -n <ns> -batch -` of `lines`; empty `ns`: not allowed (never the host namespace).
  Status Batch(const std::string& ns, const std::vector<std::string>& lines) const;

  const HostNames& names() const { return names_; }

 private:
  Status AddNamespace(const std::string& ns);
  Status DeleteNamespace(const std::string& ns);
  Result<std::string> Ip(const std::string& ns, std::vector<std::string> args) const;

  HostNames names_;
  HostTools tools_;
};

// "10.0.0.0/16" → 16.
Result<int> CidrPrefixLength(const std::string& cidr);

}  // namespace spotkeeper::cloud::linuxhost
