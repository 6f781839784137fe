#include "controller/snapshot_schedule.h"

#include <algorithm>
#include <cstdlib>

#include "controller/cloud_lookup.h"
#include "controller/ssi_status.h"

namespace spotkeeper {
namespace {

bool WantsPeriodic(const GroupSpec& spec, const ResourceRecord& v) {
  const PersistenceSpec& p = spec.strategy.persistence;
  if (v.role == "root") return p.should_persist_root_device;
  if (v.role != "data" || !p.should_persist_block_devices) return false;
  return p.block_devices_mode == BlockDevicesMode::kOnLaunch || spec.MultiAz();
}

// Marks all but the newest `keep` completed snapshots of each device as retiring (never the
// one the SSI's image is made from).
void ApplyRetention(std::vector<ResourceRecord>& resources, const SsiRecord& ssi, int keep,
                    std::vector<ResourceRecord>* changed, Time now) {
  std::string image_snapshot;
  for (const auto& r : resources) {
    if (r.kind == "image" && r.id == ssi.image_id) image_snapshot = r.source_id;
  }
  std::vector<std::string> retire = SnapshotsBeyondKeep(resources, keep, image_snapshot);
  for (auto& r : resources) {
    if (std::find(retire.begin(), retire.end(), r.id) == retire.end()) continue;
    r.status = "retiring";
    r.updated_at = now;
    changed->push_back(r);
  }
}

}  // namespace

std::vector<std::string> SnapshotsBeyondKeep(const std::vector<ResourceRecord>& resources, int keep,
                                             const std::string& image_snapshot) {
  std::map<std::string, std::vector<const ResourceRecord*>> by_device;
  for (const auto& r : resources) {
    if (r.kind == "snapshot" && r.status == "current" && r.cloud_state == "completed") {
      by_device[r.device_name].push_back(&r);
    }
  }
  std::vector<std::string> out;
  for (auto& [device, snaps] : by_device) {
    std::sort(snaps.begin(), snaps.end(), [](const ResourceRecord* a, const ResourceRecord* b) {
      return a->created_at != b->created_at ? a->created_at > b->created_at : a->id > b->id;
    });
    for (size_t i = static_cast<size_t>(std::max(1, keep)); i < snaps.size(); ++i) {
      if (snaps[i]->id != image_snapshot) out.push_back(snaps[i]->id);
    }
  }
  return out;
}

Status SnapshotSchedule::MaybeSnapshot(SsiRecord ssi, const GroupRecord& /*group*/,
                                       const GroupSpec& spec) {
  const PersistenceSpec& p = spec.strategy.persistence;
  if (!p.should_persist_root_device &&
      !(p.should_persist_block_devices &&
        (p.block_devices_mode == BlockDevicesMode::kOnLaunch || spec.MultiAz()))) {
    return OkStatus();  // nothing this group snapshots periodically
  }
  Time now = env_.clock->Now();
  Duration every{spec.snapshots.frequency_minutes * 60'000LL};
  // Fast path for the common case (nothing in flight, nothing due) without parsing the JSON:
  // this runs for every ACTIVE SSI on every reconcile pass.
  const std::string& text = ssi.status_json;
  bool maybe_pending = text.find("\"pendingSnapshots\":[\"") != std::string::npos;
  if (!maybe_pending) {
    Time last = ssi.launched_at;
    auto at = text.find("\"lastSnapshotAt\":");
    if (at != std::string::npos) {
      last = FromMillis(std::strtoll(text.c_str() + at + 17, nullptr, 10));
    }
    if (now - last < every) return OkStatus();
  }
  nlohmann::json status = ParseStatusJson(ssi.status_json);
  nlohmann::json pending = status.value("pendingSnapshots", nlohmann::json::array());
  Time last = FromMillis(status.value("lastSnapshotAt", ToMillis(ssi.launched_at)));
  bool due = now - last >= every;
  if (pending.empty() && !due) return OkStatus();

  SK_ASSIGN_OR_RETURN(std::vector<ResourceRecord> resources, env_.store->ListResources(ssi.id));
  std::vector<ResourceRecord> changed;
  std::vector<EventRecord> events;

  // 1. Snapshots in flight: note the completed ones, then apply retention.
  nlohmann::json still = nlohmann::json::array();
  bool completed_any = false;
  for (const auto& id_json : pending) {
    std::string id = id_json.get<std::string>();
    auto rec = std::find_if(resources.begin(), resources.end(),
                            [&](const ResourceRecord& r) { return r.id == id; });
    auto snap = DescribeSnapshot(*env_.cloud, id);
    if (!snap.ok()) {
      still.push_back(id);  // try again next pass
      continue;
    }
    if (rec == resources.end()) continue;
    if (!snap->has_value() || (*snap)->state == "error") {
      rec->status = snap->has_value() ? "retiring" : "deleted";
      rec->updated_at = now;
      changed.push_back(*rec);
      events.push_back(MakeEvent(now, ssi, "controller", "SnapshotFailed",
                                 id + " of " + rec->device_name + " failed"));
      continue;
    }
    if ((*snap)->state == "completed") {
      rec->cloud_state = "completed";
      rec->updated_at = now;
      changed.push_back(*rec);
      completed_any = true;
    } else {
      still.push_back(id);
    }
  }
  if (completed_any) ApplyRetention(resources, ssi, spec.snapshots.keep, &changed, now);

  // 2. New snapshots when due (and nothing is still in flight).
  if (due && still.empty()) {
    const int64_t slot = ToMillis(now) / every.count();
    for (const auto& v : resources) {
      if (v.kind != "volume" || v.status != "current" || !WantsPeriodic(spec, v)) continue;
      std::string device = v.device_name.substr(v.device_name.rfind('/') + 1);
      std::string token = "sk-" + ssi.id + "-" + std::to_string(slot) + "-" + device;
      auto found = FindSnapshotByToken(*env_.cloud, token);
      if (!found.ok()) return found.status();
      Snapshot snap;
      if (found->has_value()) {
        snap = **found;
      } else {
        CreateSnapshotRequest req;
        req.volume_id = v.id;
        req.description = "spotkeeper periodic snapshot of " + ssi.id + " " + v.device_name;
        req.tags = spec.compute.launch_specification.tags;
        req.tags[kTagGroup] = ssi.group_id;
        req.tags[kTagSsi] = ssi.id;
        req.tags[kTagRole] = v.role;
        req.tags[kTagDevice] = v.device_name;
        req.client_token = token;
        auto created = env_.cloud->CreateSnapshot(req);
        if (!created.ok()) {
          if (created.status().retry_after() || created.status().IsRetryable()) break;
          events.push_back(MakeEvent(now, ssi, "controller", "SnapshotFailed",
                                     v.id + ": " + created.status().ToString()));
          continue;
        }
        snap = *created;
        ++taken_;
      }
      ResourceRecord r;
      r.id = snap.id;
      r.ssi_id = ssi.id;
      r.group_id = ssi.group_id;
      r.kind = "snapshot";
      r.role = v.role;
      r.device_name = v.device_name;
      r.availability_zone = v.availability_zone;
      r.source_id = v.id;
      r.cloud_state = snap.state;
      r.created_at = snap.start_time;
      r.updated_at = now;
      changed.push_back(r);
      still.push_back(snap.id);
    }
    status["lastSnapshotAt"] = ToMillis(now);
  }
  status["pendingSnapshots"] = still;
  ssi.status_json = status.dump();
  ssi.updated_at = now;

  SK_ASSIGN_OR_RETURN(auto tx, env_.store->Begin());
  SK_RETURN_IF_ERROR(tx->PutSsi(ssi));
  for (const auto& r : changed) SK_RETURN_IF_ERROR(tx->PutResource(r));
  for (const auto& e : events) SK_RETURN_IF_ERROR(tx->AppendEvent(e));
  return tx->Commit();
}

}  // namespace spotkeeper
