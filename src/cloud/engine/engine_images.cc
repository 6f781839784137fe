// Engine: images like AMIs. An image is a base root filesystem (the overlay's lower layer, from
// the image it descends from) plus a root snapshot (and snapshots of data devices) that
// RunInstances restores into the instance's volumes. CreateImage snapshots an instance's root
// and attached data volumes (the local cloud never reboots the instance: NoReboot or not, the
// snapshots are crash-consistent, as EC2's are with NoReboot); RegisterImage names existing
// snapshots. An image is "pending" until its snapshots complete, then "available" ("failed" if
// one fails). DeregisterImage keeps the snapshots (unless DeleteAssociatedSnapshots), as on EC2;
// the record of an image that instances still name stays, hidden, so they can start again.
#include <spdlog/spdlog.h>

#include <regex>

#include "cloud/engine/describe_filter.h"
#include "cloud/engine/ec2_error.h"
#include "cloud/engine/engine.h"

namespace spotkeeper::cloud {
namespace {

const std::set<std::string> kImageFilters = {"image-id",
                                             "name",
                                             "state",
                                             "owner-id",
                                             "root-device-name",
                                             "root-device-type",
                                             "architecture",
                                             "image-type",
                                             "is-public",
                                             "virtualization-type",
                                             "description",
                                             "block-device-mapping.snapshot-id",
                                             "block-device-mapping.device-name",
                                             "block-device-mapping.volume-size",
                                             "block-device-mapping.volume-type",
                                             "block-device-mapping.delete-on-termination"};

const std::set<std::string> kVolumeTypes = {"gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"};

// Every EBS mapping of the image, root first.
std::vector<ImageDeviceRecord> Mappings(const ImageRecord& img) {
  std::vector<ImageDeviceRecord> out;
  out.push_back(ImageDeviceRecord{img.root_device_name, img.root_snapshot_id, img.root_size_gib,
                                  img.root_delete_on_termination, img.root_volume_type});
  out.insert(out.end(), img.data_devices.begin(), img.data_devices.end());
  return out;
}

std::vector<std::string> ImageField(const ImageRecord& img, const std::string& n,
                                    const std::string& account) {
  if (n == "image-id") return {img.id};
  if (n == "name") return {img.name};
  if (n == "state") return {img.state};
  if (n == "owner-id") return {account};
  if (n == "root-device-name") return {img.root_device_name};
  if (n == "root-device-type") return {"ebs"};
  if (n == "architecture") return {"x86_64"};
  if (n == "image-type") return {"machine"};
  if (n == "is-public") return {"false"};
  if (n == "virtualization-type") return {"hvm"};
  if (n == "description") return {img.description};
  std::vector<std::string> out;
  for (const ImageDeviceRecord& d : Mappings(img)) {
    if (n == "block-device-mapping.snapshot-id" && !d.snapshot_id.empty()) {
      out.push_back(d.snapshot_id);
    }
    if (n == "block-device-mapping.device-name") out.push_back(d.device_name);
    if (n == "block-device-mapping.volume-size") out.push_back(std::to_string(d.volume_size_gib));
    if (n == "block-device-mapping.volume-type") out.push_back(d.volume_type);
    if (n == "block-device-mapping.delete-on-termination") {
      out.push_back(d.delete_on_termination ? "true" : "false");
    }
  }
  return out;
}

Status ValidateImageName(const std::string& name) {
  static const std::regex kName("^[A-Za-z0-9()\\[\\] ./'@_-]{3,128}$");
  if (!std::regex_match(name, kName)) {
    return Ec2Error("InvalidAMIName.Malformed",
                    "AMI names must be between 3 and 128 characters long, and may contain "
                    "letters, numbers, '(', ')', '[', ']', ' ', '.', '/', '-', ''', '@' and '_'");
  }
  return OkStatus();
}

}  // namespace

Result<ImageRecord> Engine::CreateImage(const CreateImageRequest& req) {
  if (req.instance_id.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter InstanceId");
  }
  if (req.name.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter Name");
  }
  SK_RETURN_IF_ERROR(ValidateImageName(req.name));
  SK_RETURN_IF_ERROR(CheckTagSpecTypes(req.tag_specs, {"image", "snapshot"}));
  ImageRecord img;
  std::vector<std::string> snapshot_ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    SK_ASSIGN_OR_RETURN(InstanceRecord * inst, FindInstanceLocked(req.instance_id));
    auto root = volumes_.find(inst->root_volume_id);
    if ((inst->state != "running" && inst->state != "stopped") || root == volumes_.end() ||
        !root->second.host_created) {
      return Ec2Error("IncorrectInstanceState", "The instance '" + inst->id +
                                                    "' is not in a state from which it can be "
                                                    "imaged (" +
                                                    inst->state + ").");
    }
    for (const auto& [id, other] : images_) {
      if (other.name == req.name && other.state != "deregistered") {
        return Ec2Error("InvalidAMIName.Duplicate",
                        "AMI name " + req.name + " is already in use by AMI " + id);
      }
    }
    std::set<std::string> left_out;
    for (const BlockDeviceRequest& b : req.block_devices) {
      if (!b.no_device) continue;
      if (b.device_name == inst->root_device_name) {
        return Ec2Error("InvalidBlockDeviceMapping",
                        "The root device " + b.device_name + " cannot be removed");
      }
      left_out.insert(b.device_name);
    }
    TagMap image_tags, snapshot_tags;
    SK_RETURN_IF_ERROR(ApplyTagSpecs(req.tag_specs, "image", &image_tags));
    SK_RETURN_IF_ERROR(ApplyTagSpecs(req.tag_specs, "snapshot", &snapshot_tags));

    img.id = NewId("ami");
    img.name = req.name;
    img.description = req.description;
    img.state = "pending";
    img.root_device_name = inst->root_device_name;
    img.root_size_gib = root->second.size_gib;
    img.root_volume_type = root->second.volume_type;
    img.root_delete_on_termination =
        root->second.attachment ? root->second.attachment->delete_on_termination : true;
    auto source = images_.find(inst->image_id);
    img.rootfs = source != images_.end() ? source->second.rootfs : images_.at(kBaseImageId).rootfs;
    img.source_instance_id = inst->id;
    img.creation_ms = ToMillis(options_.clock->Now());
    img.tags = image_tags;

    CloudDb::Transaction tx(db_);
    auto snapshot_of = [&](const VolumeRecord& vol) -> Result<std::string> {
      SnapshotRecord s = NewSnapshotLocked(
          vol, "Created by CreateImage(" + inst->id + ") for " + img.id + " from " + vol.id,
          snapshot_tags);
      SK_RETURN_IF_ERROR(Save(s));
      snapshot_ids.push_back(s.id);
      return s.id;
    };
    SK_ASSIGN_OR_RETURN(img.root_snapshot_id, snapshot_of(root->second));
    for (const auto& [vid, vol] : volumes_) {
      if (vid == inst->root_volume_id || !vol.attachment || !vol.host_created ||
          vol.attachment->instance_id != inst->id || vol.attachment->status != "attached" ||
          left_out.count(vol.attachment->device) > 0) {
        continue;
      }
      SK_ASSIGN_OR_RETURN(std::string sid, snapshot_of(vol));
      img.data_devices.push_back(ImageDeviceRecord{vol.attachment->device, sid, vol.size_gib,
                                                   vol.attachment->delete_on_termination,
                                                   vol.volume_type});
    }
    SK_RETURN_IF_ERROR(Save(img));
    SK_RETURN_IF_ERROR(tx.Commit());
    capturing_.insert(snapshot_ids.begin(), snapshot_ids.end());
  }
  CaptureNow(snapshot_ids);
  return img;
}

