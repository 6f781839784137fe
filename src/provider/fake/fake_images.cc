// FakeCloud: AMIs (base images, RegisterImage, CreateImage, DeregisterImage).
#include <set>

#include "provider/fake/describe_util.h"
#include "provider/fake/fake_cloud.h"

namespace spotkeeper {

using fake::ImageRecord;
using fake::InvalidParameterValue;
using fake::TransitionKind;

namespace {

Status ValidateImageName(const std::string& name) {
  if (name.size() < 3 || name.size() > 128) {
    return Status(Code::kInvalidArgument,
                  "AMI names must be between 3 and 128 characters long: '" + name + "'",
                  "InvalidAMIName.Malformed");
  }
  return OkStatus();
}

}  // namespace

Result<ImageRecord*> FakeCloud::FindImage(const std::string& id) {
  auto it = images_.find(id);
  if (it == images_.end() || it->second.image.state == "deregistered") {
    return fake::UnknownId(fake::kImageIds, id);
  }
  return &it->second;
}

std::string FakeCloud::AddImage(const std::string& name, int root_size_gib) {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  std::string id = NewId("ami-");
  ImageRecord& rec = images_[id];
  rec.image = Image{id,
                    name,
                    "available",
                    "/dev/xvda",
                    {ImageBlockDevice{"/dev/xvda", "", root_size_gib, true}},
                    Now(),
                    {}};
  rec.is_public = true;
  return id;
}

void FakeCloud::WithdrawImage(const std::string& image_id) {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  auto it = images_.find(image_id);
  if (it != images_.end()) it->second.image.state = "deregistered";
}

ImageRecord& FakeCloud::RegisterImageLocked(const std::string& name,
                                            const std::string& root_device_name,
                                            std::vector<ImageBlockDevice> devices, Tags tags,
                                            Time at) {
  std::string id = NewId("ami-");
  ImageRecord& rec = images_[id];
  rec.image = Image{id, name, "pending", root_device_name, std::move(devices), at, std::move(tags)};
  image_index_.Add(&rec.image.id, rec.image.tags);
  std::set<std::string> pending;
  for (const ImageBlockDevice& d : rec.image.block_devices) {
    if (!d.snapshot_id.empty() && snapshots_.at(d.snapshot_id).snapshot.state != "completed") {
      pending.insert(d.snapshot_id);
    }
  }
  rec.pending_snapshots = static_cast<int>(pending.size());
  for (const std::string& snap : pending) images_waiting_on_[snap].insert(id);
  if (pending.empty()) {
    Schedule(at + Draw(options_.image_pending), TransitionKind::kImageAvailable, &rec.image.id);
  }
  return rec;
}

void FakeCloud::OnImageAvailable(const std::string& id, Time /*at*/) {
  ImageRecord& rec = images_.at(id);
  if (rec.image.state == "pending") rec.image.state = "available";
}

// Errors EC2 gives for a name already taken by one of our images.
Status FakeCloud::CheckImageName(const std::string& name) const {
  SK_RETURN_IF_ERROR(ValidateImageName(name));
  for (const auto& [id, rec] : images_) {
    if (!rec.is_public && rec.image.state != "deregistered" && rec.image.name == name) {
      return Status(Code::kAlreadyExists, "AMI name " + name + " is already in use by AMI " + id,
                    "InvalidAMIName.Duplicate");
    }
  }
  return OkStatus();
}

Result<Image> FakeCloud::RegisterImage(const RegisterImageRequest& req) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("RegisterImage"));
  auto run = [&]() -> Result<Image> {
    SK_RETURN_IF_ERROR(CheckImageName(req.name));
    const Tags tags = fake::WithToken(req.tags, req.client_token);
    SK_RETURN_IF_ERROR(fake::ValidateTags(tags));
    if (req.root_device_name.empty()) {
      return Status(Code::kInvalidArgument, "The request must contain the parameter rootDeviceName",
                    "MissingParameter");
    }
    std::vector<ImageBlockDevice> devices = req.block_devices;
    std::set<std::string> names;
    bool root_has_snapshot = false;
    for (ImageBlockDevice& d : devices) {
      if (!names.insert(d.device_name).second || !fake::ValidDeviceName(d.device_name)) {
        return Status(Code::kInvalidArgument,
                      "Invalid or repeated device name '" + d.device_name + "'",
                      "InvalidBlockDeviceMapping");
      }
      if (!d.snapshot_id.empty()) {
        SK_ASSIGN_OR_RETURN(fake::SnapshotRecord * snap, FindSnapshot(d.snapshot_id));
        if (d.volume_size_gib == 0) d.volume_size_gib = snap->snapshot.volume_size_gib;
        if (d.volume_size_gib < snap->snapshot.volume_size_gib) {
          return InvalidParameterValue("Volume of " + d.device_name + " is smaller than snapshot " +
                                       d.snapshot_id);
        }
        if (d.device_name == req.root_device_name) root_has_snapshot = true;
      } else if (d.volume_size_gib < 1 || d.volume_size_gib > 16384) {
        return InvalidParameterValue("Volume of " + d.device_name + " needs a size of 1..16384");
      }
    }
    if (!root_has_snapshot) {
      return Status(Code::kInvalidArgument,
                    "The root device " + req.root_device_name +
                        " must be in the block device mapping with a snapshot",
                    "InvalidBlockDeviceMapping");
    }
    return RegisterImageLocked(req.name, req.root_device_name, std::move(devices), tags, Now())
        .image;
  };
  return Respond("RegisterImage", run());
}

