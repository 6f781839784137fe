#include "cloud/host/linux/network_plumbing.h"

#include <arpa/inet.h>
#include <linux/magic.h>
#include <sys/vfs.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cloud/host/linux/command_runner.h"
#include "cloud/host/linux/netns_thread.h"

namespace spotkeeper::cloud::linuxhost {
namespace {

constexpr const char* kImdsAddress = "169.254.169.254";
constexpr auto kIpTimeout = std::chrono::seconds(20);

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

Status WriteProcSys(const std::string& path, const std::string& value) {
  FILE* f = std::fopen(path.c_str(), "we");
  if (!f) return Internal("open " + path + ": " + std::strerror(errno));
  bool ok = std::fputs(value.c_str(), f) >= 0;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) return Internal("write " + path);
  return OkStatus();
}

const LinkInfo* FindLink(const std::vector<LinkInfo>& links, const std::string& name) {
  for (const auto& l : links) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

// Addresses end up in `ip -batch` lines: only well-formed ones get there.
Status CheckIpv4(const std::string& ip, const char* what) {
  in_addr addr;
  if (inet_pton(AF_INET, ip.c_str(), &addr) != 1) {
    return InvalidArgument(std::string("not an IPv4 ") + what + ": '" + ip + "'");
  }
  return OkStatus();
}

Status CheckNic(const NicConfig& nic) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(nic.eni_id));
  SK_RETURN_IF_ERROR(HostNames::ValidateId(nic.vpc_id));
  SK_RETURN_IF_ERROR(CheckIpv4(nic.ip, "address"));
  if (!nic.gateway.empty()) SK_RETURN_IF_ERROR(CheckIpv4(nic.gateway, "gateway"));
  if (nic.prefix_len < 1 || nic.prefix_len > 32) {
    return InvalidArgument("bad prefix length " + std::to_string(nic.prefix_len));
  }
  bool mac_ok = nic.mac.empty() || nic.mac.size() == 17;
  for (size_t i = 0; mac_ok && i < nic.mac.size(); ++i) {
    char c = nic.mac[i];
    mac_ok = i % 3 == 2 ? c == ':' : std::isxdigit(static_cast<unsigned char>(c)) != 0;
  }
  if (!mac_ok) return InvalidArgument("not a MAC address: '" + nic.mac + "'");
  return OkStatus();
}

}  // namespace

Result<int> CidrPrefixLength(const std::string& cidr) {
  auto slash = cidr.find('/');
  if (slash == std::string::npos) return InvalidArgument("not a CIDR: " + cidr);
  int len = -1;
  try {
    len = std::stoi(cidr.substr(slash + 1));
  } catch (...) {
    return InvalidArgument("not a CIDR: " + cidr);
  }
  if (len < 1 || len > 32) return InvalidArgument("not a CIDR: " + cidr);
  return len;
}

Result<std::string> NetworkPlumbing::Ip(const std::string& ns,
                                        std::vector<std::string> args) const {
  CommandSpec spec;
  spec.argv = {tools_.ip};
  if (!ns.empty()) {
    spec.argv.push_back("-n");
    spec.argv.push_back(ns);
  }
  for (auto& a : args) spec.argv.push_back(std::move(a));
  spec.timeout = kIpTimeout;
  return RunChecked(spec);
}

Status NetworkPlumbing::Batch(const std::string& ns, const std::vector<std::string>& lines) const {
  if (ns.empty()) return Internal("refusing to configure the host namespace");
  CommandSpec spec;
  spec.argv = {tools_.ip, "-n", ns, "-batch", "-"};
  for (const auto& l : lines) spec.stdin_data += l + "\n";
  spec.timeout = kIpTimeout;
  Result<std::string> r = RunChecked(spec);
  if (!r.ok()) return r.status().Annotate("in " + ns + " [" + spec.stdin_data + "]");
  return OkStatus();
}

bool NetworkPlumbing::NamespaceExists(const std::string& ns) const {
  struct statfs st;
  std::string path = "/run/netns/" + ns;
  return statfs(path.c_str(), &st) == 0 &&
         st.f_type == static_cast<decltype(st.f_type)>(NSFS_MAGIC);
}

Result<std::vector<std::string>> NetworkPlumbing::ListOurNamespaces() const {
  std::vector<std::string> out;
  std::error_code ec;
  if (!std::filesystem::exists("/run/netns", ec)) return out;
  for (const auto& e : std::filesystem::directory_iterator("/run/netns", ec)) {
    std::string name = e.path().filename().string();
    if (names_.IsOurNamespace(name)) out.push_back(name);
  }
  if (ec) return Internal("list /run/netns: " + ec.message());
  return out;
}

