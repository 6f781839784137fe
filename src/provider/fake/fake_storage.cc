// FakeCloud: EBS volumes (create, attach, detach, delete) and snapshots.
#include <algorithm>
#include <cctype>

#include "provider/fake/describe_util.h"
#include "provider/fake/fake_cloud.h"
#include "provider/fake/param_digest.h"

namespace spotkeeper {

using fake::IncorrectState;
using fake::InvalidParameterValue;
using fake::SnapshotRecord;
using fake::TransitionKind;
using fake::ValidDeviceName;
using fake::ValidVolumeType;
using fake::VolumeRecord;

namespace {

uint64_t Fingerprint(const CreateVolumeRequest& r) {
  return ParamDigest()
      .Add(r.availability_zone)
      .Add(r.size_gib)
      .Add(r.snapshot_id)
      .Add(r.volume_type)
      .Add(r.tags)
      .value();
}

}  // namespace

Result<VolumeRecord*> FakeCloud::FindVolume(const std::string& id) {
  auto it = volumes_.find(id);
  if (it == volumes_.end() || it->second.volume.state == "deleted") {
    return fake::UnknownId(fake::kVolumeIds, id);
  }
  return &it->second;
}

Result<SnapshotRecord*> FakeCloud::FindSnapshot(const std::string& id) {
  auto it = snapshots_.find(id);
  if (it == snapshots_.end() || it->second.deleted) return fake::UnknownId(fake::kSnapshotIds, id);
  return &it->second;
}

// --- volumes ---

std::string FakeCloud::CreateLaunchVolume(fake::InstanceRecord& inst, const std::string& device,
                                          const std::string& snapshot_id, int size_gib,
                                          const std::string& volume_type,
                                          bool delete_on_termination, const Tags& tags, Time at) {
  std::string id = NewId("vol-");
  VolumeRecord& rec = volumes_[id];
  Volume& v = rec.volume;
  v.id = id;
  v.availability_zone = inst.instance.availability_zone;
  v.size_gib = size_gib;
  v.volume_type = volume_type;
  v.state = "in-use";
  v.snapshot_id = snapshot_id;
  v.create_time = at;
  v.attachments = {{inst.instance.id, device, "attached", delete_on_termination}};
  v.tags = tags;
  volume_index_.Add(&v.id, tags);
  inst.instance.block_devices.push_back({device, id, delete_on_termination, "attached"});
  return id;
}

Result<Volume> FakeCloud::CreateVolume(const CreateVolumeRequest& req) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("CreateVolume"));
  auto run = [&]() -> Result<Volume> {
    const uint64_t fingerprint = Fingerprint(req);
    if (!req.client_token.empty()) {
      auto it = volume_tokens_.find(req.client_token);
      if (it != volume_tokens_.end()) {
        if (it->second.fingerprint != fingerprint) return fake::IdempotentParameterMismatch();
        return volumes_.at(it->second.id).volume;
      }
    }
    const Tags tags = fake::WithToken(req.tags, req.client_token);
    SK_RETURN_IF_ERROR(fake::ValidateTags(tags));
    const auto& azs = options_.availability_zones;
    if (std::find(azs.begin(), azs.end(), req.availability_zone) == azs.end()) {
      return InvalidParameterValue("Invalid availability zone: [" + req.availability_zone + "]");
    }
    if (!ValidVolumeType(req.volume_type)) {
      return InvalidParameterValue("Invalid value '" + req.volume_type + "' for volumeType");
    }
    int size = req.size_gib;
    if (!req.snapshot_id.empty()) {
      SK_ASSIGN_OR_RETURN(SnapshotRecord * snap, FindSnapshot(req.snapshot_id));
      if (snap->snapshot.state != "completed") {
        return IncorrectState("Snapshot '" + req.snapshot_id + "' is not 'completed' (state " +
                              snap->snapshot.state + ")");
      }
      if (size == 0) size = snap->snapshot.volume_size_gib;
      if (size < snap->snapshot.volume_size_gib) {
        return InvalidParameterValue(
            "Volume of size " + std::to_string(size) + "GB is smaller than snapshot '" +
            req.snapshot_id +
            "', expect size >= " + std::to_string(snap->snapshot.volume_size_gib) + "GB");
      }
    } else if (size == 0) {
      return Status(Code::kInvalidArgument,
                    "The request must contain the parameter size or snapshotId",
                    "MissingParameter");
    }
    if (size < 1 || size > 16384) {
      return InvalidParameterValue("Volume size must be 1..16384 GiB, not " + std::to_string(size));
    }
    const Time now = Now();
    std::string id = NewId("vol-");
    VolumeRecord& rec = volumes_[id];
    rec.volume = Volume{id,         req.availability_zone, size, req.volume_type,
                        "creating", req.snapshot_id,       now,  {},
                        tags};
    volume_index_.Add(&rec.volume.id, tags);
    if (!req.client_token.empty()) volume_tokens_[req.client_token] = {id, fingerprint};
    Schedule(now + Draw(options_.volume_creating), TransitionKind::kVolumeAvailable,
             &rec.volume.id);
    return rec.volume;
  };
  return Respond("CreateVolume", run());
}

