// Engine: EBS snapshots. CreateSnapshot records the snapshot (pending), captures the volume
// through the driver before it answers (the point in time) and queues the store; the worker
// stores it (completed, with an "EBS Snapshot Notification" event) or gives up (error). A copy
// is made by the driver's CopySnapshot alone. Deleting records "deleting" (hidden), then the
// worker deletes it on the host and forgets it.
//
// After a restart a pending snapshot resumes from what was recorded: not yet captured (the
// process died inside CreateSnapshot) -> captured now, so its point in time is the restart;
// captured -> stored. A store that finds its capture gone (NotFound: the host lost it) captures
// again, with the same consequence.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "cloud/engine/describe_filter.h"
#include "cloud/engine/ec2_error.h"
#include "cloud/engine/engine.h"
#include "cloud/host/crash_point.h"

namespace spotkeeper::cloud {
namespace {

const std::set<std::string> kSnapshotFilters = {
    "snapshot-id", "volume-id",  "status",      "owner-id",  "owner-alias", "description",
    "progress",    "start-time", "volume-size", "encrypted", "storage-tier"};

std::vector<std::string> SnapshotField(const SnapshotRecord& s, const std::string& name) {
  if (name == "snapshot-id") return {s.id};
  if (name == "volume-id") return {s.volume_id};
  if (name == "status") return {s.state};
  if (name == "owner-id") return {s.owner_id};
  if (name == "description") return {s.description};
  if (name == "progress") return {std::to_string(s.progress) + "%"};
  if (name == "start-time") return {FormatTime(FromMillis(s.start_ms))};
  if (name == "volume-size") return {std::to_string(s.volume_size_gib)};
  if (name == "encrypted") return {"false"};
  if (name == "storage-tier") return {"standard"};
  return {};  // owner-alias: the account's own snapshots have none
}

Status CheckDescription(const std::string& d) {
  if (d.size() > 255) {
    return Ec2Error("InvalidParameterValue", "The description exceeds 255 characters.");
  }
  return OkStatus();
}

void CommitOrLog(CloudDb::Transaction& tx, const std::string& what) {
  Status s = tx.Commit();
  if (!s.ok()) spdlog::error("cloud: recording {}: {}", what, s.ToString());
}

}  // namespace

Result<SnapshotRecord*> Engine::FindSnapshotLocked(const std::string& id) {
  SK_RETURN_IF_ERROR(CheckIdShape(id, "snap-", "InvalidSnapshotID.Malformed"));
  auto it = snapshots_.find(id);
  if (it == snapshots_.end() || it->second.state == "deleting") {
    return Ec2Error("InvalidSnapshot.NotFound", "The snapshot '" + id + "' does not exist.");
  }
  return &it->second;
}

SnapshotRecord Engine::NewSnapshotLocked(const VolumeRecord& vol, const std::string& description,
                                         const TagMap& tags) {
  SnapshotRecord s;
  s.id = NewId("snap");
  s.volume_id = vol.id;
  s.volume_size_gib = vol.size_gib;
  s.start_ms = ToMillis(options_.clock->Now());
  s.description = description;
  s.owner_id = options_.account_id;
  s.tags = tags;
  return s;
}

Result<SnapshotRecord> Engine::CreateSnapshot(const CreateSnapshotRequest& req) {
  if (req.volume_id.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter VolumeId");
  }
  SK_RETURN_IF_ERROR(CheckTagSpecTypes(req.tag_specs, {"snapshot"}));
  SK_RETURN_IF_ERROR(CheckDescription(req.description));
  SnapshotRecord snap;
  {
    std::lock_guard<std::mutex> lock(mu_);
    SK_ASSIGN_OR_RETURN(VolumeRecord * vol, FindVolumeLocked(req.volume_id));
    if (!vol->host_created || vol->state == "creating" || vol->state == "deleting" ||
        vol->state == "error") {
      return Ec2Error("IncorrectState", "The volume '" + vol->id + "' is in the '" +
                                            (vol->host_created ? vol->state : "creating") +
                                            "' state.");
    }
    TagMap tags;
    SK_RETURN_IF_ERROR(ApplyTagSpecs(req.tag_specs, "snapshot", &tags));
    snap = NewSnapshotLocked(*vol, req.description, tags);
    CloudDb::Transaction tx(db_);
    SK_RETURN_IF_ERROR(Save(snap));
    SK_RETURN_IF_ERROR(tx.Commit());
    capturing_.insert(snap.id);
  }
  // Answered as recorded at the capture ("pending", as EC2 answers), whatever a worker has
  // done since.
  snap.host_captured = CaptureNow({snap.id}).count(snap.id) > 0;
  return snap;
}

std::set<std::string> Engine::CaptureNow(const std::vector<std::string>& snapshot_ids) {
  std::vector<std::pair<std::string, std::string>> work;  // (snapshot, volume)
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& id : snapshot_ids) {
      auto it = snapshots_.find(id);
      if (it != snapshots_.end()) work.emplace_back(id, it->second.volume_id);
    }
  }
  std::set<std::string> captured;
  for (const auto& [snap, vol] : work) {
    CrashPoint("engine.snapshot.before-capture");
    Status s = driver_->CaptureSnapshot(snap, vol);
    if (s.ok()) {
      CrashPoint("engine.snapshot.after-capture");
      captured.insert(snap);
    } else {
      spdlog::warn("cloud: capturing {} of {}: {} (the worker tries again)", snap, vol,
                   s.ToString());
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  CloudDb::Transaction tx(db_);
  for (const std::string& id : captured) {
    auto it = snapshots_.find(id);
    if (it == snapshots_.end() || it->second.state != "pending") continue;
    SnapshotRecord r = it->second;
    r.host_captured = true;
    Status s = Save(r);
    if (!s.ok()) spdlog::error("cloud: recording the capture of {}: {}", id, s.ToString());
  }
  CommitOrLog(tx, "captures");
  for (const std::string& id : snapshot_ids) {
    capturing_.erase(id);
    Enqueue(id);
  }
  for (const auto& [snap, vol] : work) {
    auto v = volumes_.find(vol);
    if (v != volumes_.end() && v->second.state == "deleting") Enqueue(vol);
  }
  return captured;
}

bool Engine::VolumeAwaitsCaptureLocked(const std::string& volume_id) const {
  for (const auto& [id, s] : snapshots_) {
    if (s.volume_id == volume_id && s.state == "pending" && !s.host_captured &&
        s.source_snapshot_id.empty()) {
      return true;
    }
  }
  return false;
}

Result<SnapshotRecord> Engine::CopySnapshot(const CopySnapshotRequest& req) {
  if (req.source_region.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter SourceRegion");
  }
  if (req.source_snapshot_id.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter SourceSnapshotId");
  }
  if (req.source_region != options_.region) {
    return Ec2Error("InvalidParameterValue",
                    "Value (" + req.source_region +
                        ") for parameter sourceRegion is invalid. The spotkeeper local cloud has "
                        "one region: " +
                        options_.region);
  }
  SK_RETURN_IF_ERROR(CheckTagSpecTypes(req.tag_specs, {"snapshot"}));
  SK_RETURN_IF_ERROR(CheckDescription(req.description));
  std::lock_guard<std::mutex> lock(mu_);
  SK_ASSIGN_OR_RETURN(SnapshotRecord * src, FindSnapshotLocked(req.source_snapshot_id));
  if (src->state != "completed") {
    return Ec2Error("IncorrectState", "Snapshot '" + src->id + "' is not 'completed'.");
  }
  SnapshotRecord c;
  c.id = NewId("snap");
  c.volume_id = "vol-ffffffff";  // what EC2 shows for a copy
  c.volume_size_gib = src->volume_size_gib;
  c.start_ms = ToMillis(options_.clock->Now());
  c.description = req.description.empty() ? "[Copied " + src->id + " from " + options_.region + "]"
                                          : req.description;
  c.owner_id = options_.account_id;
  c.source_snapshot_id = src->id;
  SK_RETURN_IF_ERROR(ApplyTagSpecs(req.tag_specs, "snapshot", &c.tags));
  CloudDb::Transaction tx(db_);
  SK_RETURN_IF_ERROR(Save(c));
  SK_RETURN_IF_ERROR(tx.Commit());
  Enqueue(c.id);
  return c;
}

Status Engine::DeleteSnapshot(const std::string& snapshot_id) {
  if (snapshot_id.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter SnapshotId");
  }
  std::lock_guard<std::mutex> lock(mu_);
  SK_ASSIGN_OR_RETURN(SnapshotRecord * snap, FindSnapshotLocked(snapshot_id));
  for (const auto& [id, img] : images_) {
    if (img.state == "deregistered") continue;
    bool uses = img.root_snapshot_id == snapshot_id;
    for (const ImageDeviceRecord& d : img.data_devices) uses = uses || d.snapshot_id == snapshot_id;
    if (uses) {
      return Ec2Error("InvalidSnapshot.InUse",
                      "The snapshot " + snapshot_id + " is currently in use by " + id);
    }
  }
  SnapshotRecord r = *snap;
  r.state = "deleting";
  CloudDb::Transaction tx(db_);
  SK_RETURN_IF_ERROR(Save(r));
  SK_RETURN_IF_ERROR(tx.Commit());
  Enqueue(snapshot_id);
  return OkStatus();
}

Result<Page<SnapshotRecord>> Engine::DescribeSnapshots(const DescribeRequest& req,
                                                       const std::vector<std::string>& owners) {
  if (!req.ids.empty() && req.max_results) {
    return Ec2Error("InvalidParameterCombination",
                    "The parameter snapshotSet cannot be used with the parameter maxResults");
  }
  SK_RETURN_IF_ERROR(ValidateFilters(req.filters, kSnapshotFilters));
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& id : req.ids) SK_RETURN_IF_ERROR(FindSnapshotLocked(id).status());
  bool ours = owners.empty();
  for (const std::string& o : owners) ours = ours || o == "self" || o == options_.account_id;
  std::set<std::string> wanted(req.ids.begin(), req.ids.end());
  std::vector<SnapshotRecord> matched;
  std::vector<std::string> ids;
  for (const auto& [id, s] : snapshots_) {
    if (!ours || s.state == "deleting" || (!wanted.empty() && wanted.count(id) == 0)) continue;
    if (!MatchesFilters(req.filters, s.tags,
                        [&s = s](const std::string& n) { return SnapshotField(s, n); })) {
      continue;
    }
    ids.push_back(id);
    matched.push_back(s);
  }
  return PageOf(std::move(matched), ids, req, 5, 1000);
}