Result<ImageRecord> Engine::RegisterImage(const RegisterImageRequest& req) {
  if (req.name.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter name");
  }
  SK_RETURN_IF_ERROR(ValidateImageName(req.name));
  if (!req.architecture.empty() && req.architecture != "x86_64") {
    return Ec2Error("InvalidParameterValue",
                    "Value (" + req.architecture +
                        ") for parameter architecture is invalid. The spotkeeper local cloud runs "
                        "x86_64 images only.");
  }
  if (!req.virtualization_type.empty() && req.virtualization_type != "hvm") {
    return Ec2Error("InvalidParameterValue",
                    "Value (" + req.virtualization_type +
                        ") for parameter virtualizationType is invalid. The spotkeeper local "
                        "cloud runs hvm images only.");
  }
  if (req.root_device_name.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter rootDeviceName");
  }
  SK_RETURN_IF_ERROR(CheckTagSpecTypes(req.tag_specs, {"image"}));
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, other] : images_) {
    if (other.name == req.name && other.state != "deregistered") {
      return Ec2Error("InvalidAMIName.Duplicate",
                      "AMI name " + req.name + " is already in use by AMI " + id);
    }
  }
  ImageRecord img;
  img.id = NewId("ami");
  img.name = req.name;
  img.description = req.description;
  img.root_device_name = req.root_device_name;
  img.rootfs = images_.at(kBaseImageId).rootfs;  // the lower layer: the base root filesystem
  img.creation_ms = ToMillis(options_.clock->Now());
  bool have_root = false;
  bool all_completed = true;
  std::set<std::string> devices;
  for (const BlockDeviceRequest& b : req.block_devices) {
    SK_RETURN_IF_ERROR(CheckMappingDevice(b.device_name, &devices));
    bool is_root = b.device_name == req.root_device_name;
    if (b.no_device || !b.virtual_name.empty()) {
      if (is_root) {
        return Ec2Error("InvalidBlockDeviceMapping",
                        "The root device " + b.device_name + " must be an EBS volume");
      }
      continue;  // no instance store here
    }
    if (!b.volume_type.empty() && kVolumeTypes.count(b.volume_type) == 0) {
      return Ec2Error("InvalidParameterValue",
                      "Value (" + b.volume_type + ") for parameter volumeType is invalid.");
    }
    ImageDeviceRecord d;
    d.device_name = b.device_name;
    d.snapshot_id = b.snapshot_id;
    d.delete_on_termination = b.delete_on_termination.value_or(true);
    d.volume_type = b.volume_type.empty() ? "gp3" : b.volume_type;
    if (!b.snapshot_id.empty()) {
      SK_ASSIGN_OR_RETURN(SnapshotRecord * s, FindSnapshotLocked(b.snapshot_id));
      if (s->state == "error") {
        return Ec2Error("IncorrectState", "Snapshot '" + s->id + "' is not 'completed'.");
      }
      all_completed = all_completed && s->state == "completed";
      if (b.volume_size && *b.volume_size < s->volume_size_gib) {
        return Ec2Error("InvalidBlockDeviceMapping",
                        "Volume of size " + std::to_string(*b.volume_size) +
                            "GB is smaller than snapshot '" + s->id +
                            "', expect size >= " + std::to_string(s->volume_size_gib) + "GB");
      }
      d.volume_size_gib = b.volume_size.value_or(s->volume_size_gib);
    } else if (is_root) {
      return Ec2Error("InvalidBlockDeviceMapping",
                      "The root device " + b.device_name +
                          " needs Ebs.SnapshotId: the spotkeeper local cloud registers "
                          "EBS-backed images from a snapshot of their root volume");
    } else if (!b.volume_size) {
      return Ec2Error("MissingParameter",
                      "The request must contain the parameter size/snapshot for " + b.device_name);
    } else {
      d.volume_size_gib = *b.volume_size;
    }
    if (d.volume_size_gib < 1 || d.volume_size_gib > 16384) {
      return Ec2Error("InvalidParameterValue",
                      "Volume of " + std::to_string(d.volume_size_gib) +
                          "GiB is out of range; it must be between 1 and 16384 GiB.");
    }
    if (is_root) {
      have_root = true;
      img.root_snapshot_id = d.snapshot_id;
      img.root_size_gib = d.volume_size_gib;
      img.root_delete_on_termination = d.delete_on_termination;
      img.root_volume_type = d.volume_type;
    } else {
      img.data_devices.push_back(std::move(d));
    }
  }
  if (!have_root) {
    return Ec2Error("InvalidBlockDeviceMapping",
                    "The root device " + req.root_device_name +
                        " needs a block device mapping with Ebs.SnapshotId");
  }
  SK_RETURN_IF_ERROR(ApplyTagSpecs(req.tag_specs, "image", &img.tags));
  img.state = all_completed ? "available" : "pending";
  CloudDb::Transaction tx(db_);
  SK_RETURN_IF_ERROR(Save(img));
  SK_RETURN_IF_ERROR(tx.Commit());
  if (!all_completed) Enqueue(img.id);
  return img;
}