Status FakeCloud::AttachVolume(const std::string& volume_id, const std::string& instance_id,
                               const std::string& device) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("AttachVolume"));
  auto run = [&]() -> Status {
    SK_ASSIGN_OR_RETURN(VolumeRecord * vol, FindVolume(volume_id));
    SK_ASSIGN_OR_RETURN(fake::InstanceRecord * inst, FindInstance(instance_id, false));
    if (!ValidDeviceName(device)) {
      return InvalidParameterValue("Value (" + device + ") for parameter device is invalid. " +
                                   device + " is not a valid EBS device name.");
    }
    if (vol->volume.state == "in-use") {
      return Status(Code::kFailedPrecondition,
                    "vol " + volume_id + " is already attached to an instance", "VolumeInUse");
    }
    if (vol->volume.state != "available") {
      return IncorrectState("vol " + volume_id + " is in the '" + vol->volume.state + "' state.");
    }
    InstanceState s = inst->instance.state;
    if (s != InstanceState::kRunning && s != InstanceState::kStopped) {
      return IncorrectState("Instance '" + instance_id + "' is not 'running'.");
    }
    if (vol->volume.availability_zone != inst->instance.availability_zone) {
      return Status(Code::kInvalidArgument,
                    "The volume '" + volume_id + "' is not in the same availability zone as " +
                        "instance '" + instance_id + "'",
                    "InvalidVolume.ZoneMismatch");
    }
    for (const InstanceBlockDevice& bd : inst->instance.block_devices) {
      if (bd.device_name == device) {
        return InvalidParameterValue("Attachment point " + device + " is already in use");
      }
    }
    const Time now = Now();
    ++vol->generation;
    vol->volume.state = "in-use";
    vol->volume.attachments = {{instance_id, device, "attaching", false}};
    inst->instance.block_devices.push_back({device, volume_id, false, "attaching"});
    Schedule(now + Draw(options_.volume_attach), TransitionKind::kVolumeAttached, &vol->volume.id,
             vol->generation);
    return OkStatus();
  };
  return Respond("AttachVolume", run());
}

void FakeCloud::OnVolumeAttached(const std::string& id, uint64_t generation, Time /*at*/) {
  VolumeRecord& vol = volumes_.at(id);
  if (vol.generation != generation || vol.volume.attachments.empty()) return;
  VolumeAttachment& att = vol.volume.attachments.front();
  if (att.state != "attaching") return;
  att.state = "attached";
  auto it = instances_.find(att.instance_id);
  if (it == instances_.end()) return;
  for (InstanceBlockDevice& bd : it->second.instance.block_devices) {
    if (bd.volume_id == id) bd.status = "attached";
  }
}

void FakeCloud::BeginDetach(VolumeRecord& vol, Time at) {
  ++vol.generation;
  VolumeAttachment& att = vol.volume.attachments.front();
  att.state = "detaching";
  auto it = instances_.find(att.instance_id);
  if (it != instances_.end()) {
    for (InstanceBlockDevice& bd : it->second.instance.block_devices) {
      if (bd.volume_id == vol.volume.id) bd.status = "detaching";
    }
  }
  Schedule(at + Draw(options_.volume_detach), TransitionKind::kVolumeDetached, &vol.volume.id,
           vol.generation);
}

void FakeCloud::OnVolumeDetached(const std::string& id, uint64_t generation, Time /*at*/) {
  VolumeRecord& vol = volumes_.at(id);
  if (vol.generation != generation || vol.volume.state != "in-use") return;
  std::string instance_id =
      vol.volume.attachments.empty() ? "" : vol.volume.attachments.front().instance_id;
  vol.volume.state = "available";
  vol.volume.attachments.clear();
  auto it = instances_.find(instance_id);
  if (it == instances_.end()) return;
  auto& bds = it->second.instance.block_devices;
  bds.erase(std::remove_if(bds.begin(), bds.end(),
                           [&](const InstanceBlockDevice& bd) { return bd.volume_id == id; }),
            bds.end());
}