Result<int> Engine::SizeFromSnapshot(const std::string& snapshot_id, std::optional<int> size) {
  std::lock_guard<std::mutex> lock(mu_);
  SK_ASSIGN_OR_RETURN(SnapshotRecord * s, FindSnapshotLocked(snapshot_id));
  if (s->state != "completed") {
    return Ec2Error("IncorrectState", "Snapshot '" + s->id + "' is not 'completed'.");
  }
  if (size && *size < s->volume_size_gib) {
    return Ec2Error("InvalidParameterValue",
                    "Volume of size " + std::to_string(*size) + "GB is smaller than snapshot '" +
                        s->id + "', expect size >= " + std::to_string(s->volume_size_gib) + "GB");
  }
  return size.value_or(s->volume_size_gib);
}

std::function<Status()> Engine::MakeVolumeCall(const VolumeRecord& v) {
  std::string id = v.id;
  std::string snap = v.snapshot_id;
  int size = v.size_gib;
  if (snap.empty()) return [this, id, size] { return driver_->CreateVolume(id, size); };
  return [this, id, snap, size] { return driver_->RestoreVolume(id, snap, size); };
}

Status Engine::SnapshotEvent(const SnapshotRecord& s, bool succeeded) {
  if (events_ == nullptr) return OkStatus();
  bool copy = !s.source_snapshot_id.empty();
  std::string source =
      copy ? events_->Arn("snapshot", s.source_snapshot_id) : events_->Arn("volume", s.volume_id);
  return events_->SnapshotNotification(s.id, copy ? "copySnapshot" : "createSnapshot", succeeded,
                                       succeeded ? "" : s.state_message, source,
                                       FromMillis(s.start_ms), FromMillis(s.completion_ms));
}

