// Engine: RunInstances (validation, placement, block devices, the recorded intent).
#include <algorithm>

#include "cloud/engine/cidr.h"
#include "cloud/engine/describe_filter.h"
#include "cloud/engine/ec2_error.h"
#include "cloud/engine/engine.h"

namespace spotkeeper::cloud {
namespace {

const std::set<std::string> kVolumeTypes = {"gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"};

std::string Digest(const RunInstancesRequest& r) {
  if (!r.digest.empty()) return r.digest;
  nlohmann::json j = {
      {"image", r.image_id},
      {"type", r.instance_type},
      {"min", r.min_count},
      {"max", r.max_count},
      {"az", r.availability_zone},
      {"subnet", r.subnet_id},
      {"ip", r.private_ip},
      {"sg", r.security_group_ids},
      {"user_data", r.user_data},
      {"market", r.market_type},
      {"shutdown", r.shutdown_behavior},
      {"key", r.key_name},
      {"spot", {r.spot.max_price, r.spot.request_type, r.spot.interruption_behavior}}};
  for (const auto& n : r.network_interfaces) {
    j["nics"].push_back({n.network_interface_id, n.device_index, n.subnet_id, n.private_ip,
                         n.description, n.groups, n.delete_on_termination.value_or(false)});
  }
  for (const auto& b : r.block_devices) {
    j["bdm"].push_back({b.device_name, b.volume_size.value_or(0),
                        b.delete_on_termination.value_or(true), b.volume_type, b.snapshot_id,
                        b.no_device});
  }
  for (const auto& t : r.tag_specs) j["tags"].push_back({t.resource_type, t.tags});
  return j.dump();
}

Status ValidateTags(const TagMap& tags) {
  if (tags.size() > 50) {
    return Ec2Error("TagLimitExceeded", "The maximum number of tags per resource is 50.");
  }
  for (const auto& [k, v] : tags) {
    if (k.empty() || k.size() > 128) {
      return Ec2Error("InvalidParameterValue", "Tag key must be between 1 and 128 characters.");
    }
    if (v.size() > 256) {
      return Ec2Error("InvalidParameterValue",
                      "Tag value exceeds the maximum length of 256 "
                      "characters.");
    }
    if (k.rfind("aws:", 0) == 0) {
      return Ec2Error("InvalidParameterValue",
                      "Tag keys starting with 'aws:' are reserved for internal use");
    }
  }
  return OkStatus();
}

}  // namespace

Status Engine::CheckTagSpecTypes(const std::vector<TagSpec>& specs,
                                 const std::set<std::string>& allowed) {
  for (const TagSpec& spec : specs) {
    if (allowed.count(spec.resource_type) == 0) {
      return Ec2Error("InvalidParameterValue", "'" + spec.resource_type +
                                                   "' is not a valid taggable resource type for "
                                                   "this operation.");
    }
  }
  return OkStatus();
}

Status Engine::ApplyTagSpecs(const std::vector<TagSpec>& specs, const std::string& resource_type,
                             TagMap* tags) const {
  for (const TagSpec& spec : specs) {
    if (spec.resource_type != resource_type) continue;
    for (const auto& [k, v] : spec.tags) (*tags)[k] = v;
  }
  return ValidateTags(*tags);
}

Result<InstanceRecord*> Engine::FindInstanceLocked(const std::string& id) {
  SK_RETURN_IF_ERROR(CheckIdShape(id, "i-", "InvalidInstanceID.Malformed"));
  auto it = instances_.find(id);
  if (it == instances_.end()) {
    return Ec2Error("InvalidInstanceID.NotFound", "The instance ID '" + id + "' does not exist");
  }
  return &it->second;
}

Status Engine::CheckToken(const std::string& action, const std::string& token,
                          const std::string& digest, std::vector<std::string>* existing) {
  if (token.empty()) return OkStatus();
  if (token.size() > 64) {
    return Ec2Error("InvalidParameterValue",
                    "Value for parameter clientToken is too long: at most 64 ASCII characters.");
  }
  auto it = tokens_.find(action + ":" + token);
  if (it == tokens_.end()) return OkStatus();
  if (it->second.digest != digest) {
    return Ec2Error("IdempotentParameterMismatch",
                    "The client token you have provided is associated with a resource that is "
                    "already deleted, or with different request parameters. Please use a "
                    "different client token.");
  }
  *existing = it->second.resource_ids;
  return OkStatus();
}

const SubnetRecord* Engine::DefaultSubnet(const std::string& az) const {
  for (const auto& [id, s] : subnets_) {
    if (s.az == az && s.default_for_az) return &s;
  }
  return nullptr;
}

Result<std::string> Engine::AllocateIp(const SubnetRecord& subnet, const std::string& requested) {
  Cidr c = Cidr::Parse(subnet.cidr).value();
  std::set<std::string> used;
  for (const auto& [id, e] : enis_) {
    if (e.subnet_id == subnet.id) used.insert(e.private_ip);
  }
  if (!requested.empty()) {
    auto addr = ParseIpv4(requested);
    // EC2 reserves the first four addresses and the last one of every subnet.
    if (!addr.ok() || !c.Contains(*addr) || *addr < c.network + 4 ||
        *addr >= c.network + c.Size() - 1) {
      return Ec2Error("InvalidParameterValue", "Address " + requested +
                                                   " does not fall within the subnet's address "
                                                   "range");
    }
    if (used.count(requested) > 0) {
      return Ec2Error("InvalidIPAddress.InUse", "Address " + requested + " is in use.");
    }
    return requested;
  }
  for (uint32_t n = 4; n + 1 < c.Size(); ++n) {
    std::string ip = c.Host(n);
    if (used.count(ip) == 0) return ip;
  }
  return Ec2Error("InsufficientFreeAddressesInSubnet",
                  "There are not enough free addresses in subnet '" + subnet.id +
                      "' to satisfy the requested number of instances.");
}

Result<Reservation> Engine::RunInstances(const RunInstancesRequest& req) {
  std::string digest = Digest(req);
  std::lock_guard<std::mutex> lock(mu_);
  return RunInstancesLocked(req, digest);
}

Result<Reservation> Engine::RunInstancesLocked(const RunInstancesRequest& req,
                                               const std::string& digest) {
  // --- counts, image, type
  if (req.min_count < 1) {
    return Ec2Error("InvalidParameterValue",
                    "Value (" + std::to_string(req.min_count) +
                        ") for parameter minCount is invalid. Expected a value greater than or "
                        "equal to 1.");
  }
  if (req.max_count < req.min_count) {
    return Ec2Error("InvalidParameterValue",
                    "Value (" + std::to_string(req.max_count) +
                        ") for parameter maxCount is invalid. Expected a value greater than or "
                        "equal to minCount.");
  }
  if (req.image_id.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter ImageId");
  }
  if (req.image_id.rfind("ami-", 0) != 0) {
    return Ec2Error("InvalidAMIID.Malformed",
                    "Invalid id: \"" + req.image_id + "\" (expecting \"ami-...\")");
  }
  auto image = images_.find(req.image_id);
  if (image == images_.end() || image->second.state == "deregistered") {
    return Ec2Error("InvalidAMIID.NotFound",
                    "The image id '[" + req.image_id + "]' does not exist");
  }
  if (image->second.state != "available") {
    return Ec2Error(
        "InvalidAMIID.Unavailable",
        "The image '" + req.image_id + "' is not available (" + image->second.state + ")");
  }
  std::string type_name = req.instance_type.empty() ? "t3.micro" : req.instance_type;
  auto type = catalog_.Find(type_name);
  if (!type) {
    return Ec2Error("InvalidParameterValue", "Invalid value '" + type_name + "' for InstanceType.");
  }
  std::vector<std::string> existing;
  SK_RETURN_IF_ERROR(CheckToken("RunInstances", req.client_token, digest, &existing));
  if (!existing.empty()) {
    Reservation res;
    for (const std::string& id : existing) {
      auto it = instances_.find(id);
      if (it == instances_.end()) continue;
      res.reservation_id = it->second.reservation_id;
      res.instances.push_back(ViewLocked(it->second));
    }
    return res;
  }
  if (!req.market_type.empty() && req.market_type != "spot") {
    return Ec2Error("InvalidParameterValue",
                    "Value (" + req.market_type + ") for parameter MarketType is invalid.");
  }
  bool spot = req.market_type == "spot";
  SpotRequestRecord spot_template;
  if (spot) {
    SK_ASSIGN_OR_RETURN(spot_template, SpotRequestTemplate(req));
  }
  std::string behavior = req.shutdown_behavior;
  if (!behavior.empty() && behavior != "stop" && behavior != "terminate") {
    return Ec2Error(
        "InvalidParameterValue",
        "Value (" + behavior + ") for parameter instanceInitiatedShutdownBehavior is invalid.");
  }
  if (behavior.empty()) behavior = req.market_type == "spot" ? "terminate" : "stop";
  if (req.user_data.size() > 16384) {
    return Ec2Error("InvalidParameterValue", "User data is limited to 16384 bytes");
  }
  SK_RETURN_IF_ERROR(CheckTagSpecTypes(
      req.tag_specs, {"instance", "volume", "network-interface", "spot-instances-request"}));

  // --- placement: an existing interface, a new one described at NetworkInterface.1, a subnet,
  // an availability zone, or the first zone's default subnet.
  const NetworkInterfaceRequest* nic_req = nullptr;
  const EniRecord* existing_eni = nullptr;
  for (const NetworkInterfaceRequest& n : req.network_interfaces) {
    if (n.device_index != 0) {
      return Ec2Error("UnsupportedOperation",
                      "The spotkeeper local cloud supports one network interface per instance "
                      "(DeviceIndex 0).");
    }
    if (nic_req != nullptr) {
      return Ec2Error("InvalidParameterValue",
                      "Each network interface requires a unique device index.");
    }
    nic_req = &n;
  }
  const SubnetRecord* subnet = nullptr;
  std::string private_ip = req.private_ip;
  std::vector<std::string> groups = req.security_group_ids;
  if (nic_req != nullptr) {
    if (!req.subnet_id.empty() || !req.private_ip.empty() || !req.security_group_ids.empty()) {
      return Ec2Error("InvalidParameterCombination",
                      "Network interfaces and an instance-level subnet ID, private IP address or "
                      "security groups may not be specified on the same request");
    }
    if (!nic_req->network_interface_id.empty()) {
      if (req.max_count > 1) {
        return Ec2Error("InvalidParameterCombination",
                        "An existing network interface cannot be attached to more than one "
                        "instance; use MaxCount 1");
      }
      SK_ASSIGN_OR_RETURN(EniRecord * eni, FindEniLocked(nic_req->network_interface_id));
      if (eni->attachment || (eni->status != "available" && eni->status != "pending")) {
        return Ec2Error("InvalidNetworkInterface.InUse", "Interface: [" + eni->id + "] in use.");
      }
      if (nic_req->delete_on_termination.value_or(false)) {
        return Ec2Error("InvalidParameterCombination",
                        "DeleteOnTermination can only be set for a network interface that the "
                        "launch creates");
      }
      existing_eni = eni;
      subnet = &subnets_.at(eni->subnet_id);
    } else {
      if (nic_req->subnet_id.empty()) {
        return Ec2Error("MissingParameter",
                        "The request must contain the parameter NetworkInterface.1.SubnetId or "
                        "NetworkInterface.1.NetworkInterfaceId");
      }
      auto s = subnets_.find(nic_req->subnet_id);
      if (s == subnets_.end()) {
        return Ec2Error("InvalidSubnetID.NotFound",
                        "The subnet ID '" + nic_req->subnet_id + "' does not exist");
      }
      subnet = &s->second;
      private_ip = nic_req->private_ip;
      groups = nic_req->groups;
    }
  } else if (!req.subnet_id.empty()) {
    auto s = subnets_.find(req.subnet_id);
    if (s == subnets_.end()) {
      return Ec2Error("InvalidSubnetID.NotFound",
                      "The subnet ID '" + req.subnet_id + "' does not exist");
    }
    subnet = &s->second;
  } else {
    std::string az =
        req.availability_zone.empty() ? options_.availability_zones.front() : req.availability_zone;
    subnet = DefaultSubnet(az);
    if (subnet == nullptr) {
      return Ec2Error("InvalidParameterValue", "Invalid availability zone: [" + az + "]");
    }
  }
  if (!req.availability_zone.empty() && req.availability_zone != subnet->az) {
    return Ec2Error("InvalidParameterValue",
                    "Value (" + req.availability_zone +
                        ") for parameter availabilityZone is invalid. Subnet '" + subnet->id +
                        "' is in availability zone " + subnet->az);
  }
  if (!private_ip.empty() && req.max_count > 1) {
    return Ec2Error("InvalidParameterCombination",
                    "Cannot specify a private IP address when launching more than one instance");
  }
  if (groups.empty()) groups.push_back(vpcs_.at(subnet->vpc_id).default_security_group);

  // --- block devices: the image's root (restored from its snapshot when it has one), the
  // image's other devices, and the request's mappings (which override the image's per device).
  const ImageRecord& img = image->second;
  auto completed_snapshot = [&](const std::string& id) -> Result<const SnapshotRecord*> {
    SK_ASSIGN_OR_RETURN(SnapshotRecord * snap, FindSnapshotLocked(id));
    if (snap->state != "completed") {
      return Ec2Error("IncorrectState", "Snapshot '" + id + "' is not 'completed'.");
    }
    return snap;
  };
  auto too_small = [](int size, const SnapshotRecord& snap) {
    return Ec2Error("InvalidBlockDeviceMapping",
                    "Volume of size " + std::to_string(size) + "GB is smaller than snapshot '" +
                        snap.id + "', expect size >= " + std::to_string(snap.volume_size_gib) +
                        "GB");
  };
  if (!img.root_snapshot_id.empty()) {
    SK_RETURN_IF_ERROR(completed_snapshot(img.root_snapshot_id).status());
  }
  int root_size = img.root_size_gib;
  bool root_dot = img.root_delete_on_termination;
  std::string root_type = img.root_volume_type;
  struct DataVolume {
    std::string device;
    int size;
    bool dot;
    std::string type;
    int iops;
    int throughput;
    std::string snapshot_id;
  };
  std::vector<DataVolume> data;
  std::set<std::string> devices;
  for (const BlockDeviceRequest& b : req.block_devices) {
    if (b.device_name.empty()) {
      return Ec2Error("MissingParameter",
                      "The request must contain the parameter BlockDeviceMapping.N.DeviceName");
    }
    SK_RETURN_IF_ERROR(CheckMappingDevice(b.device_name, &devices));
    if (b.no_device || !b.virtual_name.empty()) {
      if (b.device_name == img.root_device_name) {
        return Ec2Error("InvalidBlockDeviceMapping",
                        "The root device " + b.device_name + " cannot be removed");
      }
      continue;  // no instance store here: ephemeral mappings have nothing to map
    }
    if (!b.volume_type.empty() && kVolumeTypes.count(b.volume_type) == 0) {
      return Ec2Error("InvalidParameterValue",
                      "Value (" + b.volume_type + ") for parameter volumeType is invalid.");
    }
    if (b.device_name == img.root_device_name) {
      if (!b.snapshot_id.empty() && b.snapshot_id != img.root_snapshot_id) {
        return Ec2Error("InvalidBlockDeviceMapping",
                        "The snapshot of the root device " + b.device_name +
                            " cannot be changed; use an image registered from " + b.snapshot_id);
      }
      if (b.volume_size) {
        if (*b.volume_size < img.root_size_gib) {
          return Ec2Error("InvalidBlockDeviceMapping",
                          "Volume of size " + std::to_string(*b.volume_size) +
                              "GB is smaller than the image's root volume, expect size >= " +
                              std::to_string(img.root_size_gib) + "GB");
        }
        root_size = *b.volume_size;
      }
      root_dot = b.delete_on_termination.value_or(root_dot);
      if (!b.volume_type.empty()) root_type = b.volume_type;
      continue;
    }
    // A device of the image keeps its snapshot and size unless the mapping says otherwise.
    const ImageDeviceRecord* of_image = nullptr;
    for (const ImageDeviceRecord& d : img.data_devices) {
      if (d.device_name == b.device_name) of_image = &d;
    }
    std::string snapshot_id = b.snapshot_id;
    if (snapshot_id.empty() && of_image != nullptr) snapshot_id = of_image->snapshot_id;
    std::optional<int> size = b.volume_size;
    if (!size && of_image != nullptr && snapshot_id == of_image->snapshot_id) {
      size = of_image->volume_size_gib;
    }
    if (!snapshot_id.empty()) {
      SK_ASSIGN_OR_RETURN(const SnapshotRecord* snap, completed_snapshot(snapshot_id));
      if (size && *size < snap->volume_size_gib) return too_small(*size, *snap);
      if (!size) size = snap->volume_size_gib;
    }
    if (!size) {
      return Ec2Error("MissingParameter",
                      "The request must contain the parameter size/snapshot "
                      "for " +
                          b.device_name);
    }
    if (*size < 1 || *size > 16384) {
      return Ec2Error("InvalidParameterValue",
                      "Volume of " + std::to_string(*size) +
                          "GiB is out of range; it must be between 1 and 16384 GiB.");
    }
    bool dot = b.delete_on_termination.value_or(
        of_image != nullptr ? of_image->delete_on_termination : true);
    std::string type = !b.volume_type.empty() ? b.volume_type
                       : of_image != nullptr  ? of_image->volume_type
                                              : "gp3";
    data.push_back({b.device_name, *size, dot, type, b.iops, b.throughput, snapshot_id});
  }
  for (const ImageDeviceRecord& d : img.data_devices) {
    if (devices.count(d.device_name) > 0) continue;  // mapped (or removed) by the request
    if (!d.snapshot_id.empty()) SK_RETURN_IF_ERROR(completed_snapshot(d.snapshot_id).status());
    data.push_back({d.device_name, d.volume_size_gib, d.delete_on_termination, d.volume_type, 0, 0,
                    d.snapshot_id});
  }
  TagMap instance_tags, volume_tags, eni_tags;
  if (spot) {
    SK_RETURN_IF_ERROR(ApplyTagSpecs(req.tag_specs, "spot-instances-request", &spot_template.tags));
  }
  SK_RETURN_IF_ERROR(ApplyTagSpecs(req.tag_specs, "instance", &instance_tags));
  SK_RETURN_IF_ERROR(ApplyTagSpecs(req.tag_specs, "volume", &volume_tags));
  SK_RETURN_IF_ERROR(ApplyTagSpecs(req.tag_specs, "network-interface", &eni_tags));

  // --- capacity
  int64_t live = std::count_if(instances_.begin(), instances_.end(),
                               [](const auto& kv) { return kv.second.state != "terminated"; });
  int64_t room = options_.max_instances - live;
  if (room < req.min_count) {
    return Ec2Error("InstanceLimitExceeded", "You have requested more instances (" +
                                                 std::to_string(req.min_count) +
                                                 ") than your current instance limit of " +
                                                 std::to_string(options_.max_instances) +
                                                 " allows for the specified instance type.");
  }
  int64_t count = std::min(req.max_count, room);
  // The pool's capacity (spot and on-demand each their own) and the spot price.
  if (spot) {
    spot_template.instance_type = type->name;
    spot_template.az = subnet->az;
    SK_RETURN_IF_ERROR(CheckMaxPriceLocked(spot_template));
  }
  int64_t pool_room = RoomLocked(type->name, subnet->az, spot);
  if (pool_room < req.min_count) return InsufficientCapacity(type->name, subnet->az, spot);
  count = std::min(count, pool_room);
  if (existing_eni == nullptr) {
    // Addresses are checked before anything is recorded, so a launch is all or nothing.
    if (!private_ip.empty()) SK_RETURN_IF_ERROR(AllocateIp(*subnet, private_ip).status());
    Cidr c = Cidr::Parse(subnet->cidr).value();
    int64_t used = std::count_if(enis_.begin(), enis_.end(),
                                 [&](const auto& kv) { return kv.second.subnet_id == subnet->id; });
    int64_t free = static_cast<int64_t>(c.Size()) - 5 - used;
    if (free < req.min_count) {
      return Ec2Error("InsufficientFreeAddressesInSubnet",
                      "There are not enough free addresses in subnet '" + subnet->id +
                          "' to satisfy the requested number of instances.");
    }
    count = std::min(count, free);
  }

  // --- record the intent: instances pending, volumes and interfaces attaching
  CloudDb::Transaction tx(db_);
  Reservation res;
  res.reservation_id = NewId("r");
  int64_t now = ToMillis(options_.clock->Now());
  TokenRecord token;
  token.id = "RunInstances:" + req.client_token;
  token.digest = digest;
  for (int64_t i = 0; i < count; ++i) {
    InstanceRecord r;
    r.id = NewId("i");
    r.reservation_id = res.reservation_id;
    r.image_id = img.id;
    r.instance_type = type->name;
    r.vcpus = type->vcpus;
    r.memory_mib = type->memory_mib;
    r.az = subnet->az;
    r.subnet_id = subnet->id;
    r.vpc_id = subnet->vpc_id;
    r.root_device_name = img.root_device_name;
    r.launch_ms = now;
    r.lifecycle = req.market_type;
    r.client_token = req.client_token;
    r.user_data = req.user_data;
    r.launch_index = static_cast<int>(i);
    r.key_name = req.key_name;
    r.groups = groups;
    r.shutdown_behavior = behavior;
    r.tags = instance_tags;
    if (spot) {
      SpotRequestRecord sr = spot_template;
      sr.id = "sir-" + random_.Hex(8);
      sr.instance_id = r.id;
      sr.subnet_id = subnet->id;
      sr.groups = groups;
      sr.create_ms = now;
      SetSpotStatusLocked(sr, "fulfilled", "active");
      SK_RETURN_IF_ERROR(Save(sr));
      r.spot_request_id = sr.id;
    }

    EniRecord eni;
    if (existing_eni != nullptr) {
      eni = *existing_eni;
    } else {
      SK_ASSIGN_OR_RETURN(std::string ip, AllocateIp(*subnet, private_ip));
      eni.id = NewId("eni");
      eni.subnet_id = subnet->id;
      eni.vpc_id = subnet->vpc_id;
      eni.az = subnet->az;
      eni.private_ip = ip;
      eni.mac = NewMac();
      eni.description = nic_req != nullptr ? nic_req->description : "";
      eni.groups = groups;
      eni.tags = eni_tags;
    }
    eni.attachment = EniAttachmentRecord{NewId("eni-attach"), r.id, 0,
                                         "attaching",         now,  existing_eni == nullptr};
    eni.status = "in-use";
    SK_RETURN_IF_ERROR(Save(eni));
    r.primary_eni_id = eni.id;
    r.private_ip = eni.private_ip;

    VolumeRecord root;
    root.id = NewId("vol");
    root.az = subnet->az;
    root.size_gib = root_size;
    root.volume_type = root_type;
    root.snapshot_id = img.root_snapshot_id;
    root.state = "in-use";
    root.create_ms = now;
    root.attachment = AttachmentRecord{r.id, img.root_device_name, "attaching", now, root_dot};
    root.tags = volume_tags;
    SK_RETURN_IF_ERROR(Save(root));
    r.root_volume_id = root.id;
    for (const DataVolume& d : data) {
      VolumeRecord v;
      v.id = NewId("vol");
      v.az = subnet->az;
      v.size_gib = d.size;
      v.volume_type = d.type;
      v.iops = d.iops;
      v.throughput = d.throughput;
      v.snapshot_id = d.snapshot_id;
      v.state = "in-use";
      v.create_ms = now;
      v.attachment = AttachmentRecord{r.id, d.device, "attaching", now, d.dot};
      v.tags = volume_tags;
      SK_RETURN_IF_ERROR(Save(v));
    }
    r.state = "";
    SK_RETURN_IF_ERROR(SetState(r, "pending"));
    SK_RETURN_IF_ERROR(Save(r));
    token.resource_ids.push_back(r.id);
    res.instances.push_back(ViewLocked(r));
  }
  if (!req.client_token.empty()) SK_RETURN_IF_ERROR(Save(token));
  SK_RETURN_IF_ERROR(tx.Commit());
  for (const InstanceView& v : res.instances) Enqueue(v.instance.id);
  return res;
}

}  // namespace spotkeeper::cloud
