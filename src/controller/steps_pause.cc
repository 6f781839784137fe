// The first half of a recycle, and all of a pause: stop the old instance, wait until its volumes
// and network interface are free, take the final snapshots the persistence mode needs, turn the
// root snapshot into the image the replacement boots from, and retire what that supersedes.
#include <algorithm>

#include "controller/cloud_lookup.h"
#include "controller/snapshot_schedule.h"
#include "controller/step_util.h"

namespace spotkeeper::steps {

StepResult Drain(StepContext& ctx) {
  // An interruption notice: give the workload drainingTimeout (bounded by the moment the cloud
  // takes the instance) before we terminate it ourselves.
  auto& d = ctx.data();
  if (!d.contains("notice_at")) return StepResult::Done();
  Time notice = FromMillis(d["notice_at"].get<int64_t>());
  Time until = notice + Duration{ctx.spec().strategy.draining_timeout_seconds * 1000LL};
  if (d.contains("action_time")) {
    until = std::min(until, FromMillis(d["action_time"].get<int64_t>()));
  }
  if (ctx.now() >= until) return StepResult::Done();
  // Done early if the instance is already gone.
  auto inst = ctx.view().GetInstance(d.value("old_instance", std::string()));
  if (inst.ok() && (!inst->has_value() || IsGone(**inst))) return StepResult::Done();
  return StepResult::WaitUntil(until);
}

StepResult Terminate(StepContext& ctx) {
  std::string id = ctx.data().value("old_instance", std::string());
  MarkTiming(ctx, "started");
  if (id.empty()) return StepResult::Done();
  Status s = ctx.cloud().TerminateInstance(id);
  ctx.view().Invalidate(id);
  if (!s.ok() && s.code() != Code::kNotFound) return FromError(s, "TerminateFailed");
  return StepResult::Done();
}

StepResult WaitTerminated(StepContext& ctx) {
  std::string id = ctx.data().value("old_instance", std::string());
  if (id.empty()) return StepResult::Done();
  auto inst = ctx.view().GetInstance(id);
  if (!inst.ok()) return FromError(inst.status(), "DescribeFailed");
  if (inst->has_value() && (*inst)->state != InstanceState::kTerminated) {
    if ((*inst)->state != InstanceState::kShuttingDown) {
      // Still running (or stopped): the terminate call may have been lost. Ask again.
      Status s = ctx.cloud().TerminateInstance(id);
      if (!s.ok() && s.code() != Code::kNotFound) return FromError(s, "TerminateFailed");
    }
    return Poll(ctx);
  }
  if (ctx.ssi().instance_id == id) ctx.ssi().instance_id.clear();
  ctx.SetResourceStatus(id, "deleted");
  MarkTiming(ctx, "terminated");
  return StepResult::Done();
}

StepResult WaitReleased(StepContext& ctx) {
  // EC2 detaches volumes (DeleteOnTermination=false) and the ENI when the instance terminates.
  bool waiting = false;
  for (const ResourceRecord& rec : ctx.Current("volume")) {
    const ResourceRecord* r = &rec;
    auto v = ctx.view().GetVolume(r->id);
    if (!v.ok()) return FromError(v.status(), "DescribeFailed");
    if (!v->has_value() || (*v)->state == "deleted" || (*v)->state == "deleting") {
      // Lost (deleted outside spotkeeper): the resume restores it from its latest snapshot.
      ctx.AddEvent("VolumeLost", r->id + " (" + r->device_name + ") no longer exists");
      ctx.SetResourceStatus(r->id, "deleted");
      continue;
    }
    if ((*v)->state != "available") {
      // Still attached. If attached to something that is not the old instance, say so.
      waiting = true;
    }
  }
  for (const ResourceRecord& rec : ctx.Current("eni")) {
    const ResourceRecord* r = &rec;
    auto e = ctx.view().GetEni(r->id);
    if (!e.ok()) return FromError(e.status(), "DescribeFailed");
    if (!e->has_value()) {
      ctx.AddEvent("NetworkInterfaceLost",
                   r->id + " no longer exists; a new one is made with the same IP");
      ctx.SetResourceStatus(r->id, "deleted");
      if (ctx.ssi().eni_id == r->id) ctx.ssi().eni_id.clear();
      continue;
    }
    if ((*e)->status == "available") continue;
    // On moto an ENI can stay attached to its terminated instance (see step_util.h).
    const auto& att = (*e)->attachment;
    bool stale = false;
    if ((*e)->status == "in-use" && att && att->status == "attached") {
      auto inst = ctx.view().GetInstance(att->instance_id);
      stale = inst.ok() && inst->has_value() && AttachedOnlyToTerminated(**e, **inst);
    }
    if (!stale) waiting = true;
  }
  if (waiting) return Poll(ctx);
  MarkTiming(ctx, "released");
  return StepResult::Done();
}

namespace {

// A failed final snapshot is taken again after 5 s, 10 s, 20 s, 40 s; the fifth failure stops
// the workflow in ERROR.
constexpr int kFinalSnapshotAttempts = 5;
Duration FinalSnapshotBackoff(int failures) {
  return Duration{5'000LL << std::min(failures - 1, 3)};
}

// The volumes whose contents a pause must capture in a snapshot: the root volume when the root
// device persists, and data volumes in onLaunch mode (reattach keeps the volumes themselves).
std::vector<ResourceRecord> VolumesToSnapshot(const StepContext& ctx) {
  std::vector<ResourceRecord> out;
  if (PersistRoot(ctx.spec())) {
    if (auto root = CurrentRootVolume(ctx)) out.push_back(*root);
  }
  if (OnLaunchMode(ctx.spec())) {
    for (auto& v : ctx.Current("volume", "data")) out.push_back(v);
  }
  return out;
}

}  // namespace

StepResult FinalSnapshots(StepContext& ctx) {
  auto& final = ctx.data()["final"];
  if (!final.is_object()) final = nlohmann::json::object();
  for (const ResourceRecord& vol : VolumesToSnapshot(ctx)) {
    const ResourceRecord* v = &vol;
    if (final.contains(v->device_name)) continue;
    std::string token = ctx.Token("final:" + v->device_name);
    auto found = FindSnapshotByToken(ctx.cloud(), token);
    if (!found.ok()) return FromError(found.status(), "DescribeFailed");
    Snapshot snap;
    if (found->has_value()) {
      snap = **found;
    } else {
      CreateSnapshotRequest req;
      req.volume_id = v->id;
      req.description = "spotkeeper final snapshot of " + ctx.ssi().id + " " + v->device_name;
      req.tags = ctx.ResourceTags(v->role, v->device_name);
      req.client_token = token;
      auto created = ctx.cloud().CreateSnapshot(req);
      if (!created.ok()) return FromError(created.status(), "SnapshotFailed");
      snap = *created;
    }
    ResourceRecord r;
    r.id = snap.id;
    r.kind = "snapshot";
    r.role = v->role;
    r.device_name = v->device_name;
    r.availability_zone = v->availability_zone;
    r.source_id = v->id;
    r.cloud_state = snap.state;
    r.created_at = snap.start_time;
    ctx.PutResource(r);
    final[v->device_name] = snap.id;
  }
  return StepResult::Done();
}

StepResult WaitFinalSnapshots(StepContext& ctx) {
  auto& d = ctx.data();
  // A failed final snapshot is taken again after a backoff, a bounded number of times: a volume
  // whose snapshots keep failing must not fill the account with snapshots, and the SSI stops in
  // ERROR with its volumes kept (nothing is deleted) so an operator can look.
  if (d.contains("snapshotRetryAt")) {
    Time at = FromMillis(d["snapshotRetryAt"].get<int64_t>());
    if (ctx.now() < at) return StepResult::WaitUntil(at);
    d.erase("snapshotRetryAt");
    return StepResult::Goto(ctx.workflow().kind == "import" ? "snapshot_source"
                                                            : "final_snapshots");
  }
  auto& final = d["final"];
  if (!final.is_object()) return StepResult::Done();
  bool waiting = false, redo = false;
  std::vector<std::string> failed;
  for (auto& [device, id_json] : final.items()) {
    std::string id = id_json.get<std::string>();
    const ResourceRecord* rec = ctx.FindResource(id);
    if (rec != nullptr && rec->cloud_state == "completed") continue;
    auto snap = ctx.view().GetSnapshot(id);
    if (!snap.ok()) return FromError(snap.status(), "DescribeFailed");
    if (!snap->has_value() || (*snap)->state == "error") {
      failed.push_back(device);
      if (rec != nullptr) ctx.SetResourceStatus(id, snap->has_value() ? "retiring" : "deleted");
      redo = true;
      continue;
    }
    if (rec != nullptr && rec->cloud_state != (*snap)->state) {
      ResourceRecord copy = *rec;
      copy.cloud_state = (*snap)->state;
      ctx.PutResource(copy);
    }
    if ((*snap)->state != "completed") waiting = true;
  }
  if (redo) {
    for (const auto& dev : failed) final.erase(dev);
    d["nonce"] = d.value("nonce", 0) + 1;
    int failures = d.value("snapshotFailures", 0) + 1;
    d["snapshotFailures"] = failures;
    std::string which;
    for (const auto& dev : failed) which += (which.empty() ? "" : ", ") + dev;
    if (failures >= kFinalSnapshotAttempts) {
      // An operator's retry takes the missing snapshots again, with a fresh count.
      d["snapshotFailures"] = 0;
      d["snapshotRetryAt"] = ToMillis(ctx.now());
      return StepResult::Fail(
          "SnapshotFailed",
          Internal("the final snapshot of " + which + " failed " + std::to_string(failures) +
                   " times; the volumes are kept as they are"));
    }
    Duration wait = FinalSnapshotBackoff(failures);
    ctx.AddEvent("SnapshotFailed",
                 "the final snapshot of " + which + " failed (" + std::to_string(failures) +
                     " of " + std::to_string(kFinalSnapshotAttempts) + "); taking it again in " +
                     std::to_string(wait.count() / 1000) + " s");
    d["snapshotRetryAt"] = ToMillis(ctx.now() + wait);
    return StepResult::WaitUntil(ctx.now() + wait);
  }
  if (waiting) return Poll(ctx, kPollSlow);
  MarkTiming(ctx, "snapshotted");
  return StepResult::Done();
}

StepResult RegisterImage(StepContext& ctx) {
  if (!PersistRoot(ctx.spec())) return StepResult::Done();
  auto& d = ctx.data();
  if (d.contains("image")) return StepResult::Done();
  // The root snapshot this pause (or import) just took.
  const ResourceRecord* root_snap = nullptr;
  if (d["final"].is_object()) {
    for (auto& [device, id] : d["final"].items()) {
      const ResourceRecord* r = ctx.FindResource(id.get<std::string>());
      if (r != nullptr && r->role == "root") root_snap = r;
    }
  }
  if (root_snap == nullptr) return StepResult::Done();  // nothing new to boot from
  std::string token = ctx.Token("image:" + root_snap->id);
  auto found = FindImageByToken(ctx.cloud(), token);
  if (!found.ok()) return FromError(found.status(), "DescribeFailed");
  Image image;
  if (found->has_value()) {
    image = **found;
  } else {
    RegisterImageRequest req;
    req.name = "spotkeeper-" + ctx.ssi().id + "-" + std::to_string(ToMillis(ctx.now()));
    req.root_device_name = root_snap->device_name;
    req.block_devices = {{root_snap->device_name, root_snap->id, 0, true}};
    req.tags = ctx.ResourceTags("root");
    req.client_token = token;
    auto reg = ctx.cloud().RegisterImage(req);
    if (!reg.ok()) return FromError(reg.status(), "RegisterImageFailed");
    image = *reg;
  }
  ResourceRecord r;
  r.id = image.id;
  r.kind = "image";
  r.role = "root";
  r.device_name = root_snap->device_name;
  r.source_id = root_snap->id;
  r.cloud_state = image.state;
  ctx.PutResource(r);
  d["image"] = image.id;
  return StepResult::Done();
}

StepResult WaitImage(StepContext& ctx) {
  auto& d = ctx.data();
  if (!d.contains("image")) return StepResult::Done();
  std::string id = d["image"].get<std::string>();
  auto image = ctx.view().GetImage(id);
  if (!image.ok()) return FromError(image.status(), "DescribeFailed");
  if (!image->has_value() || (*image)->state == "failed" || (*image)->state == "deregistered") {
    ctx.SetResourceStatus(id, image->has_value() ? "retiring" : "deleted");
    d.erase("image");
    d["nonce"] = d.value("nonce", 0) + 1;
    return StepResult::Goto("register_image");
  }
  if ((*image)->state != "available") return Poll(ctx, kPollSlow);
  if (const ResourceRecord* rec = ctx.FindResource(id)) {
    ResourceRecord copy = *rec;
    copy.cloud_state = "available";
    ctx.PutResource(copy);
  }
  ctx.ssi().image_id = id;
  return StepResult::Done();
}

StepResult RetireSuperseded(StepContext& ctx) {
  const GroupSpec& spec = ctx.spec();
  const bool pausing = ctx.workflow().kind == "pause";
  // The root volume lives on in the image; images other than the one we boot from go.
  if (PersistRoot(spec) && ctx.ssi().image_id == ctx.data().value("image", std::string()) &&
      !ctx.ssi().image_id.empty()) {
    for (const auto& v : ctx.Current("volume", "root")) ctx.SetResourceStatus(v.id, "retiring");
    for (const auto& img : ctx.Current("image")) {
      if (img.id != ctx.ssi().image_id) ctx.SetResourceStatus(img.id, "retiring");
    }
  }
  // onLaunch data volumes live on in their final snapshots.
  if (OnLaunchMode(spec) && ctx.data()["final"].is_object()) {
    for (const auto& v : ctx.Current("volume", "data")) {
      if (ctx.data()["final"].contains(v.device_name)) ctx.SetResourceStatus(v.id, "retiring");
    }
  }
  std::string image_snapshot;
  if (const ResourceRecord* img = ctx.FindResource(ctx.ssi().image_id)) {
    image_snapshot = img->source_id;
  }
  // A recovery's final snapshots count against snapshots.keep like the periodic ones (newest
  // first, never the image's). Periodic retention runs only when a periodic snapshot completes,
  // which is due a frequency after the launch: recoveries closer together than that piled up a
  // final snapshot each (a 200-interruption soak left ~200 for the deallocation to delete).
  if (!pausing) {
    for (const std::string& id :
         SnapshotsBeyondKeep(ctx.Current("snapshot"), spec.snapshots.keep, image_snapshot)) {
      ctx.SetResourceStatus(id, "retiring");
    }
  }
  // While paused only the latest snapshot of each device is kept (plus what the image needs).
  if (pausing) {
    std::map<std::string, std::string> latest;  // device -> newest completed snapshot
    for (const auto& s : ctx.Current("snapshot")) {
      if (s.cloud_state != "completed") continue;
      if (auto l = LatestCompletedSnapshot(ctx, s.device_name)) latest[s.device_name] = l->id;
    }
    for (const auto& s : ctx.Current("snapshot")) {
      auto it = latest.find(s.device_name);
      bool keep = (it != latest.end() && it->second == s.id) || s.id == image_snapshot ||
                  s.cloud_state != "completed";
      if (!keep) ctx.SetResourceStatus(s.id, "retiring");
    }
  }
  return StepResult::Done();
}

StepResult MarkPaused(StepContext& ctx) {
  ctx.ssi().instance_id.clear();
  SetState(ctx, SsiState::kPaused, ctx.data().value("reason", std::string("Paused")),
           "paused; volumes, snapshots, image and network interface are kept");
  return StepResult::Done();
}

}  // namespace spotkeeper::steps