Result<std::vector<LinkInfo>> NetworkPlumbing::ListLinks(const std::string& ns) const {
  SK_ASSIGN_OR_RETURN(std::string out, Ip(ns, {"-j", "link", "show"}));
  std::vector<LinkInfo> links;
  try {
    auto j = nlohmann::json::parse(out);
    for (const auto& l : j) {
      LinkInfo info;
      info.name = l.value("ifname", "");
      info.alias = l.value("ifalias", "");
      info.mac = l.value("address", "");
      info.master = l.value("master", "");
      for (const auto& f : l.value("flags", nlohmann::json::array())) {
        if (f == "UP") info.up = true;
      }
      links.push_back(std::move(info));
    }
  } catch (const std::exception& e) {
    return Internal("ip -j link show in " + ns + ": " + e.what());
  }
  return links;
}

Status NetworkPlumbing::AddNamespace(const std::string& ns) {
  if (NamespaceExists(ns)) return OkStatus();
  // A leftover file without a namespace mounted on it (crash inside `ip netns add`).
  std::error_code ec;
  if (std::filesystem::exists("/run/netns/" + ns, ec)) (void)Ip("", {"netns", "del", ns});
  Result<std::string> r = Ip("", {"netns", "add", ns});
  if (!r.ok() && !NamespaceExists(ns)) return r.status();  // else: a concurrent caller made it
  return OkStatus();
}

Status NetworkPlumbing::DeleteNamespace(const std::string& ns) {
  std::error_code ec;
  if (!std::filesystem::exists("/run/netns/" + ns, ec)) return OkStatus();
  Result<std::string> r = Ip("", {"netns", "del", ns});
  if (!r.ok() && std::filesystem::exists("/run/netns/" + ns, ec)) return r.status();
  return OkStatus();
}

Status NetworkPlumbing::EnsureVpc(const VpcNetwork& vpc) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(vpc.vpc_id));
  SK_ASSIGN_OR_RETURN(int prefix_len, CidrPrefixLength(vpc.cidr));
  if (!vpc.gateway_ip.empty()) SK_RETURN_IF_ERROR(CheckIpv4(vpc.gateway_ip, "gateway"));
  const std::string ns = names_.VpcNamespace(vpc.vpc_id);
  SK_RETURN_IF_ERROR(AddNamespace(ns));
  SK_ASSIGN_OR_RETURN(std::vector<LinkInfo> links, ListLinks(ns));
  const std::string br = names_.Bridge();
  std::vector<std::string> lines = {"link set lo up"};
  // No STP: ports forward at once. No IPv6 on the bridge: no DAD or router solicitations.
  if (!FindLink(links, br)) lines.push_back("link add " + br + " type bridge stp_state 0");
  lines.push_back("link set " + br + " up");
  lines.push_back("address replace " + std::string(kImdsAddress) + "/32 dev " + br);
  if (!vpc.gateway_ip.empty()) {
    lines.push_back("address replace " + vpc.gateway_ip + "/" + std::to_string(prefix_len) +
                    " dev " + br);
  }
  SK_RETURN_IF_ERROR(Batch(ns, lines));
  // Routing between the VPC's subnets happens on the bridge's addresses.
  return RunInNetns(ns, [] { return WriteProcSys("/proc/sys/net/ipv4/ip_forward", "1"); });
}

Status NetworkPlumbing::DeleteVpc(const std::string& vpc_id) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(vpc_id));
  return DeleteNamespace(names_.VpcNamespace(vpc_id));
}

Status NetworkPlumbing::EnsureGateway(const std::string& vpc_id, const std::string& gateway,
                                      int prefix_len) {
  if (gateway.empty()) return OkStatus();
  SK_RETURN_IF_ERROR(CheckIpv4(gateway, "gateway"));
  if (prefix_len < 1 || prefix_len > 32) {
    return InvalidArgument("bad prefix length " + std::to_string(prefix_len));
  }
  const std::string ns = names_.VpcNamespace(vpc_id);
  if (!NamespaceExists(ns)) return FailedPrecondition("VPC " + vpc_id + " has no namespace");
  return Ip(ns, {"address", "replace", gateway + "/" + std::to_string(prefix_len), "dev",
                 names_.Bridge()})
      .status();
}

Result<bool> NetworkPlumbing::NicExists(const NicConfig& nic) {
  const std::string ns = names_.VpcNamespace(nic.vpc_id);
  if (!NamespaceExists(ns)) return false;
  SK_ASSIGN_OR_RETURN(std::vector<LinkInfo> links, ListLinks(ns));
  const LinkInfo* b = FindLink(links, names_.NicBridgeEnd(nic.eni_id));
  return b != nullptr && b->alias == HostNames::NicAlias(nic.eni_id, nic.vpc_id);
}

