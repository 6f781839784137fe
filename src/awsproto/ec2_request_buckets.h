// EC2's published API throttling buckets ("Request throttling for the Amazon EC2 API", EC2
// developer guide), for servers that throttle like EC2 (the local cloud's fault injection).
//
// Request rate limiting: every API action has its own bucket, sized by its category, and each
// request takes one token:
//   non-mutating (Describe*, Get*, List*, Search*)                        100 tokens, 20/s
//   unfiltered and unpaginated non-mutating: DescribeInstances, DescribeInstanceStatus,
//     DescribeNetworkInterfaces, DescribeSecurityGroups, DescribeSnapshots,
//     DescribeSpotInstanceRequests, DescribeVolumes called with neither a Filter nor
//     MaxResults/NextToken draw from a smaller bucket of their own             50 tokens, 10/s
//   mutating (everything else)                                              50 tokens, 5/s
//   resource-intensive (RequestSpotInstances, CancelSpotInstanceRequests,
//     AuthorizeSecurityGroupIngress, CreateKeyPair, ...)                   50 tokens, 5/s
//   uncategorized, sized one by one: RunInstances 5/2, StartInstances 5/2,
//     TerminateInstances 100/5, CreateVolume/DeleteVolume 100/5, CreateSnapshot(s)/DeleteSnapshot
//     100/5, CreateNetworkInterface/DeleteNetworkInterface 100/5, ModifyNetworkInterfaceAttribute
//     100/5, DeregisterImage 100/5, CopyImage 100/1, CreateTags/DeleteTags 100/10, ...
// Resource rate limiting, in addition, for four actions, one token per instance the request
// names: RunInstances 1000/2 (MaxCount), TerminateInstances 1000/20, StartInstances 1000/2,
// StopInstances 1000/20.
//
// (provider/token_bucket.h keeps the provider layer's older, coarser copy, one shared bucket per
// category.)
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace spotkeeper::aws {

struct Ec2Bucket {
  // Buckets with the same key are one bucket: the action ("DescribeVolumes"), the action plus
  // "/unfiltered" for the smaller bucket of an unfiltered, unpaginated describe, or the action
  // plus "/resource" for a resource bucket.
  std::string key;
  // "non-mutating", "unfiltered-non-mutating", "mutating", "resource-intensive",
  // "uncategorized" or "resource".
  std::string category;
  double capacity = 0;
  double refill_per_second = 0;
};

// The request bucket of `action`; `filtered_or_paginated` says whether the request had a Filter,
// MaxResults or NextToken.
Ec2Bucket Ec2RequestBucketFor(std::string_view action, bool filtered_or_paginated);
// The resource bucket of RunInstances, TerminateInstances, StartInstances and StopInstances;
// nullopt for every other action.
std::optional<Ec2Bucket> Ec2ResourceBucketFor(std::string_view action);

}  // namespace spotkeeper::aws
