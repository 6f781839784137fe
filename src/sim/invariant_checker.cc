#include "sim/invariant_checker.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace spotkeeper {
namespace {

std::string TagOf(const Tags& t, const char* key) {
  auto it = t.find(key);
  return it == t.end() ? std::string() : it->second;
}

bool FlagFor(const SsiRecord& ssi, const std::string& kind) {
  nlohmann::json status = nlohmann::json::parse(ssi.status_json, nullptr, false);
  if (!status.is_object() || !status.contains("deallocationFlags")) return false;
  const auto& f = status["deallocationFlags"];
  const char* key = kind == "volume"     ? "shouldDeleteVolumes"
                    : kind == "snapshot" ? "shouldDeleteSnapshots"
                    : kind == "image"    ? "shouldDeleteImages"
                                         : "shouldDeleteNetworkInterfaces";
  return f.value(key, false);
}

}  // namespace

const GroupSpec* InvariantChecker::SpecOf(const std::string& group_id) {
  auto g = store_->GetGroup(group_id);
  if (!g.ok()) return nullptr;
  auto& entry = specs_[group_id];
  if (entry.first != g->generation) {
    ParseOutcome out = ParseGroupSpecJson(nlohmann::json::parse(g->spec_json));
    if (!out.ok()) return nullptr;
    entry = {g->generation, *out.spec};
  }
  return &entry.second;
}