Status FakeCloud::DetachVolume(const std::string& volume_id, bool force) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("DetachVolume"));
  auto run = [&]() -> Status {
    (void)force;  // a forced detach follows the same course here
    SK_ASSIGN_OR_RETURN(VolumeRecord * vol, FindVolume(volume_id));
    if (vol->volume.state != "in-use" || vol->volume.attachments.empty()) {
      return IncorrectState("Volume '" + volume_id + "' is in the '" + vol->volume.state +
                            "' state.");
    }
    const VolumeAttachment& att = vol->volume.attachments.front();
    if (att.state == "detaching") return OkStatus();  // already on its way
    auto it = instances_.find(att.instance_id);
    if (it != instances_.end() && att.device == it->second.instance.root_device_name &&
        it->second.instance.state != InstanceState::kStopped &&
        it->second.instance.state != InstanceState::kTerminated) {
      return IncorrectState("Unable to detach root volume '" + volume_id + "' from instance '" +
                            att.instance_id + "'");
    }
    BeginDetach(*vol, Now());
    return OkStatus();
  };
  return Respond("DetachVolume", run());
}

void FakeCloud::MarkVolumeDeleted(VolumeRecord& vol, Time at, const std::string& cause) {
  ++vol.generation;
  vol.volume.state = "deleted";
  vol.volume.attachments.clear();
  vol.gone_at = at;
  volume_index_.Remove(&vol.volume.id, vol.volume.tags);
  deletions_.push_back({vol.volume.id, "volume", at, cause});
}

Status FakeCloud::DeleteVolume(const std::string& volume_id) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("DeleteVolume"));
  auto run = [&]() -> Status {
    SK_ASSIGN_OR_RETURN(VolumeRecord * vol, FindVolume(volume_id));
    const std::string& state = vol->volume.state;
    if (state == "deleting") return OkStatus();
    if (state == "in-use") {
      return Status(Code::kFailedPrecondition,
                    "Volume " + volume_id + " is currently attached to " +
                        vol->volume.attachments.front().instance_id,
                    "VolumeInUse");
    }
    if (state != "available") {
      return IncorrectState("The volume '" + volume_id + "' is '" + state + "'");
    }
    const Time now = Now();
    vol->volume.state = "deleting";
    Schedule(now + Draw(options_.volume_deleting), TransitionKind::kVolumeDeleted, &vol->volume.id);
    return OkStatus();
  };
  return Respond("DeleteVolume", run());
}

Result<std::vector<Volume>> FakeCloud::DescribeVolumes(const Filter& filter) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("DescribeVolumes"));
  return Respond("DescribeVolumes",
                 fake::DescribeRecords(
                     volumes_, volume_index_, filter, fake::kVolumeIds,
                     [](const VolumeRecord& r) { return r.volume.state != "deleted"; },
                     [&filter](const VolumeRecord& r) {
                       return fake::MatchesFilter(filter, r.volume.state,
                                                  r.volume.availability_zone, r.volume.tags);
                     },
                     [](const VolumeRecord& r) { return r.volume; }));
}

// --- snapshots ---

SnapshotRecord& FakeCloud::CreateSnapshotOf(VolumeRecord& vol, const std::string& description,
                                            const Tags& tags, Time at) {
  // EBS snapshots are incremental: after a first completed snapshot of the volume (or of the
  // snapshot it was restored from) only the changed blocks are copied.
  bool incremental = volumes_with_completed_snapshot_.count(vol.volume.id) > 0;
  if (!vol.volume.snapshot_id.empty()) {
    auto src = snapshots_.find(vol.volume.snapshot_id);
    incremental |= src != snapshots_.end() && !src->second.deleted;
  }
  double per_gib = static_cast<double>(options_.snapshot_per_gib.count()) *
                   (incremental ? options_.snapshot_incremental_fraction : 1.0);
  Duration copy{static_cast<int64_t>(per_gib * vol.volume.size_gib)};
  Duration took = Draw(options_.snapshot_base) + copy;

  std::string id = NewId("snap-");
  SnapshotRecord& rec = snapshots_[id];
  rec.snapshot =
      Snapshot{id, vol.volume.id, vol.volume.size_gib, "pending", "0%", at, description, tags};
  rec.complete_at = at + took;
  snapshot_index_.Add(&rec.snapshot.id, tags);
  Schedule(rec.complete_at, TransitionKind::kSnapshotCompleted, &rec.snapshot.id);
  return rec;
}

