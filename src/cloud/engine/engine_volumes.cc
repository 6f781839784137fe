// Engine: EBS-like volumes (AZ-bound; attach and detach while the instance runs).
#include <regex>

#include "cloud/engine/describe_filter.h"
#include "cloud/engine/ec2_error.h"
#include "cloud/engine/engine.h"

namespace spotkeeper::cloud {
namespace {

struct SizeRange {
  int lo;
  int hi;
};

std::optional<SizeRange> RangeFor(const std::string& type) {
  if (type == "gp2" || type == "gp3") return SizeRange{1, 16384};
  if (type == "io1" || type == "io2") return SizeRange{4, 16384};
  if (type == "st1" || type == "sc1") return SizeRange{125, 16384};
  if (type == "standard") return SizeRange{1, 1024};
  return std::nullopt;
}

bool ValidEbsDevice(const std::string& d) {
  static const std::regex kDevice("^(/dev/)?(sd|xvd)[a-z]{1,2}[0-9]{0,2}$");
  return std::regex_match(d, kDevice);
}

VolumeAttachmentResult AttachmentOf(const VolumeRecord& v) {
  VolumeAttachmentResult a;
  a.volume_id = v.id;
  if (v.attachment) {
    a.instance_id = v.attachment->instance_id;
    a.device = v.attachment->device;
    a.status = v.attachment->status;
    a.attach_ms = v.attachment->attach_ms;
    a.delete_on_termination = v.attachment->delete_on_termination;
  }
  return a;
}

const std::set<std::string> kVolumeFilters = {"volume-id",
                                              "status",
                                              "availability-zone",
                                              "size",
                                              "volume-type",
                                              "snapshot-id",
                                              "attachment.instance-id",
                                              "attachment.device",
                                              "attachment.status",
                                              "attachment.delete-on-termination",
                                              "encrypted"};

std::vector<std::string> VolumeField(const VolumeRecord& v, const std::string& name) {
  if (name == "volume-id") return {v.id};
  if (name == "status") return {v.state};
  if (name == "availability-zone") return {v.az};
  if (name == "size") return {std::to_string(v.size_gib)};
  if (name == "volume-type") return {v.volume_type};
  if (name == "snapshot-id") return {v.snapshot_id};
  if (name == "encrypted") return {v.encrypted ? "true" : "false"};
  if (!v.attachment) return {};
  if (name == "attachment.instance-id") return {v.attachment->instance_id};
  if (name == "attachment.device") return {v.attachment->device};
  if (name == "attachment.status") return {v.attachment->status};
  if (name == "attachment.delete-on-termination") {
    return {v.attachment->delete_on_termination ? "true" : "false"};
  }
  return {};
}

}  // namespace

Result<VolumeRecord*> Engine::FindVolumeLocked(const std::string& id) {
  SK_RETURN_IF_ERROR(CheckIdShape(id, "vol-", "InvalidVolumeID.Malformed"));
  auto it = volumes_.find(id);
  if (it == volumes_.end()) {
    return Ec2Error("InvalidVolume.NotFound", "The volume '" + id + "' does not exist.");
  }
  return &it->second;
}

Result<VolumeRecord> Engine::CreateVolume(const CreateVolumeRequest& req) {
  if (req.availability_zone.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter AvailabilityZone");
  }
  if (std::find(options_.availability_zones.begin(), options_.availability_zones.end(),
                req.availability_zone) == options_.availability_zones.end()) {
    return Ec2Error("InvalidParameterValue",
                    "Invalid availability zone: [" + req.availability_zone + "]");
  }
  std::optional<int> size = req.size;
  if (!req.snapshot_id.empty()) {
    // In any zone; the size defaults to the snapshot's (engine_snapshots.cc).
    SK_ASSIGN_OR_RETURN(size, SizeFromSnapshot(req.snapshot_id, req.size));
  }
  std::string type = req.volume_type.empty() ? "gp3" : req.volume_type;
  auto range = RangeFor(type);
  if (!range) {
    return Ec2Error("InvalidParameterValue",
                    "Value (" + type + ") for parameter volumeType is invalid.");
  }
  if (!size) {
    return Ec2Error("MissingParameter", "The request must contain the parameter size/snapshot");
  }
  if (*size < range->lo || *size > range->hi) {
    return Ec2Error("InvalidParameterValue", "Volume of " + std::to_string(*size) +
                                                 "GiB is out of range for volume "
                                                 "type " +
                                                 type + "; it must be between " +
                                                 std::to_string(range->lo) + " and " +
                                                 std::to_string(range->hi) + " GiB.");
  }
  SK_RETURN_IF_ERROR(CheckTagSpecTypes(req.tag_specs, {"volume"}));
  std::string digest = req.digest;
  if (digest.empty()) {
    nlohmann::json j = {{"az", req.availability_zone},
                        {"size", *size},
                        {"snapshot", req.snapshot_id},
                        {"type", type},
                        {"iops", req.iops},
                        {"throughput", req.throughput},
                        {"encrypted", req.encrypted}};
    for (const TagSpec& t : req.tag_specs) j["tags"].push_back({t.resource_type, t.tags});
    digest = j.dump();
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> existing;
  SK_RETURN_IF_ERROR(CheckToken("CreateVolume", req.client_token, digest, &existing));
  if (!existing.empty()) {
    auto it = volumes_.find(existing.front());
    if (it != volumes_.end()) return it->second;
    return Ec2Error("IdempotentParameterMismatch",
                    "The client token you have provided is associated with a resource that is "
                    "already deleted. Please use a different client token.");
  }
  VolumeRecord v;
  v.id = NewId("vol");
  v.az = req.availability_zone;
  v.size_gib = *size;
  v.snapshot_id = req.snapshot_id;
  v.volume_type = type;
  v.iops = req.iops != 0 ? req.iops : (type == "gp3" ? 3000 : 0);
  v.throughput = req.throughput != 0 ? req.throughput : (type == "gp3" ? 125 : 0);
  v.encrypted = req.encrypted;
  v.state = "creating";
  v.create_ms = ToMillis(options_.clock->Now());
  v.client_token = req.client_token;
  SK_RETURN_IF_ERROR(ApplyTagSpecs(req.tag_specs, "volume", &v.tags));
  CloudDb::Transaction tx(db_);
  SK_RETURN_IF_ERROR(Save(v));
  if (!req.client_token.empty()) {
    SK_RETURN_IF_ERROR(Save(TokenRecord{"CreateVolume:" + req.client_token, digest, {v.id}}));
  }
  SK_RETURN_IF_ERROR(tx.Commit());
  Enqueue(v.id);
  return v;
}

Result<VolumeAttachmentResult> Engine::AttachVolume(const std::string& volume_id,
                                                    const std::string& instance_id,
                                                    const std::string& device) {
  for (const auto& [name, value] :
       {std::pair<const char*, const std::string&>{"VolumeId", volume_id},
        {"InstanceId", instance_id},
        {"Device", device}}) {
    if (value.empty()) {
      return Ec2Error("MissingParameter",
                      std::string("The request must contain the parameter ") + name);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  SK_ASSIGN_OR_RETURN(VolumeRecord * vol, FindVolumeLocked(volume_id));
  SK_ASSIGN_OR_RETURN(InstanceRecord * inst, FindInstanceLocked(instance_id));
  if (!ValidEbsDevice(device)) {
    return Ec2Error("InvalidParameterValue", "Value (" + device +
                                                 ") for parameter device is invalid. " + device +
                                                 " is not a valid EBS device name.");
  }
  std::string dev = device.rfind("/dev/", 0) == 0 ? device : "/dev/" + device;
  if (vol->attachment || vol->state == "in-use") {
    return Ec2Error("VolumeInUse", volume_id + " is already attached to an instance");
  }
  if (vol->state != "available") {
    return Ec2Error("IncorrectState", "The volume '" + volume_id + "' is not 'available'.");
  }
  if (vol->az != inst->az) {
    return Ec2Error("InvalidVolume.ZoneMismatch",
                    "The volume '" + volume_id +
                        "' is not in the same availability zone as instance '" + instance_id + "'");
  }
  if (inst->state != "running" && inst->state != "stopped") {
    return Ec2Error("IncorrectInstanceState", "Instance '" + instance_id + "' is not 'running'.");
  }
  bool used = dev == inst->root_device_name;
  for (const auto& [id, v] : volumes_) {
    used = used || (v.attachment && v.attachment->instance_id == instance_id &&
                    v.attachment->device == dev);
  }
  if (used) {
    return Ec2Error("InvalidParameterValue", "Invalid value '" + dev +
                                                 "' for unixDevice. Attachment point " + dev +
                                                 " is already in use");
  }
  VolumeRecord v = *vol;
  v.state = "in-use";
  v.attachment =
      AttachmentRecord{instance_id, dev, "attaching", ToMillis(options_.clock->Now()), false};
  CloudDb::Transaction tx(db_);
  SK_RETURN_IF_ERROR(Save(v));
  SK_RETURN_IF_ERROR(tx.Commit());
  Enqueue(instance_id);
  return AttachmentOf(v);
}

Result<VolumeAttachmentResult> Engine::DetachVolume(const std::string& volume_id,
                                                    const std::string& instance_id,
                                                    const std::string& device, bool /*force*/) {
  if (volume_id.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter VolumeId");
  }
  std::lock_guard<std::mutex> lock(mu_);
  SK_ASSIGN_OR_RETURN(VolumeRecord * vol, FindVolumeLocked(volume_id));
  if (!vol->attachment) {
    return Ec2Error("IncorrectState",
                    "Volume '" + volume_id + "' is in the '" + vol->state + "' state.");
  }
  std::string dev = device.empty() || device.rfind("/dev/", 0) == 0 ? device : "/dev/" + device;
  if ((!instance_id.empty() && instance_id != vol->attachment->instance_id) ||
      (!dev.empty() && dev != vol->attachment->device)) {
    return Ec2Error("InvalidAttachment.NotFound",
                    "The volume '" + volume_id + "' is not attached to instance '" +
                        (instance_id.empty() ? vol->attachment->instance_id : instance_id) +
                        "' at " + (dev.empty() ? vol->attachment->device : dev));
  }
  const InstanceRecord& inst = instances_.at(vol->attachment->instance_id);
  if (inst.root_volume_id == volume_id) {
    return Ec2Error("OperationNotPermitted", "Unable to detach root volume '" + volume_id +
                                                 "' from instance '" + inst.id + "'");
  }
  if (vol->attachment->status == "detaching") return AttachmentOf(*vol);
  VolumeRecord v = *vol;
  v.attachment->status = "detaching";
  CloudDb::Transaction tx(db_);
  SK_RETURN_IF_ERROR(Save(v));
  SK_RETURN_IF_ERROR(tx.Commit());
  Enqueue(inst.id);
  return AttachmentOf(v);
}

Status Engine::DeleteVolume(const std::string& volume_id) {
  if (volume_id.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter VolumeId");
  }
  std::lock_guard<std::mutex> lock(mu_);
  SK_ASSIGN_OR_RETURN(VolumeRecord * vol, FindVolumeLocked(volume_id));
  if (vol->attachment) {
    return Ec2Error("VolumeInUse", "Volume " + volume_id + " is currently attached to " +
                                       vol->attachment->instance_id);
  }
  if (vol->state == "deleting") return OkStatus();
  VolumeRecord v = *vol;
  v.state = "deleting";
  CloudDb::Transaction tx(db_);
  SK_RETURN_IF_ERROR(Save(v));
  SK_RETURN_IF_ERROR(tx.Commit());
  Enqueue(volume_id);
  return OkStatus();
}

Result<Page<VolumeRecord>> Engine::DescribeVolumes(const DescribeRequest& req) {
  if (!req.ids.empty() && req.max_results) {
    return Ec2Error("InvalidParameterCombination",
                    "The parameter volumeSet cannot be used with the parameter maxResults");
  }
  SK_RETURN_IF_ERROR(ValidateFilters(req.filters, kVolumeFilters));
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& id : req.ids) SK_RETURN_IF_ERROR(FindVolumeLocked(id).status());
  std::set<std::string> wanted(req.ids.begin(), req.ids.end());
  std::vector<VolumeRecord> matched;
  std::vector<std::string> ids;
  for (const auto& [id, v] : volumes_) {
    if (!wanted.empty() && wanted.count(id) == 0) continue;
    if (!MatchesFilters(req.filters, v.tags,
                        [&v = v](const std::string& n) { return VolumeField(v, n); })) {
      continue;
    }
    ids.push_back(id);
    matched.push_back(v);
  }
  return PageOf(std::move(matched), ids, req, 5, 500);
}

}  // namespace spotkeeper::cloud
