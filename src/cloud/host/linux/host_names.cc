#include "cloud/host/linux/host_names.h"

#include <cstdio>

namespace spotkeeper::cloud::linuxhost {
namespace {

std::optional<std::string> After(const std::string& s, const std::string& head) {
  if (s.size() <= head.size() || s.compare(0, head.size(), head) != 0) return std::nullopt;
  std::string rest = s.substr(head.size());
  if (!HostNames::ValidateId(rest).ok()) return std::nullopt;
  return rest;
}

std::string Hash8(const std::string& s) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", HostNames::Fnv1a32(s));
  return buf;
}

}  // namespace

Status HostNames::ValidatePrefix(const std::string& prefix) {
  bool ok = prefix.size() >= 2 && prefix.size() <= 6 && prefix[0] >= 'a' && prefix[0] <= 'z';
  for (char c : prefix) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
  if (!ok) return InvalidArgument("host prefix must match [a-z][a-z0-9]{1,5}: '" + prefix + "'");
  return OkStatus();
}

Status HostNames::ValidateId(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 64 && id.find("..") == std::string::npos;
  for (size_t i = 0; ok && i < id.size(); ++i) {
    char c = id[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    ok = alnum || (i > 0 && (c == '-' || c == '_' || c == '.'));
  }
  if (!ok) return InvalidArgument("not a usable id: '" + id + "'");
  return OkStatus();
}

uint32_t HostNames::Fnv1a32(const std::string& s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

std::string HostNames::DerivePrefix(const std::string& data_dir) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : data_dir) {
    h ^= c;
    h *= 1099511628211ull;
  }
  const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string p = "sk";
  for (int i = 0; i < 4; ++i) {
    p += digits[h % 36];
    h /= 36;
  }
  return p;
}

std::string HostNames::VpcNamespace(const std::string& vpc_id) const {
  return prefix_ + "-v-" + vpc_id;
}
std::string HostNames::InstanceNamespace(const std::string& instance_id) const {
  return prefix_ + "-i-" + instance_id;
}
std::string HostNames::ContainerId(const std::string& instance_id) const {
  return prefix_ + "-" + instance_id;
}
std::string HostNames::CgroupPath(const std::string& instance_id) const {
  return "/" + prefix_ + "-" + instance_id;
}
std::string HostNames::Bridge() const { return prefix_ + "-br"; }
std::string HostNames::NicBridgeEnd(const std::string& eni_id) const {
  return prefix_ + "b" + Hash8(eni_id);
}
std::string HostNames::NicInstanceEnd(const std::string& eni_id) const {
  return prefix_ + "e" + Hash8(eni_id);
}

std::string HostNames::NicAlias(const std::string& eni_id, const std::string& vpc_id) {
  return eni_id + " " + vpc_id;
}

std::optional<std::pair<std::string, std::string>> HostNames::ParseNicAlias(const std::string& a) {
  auto space = a.find(' ');
  if (space == std::string::npos) return std::nullopt;
  std::string eni = a.substr(0, space), vpc = a.substr(space + 1);
  if (!ValidateId(eni).ok() || !ValidateId(vpc).ok()) return std::nullopt;
  return std::make_pair(eni, vpc);
}

std::optional<std::string> HostNames::VpcIdFromNamespace(const std::string& ns) const {
  return After(ns, prefix_ + "-v-");
}
std::optional<std::string> HostNames::InstanceIdFromNamespace(const std::string& ns) const {
  return After(ns, prefix_ + "-i-");
}
std::optional<std::string> HostNames::InstanceIdFromContainer(
    const std::string& container_id) const {
  return After(container_id, prefix_ + "-");
}
bool HostNames::IsOurNamespace(const std::string& ns) const {
  return VpcIdFromNamespace(ns) || InstanceIdFromNamespace(ns);
}
bool HostNames::IsOurBridgeEnd(const std::string& ifname) const {
  if (ifname.size() != prefix_.size() + 9 || ifname.compare(0, prefix_.size(), prefix_) != 0 ||
      ifname[prefix_.size()] != 'b') {
    return false;
  }
  for (size_t i = prefix_.size() + 1; i < ifname.size(); ++i) {
    char c = ifname[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace spotkeeper::cloud::linuxhost