std::string FakeCloud::SnapshotProgress(const SnapshotRecord& rec) const {
  if (rec.snapshot.state == "completed") return "100%";
  if (rec.snapshot.state != "pending") return rec.snapshot.progress;
  int64_t total = (rec.complete_at - rec.snapshot.start_time).count();
  int64_t done = (Now() - rec.snapshot.start_time).count();
  int64_t pct = total <= 0 ? 99 : std::clamp<int64_t>(done * 100 / total, 0, 99);
  return std::to_string(pct) + "%";
}

void FakeCloud::OnSnapshotCompleted(const std::string& id, Time at) {
  SnapshotRecord& rec = snapshots_.at(id);
  if (rec.deleted || rec.snapshot.state != "pending") return;
  rec.snapshot.state = "completed";
  rec.snapshot.progress = "100%";
  volumes_with_completed_snapshot_.insert(rec.snapshot.volume_id);
  auto waiting = images_waiting_on_.find(id);
  if (waiting == images_waiting_on_.end()) return;
  for (const std::string& image_id : waiting->second) {
    fake::ImageRecord& image = images_.at(image_id);
    if (--image.pending_snapshots == 0 && image.image.state == "pending") {
      Schedule(at + Draw(options_.image_pending), TransitionKind::kImageAvailable, &image.image.id);
    }
  }
  images_waiting_on_.erase(waiting);
}

Result<Snapshot> FakeCloud::CreateSnapshot(const CreateSnapshotRequest& req) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("CreateSnapshot"));
  auto run = [&]() -> Result<Snapshot> {
    SK_ASSIGN_OR_RETURN(VolumeRecord * vol, FindVolume(req.volume_id));
    if (vol->volume.state == "creating" || vol->volume.state == "deleting") {
      return IncorrectState("Volume '" + req.volume_id + "' is in the '" + vol->volume.state +
                            "' state.");
    }
    const Tags tags = fake::WithToken(req.tags, req.client_token);
    SK_RETURN_IF_ERROR(fake::ValidateTags(tags));
    return CreateSnapshotOf(*vol, req.description, tags, Now()).snapshot;
  };
  return Respond("CreateSnapshot", run());
}

Status FakeCloud::DeleteSnapshot(const std::string& snapshot_id) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("DeleteSnapshot"));
  auto run = [&]() -> Status {
    SK_ASSIGN_OR_RETURN(SnapshotRecord * rec, FindSnapshot(snapshot_id));
    for (const auto& [image_id, image] : images_) {
      if (image.image.state == "deregistered") continue;
      for (const ImageBlockDevice& d : image.image.block_devices) {
        if (d.snapshot_id == snapshot_id) {
          return Status(Code::kFailedPrecondition,
                        "The snapshot " + snapshot_id + " is currently in use by " + image_id,
                        "InvalidSnapshot.InUse");
        }
      }
    }
    const Time now = Now();
    rec->deleted = true;
    rec->snapshot.progress = SnapshotProgress(*rec);
    rec->snapshot.state = "deleted";
    snapshot_index_.Remove(&rec->snapshot.id, rec->snapshot.tags);
    deletions_.push_back({snapshot_id, "snapshot", now, "api"});
    return OkStatus();
  };
  return Respond("DeleteSnapshot", run());
}

Result<std::vector<Snapshot>> FakeCloud::DescribeSnapshots(const Filter& filter) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("DescribeSnapshots"));
  return Respond("DescribeSnapshots", fake::DescribeRecords(
                                          snapshots_, snapshot_index_, filter, fake::kSnapshotIds,
                                          [](const SnapshotRecord& r) { return !r.deleted; },
                                          [&filter](const SnapshotRecord& r) {
                                            // Snapshots have no zone; an AZ filter does not narrow
                                            // them.
                                            return fake::MatchesFilter(filter, r.snapshot.state,
                                                                       filter.availability_zone,
                                                                       r.snapshot.tags);
                                          },
                                          [this](const SnapshotRecord& r) {
                                            Snapshot s = r.snapshot;
                                            s.progress = SnapshotProgress(r);
                                            return s;
                                          }));
}

}  // namespace spotkeeper
