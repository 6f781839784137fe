// CloudProvider requests -> EC2 Query parameters (API 2016-11-15). Shapes follow botocore's
// service model: lists are flattened with the member's locationName ("SecurityGroupId.1",
// "NetworkInterface.1.DeviceIndex", "TagSpecification.1.Tag.1.Key", "Filter.1.Value.1").
#pragma once

#include <string>
#include <vector>

#include "awsproto/query_params.h"
#include "provider/cloud_provider.h"

namespace spotkeeper {

// The kinds of resources Describe* filters apply to; they differ in filter names.
enum class Ec2Resource { kInstance, kVolume, kSnapshot, kImage, kNetworkInterface, kSpotRequest };

// `tags` plus {kTagToken: token} when the token is not empty.
Tags WithTokenTag(const Tags& tags, const std::string& token);

// TagSpecification.<index> with ResourceType and Tag.N (nothing when `tags` is empty).
void AddTagSpecification(aws::QueryParams& params, int index, const std::string& resource_type,
                         const Tags& tags);

// Ids ("InstanceId.N", ...) and Filter.N entries for `filter`:
//   tags: "tag:<key>" = value, or "tag-key" = key when the value is empty;
//   states: instance-state-name | status (volume, snapshot, ENI) | state (image, spot request);
//   availability_zone: availability-zone | launched-availability-zone (spot requests); not
//   applicable to snapshots and images (ignored).
// Snapshots and images without ids are limited to the caller's own (Owner.1=self).
void AddDescribeFilter(aws::QueryParams& params, Ec2Resource resource, const Filter& filter);

aws::QueryParams RunInstancesParams(const RunInstanceRequest& req);
aws::QueryParams CreateVolumeParams(const CreateVolumeRequest& req);
aws::QueryParams CreateSnapshotParams(const CreateSnapshotRequest& req);
aws::QueryParams RegisterImageParams(const RegisterImageRequest& req);
aws::QueryParams CreateImageParams(const CreateImageRequest& req);
aws::QueryParams CreateNetworkInterfaceParams(const CreateNetworkInterfaceRequest& req);
aws::QueryParams CreateTagsParams(const std::vector<std::string>& resource_ids, const Tags& tags);
aws::QueryParams DeleteTagsParams(const std::vector<std::string>& resource_ids,
                                  const std::vector<std::string>& keys);

}  // namespace spotkeeper