Status Engine::DeregisterImage(const std::string& image_id, bool delete_snapshots) {
  if (image_id.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter ImageId");
  }
  SK_RETURN_IF_ERROR(CheckIdShape(image_id, "ami-", "InvalidAMIID.Malformed"));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = images_.find(image_id);
  if (it == images_.end() || it->second.state == "deregistered") {
    return Ec2Error("InvalidAMIID.NotFound", "The image id '[" + image_id + "]' does not exist");
  }
  if (image_id == kBaseImageId) {
    return Ec2Error("OperationNotPermitted", "The base image " + image_id +
                                                 " of the spotkeeper local cloud cannot be "
                                                 "deregistered");
  }
  ImageRecord img = it->second;
  bool named = false;
  for (const auto& [id, r] : instances_) named = named || r.image_id == image_id;
  CloudDb::Transaction tx(db_);
  if (named) {
    img.state = "deregistered";
    SK_RETURN_IF_ERROR(Save(img));
  } else {
    SK_RETURN_IF_ERROR(Erase(image_id));
  }
  std::vector<std::string> deleting;
  if (delete_snapshots) {
    for (const ImageDeviceRecord& d : Mappings(img)) {
      auto s = snapshots_.find(d.snapshot_id);
      if (d.snapshot_id.empty() || s == snapshots_.end() || s->second.state == "deleting") continue;
      bool used = false;
      for (const auto& [id, other] : images_) {
        if (other.state == "deregistered" || id == image_id) continue;
        for (const ImageDeviceRecord& o : Mappings(other)) used = used || o.snapshot_id == s->first;
      }
      if (used) continue;
      SnapshotRecord r = s->second;
      r.state = "deleting";
      SK_RETURN_IF_ERROR(Save(r));
      deleting.push_back(r.id);
    }
  }
  SK_RETURN_IF_ERROR(tx.Commit());
  for (const std::string& id : deleting) Enqueue(id);
  return OkStatus();
}

