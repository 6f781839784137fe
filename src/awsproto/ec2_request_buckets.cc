#include "awsproto/ec2_request_buckets.h"

#include <array>
#include <utility>

namespace spotkeeper::aws {
namespace {

struct Sized {
  std::string_view action;
  double capacity;
  double refill;
};

// The uncategorized actions that the local cloud serves or that spot workloads call.
constexpr std::array<Sized, 22> kUncategorized = {{
    {"AssignPrivateIpAddresses", 100, 5},
    {"AssociateIamInstanceProfile", 100, 5},
    {"CopyImage", 100, 1},
    {"CreateDefaultSubnet", 1, 1},
    {"CreateDefaultVpc", 1, 1},
    {"CreateNetworkInterface", 100, 5},
    {"CreateSnapshot", 100, 5},
    {"CreateSnapshots", 100, 5},
    {"CreateTags", 100, 10},
    {"CreateVolume", 100, 5},
    {"DeleteNetworkInterface", 100, 5},
    {"DeleteSnapshot", 100, 5},
    {"DeleteTags", 100, 10},
    {"DeleteVolume", 100, 5},
    {"DeregisterImage", 100, 5},
    {"ModifyImageAttribute", 100, 5},
    {"ModifyInstanceMetadataOptions", 100, 5},
    {"ModifyNetworkInterfaceAttribute", 100, 5},
    {"RunInstances", 5, 2},
    {"StartInstances", 5, 2},
    {"TerminateInstances", 100, 5},
    {"UnassignPrivateIpAddresses", 100, 5},
}};

constexpr std::array<std::string_view, 9> kResourceIntensive = {
    "AcceptVpcPeeringConnection", "AuthorizeSecurityGroupIngress",
    "CancelSpotInstanceRequests", "CreateKeyPair",
    "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection",
    "RejectVpcPeeringConnection", "RevokeSecurityGroupIngress",
    "RequestSpotInstances",
};

constexpr std::array<std::string_view, 7> kUnfilteredSubset = {
    "DescribeInstances",      "DescribeInstanceStatus", "DescribeNetworkInterfaces",
    "DescribeSecurityGroups", "DescribeSnapshots",      "DescribeSpotInstanceRequests",
    "DescribeVolumes",
};

constexpr std::array<Sized, 4> kResource = {{
    {"RunInstances", 1000, 2},
    {"TerminateInstances", 1000, 20},
    {"StartInstances", 1000, 2},
    {"StopInstances", 1000, 20},
}};

template <typename Array>
bool Contains(const Array& a, std::string_view action) {
  for (const auto& x : a) {
    if (x == action) return true;
  }
  return false;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

Ec2Bucket Ec2RequestBucketFor(std::string_view action, bool filtered_or_paginated) {
  std::string key(action);
  for (const Sized& s : kUncategorized) {
    if (s.action == action) return {key, "uncategorized", s.capacity, s.refill};
  }
  if (Contains(kResourceIntensive, action)) return {key, "resource-intensive", 50, 5};
  if (!filtered_or_paginated && Contains(kUnfilteredSubset, action)) {
    return {key + "/unfiltered", "unfiltered-non-mutating", 50, 10};
  }
  if (StartsWith(action, "Describe") || StartsWith(action, "Get") || StartsWith(action, "List") ||
      StartsWith(action, "Search")) {
    return {key, "non-mutating", 100, 20};
  }
  return {key, "mutating", 50, 5};
}

std::optional<Ec2Bucket> Ec2ResourceBucketFor(std::string_view action) {
  for (const Sized& s : kResource) {
    if (s.action == action)
      return Ec2Bucket{std::string(action) + "/resource", "resource", s.capacity, s.refill};
  }
  return std::nullopt;
}

}  // namespace spotkeeper::aws