Status NetworkPlumbing::CreateNic(const NicConfig& nic) {
  SK_RETURN_IF_ERROR(CheckNic(nic));
  const std::string ns = names_.VpcNamespace(nic.vpc_id);
  if (!NamespaceExists(ns)) return FailedPrecondition("VPC " + nic.vpc_id + " has no namespace");
  SK_RETURN_IF_ERROR(EnsureGateway(nic.vpc_id, nic.gateway, nic.prefix_len));
  const std::string b = names_.NicBridgeEnd(nic.eni_id), e = names_.NicInstanceEnd(nic.eni_id);
  const std::string alias = HostNames::NicAlias(nic.eni_id, nic.vpc_id);
  SK_ASSIGN_OR_RETURN(std::vector<LinkInfo> links, ListLinks(ns));
  std::vector<std::string> lines;
  if (const LinkInfo* have = FindLink(links, b)) {
    if (have->alias.empty()) {
      lines.push_back("link del " + b);  // half made (crash before the alias): make it again
    } else if (have->alias != alias) {
      return AlreadyExists("interface " + b + " of " + nic.eni_id + " is taken by '" + have->alias +
                           "' (hash collision)");
    } else {
      // Made before; only make sure it is on the bridge (a crash may have stopped short).
      return Batch(ns, {"link set " + b + " master " + names_.Bridge() + " up"});
    }
  }
  lines.push_back("link add " + b + " type veth peer name " + e +
                  (nic.mac.empty() ? "" : " address " + nic.mac));
  lines.push_back("link set " + e + " alias " + Quote(alias));
  lines.push_back("link set " + b + " alias " + Quote(alias));
  lines.push_back("link set " + b + " master " + names_.Bridge() + " up");
  return Batch(ns, lines);
}

Status NetworkPlumbing::DeleteNic(const NicConfig& nic) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(nic.eni_id));
  SK_RETURN_IF_ERROR(HostNames::ValidateId(nic.vpc_id));
  SK_ASSIGN_OR_RETURN(bool exists, NicExists(nic));
  if (!exists) return OkStatus();
  // Deleting one end of a veth deletes its peer, wherever it is.
  return Ip(names_.VpcNamespace(nic.vpc_id), {"link", "del", names_.NicBridgeEnd(nic.eni_id)})
      .status();
}

Status NetworkPlumbing::EnsureInstanceNamespace(const std::string& instance_id) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(instance_id));
  return AddNamespace(names_.InstanceNamespace(instance_id));
}

Status NetworkPlumbing::MoveNicIn(const std::string& instance_id, const NicConfig& nic) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(instance_id));
  SK_RETURN_IF_ERROR(CheckNic(nic));
  const std::string inst_ns = names_.InstanceNamespace(instance_id);
  const std::string vpc_ns = names_.VpcNamespace(nic.vpc_id);
  const std::string e = names_.NicInstanceEnd(nic.eni_id);
  // One netlink request moves and renames: no clash with another "eth0" on the way.
  Result<std::string> moved = Ip(vpc_ns, {"link", "set", e, "netns", inst_ns, "name", "eth0"});
  if (!moved.ok()) {
    // Retried after a crash: it may be inside already.
    SK_ASSIGN_OR_RETURN(std::vector<LinkInfo> links, ListLinks(inst_ns));
    const LinkInfo* eth0 = FindLink(links, "eth0");
    if (!eth0 || eth0->alias != HostNames::NicAlias(nic.eni_id, nic.vpc_id)) {
      return moved.status().Annotate("ENI " + nic.eni_id + " is not parked");
    }
  }
  std::vector<std::string> lines = {
      "link set lo up",
      "link set eth0 up",
      "address replace " + nic.ip + "/" + std::to_string(nic.prefix_len) + " dev eth0",
  };
  if (!nic.gateway.empty()) {
    lines.push_back("route replace default via " + nic.gateway + " dev eth0");
    lines.push_back("route replace " + std::string(kImdsAddress) + "/32 via " + nic.gateway +
                    " dev eth0");
  }
  return Batch(inst_ns, lines);
}

Status NetworkPlumbing::ParkNics(const std::string& instance_id) {
  const std::string inst_ns = names_.InstanceNamespace(instance_id);
  if (!NamespaceExists(inst_ns)) return OkStatus();
  SK_ASSIGN_OR_RETURN(std::vector<LinkInfo> links, ListLinks(inst_ns));
  Status first;
  for (const auto& link : links) {
    auto ids = HostNames::ParseNicAlias(link.alias);
    if (!ids) continue;
    const auto& [eni_id, vpc_id] = *ids;
    // Without its VPC there is nowhere to park it; it goes with the namespace.
    if (!NamespaceExists(names_.VpcNamespace(vpc_id))) continue;
    // Moving takes the interface down and drops its addresses; the name is set on the way.
    Status s = Ip(inst_ns, {"link", "set", link.name, "netns", names_.VpcNamespace(vpc_id), "name",
                            names_.NicInstanceEnd(eni_id)})
                   .status();
    if (!s.ok() && first.ok()) first = s.Annotate("park " + eni_id);
  }
  return first;
}

Status NetworkPlumbing::DeleteInstanceNamespace(const std::string& instance_id) {
  SK_RETURN_IF_ERROR(HostNames::ValidateId(instance_id));
  // Parking first: deleting the namespace would destroy the ENIs inside.
  SK_RETURN_IF_ERROR(ParkNics(instance_id));
  return DeleteNamespace(names_.InstanceNamespace(instance_id));
}

}  // namespace spotkeeper::cloud::linuxhost