Result<Image> FakeCloud::CreateImage(const CreateImageRequest& req) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("CreateImage"));
  auto run = [&]() -> Result<Image> {
    SK_ASSIGN_OR_RETURN(fake::InstanceRecord * inst, FindInstance(req.instance_id, false));
    InstanceState s = inst->instance.state;
    if (s != InstanceState::kRunning && s != InstanceState::kStopped) {
      return Status(Code::kFailedPrecondition,
                    "The instance '" + req.instance_id + "' is not in a state from which it " +
                        "can be imaged (" + InstanceStateName(s) + ")",
                    "IncorrectInstanceState");
    }
    SK_RETURN_IF_ERROR(CheckImageName(req.name));
    const Tags tags = fake::WithToken(req.tags, req.client_token);
    SK_RETURN_IF_ERROR(fake::ValidateTags(tags));
    // no_reboot makes no difference here: the fake has no file systems to quiesce.
    const Time now = Now();
    std::vector<ImageBlockDevice> devices;
    for (const InstanceBlockDevice& bd : inst->instance.block_devices) {
      if (bd.status == "detaching") continue;
      fake::VolumeRecord& vol = volumes_.at(bd.volume_id);
      fake::SnapshotRecord& snap = CreateSnapshotOf(
          vol, "Created by CreateImage(" + req.instance_id + ") for " + req.name, tags, now);
      devices.push_back(
          {bd.device_name, snap.snapshot.id, vol.volume.size_gib, bd.delete_on_termination});
    }
    return RegisterImageLocked(req.name, inst->instance.root_device_name, std::move(devices), tags,
                               now)
        .image;
  };
  return Respond("CreateImage", run());
}

Status FakeCloud::DeregisterImage(const std::string& image_id) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("DeregisterImage"));
  auto run = [&]() -> Status {
    auto it = images_.find(image_id);
    if (it == images_.end()) return fake::UnknownId(fake::kImageIds, image_id);
    ImageRecord& rec = it->second;
    if (rec.image.state == "deregistered") return OkStatus();
    if (rec.is_public) {
      return Status(Code::kPermissionDenied,
                    "You are not authorized to deregister the public image " + image_id,
                    "UnauthorizedOperation");
    }
    rec.image.state = "deregistered";
    image_index_.Remove(&rec.image.id, rec.image.tags);
    for (auto& [snap, images] : images_waiting_on_) images.erase(image_id);
    deletions_.push_back({image_id, "image", Now(), "api"});
    return OkStatus();
  };
  return Respond("DeregisterImage", run());
}

Result<std::vector<Image>> FakeCloud::DescribeImages(const Filter& filter) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("DescribeImages"));
  return Respond("DescribeImages",
                 fake::DescribeRecords(
                     images_, image_index_, filter, fake::kImageIds,
                     [](const ImageRecord& r) { return r.image.state != "deregistered"; },
                     [&filter](const ImageRecord& r) {
                       // Images are regional; an AZ filter does not narrow them.
                       return fake::MatchesFilter(filter, r.image.state, filter.availability_zone,
                                                  r.image.tags);
                     },
                     [](const ImageRecord& r) { return r.image; }));
}

}  // namespace spotkeeper