void Engine::EnqueueImagesOfLocked(const std::string& snapshot_id) {
  for (const auto& [id, img] : images_) {
    if (img.state != "pending") continue;
    bool uses = img.root_snapshot_id == snapshot_id;
    for (const ImageDeviceRecord& d : img.data_devices) uses = uses || d.snapshot_id == snapshot_id;
    if (uses) Enqueue(id);
  }
}

bool Engine::StepSnapshot(const std::string& id) {
  enum class Op { kDelete, kCopy, kCapture, kStore };
  Op op;
  std::string volume_id;
  std::string source_id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (capturing_.count(id) > 0) return false;  // the API call re-queues it
    auto it = snapshots_.find(id);
    if (it == snapshots_.end()) return false;
    const SnapshotRecord& s = it->second;
    if (s.state == "deleting") {
      op = Op::kDelete;
    } else if (s.state != "pending") {
      return false;
    } else if (!s.source_snapshot_id.empty()) {
      op = Op::kCopy;
    } else {
      op = s.host_captured ? Op::kStore : Op::kCapture;
    }
    volume_id = s.volume_id;
    source_id = s.source_snapshot_id;
  }

  Status st;
  switch (op) {
    case Op::kDelete:
      st = driver_->DeleteSnapshot(id);
      break;
    case Op::kCopy:
      st = driver_->CopySnapshot(id, source_id);
      break;
    case Op::kCapture:
      CrashPoint("engine.snapshot.before-capture");
      st = driver_->CaptureSnapshot(id, volume_id);
      if (st.ok()) CrashPoint("engine.snapshot.after-capture");
      break;
    case Op::kStore:
      CrashPoint("engine.snapshot.before-store");
      st = driver_->StoreSnapshot(id, volume_id, [this, id](int percent) {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = snapshots_.find(id);
        // In memory only: 100% is recorded with "completed".
        if (it != snapshots_.end() && it->second.state == "pending") {
          it->second.progress = std::clamp(percent, it->second.progress, 99);
        }
      });
      if (st.ok()) CrashPoint("engine.snapshot.after-store");
      break;
  }

  std::lock_guard<std::mutex> lock(mu_);
  auto it = snapshots_.find(id);
  if (it == snapshots_.end()) return false;
  SnapshotRecord s = it->second;
  // Deleted while the driver worked: decide again (the deletion follows).
  if (op != Op::kDelete && s.state != "pending") return true;
  bool more = false;
  CloudDb::Transaction tx(db_);
  Status rs;
  int64_t now = ToMillis(options_.clock->Now());
  if (st.ok()) {
    failures_.erase(id);
    if (op == Op::kDelete) {
      rs = Erase(id);
    } else if (op == Op::kCapture) {
      s.host_captured = true;
      rs = Save(s);
      more = true;
    } else {
      s.host_captured = true;
      s.host_stored = true;
      s.state = "completed";
      s.progress = 100;
      s.completion_ms = now;
      rs = SnapshotEvent(s, true);
      if (rs.ok()) rs = Save(s);
      EnqueueImagesOfLocked(id);
    }
  } else {
    bool retry = NoteFailure(id, st);
    if (retry && op == Op::kStore && st.code() == Code::kNotFound) {
      spdlog::warn("cloud: the host lost the capture of {}; capturing {} again now", id, volume_id);
      s.host_captured = false;
      rs = Save(s);
      more = true;
    } else if (retry) {
      return true;
    } else if (op == Op::kDelete) {
      return false;  // stays "deleting"; the watch queues it again
    } else {
      s.state = "error";
      s.state_message = st.message();
      s.completion_ms = now;
      rs = SnapshotEvent(s, false);
      if (rs.ok()) rs = Save(s);
      EnqueueImagesOfLocked(id);
    }
  }
  if (!rs.ok()) spdlog::error("cloud: recording snapshot {}: {}", id, rs.ToString());
  CommitOrLog(tx, "snapshot " + id);
  if (op == Op::kCapture || s.state != "pending") {
    auto v = volumes_.find(volume_id);
    if (v != volumes_.end() && v->second.state == "deleting") Enqueue(volume_id);
  }
  return more;
}

}  // namespace spotkeeper::cloud
