#include "api/resource_json.h"

#include <algorithm>
#include <map>
#include <set>

#include "controller/cost_meter.h"

namespace spotkeeper::api {
namespace {

nlohmann::json ParseObject(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text.empty() ? "{}" : text, nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

bool Transitional(SsiState s) {
  return s == SsiState::kPause || s == SsiState::kPausing || s == SsiState::kResume ||
         s == SsiState::kResuming || s == SsiState::kRecycle || s == SsiState::kRecycling ||
         s == SsiState::kDeallocate || s == SsiState::kDeallocating;
}

}  // namespace

std::string TimeJson(Time t) { return t == kEpoch ? std::string() : FormatTime(t); }

nlohmann::json RecoveryJson(const nlohmann::json& rec) {
  if (!rec.is_object()) return nullptr;
  nlohmann::json out = {{"reason", rec.value("reason", std::string())},
                        {"workflowId", rec.value("workflow", std::string())},
                        {"totalMs", rec.value("totalMs", int64_t{0})},
                        {"downtimeMs", rec.value("downtimeMs", int64_t{0})}};
  nlohmann::json milestones = nlohmann::json::object();
  for (const auto& [k, v] : rec.items()) {
    if (k == "reason" || k == "workflow" || k == "totalMs" || k == "downtimeMs") continue;
    if (v.is_number_integer()) milestones[k] = FormatTime(FromMillis(v.get<int64_t>()));
  }
  out["timings"] = milestones;
  // Each phase from the trigger (the notice, or the start), in milliseconds.
  auto ms = [&](const char* k) { return rec.value(k, int64_t{-1}); };
  int64_t start = ms("notice") >= 0 ? ms("notice") : ms("started");
  nlohmann::json phases = nlohmann::json::object();
  if (start >= 0) {
    for (const char* p : {"terminated", "released", "running", "attached", "active"}) {
      if (ms(p) >= 0) phases[p] = ms(p) - start;
    }
  }
  out["phasesMs"] = phases;
  out["startedAt"] = start >= 0 ? FormatTime(FromMillis(start)) : std::string();
  return out;
}

nlohmann::json ConditionJson(const Condition& c) {
  return {{"type", c.type},
          {"status", c.status},
          {"reason", c.reason},
          {"message", c.message},
          {"observedGeneration", c.observed_generation},
          {"lastTransitionTime", TimeJson(c.last_transition)}};
}

nlohmann::json GroupJson(const GroupRecord& g, const std::vector<SsiRecord>& ssis) {
  nlohmann::json spec = ParseObject(g.spec_json);
  nlohmann::json capacity = spec.value("capacity", nlohmann::json::object());
  int target = capacity.value("target", 0);

  std::map<std::string, int> by_state;
  int live = 0, active = 0, error = 0, moving = 0;
  std::vector<std::string> errored;
  for (const auto& s : ssis) {
    ++by_state[SsiStateName(s.state)];
    if (s.state == SsiState::kDeallocated) continue;
    if (s.desired != "deallocated") ++live;
    if (s.state == SsiState::kActive) ++active;
    if (s.state == SsiState::kError) {
      ++error;
      errored.push_back(s.id);
    }
    if (Transitional(s.state)) ++moving;
  }
  nlohmann::json conditions = nlohmann::json::array();
  // Ready: every wanted stateful instance exists and is ACTIVE.
  if (g.status != "ACTIVE") {
    conditions.push_back({{"type", "Ready"},
                          {"status", "False"},
                          {"reason", g.status == "DELETING" ? "Deleting" : "Deleted"},
                          {"message", "the group is " + g.status}});
  } else if (active == target && live == target) {
    conditions.push_back({{"type", "Ready"},
                          {"status", "True"},
                          {"reason", "AllActive"},
                          {"message", std::to_string(active) + " of " + std::to_string(target) +
                                          " stateful instances ACTIVE"}});
  } else {
    std::string msg =
        std::to_string(active) + " of " + std::to_string(target) + " stateful instances ACTIVE";
    for (const auto& [state, n] : by_state) {
      if (state != "ACTIVE" && state != "DEALLOCATED")
        msg += ", " + std::to_string(n) + " " + state;
    }
    conditions.push_back({{"type", "Ready"},
                          {"status", "False"},
                          {"reason", live != target ? "Scaling" : "NotAllActive"},
                          {"message", msg}});
  }
  std::string errored_list;
  for (const auto& id : errored) errored_list += (errored_list.empty() ? "" : ", ") + id;
  conditions.push_back({{"type", "Degraded"},
                        {"status", error > 0 ? "True" : "False"},
                        {"reason", error > 0 ? "InstancesInError" : "Ok"},
                        {"message", error > 0 ? "in ERROR: " + errored_list +
                                                    " (see their conditions; retry or deallocate)"
                                              : ""}});
  conditions.push_back(
      {{"type", "Progressing"},
       {"status", moving > 0 ? "True" : "False"},
       {"reason", moving > 0 ? "ActionsInProgress" : "Idle"},
       {"message",
        moving > 0 ? std::to_string(moving) + " stateful instances changing state" : ""}});

  nlohmann::json status = {
      {"phase", g.status},
      {"capacity",
       {{"target", target},
        {"minimum", capacity.value("minimum", 0)},
        {"maximum", capacity.value("maximum", 0)},
        {"live", live},
        {"active", active}}},
      {"statefulInstances", {{"total", ssis.size()}, {"byState", by_state}}},
      {"conditions", conditions},
  };
  if (!g.deallocation_json.empty()) status["deallocation"] = ParseObject(g.deallocation_json);
  GroupSavings savings = SumGroupSavings(g, ssis);
  status["savings"] = {{"costUsd", savings.usd},
                       {"onDemandCostUsd", savings.on_demand_usd},
                       {"savedPercent", savings.saved_percent}};
  return {{"id", g.id},
          {"name", g.name},
          {"generation", g.generation},
          {"createdAt", TimeJson(g.created_at)},
          {"updatedAt", TimeJson(g.updated_at)},
          {"spec", spec},
          {"status", status}};
}

nlohmann::json SsiJson(const SsiRecord& s, const std::vector<ResourceRecord>& resources,
                       const std::optional<WorkflowRecord>& workflow,
                       const std::string& spec_image) {
  nlohmann::json status = ParseObject(s.status_json);

  // Devices: every device with a current volume or a current snapshot; the snapshot is the
  // newest completed one.
  std::map<std::string, nlohmann::json> devices;
  std::map<std::string, Time> newest_snapshot;
  nlohmann::json snapshots = nlohmann::json::array();
  nlohmann::json images = nlohmann::json::array();
  for (const auto& r : resources) {
    if (r.kind == "volume" && r.status == "current" && !r.device_name.empty()) {
      auto& d = devices[r.device_name];
      d["deviceName"] = r.device_name;
      d["volumeId"] = r.id;
      d["role"] = r.role;
    }
    if (r.kind == "snapshot" && (r.status == "current" || r.status == "retiring")) {
      snapshots.push_back({{"id", r.id},
                           {"deviceName", r.device_name},
                           {"role", r.role},
                           {"volumeId", r.source_id},
                           {"state", r.cloud_state},
                           {"status", r.status},
                           {"createdAt", TimeJson(r.created_at)}});
      if (r.status == "current" && r.cloud_state == "completed" && !r.device_name.empty()) {
        auto it = newest_snapshot.find(r.device_name);
        if (it == newest_snapshot.end() || r.created_at >= it->second) {
          newest_snapshot[r.device_name] = r.created_at;
          auto& d = devices[r.device_name];
          d["deviceName"] = r.device_name;
          d["snapshotId"] = r.id;
          if (!d.contains("role")) d["role"] = r.role;
        }
      }
    }
    if (r.kind == "image" && (r.status == "current" || r.status == "retiring")) {
      images.push_back({{"id", r.id},
                        {"snapshotId", r.source_id},
                        {"state", r.cloud_state},
                        {"status", r.status},
                        {"current", r.id == s.image_id},
                        {"createdAt", TimeJson(r.created_at)}});
    }
  }
  nlohmann::json device_list = nlohmann::json::array();
  for (auto& [name, d] : devices) {
    if (!d.contains("volumeId")) d["volumeId"] = "";
    if (!d.contains("snapshotId")) d["snapshotId"] = "";
    device_list.push_back(d);
  }

  nlohmann::json conditions = nlohmann::json::array();
  for (const auto& c : s.conditions) conditions.push_back(ConditionJson(c));

  nlohmann::json out = {
      {"id", s.id},
      {"groupId", s.group_id},
      {"state", SsiStateName(s.state)},
      {"desiredState", s.desired},
      {"instanceId", s.instance_id},
      {"privateIp", s.private_ip},
      {"imageId", s.image_id.empty() ? spec_image : s.image_id},
      {"instanceType", s.instance_type},
      {"lifeCycle", s.market == "spot"        ? "SPOT"
                    : s.market == "on-demand" ? "OD"
                                              : ""},
      {"availabilityZone", s.availability_zone},
      {"subnetId", s.subnet_id},
      {"networkInterfaceId", s.eni_id},
      {"devices", device_list},
      {"launchedAt", TimeJson(s.launched_at)},
      {"createdAt", TimeJson(s.created_at)},
      {"updatedAt", TimeJson(s.updated_at)},
      {"observedGeneration", s.observed_generation},
      {"conditions", conditions},
      {"lastRecovery", RecoveryJson(status.value("lastRecovery", nlohmann::json()))},
      {"snapshots", snapshots},
      {"images", images},
  };
  if (!s.pause_reason.empty()) out["pauseReason"] = s.pause_reason;
  const nlohmann::json pending = status.value("pending", nlohmann::json());
  out["pendingAction"] =
      pending.is_object() ? nlohmann::json{{"kind", pending.value("kind", std::string())},
                                           {"requestedBy", pending.value("actor", std::string())}}
                          : nlohmann::json();
  if (workflow) {
    out["workflow"] = {{"id", workflow->id},
                       {"kind", workflow->kind},
                       {"status", workflow->status},
                       {"step", workflow->step_name},
                       {"attempt", workflow->attempt},
                       {"error", workflow->error},
                       {"startedAt", TimeJson(workflow->created_at)},
                       {"updatedAt", TimeJson(workflow->updated_at)}};
  } else {
    out["workflow"] = nullptr;
  }
  return out;
}

nlohmann::json EventJson(const EventRecord& e) {
  return {{"seq", e.seq},          {"at", TimeJson(e.at)},
          {"groupId", e.group_id}, {"statefulInstanceId", e.ssi_id},
          {"actor", e.actor},      {"kind", e.kind},
          {"message", e.message}};
}

}  // namespace spotkeeper::api
