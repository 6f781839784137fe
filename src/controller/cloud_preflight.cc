#include "controller/cloud_preflight.h"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <map>
#include <vector>

namespace spotkeeper {
namespace {

bool ParseIpv4(const std::string& s, uint32_t* out) {
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) return false;
  *out = ntohl(a.s_addr);
  return true;
}

// The cloud could not be asked now: not the spec's fault.
bool Transient(const Status& s) { return s.IsRetryable() || s.retry_after().has_value(); }

}  // namespace

bool Ipv4InCidr(const std::string& ip, const std::string& cidr) {
  auto slash = cidr.find('/');
  if (slash == std::string::npos) return false;
  uint32_t addr = 0;
  uint32_t net = 0;
  if (!ParseIpv4(ip, &addr) || !ParseIpv4(cidr.substr(0, slash), &net)) return false;
  int bits = -1;
  try {
    bits = std::stoi(cidr.substr(slash + 1));
  } catch (const std::exception&) {
    return false;
  }
  if (bits < 0 || bits > 32) return false;
  uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return (addr & mask) == (net & mask);
}

Status CheckCloudReferences(CloudProvider& cloud, const GroupSpec& spec) {
  // One call for every subnet; only when it names one EC2 does not know (the whole call fails
  // with InvalidSubnetID.NotFound) is each asked for alone, to say which.
  std::vector<std::string> all_ids;
  for (const auto& az : spec.compute.availability_zones) {
    all_ids.insert(all_ids.end(), az.subnet_ids.begin(), az.subnet_ids.end());
  }
  std::map<std::string, Subnet> known;
  bool one_by_one = false;
  if (!all_ids.empty()) {
    auto r = cloud.DescribeSubnets(all_ids);
    if (!r.ok() && Transient(r.status())) {
      spdlog::warn("group '{}': subnets not checked ({})", spec.name, r.status().ToString());
      return OkStatus();
    }
    if (!r.ok() && r.status().code() != Code::kNotFound) return r.status();
    one_by_one = !r.ok();
    if (r.ok()) {
      for (const Subnet& s : *r) known[s.id] = s;
    }
  }
  std::map<std::string, Subnet> found;
  for (size_t z = 0; z < spec.compute.availability_zones.size(); ++z) {
    const AvailabilityZoneSpec& az = spec.compute.availability_zones[z];
    for (size_t i = 0; i < az.subnet_ids.size(); ++i) {
      const std::string& id = az.subnet_ids[i];
      const std::string path = "compute.availabilityZones[" + std::to_string(z) + "].subnetIds[" +
                               std::to_string(i) + "]";
      if (one_by_one && !known.count(id)) {
        auto r = cloud.DescribeSubnets({id});
        if (!r.ok() && Transient(r.status())) {
          spdlog::warn("group '{}': subnets not checked ({})", spec.name, r.status().ToString());
          return OkStatus();
        }
        if (!r.ok() && r.status().code() != Code::kNotFound) return r.status();
        if (r.ok() && !r->empty()) known[id] = r->front();
      }
      auto k = known.find(id);
      if (k == known.end()) {
        return InvalidArgument(path + ": subnet " + id + " does not exist in region " +
                               spec.region + "; write the id of a subnet in " + az.name);
      }
      const Subnet& s = k->second;
      if (s.availability_zone != az.name) {
        return InvalidArgument(path + ": subnet " + id + " is in " + s.availability_zone +
                               ", not in " + az.name + "; list it under " + s.availability_zone +
                               " or name a subnet of " + az.name);
      }
      found[id] = s;
    }
  }
  const std::string& image = spec.compute.launch_specification.image_id;
  if (!image.empty()) {
    Filter f;
    f.ids = {image};
    auto r = cloud.DescribeImages(f);
    if (!r.ok() && Transient(r.status())) {
      spdlog::warn("group '{}': image not checked ({})", spec.name, r.status().ToString());
      return OkStatus();
    }
    if (!r.ok() && r.status().code() != Code::kNotFound) return r.status();
    if (!r.ok() || r->empty()) {
      return InvalidArgument("compute.launchSpecification.imageId: image " + image +
                             " does not exist in region " + spec.region +
                             "; write the id of an image (AMI) you can launch there");
    }
  }
  for (size_t i = 0; i < spec.compute.private_ips.size(); ++i) {
    const std::string& ip = spec.compute.private_ips[i];
    bool inside = false;
    std::string cidrs;
    for (const auto& [id, s] : found) {
      if (s.cidr_block.empty()) continue;  // a cloud that does not say: nothing to check
      inside |= Ipv4InCidr(ip, s.cidr_block);
      cidrs += (cidrs.empty() ? "" : ", ") + s.cidr_block + " (" + id + ")";
    }
    if (!cidrs.empty() && !inside) {
      return InvalidArgument("compute.privateIps[" + std::to_string(i) + "]: " + ip +
                             " is in none of the group's subnets (" + cidrs +
                             "); pick an address inside one of them");
    }
  }
  return OkStatus();
}

}  // namespace spotkeeper
