#include "provider/ec2/ec2_requests.h"

#include "awsproto/crypto.h"
#include "awsproto/ec2_xml.h"

namespace spotkeeper {

using aws::QueryParams;

Tags WithTokenTag(const Tags& tags, const std::string& token) {
  Tags out = tags;
  if (!token.empty()) out[kTagToken] = token;
  return out;
}

void AddTagSpecification(QueryParams& params, int index, const std::string& resource_type,
                         const Tags& tags) {
  if (tags.empty()) return;
  QueryParams::Scope spec = params.At("TagSpecification", index);
  spec.Set("ResourceType", resource_type);
  int n = 0;
  for (const auto& [k, v] : tags) spec.At("Tag", ++n).Set("Key", k).Set("Value", v);
}

void AddDescribeFilter(QueryParams& params, Ec2Resource resource, const Filter& filter) {
  const char* id_key = "";
  const char* state_filter = "";
  const char* az_filter = "";
  switch (resource) {
    case Ec2Resource::kInstance:
      id_key = "InstanceId";
      state_filter = "instance-state-name";
      az_filter = "availability-zone";
      break;
    case Ec2Resource::kVolume:
      id_key = "VolumeId";
      state_filter = "status";
      az_filter = "availability-zone";
      break;
    case Ec2Resource::kSnapshot:
      id_key = "SnapshotId";
      state_filter = "status";
      break;
    case Ec2Resource::kImage:
      id_key = "ImageId";
      state_filter = "state";
      break;
    case Ec2Resource::kNetworkInterface:
      id_key = "NetworkInterfaceId";
      state_filter = "status";
      az_filter = "availability-zone";
      break;
    case Ec2Resource::kSpotRequest:
      id_key = "SpotInstanceRequestId";
      state_filter = "state";
      az_filter = "launched-availability-zone";
      break;
  }
  params.SetList(id_key, filter.ids);
  if (filter.ids.empty() &&
      (resource == Ec2Resource::kSnapshot || resource == Ec2Resource::kImage)) {
    // Without this, DescribeSnapshots/DescribeImages list every public snapshot/AMI.
    params.Set("Owner.1", "self");
  }
  int n = 0;
  for (const auto& [key, value] : filter.tags) {
    QueryParams::Scope f = params.At("Filter", ++n);
    if (value.empty()) {
      f.Set("Name", "tag-key").Set("Value.1", key);
    } else {
      f.Set("Name", "tag:" + key).Set("Value.1", value);
    }
  }
  if (!filter.states.empty()) {
    params.At("Filter", ++n).Set("Name", state_filter).SetList("Value", filter.states);
  }
  if (!filter.availability_zone.empty() && az_filter[0] != '\0') {
    params.At("Filter", ++n).Set("Name", az_filter).Set("Value.1", filter.availability_zone);
  }
}

QueryParams RunInstancesParams(const RunInstanceRequest& req) {
  QueryParams p("RunInstances", aws::kEc2ApiVersion);
  p.Set("ImageId", req.image_id).Set("InstanceType", req.instance_type);
  p.Set("MinCount", 1).Set("MaxCount", 1);
  if (!req.client_token.empty()) p.Set("ClientToken", req.client_token);
  if (!req.network_interface_id.empty()) {
    // The existing ENI decides subnet, AZ, address and security groups; EC2 refuses
    // instance-level SubnetId/SecurityGroupId next to it. Its DeleteOnTermination stays false
    // (EC2 only accepts true for interfaces created by the launch).
    p.At("NetworkInterface", 1)
        .Set("NetworkInterfaceId", req.network_interface_id)
        .Set("DeviceIndex", 0);
  } else {
    if (!req.subnet_id.empty()) p.Set("SubnetId", req.subnet_id);
    if (!req.private_ip.empty()) p.Set("PrivateIpAddress", req.private_ip);
    p.SetList("SecurityGroupId", req.security_group_ids);
  }
  int n = 0;
  for (const BlockDeviceSpec& b : req.block_devices) {
    QueryParams::Scope m = p.At("BlockDeviceMapping", ++n);
    m.Set("DeviceName", b.device_name);
    QueryParams::Scope ebs = m.At("Ebs");
    if (b.volume_size_gib > 0) ebs.Set("VolumeSize", b.volume_size_gib);
    if (!b.snapshot_id.empty()) ebs.Set("SnapshotId", b.snapshot_id);
    if (!b.volume_type.empty()) ebs.Set("VolumeType", b.volume_type);
    ebs.Set("DeleteOnTermination", b.delete_on_termination);
  }
  if (!req.user_data.empty()) p.Set("UserData", aws::Base64Encode(req.user_data));
  if (req.market == Market::kSpot) {
    QueryParams::Scope market = p.At("InstanceMarketOptions");
    market.Set("MarketType", "spot");
    market.At("SpotOptions")
        .Set("SpotInstanceType", "one-time")
        .Set("InstanceInterruptionBehavior", "terminate");
  }
  Tags tags = WithTokenTag(req.tags, req.client_token);
  int spec = 0;
  AddTagSpecification(p, ++spec, "instance", tags);
  Tags volume_tags = WithTokenTag(req.volume_tags, req.client_token);
  if (!volume_tags.empty()) AddTagSpecification(p, ++spec, "volume", volume_tags);
  if (req.market == Market::kSpot && !tags.empty()) {
    AddTagSpecification(p, ++spec, "spot-instances-request", tags);
  }
  return p;
}

QueryParams CreateVolumeParams(const CreateVolumeRequest& req) {
  QueryParams p("CreateVolume", aws::kEc2ApiVersion);
  p.Set("AvailabilityZone", req.availability_zone);
  if (req.size_gib > 0) p.Set("Size", req.size_gib);
  if (!req.snapshot_id.empty()) p.Set("SnapshotId", req.snapshot_id);
  if (!req.volume_type.empty()) p.Set("VolumeType", req.volume_type);
  if (!req.client_token.empty()) p.Set("ClientToken", req.client_token);
  AddTagSpecification(p, 1, "volume", WithTokenTag(req.tags, req.client_token));
  return p;
}

QueryParams CreateSnapshotParams(const CreateSnapshotRequest& req) {
  QueryParams p("CreateSnapshot", aws::kEc2ApiVersion);
  p.Set("VolumeId", req.volume_id);
  if (!req.description.empty()) p.Set("Description", req.description);
  AddTagSpecification(p, 1, "snapshot", WithTokenTag(req.tags, req.client_token));
  return p;
}

QueryParams RegisterImageParams(const RegisterImageRequest& req) {
  QueryParams p("RegisterImage", aws::kEc2ApiVersion);
  p.Set("Name", req.name).Set("RootDeviceName", req.root_device_name);
  // EC2's defaults for an EBS-backed registration are i386/paravirtual; spotkeeper images are
  // re-registrations of x86_64 HVM roots.
  p.Set("Architecture", "x86_64").Set("VirtualizationType", "hvm").Set("EnaSupport", true);
  int n = 0;
  for (const ImageBlockDevice& b : req.block_devices) {
    QueryParams::Scope m = p.At("BlockDeviceMapping", ++n);
    m.Set("DeviceName", b.device_name);
    QueryParams::Scope ebs = m.At("Ebs");
    if (!b.snapshot_id.empty()) ebs.Set("SnapshotId", b.snapshot_id);
    if (b.volume_size_gib > 0) ebs.Set("VolumeSize", b.volume_size_gib);
    ebs.Set("DeleteOnTermination", b.delete_on_termination);
  }
  AddTagSpecification(p, 1, "image", WithTokenTag(req.tags, req.client_token));
  return p;
}

QueryParams CreateImageParams(const CreateImageRequest& req) {
  QueryParams p("CreateImage", aws::kEc2ApiVersion);
  p.Set("InstanceId", req.instance_id).Set("Name", req.name).Set("NoReboot", req.no_reboot);
  Tags tags = WithTokenTag(req.tags, req.client_token);
  AddTagSpecification(p, 1, "image", tags);
  AddTagSpecification(p, 2, "snapshot", tags);
  return p;
}

QueryParams CreateNetworkInterfaceParams(const CreateNetworkInterfaceRequest& req) {
  QueryParams p("CreateNetworkInterface", aws::kEc2ApiVersion);
  p.Set("SubnetId", req.subnet_id);
  if (!req.private_ip.empty()) p.Set("PrivateIpAddress", req.private_ip);
  if (!req.description.empty()) p.Set("Description", req.description);
  p.SetList("SecurityGroupId", req.security_group_ids);
  if (!req.client_token.empty()) p.Set("ClientToken", req.client_token);
  AddTagSpecification(p, 1, "network-interface", WithTokenTag(req.tags, req.client_token));
  return p;
}

QueryParams CreateTagsParams(const std::vector<std::string>& resource_ids, const Tags& tags) {
  QueryParams p("CreateTags", aws::kEc2ApiVersion);
  p.SetList("ResourceId", resource_ids);
  int n = 0;
  for (const auto& [k, v] : tags) p.At("Tag", ++n).Set("Key", k).Set("Value", v);
  return p;
}

QueryParams DeleteTagsParams(const std::vector<std::string>& resource_ids,
                             const std::vector<std::string>& keys) {
  QueryParams p("DeleteTags", aws::kEc2ApiVersion);
  p.SetList("ResourceId", resource_ids);
  int n = 0;
  for (const std::string& k : keys) p.At("Tag", ++n).Set("Key", k);
  return p;
}

}  // namespace spotkeeper