std::vector<std::string> InvariantChecker::CheckStep() {
  ++checks_;
  std::vector<std::string> v;

  // 0. The fake cloud's own consistency (its records agree with each other).
  Status fake_ok = cloud_->CheckInvariants();
  if (!fake_ok.ok()) v.push_back("fake cloud inconsistent: " + fake_ok.ToString());

  // 1. Exclusive attachments.
  for (const auto& vol : cloud_->AllVolumes()) {
    int live = 0;
    for (const auto& a : vol.attachments) live += a.state != "detached" ? 1 : 0;
    if (live > 1)
      v.push_back("volume " + vol.id + " is attached to " + std::to_string(live) + " instances");
  }
  std::map<std::string, std::string> eni_owner;
  std::map<std::string, Volume> volumes_by_id;
  for (const auto& vol : cloud_->AllVolumes()) volumes_by_id[vol.id] = vol;
  for (const auto& inst : cloud_->AllInstances()) {
    if (inst.state == InstanceState::kTerminated) continue;
    for (const auto& ni : inst.network_interfaces) {
      auto [it, fresh] = eni_owner.emplace(ni.network_interface_id, inst.id);
      if (!fresh) {
        v.push_back("ENI " + ni.network_interface_id + " is on " + it->second + " and " + inst.id);
      }
    }
  }

  // 2. Identity.
  auto ssis = store_->ListSsis("");
  if (!ssis.ok()) return {"store: " + ssis.status().ToString()};
  std::vector<Snapshot> snapshots;
  bool snapshots_loaded = false;
  for (const auto& ssi : *ssis) {
    const GroupSpec* spec = SpecOf(ssi.group_id);
    if (spec == nullptr) continue;
    const PersistenceSpec& p = spec->strategy.persistence;
    if (p.should_persist_private_ip && !ssi.private_ip.empty()) {
      auto [it, fresh] = first_ip_.emplace(ssi.id, ssi.private_ip);
      if (!fresh && it->second != ssi.private_ip) {
        v.push_back(ssi.id + " private IP changed from " + it->second + " to " + ssi.private_ip);
      }
    }
    auto resources = store_->ListResources(ssi.id);
    if (!resources.ok()) continue;
    for (const auto& r : *resources) {
      if (r.kind != "volume" || r.role != "data" || r.status != "current") continue;
      if (p.should_persist_block_devices && p.block_devices_mode == BlockDevicesMode::kReattach) {
        auto key = ssi.id + "|" + r.device_name;
        auto it = vol_.find(key);
        if (it != vol_.end() && it->second.first != r.id &&
            it->second.second == r.availability_zone) {
          v.push_back(ssi.id + " " + r.device_name + ": reattach volume " + it->second.first +
                      " replaced by " + r.id + " within " + r.availability_zone);
        }
        vol_[key] = {r.id, r.availability_zone};
      }
      if (r.source_id.rfind("snap-", 0) != 0 || checked_restores_.count(r.id)) continue;
      auto vol = volumes_by_id.find(r.id);
      if (vol == volumes_by_id.end()) continue;
      if (!snapshots_loaded) {
        snapshots = cloud_->AllSnapshots();
        snapshots_loaded = true;
      }
      const Snapshot* latest = nullptr;
      for (const auto& s : snapshots) {
        if (TagOf(s.tags, kTagSsi) != ssi.id || TagOf(s.tags, kTagDevice) != r.device_name ||
            s.state != "completed" || s.start_time > vol->second.create_time) {
          continue;
        }
        if (latest == nullptr || s.start_time > latest->start_time ||
            (s.start_time == latest->start_time && s.id > latest->id)) {
          latest = &s;
        }
      }
      checked_restores_.insert(r.id);
      if (latest != nullptr && latest->id != vol->second.snapshot_id) {
        v.push_back(ssi.id + " " + r.device_name + ": volume " + r.id + " restored from " +
                    vol->second.snapshot_id + " but the latest completed snapshot was " +
                    latest->id);
      }
    }
  }

  // 3. Nothing owned is deleted unless deallocation says so.
  auto deletions = cloud_->deletions();
  for (size_t i = deletions_seen_; i < deletions.size(); ++i) {
    const auto& d = deletions[i];
    auto rec = store_->GetResource(d.id);
    if (!rec.ok() || (rec->status != "current" && rec->status != "released")) continue;
    auto ssi = store_->GetSsi(rec->ssi_id);
    bool allowed = ssi.ok() && ssi->desired == "deallocated" && FlagFor(*ssi, rec->kind);
    if (!allowed) {
      v.push_back(d.kind + " " + d.id + " owned by " + rec->ssi_id + " (" + rec->status +
                  ") was deleted (" + d.cause + ")");
    }
  }
  deletions_seen_ = deletions.size();

  // 5. Planned disruption stays within maxUnavailable.
  auto running = store_->ListRunningWorkflows();
  if (running.ok()) {
    std::map<std::string, int> planned;
    for (const auto& w : *running) planned[w.group_id] += w.planned ? 1 : 0;
    for (const auto& [group, n] : planned) {
      const GroupSpec* spec = SpecOf(group);
      if (spec != nullptr && n > spec->strategy.max_unavailable) {
        v.push_back("group " + group + " has " + std::to_string(n) +
                    " planned actions running; maxUnavailable is " +
                    std::to_string(spec->strategy.max_unavailable));
      }
    }
  }

  // 6. A group with strategy.capacityRebalance false never recycles for a rebalance
  // recommendation: no such action pending, running or recorded as a recovery.
  auto rebalance_off = [&](const std::string& group) {
    const GroupSpec* spec = SpecOf(group);
    return spec != nullptr && !spec->strategy.capacity_rebalance;
  };
  auto is_rebalance = [](const nlohmann::json& j) {
    return j.is_object() && j.contains("reason") && j["reason"] == "Rebalance";
  };
  if (running.ok()) {
    for (const auto& w : *running) {
      if (is_rebalance(nlohmann::json::parse(w.data_json, nullptr, false)) &&
          rebalance_off(w.group_id)) {
        v.push_back(w.id + " of " + w.ssi_id +
                    " recycles for a rebalance recommendation; its group's capacityRebalance "
                    "is false");
      }
    }
  }
  for (const auto& ssi : *ssis) {
    nlohmann::json status = nlohmann::json::parse(ssi.status_json, nullptr, false);
    if (!status.is_object() || !rebalance_off(ssi.group_id)) continue;
    bool pending = status.contains("pending") && status["pending"].is_object() &&
                   status["pending"].contains("data") && is_rebalance(status["pending"]["data"]);
    bool recovered = status.contains("lastRecovery") && is_rebalance(status["lastRecovery"]);
    if (pending || recovered) {
      v.push_back(ssi.id + (pending ? " has a recycle pending" : " was recycled") +
                  " for a rebalance recommendation; its group's capacityRebalance is false");
    }
  }
  // 7. With health.serving, ACTIVE means serving: an ACTIVE SSI whose instance still runs has
  // a workload that serves.
  for (const auto& s : *ssis) {
    if (s.state != SsiState::kActive || s.instance_id.empty()) continue;
    const GroupSpec* spec = SpecOf(s.group_id);
    if (spec == nullptr || !spec->health.serving) continue;
    auto serving = cloud_->WorkloadServing(s.instance_id);
    if (serving.ok() && !*serving) {
      v.push_back(s.id + " is ACTIVE but the workload of its running instance " + s.instance_id +
                  " does not serve yet");
    }
  }
  return v;
}