bool Engine::StepImage(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = images_.find(id);
  if (it == images_.end() || it->second.state != "pending") return false;
  ImageRecord img = it->second;
  bool all_completed = true;
  std::string failed;
  for (const ImageDeviceRecord& d : Mappings(img)) {
    if (d.snapshot_id.empty()) continue;
    auto s = snapshots_.find(d.snapshot_id);
    if (s == snapshots_.end() || s->second.state == "error" || s->second.state == "deleting") {
      failed = d.snapshot_id;
    } else if (s->second.state != "completed") {
      all_completed = false;
    }
  }
  if (!failed.empty()) {
    img.state = "failed";
    img.state_reason = "Snapshot " + failed + " of " + id + " failed";
  } else if (all_completed) {
    img.state = "available";
  } else {
    return false;  // the snapshots' completion queues it again
  }
  CloudDb::Transaction tx(db_);
  Status s = Save(img);
  if (s.ok()) s = tx.Commit();
  if (!s.ok()) spdlog::error("cloud: recording image {}: {}", id, s.ToString());
  return false;
}

Result<Page<ImageRecord>> Engine::DescribeImages(const DescribeRequest& req,
                                                 const std::vector<std::string>& owners) {
  SK_RETURN_IF_ERROR(ValidateFilters(req.filters, kImageFilters));
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& id : req.ids) {
    if (id.rfind("ami-", 0) != 0) {
      return Ec2Error("InvalidAMIID.Malformed",
                      "Invalid id: \"" + id + "\" (expecting \"ami-...\")");
    }
    auto it = images_.find(id);
    if (it == images_.end() || it->second.state == "deregistered") {
      return Ec2Error("InvalidAMIID.NotFound", "The image id '[" + id + "]' does not exist");
    }
  }
  bool ours = owners.empty();
  for (const std::string& o : owners) ours = ours || o == "self" || o == options_.account_id;
  std::set<std::string> wanted(req.ids.begin(), req.ids.end());
  std::vector<ImageRecord> matched;
  std::vector<std::string> ids;
  for (const auto& [id, record] : images_) {
    const ImageRecord& img = record;  // a lambda cannot capture a structured binding (clang)
    if (!ours || img.state == "deregistered" || (!wanted.empty() && wanted.count(id) == 0)) {
      continue;
    }
    if (!MatchesFilters(req.filters, img.tags, [&](const std::string& n) {
          return ImageField(img, n, options_.account_id);
        })) {
      continue;
    }
    ids.push_back(id);
    matched.push_back(img);
  }
  return PageOf(std::move(matched), ids, req, 5, 1000);
}

}  // namespace spotkeeper::cloud