std::vector<std::string> InvariantChecker::CheckNoLeaks() {
  std::vector<std::string> v;
  std::set<std::string> gone;  // the fake's inspection lists deleted things too
  for (const auto& d : cloud_->deletions()) gone.insert(d.id);
  auto owned = [&](const std::string& id, const Tags& tags, const char* what) {
    if (TagOf(tags, kTagSsi).empty() || gone.count(id)) return;
    auto rec = store_->GetResource(id);
    if (!rec.ok() || (rec->status != "current" && rec->status != "released")) {
      v.push_back(std::string(what) + " " + id + " (tagged for " + TagOf(tags, kTagSsi) +
                  ") is not owned by any stateful instance" +
                  (rec.ok() ? " (record: " + rec->status + ")" : ""));
    }
  };
  for (const auto& i : cloud_->AllInstances()) {
    if (i.state == InstanceState::kTerminated || i.state == InstanceState::kShuttingDown) continue;
    auto ssi = store_->GetSsi(TagOf(i.tags, kTagSsi));
    if (!ssi.ok() || ssi->instance_id != i.id) {
      v.push_back("instance " + i.id + " runs but is no stateful instance's instance");
    }
  }
  std::set<std::string> owned_instances;
  for (const auto& i : cloud_->AllInstances()) {
    auto ssi = store_->GetSsi(TagOf(i.tags, kTagSsi));
    if (ssi.ok() && ssi->instance_id == i.id) owned_instances.insert(i.id);
  }
  for (const auto& x : cloud_->AllVolumes()) {
    if (x.state == "deleted") continue;
    // Volumes that live and die with an owned instance (a root that does not persist).
    bool ephemeral = std::any_of(x.attachments.begin(), x.attachments.end(), [&](const auto& a) {
      return a.delete_on_termination && owned_instances.count(a.instance_id);
    });
    if (!ephemeral) owned(x.id, x.tags, "volume");
  }
  for (const auto& x : cloud_->AllSnapshots()) owned(x.id, x.tags, "snapshot");
  for (const auto& x : cloud_->AllImages()) {
    if (x.state != "deregistered") owned(x.id, x.tags, "image");
  }
  for (const auto& x : cloud_->AllNetworkInterfaces()) owned(x.id, x.tags, "network interface");
  return v;
}

std::vector<std::string> InvariantChecker::ConvergenceProblems() {
  std::vector<std::string> v;
  auto running = store_->ListRunningWorkflows();
  if (running.ok() && !running->empty()) {
    v.push_back(std::to_string(running->size()) + " workflows still running (first: " +
                running->front().id + " " + running->front().kind + " at " +
                running->front().step_name + ", " + running->front().error + ")");
  }
  auto retiring = store_->ListResourcesByStatus("retiring");
  if (retiring.ok() && !retiring->empty()) {
    v.push_back(std::to_string(retiring->size()) +
                " resources still retiring (first: " + retiring->front().id + ")");
  }
  auto groups = store_->ListGroups(true);
  if (!groups.ok()) return {"store: " + groups.status().ToString()};
  for (const auto& g : *groups) {
    const GroupSpec* spec = SpecOf(g.id);
    auto ssis = store_->ListSsis(g.id);
    if (spec == nullptr || !ssis.ok()) continue;
    int counted = 0;
    int errors = 0;
    for (const auto& s : *ssis) errors += s.state == SsiState::kError ? 1 : 0;
    // A planned action waits while ERROR members fill the group's maxUnavailable: safe, and
    // settled until an operator deals with the ERROR.
    const bool blocked = errors >= spec->strategy.max_unavailable;
    for (const auto& s : *ssis) {
      bool queued = s.state == SsiState::kPause || s.state == SsiState::kRecycle ||
                    s.state == SsiState::kDeallocate;
      SsiState want = s.desired == "paused"        ? SsiState::kPaused
                      : s.desired == "deallocated" ? SsiState::kDeallocated
                                                   : SsiState::kActive;
      if (s.state == SsiState::kError) {
        std::string reason;
        for (const auto& c : s.conditions) {
          if (c.type == "Ready") reason = c.reason;
        }
        if (reason.empty() || reason == "InternalError" || reason == "NoWorkflow") {
          v.push_back(s.id + " is ERROR without a proper reason (" + reason + ")");
        }
      } else if (s.state != want && !(queued && blocked)) {
        v.push_back(s.id + " is " + SsiStateName(s.state) + " but should be " + SsiStateName(want));
      }
      if (s.state != SsiState::kDeallocated && s.desired != "deallocated" &&
          !(s.desired == "paused" && s.pause_reason == "capacity")) {
        ++counted;
      }
    }
    if (g.status == "ACTIVE" && counted != spec->capacity.target &&
        !(static_cast<int>(spec->compute.private_ips.size()) < spec->capacity.target &&
          !spec->compute.private_ips.empty())) {
      v.push_back("group " + g.id + " has " + std::to_string(counted) +
                  " stateful instances; capacity target is " +
                  std::to_string(spec->capacity.target));
    }
    if (g.status == "DELETING") v.push_back("group " + g.id + " is still DELETING");
  }
  return v;
}

}  // namespace spotkeeper
