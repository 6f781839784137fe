#include "controller/reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "controller/cloud_lookup.h"
#include "controller/ssi_status.h"
#include "spec/spec_validator.h"

namespace spotkeeper {

struct Reconciler::GroupPass {
  GroupRecord group;
  const GroupSpec* spec = nullptr;
  std::vector<SsiRecord> ssis;
  const std::set<std::string>* busy = nullptr;
  int disrupted = 0;  // SSIs of the group that are down or changing right now
  bool deleting = false;
  std::set<std::string> started;  // SSIs this pass started a workflow for
  // health.leader: answers are in flight (queued recycles wait), or the queued recycles of
  // members that lead (they wait for the others).
  bool asking_leader = false;
  std::set<std::string> leaders_last;

  bool GateOpen() const { return disrupted < spec->strategy.max_unavailable; }
};

namespace {

bool Disrupting(SsiState s) {
  return s == SsiState::kPausing || s == SsiState::kResuming || s == SsiState::kRecycling ||
         s == SsiState::kDeallocating || s == SsiState::kError;
}

bool Live(const SsiRecord& s) {
  return s.state != SsiState::kDeallocated && s.desired != "deallocated";
}

bool CapacityPaused(const SsiRecord& s) {
  return s.desired == "paused" && s.pause_reason == "capacity";
}

}  // namespace

Reconciler::Reconciler(ControllerEnv env, SnapshotSchedule* snapshots, ServingProber* leader_prober)
    : env_(env), snapshots_(snapshots), leaders_(env.cloud, env.clock, leader_prober) {}

void Reconciler::SetPending(SsiRecord& ssi, const std::string& kind, const std::string& reason,
                            const std::string& actor, nlohmann::json data) {
  nlohmann::json status = ParseStatusJson(ssi.status_json);
  if (!data.is_object()) data = nlohmann::json::object();
  data["reason"] = reason;
  status["pending"] = {{"kind", kind}, {"actor", actor}, {"data", data}};
  ssi.status_json = status.dump();
}

Status Reconciler::ReconcileAll(const Observed& observed) {
  SK_ASSIGN_OR_RETURN(std::vector<GroupRecord> groups, env_.store->ListGroups(false));
  SK_ASSIGN_OR_RETURN(std::vector<WorkflowRecord> running, env_.store->ListRunningWorkflows());
  std::set<std::string> busy;
  for (const auto& w : running) busy.insert(w.ssi_id);
  Status first;
  std::set<std::string> group_ids;
  queued_recycles_.clear();
  for (const auto& g : groups) {
    group_ids.insert(g.id);
    Status s = ReconcileGroup(g, observed, busy);
    if (!s.ok()) {
      spdlog::warn("reconcile group {}: {}", g.id, s.ToString());
      if (first.ok()) first = s;
    }
  }
  leaders_.Retain(group_ids, queued_recycles_);
  return first;
}

Status Reconciler::Save(const SsiRecord& ssi, const EventRecord* event) {
  SK_ASSIGN_OR_RETURN(auto tx, env_.store->Begin());
  SK_RETURN_IF_ERROR(tx->PutSsi(ssi));
  if (event != nullptr) SK_RETURN_IF_ERROR(tx->AppendEvent(*event));
  return tx->Commit();
}

Status Reconciler::Start(GroupPass& pass, SsiRecord& ssi, const std::string& kind,
                         nlohmann::json data, bool planned, const std::string& actor,
                         const std::string& why) {
  ssi.conditions.erase(std::remove_if(ssi.conditions.begin(), ssi.conditions.end(),
                                      [](const Condition& c) { return c.type == "Waiting"; }),
                       ssi.conditions.end());
  WorkflowRecord wf = env_.engine->NewWorkflow(ssi, kind, std::move(data), planned);
  SK_ASSIGN_OR_RETURN(auto tx, env_.store->Begin());
  SK_RETURN_IF_ERROR(env_.engine->StartInTransaction(*tx, ssi, wf, actor, why));
  SK_RETURN_IF_ERROR(tx->Commit());
  ++pass.disrupted;
  pass.started.insert(ssi.id);
  return OkStatus();
}

Status Reconciler::ReconcileGroup(const GroupRecord& group_in, const Observed& observed,
                                  const std::set<std::string>& busy) {
  GroupPass pass;
  pass.group = group_in;
  pass.busy = &busy;
  pass.deleting = group_in.status == "DELETING";
  SK_ASSIGN_OR_RETURN(pass.spec, env_.specs->Get(pass.group));
  if (!pass.deleting) {
    SK_RETURN_IF_ERROR(RunScheduledTasks(pass.group, *pass.spec));
    SK_ASSIGN_OR_RETURN(pass.spec, env_.specs->Get(pass.group));
  }
  SK_ASSIGN_OR_RETURN(pass.ssis, env_.store->ListSsis(pass.group.id));
  for (const auto& s : pass.ssis) pass.disrupted += Disrupting(s.state) ? 1 : 0;

  if (pass.deleting) {
    bool all_gone = true;
    for (auto& s : pass.ssis) {
      if (s.state == SsiState::kDeallocated) continue;
      all_gone = false;
      if (s.desired != "deallocated") {
        s.desired = "deallocated";
        nlohmann::json status = ParseStatusJson(s.status_json);
        status["deallocationFlags"] = ParseStatusJson(pass.group.deallocation_json);
        s.status_json = status.dump();
        SK_RETURN_IF_ERROR(Save(s, nullptr));
      }
    }
    if (all_gone) {
      GroupRecord g = pass.group;
      g.status = "DELETED";
      g.updated_at = env_.clock->Now();
      SK_ASSIGN_OR_RETURN(auto tx, env_.store->Begin());
      SK_RETURN_IF_ERROR(tx->PutGroup(g));
      EventRecord e = MakeGroupEvent(g.updated_at, g.id, "controller", "GroupDeleted",
                                     "every stateful instance is deallocated");
      SK_RETURN_IF_ERROR(tx->AppendEvent(e));
      return tx->Commit();
    }
  } else {
    SK_RETURN_IF_ERROR(ReconcileCapacity(pass));
    OrderQueuedRecycles(pass);
  }
  for (const auto& s : pass.ssis) {
    if (busy.count(s.id) || pass.started.count(s.id)) continue;
    Status st = ReconcileSsi(pass, s, observed);
    if (!st.ok()) spdlog::warn("reconcile {}: {}", s.id, st.ToString());
  }
  return OkStatus();
}

void Reconciler::OrderQueuedRecycles(GroupPass& pass) {
  const std::optional<LeaderCheckSpec>& check = pass.spec->health.leader;
  if (!check) return;
  std::vector<const SsiRecord*> queued;
  for (const auto& s : pass.ssis) {
    if (s.state == SsiState::kRecycle && s.desired == "running" && !pass.busy->count(s.id)) {
      queued.push_back(&s);
      queued_recycles_.insert(s.id);
    }
  }
  if (!pass.GateOpen()) return;  // none may start now; who leads is asked when one may
  LeaderOrder::Decision d = leaders_.Decide(pass.group.id, *check, queued);
  pass.asking_leader = d.asking;
  pass.leaders_last = std::move(d.last);
}

Status Reconciler::RunScheduledTasks(GroupRecord& group, const GroupSpec& spec) {
  Time now = env_.clock->Now();
  nlohmann::json status = ParseStatusJson(group.status_json);
  auto& tasks = status["tasks"];
  if (!tasks.is_object()) tasks = nlohmann::json::object();
  bool changed = false;
  GroupSpec new_spec = spec;
  bool spec_changed = false;
  std::vector<std::string> fired;
  for (const auto& task : spec.scheduled_tasks) {
    if (!task.is_enabled) continue;
    std::string key = std::string(TaskTypeName(task.task_type)) + "|" + task.cron_expression;
    auto cron = CronExpression::Parse(task.cron_expression);
    if (!cron.ok()) continue;  // validated when stored
    if (!tasks.contains(key)) {
      tasks[key] = ToMillis(now);  // first sight: only future occurrences fire
      changed = true;
      continue;
    }
    Time last = FromMillis(tasks[key].get<int64_t>());
    if (cron->Next(last) > now) continue;
    tasks[key] = ToMillis(now);
    changed = true;
    fired.push_back(key);
    if (task.task_type == TaskType::kStatefulRecycle) {
      SK_ASSIGN_OR_RETURN(std::vector<SsiRecord> ssis, env_.store->ListSsis(group.id));
      for (auto& s : ssis) {
        if (s.state != SsiState::kActive) continue;
        SetPending(s, "recycle", "Scheduled", "scheduler");
        s.state = SsiState::kRecycle;
        EventRecord e = MakeEvent(now, s, "scheduler", "RecycleRequested",
                                  "statefulRecycle task '" + task.cron_expression + "'");
        SK_RETURN_IF_ERROR(Save(s, &e));
      }
    } else {
      CapacitySpec& c = new_spec.capacity;
      if (task.min_capacity) c.minimum = *task.min_capacity;
      if (task.max_capacity) c.maximum = *task.max_capacity;
      if (task.target_capacity) c.target = *task.target_capacity;
      c.maximum = std::max(c.maximum, c.minimum);
      c.target = std::clamp(c.target, c.minimum, c.maximum);
      spec_changed = true;
    }
  }
  if (!changed) return OkStatus();
  group.status_json = status.dump();
  std::vector<std::string> refused;
  if (spec_changed) {
    // The tasks together must still leave a valid group (each was checked on its own).
    auto errors = ValidateGroupSpec(new_spec);
    if (errors.empty()) {
      group.spec_json = ToJson(new_spec).dump();
    } else {
      spec_changed = false;
      for (const auto& e : errors) refused.push_back(e.ToString());
    }
  }
  group.updated_at = now;
  SK_ASSIGN_OR_RETURN(auto tx, env_.store->Begin());
  SK_RETURN_IF_ERROR(tx->PutGroup(group));
  for (const auto& why : refused) {
    SK_RETURN_IF_ERROR(tx->AppendEvent(
        MakeGroupEvent(now, group.id, "scheduler", "ScheduledTaskRefused",
                       "statefulUpdateCapacity would make the group invalid: " + why)));
  }
  for (const auto& key : fired) {
    EventRecord e = MakeGroupEvent(now, group.id, "scheduler", "ScheduledTask", key);
    if (spec_changed && key.rfind("statefulUpdateCapacity", 0) == 0) {
      e.message += " -> capacity target " + std::to_string(new_spec.capacity.target);
    }
    SK_RETURN_IF_ERROR(tx->AppendEvent(e));
  }
  SK_RETURN_IF_ERROR(tx->Commit());
  SK_ASSIGN_OR_RETURN(group, env_.store->GetGroup(group.id));  // generation may have moved
  return OkStatus();
}

Status Reconciler::ReconcileCapacity(GroupPass& pass) {
  const GroupSpec& spec = *pass.spec;
  Time now = env_.clock->Now();
  int counted = 0;
  for (const auto& s : pass.ssis) counted += Live(s) && !CapacityPaused(s) ? 1 : 0;
  int target = spec.capacity.target;

  if (counted < target) {
    int deficit = target - counted;
    for (auto& s : pass.ssis) {
      if (deficit == 0) break;
      if (!Live(s) || !CapacityPaused(s)) continue;
      s.desired = "running";
      s.pause_reason.clear();
      EventRecord e = MakeEvent(now, s, "controller", "ResumeRequested",
                                "capacity target is " + std::to_string(target));
      SK_RETURN_IF_ERROR(Save(s, &e));
      --deficit;
    }
    // IPs already held by an SSI (deallocated ones give theirs back).
    std::set<std::string> used;
    std::map<std::string, int> per_az;
    for (const auto& z : spec.compute.availability_zones) per_az[z.name] = 0;
    for (const auto& s : pass.ssis) {
      if (s.state == SsiState::kDeallocated) continue;
      if (!s.private_ip.empty()) used.insert(s.private_ip);
      if (per_az.count(s.availability_zone)) ++per_az[s.availability_zone];
    }
    for (; deficit > 0; --deficit) {
      SsiRecord s;
      s.id = "ssi-" + env_.random->Hex(8);
      s.group_id = pass.group.id;
      s.desired = "running";
      s.created_at = s.updated_at = now;
      if (!spec.compute.private_ips.empty()) {
        auto ip = std::find_if(spec.compute.private_ips.begin(), spec.compute.private_ips.end(),
                               [&](const std::string& x) { return !used.count(x); });
        if (ip == spec.compute.private_ips.end()) {
          spdlog::warn("group {}: private IP pool exhausted", pass.group.id);
          break;
        }
        s.private_ip = *ip;
        used.insert(*ip);
      } else {
        // Spread over the AZs: the one with the fewest SSIs, in spec order on ties.
        std::string best;
        for (const auto& z : spec.compute.availability_zones) {
          if (best.empty() || per_az[z.name] < per_az[best]) best = z.name;
        }
        s.availability_zone = best;
        ++per_az[best];
      }
      SK_RETURN_IF_ERROR(Start(pass, s, "launch", {{"reason", "Launched"}}, false, "controller",
                               "capacity target is " + std::to_string(target)));
      pass.ssis.push_back(s);
    }
  } else if (counted > target) {
    int excess = counted - target;
    // Already paused by an operator: count them as the capacity pause first (no disruption).
    for (auto& s : pass.ssis) {
      if (excess == 0) break;
      if (Live(s) && s.desired == "paused" && s.pause_reason != "capacity") {
        s.pause_reason = "capacity";
        SK_RETURN_IF_ERROR(Save(s, nullptr));
        --excess;
      }
    }
    // Then the newest running ones.
    std::vector<SsiRecord*> order;
    for (auto& s : pass.ssis) {
      if (Live(s) && s.desired == "running") order.push_back(&s);
    }
    std::sort(order.begin(), order.end(), [](const SsiRecord* a, const SsiRecord* b) {
      return a->created_at != b->created_at ? a->created_at > b->created_at : a->id > b->id;
    });
    for (SsiRecord* s : order) {
      if (excess == 0) break;
      s->desired = "paused";
      s->pause_reason = "capacity";
      EventRecord e = MakeEvent(now, *s, "controller", "PauseRequested",
                                "capacity target is " + std::to_string(target));
      SK_RETURN_IF_ERROR(Save(*s, &e));
      --excess;
    }
  }
  return OkStatus();
}

namespace {

// Tells people why a requested action has not started; true when that changed (save it then).
bool NoteWaiting(SsiRecord& ssi, const std::string& reason, const std::string& msg,
                 int64_t generation, Time now) {
  for (const auto& c : ssi.conditions) {
    if (c.type == "Waiting" && c.message == msg) return false;
  }
  SetSsiCondition(ssi, "Waiting", "True", reason, msg, generation, now);
  return true;
}

bool NoteBlocked(SsiRecord& ssi, const std::string& action, int disrupted, int max,
                 int64_t generation, Time now) {
  return NoteWaiting(ssi, "MaxUnavailable",
                     action + " waits: " + std::to_string(disrupted) +
                         " stateful instances of the group are unavailable and maxUnavailable "
                         "is " +
                         std::to_string(max),
                     generation, now);
}

}  // namespace

Status Reconciler::ReconcileSsi(GroupPass& pass, SsiRecord ssi, const Observed& observed) {
  const GroupSpec& spec = *pass.spec;
  Time now = env_.clock->Now();
  // The status JSON is parsed only when a decision needs it (most passes over a steady SSI
  // do not).
  std::optional<nlohmann::json> parsed;
  auto status = [&]() -> nlohmann::json& {
    if (!parsed) parsed = ParseStatusJson(ssi.status_json);
    return *parsed;
  };
  auto mentions = [&](const char* key) { return ssi.status_json.find(key) != std::string::npos; };

  switch (ssi.state) {
    case SsiState::kDeallocated:
      return OkStatus();
    case SsiState::kPausing:
    case SsiState::kResuming:
    case SsiState::kRecycling:
    case SsiState::kDeallocating: {
      // A transitional state always comes with a running workflow; this one lost it.
      SetSsiCondition(ssi, "Ready", "False", "NoWorkflow",
                      "in a transitional state with no workflow; retry or deallocate it",
                      pass.group.generation, now);
      ssi.state = SsiState::kError;
      EventRecord e = MakeEvent(now, ssi, "controller", "StateChanged", "-> ERROR: NoWorkflow");
      return Save(ssi, &e);
    }
    default:
      break;
  }

  if (ssi.desired == "deallocated") {
    nlohmann::json data = {
        {"reason", "Deallocate"},
        {"flags", status().value("deallocationFlags", nlohmann::json::object())}};
    bool disruptive = ssi.state == SsiState::kActive || ssi.state == SsiState::kRecycle ||
                      ssi.state == SsiState::kPause || ssi.state == SsiState::kDeallocate;
    if (ssi.state == SsiState::kError) {
      SK_ASSIGN_OR_RETURN(auto tx, env_.store->Begin());
      SK_RETURN_IF_ERROR(env_.engine->CancelFailed(*tx, ssi.id));
      SK_RETURN_IF_ERROR(tx->Commit());
    }
    if (disruptive && !pass.deleting && !pass.GateOpen()) {
      bool changed = NoteBlocked(ssi, "deallocate", pass.disrupted, spec.strategy.max_unavailable,
                                 pass.group.generation, now);
      if (ssi.state != SsiState::kDeallocate || changed) {
        ssi.state = SsiState::kDeallocate;
        return Save(ssi, nullptr);
      }
      return OkStatus();
    }
    return Start(pass, ssi, "deallocate", data, disruptive && !pass.deleting, "controller",
                 pass.deleting ? "group deleted" : "deallocation requested");
  }
  if (ssi.state == SsiState::kError) return OkStatus();

  if (ssi.desired == "paused") {
    if (ssi.state == SsiState::kPaused) return OkStatus();
    if (!pass.GateOpen()) {
      bool changed = NoteBlocked(ssi, "pause", pass.disrupted, spec.strategy.max_unavailable,
                                 pass.group.generation, now);
      if (ssi.state != SsiState::kPause || changed) {
        ssi.state = SsiState::kPause;
        return Save(ssi, nullptr);
      }
      return OkStatus();
    }
    status().erase("pending");
    ssi.status_json = status().dump();
    std::string reason = ssi.pause_reason == "capacity" ? "CapacityDecrease" : "Paused";
    return Start(pass, ssi, "pause", {{"reason", reason}}, true, "controller",
                 ssi.pause_reason == "capacity" ? "capacity target lowered" : "pause requested");
  }

  // desired == running
  if (ssi.state == SsiState::kPaused) {
    return Start(pass, ssi, "resume", {{"reason", "Resumed"}}, false, "controller",
                 "resume requested");
  }
  if (ssi.state == SsiState::kPause || ssi.state == SsiState::kDeallocate) {
    ssi.state = SsiState::kActive;  // the request was withdrawn before it started
    return Save(ssi, nullptr);
  }

  // ACTIVE or RECYCLE (queued): first, is the instance still there?
  if (observed.valid && observed.at > ssi.launched_at + Duration{5000} &&
      !ssi.instance_id.empty()) {
    auto it = observed.instances.find(ssi.instance_id);
    bool lost = false;
    if (it == observed.instances.end()) {
      auto inst = DescribeInstance(*env_.cloud, ssi.instance_id);
      lost = inst.ok() &&
             (!inst->has_value() || IsGone(**inst) || (*inst)->state == InstanceState::kStopped);
    } else {
      InstanceState st = it->second.state;
      lost = st == InstanceState::kShuttingDown || st == InstanceState::kTerminated ||
             st == InstanceState::kStopped || st == InstanceState::kStopping;
    }
    if (lost) {
      status().erase("pending");
      ssi.status_json = status().dump();
      return Start(pass, ssi, "recycle", {{"reason", "InstanceLost"}}, false, "controller",
                   ssi.instance_id + " is gone");
    }
    // Health (EC2 status checks) and autohealing.
    if (it != observed.instances.end()) {
      bool impaired = it->second.impaired;
      if (impaired && !status().contains("impairedSince")) {
        status()["impairedSince"] = ToMillis(now);
        ssi.status_json = status().dump();
        SetSsiCondition(ssi, "Healthy", "False", "StatusCheckImpaired",
                        "EC2 status checks report impaired", pass.group.generation, now);
        SK_RETURN_IF_ERROR(Save(ssi, nullptr));
      } else if (!impaired && mentions("impairedSince") && status().contains("impairedSince")) {
        status().erase("impairedSince");
        ssi.status_json = status().dump();
        SetSsiCondition(ssi, "Healthy", "True", "StatusCheckOk", "", pass.group.generation, now);
        SK_RETURN_IF_ERROR(Save(ssi, nullptr));
      }
      if (impaired && spec.health.auto_healing) {
        Time since = FromMillis(status()["impairedSince"].get<int64_t>());
        bool graced = now - ssi.launched_at >= Duration{spec.health.grace_period_seconds * 1000LL};
        if (graced && now - since >= Duration{spec.health.unhealthy_duration_seconds * 1000LL}) {
          status().erase("pending");
          ssi.status_json = status().dump();
          return Start(pass, ssi, "recycle", {{"reason", "Unhealthy"}}, false, "controller",
                       "status checks impaired for " + FormatDuration(now - since));
        }
      }
    }
  }

  if (ssi.state == SsiState::kRecycle) {
    const nlohmann::json pending = status().value("pending", nlohmann::json());
    if (!pass.GateOpen()) {
      if (NoteBlocked(ssi, "recycle", pass.disrupted, spec.strategy.max_unavailable,
                      pass.group.generation, now)) {
        return Save(ssi, nullptr);
      }
      return OkStatus();
    }
    if (pass.asking_leader) {
      if (NoteWaiting(ssi, "AskingLeader",
                      "recycle waits: asking which member leads (health.leader), so that the "
                      "leader goes last",
                      pass.group.generation, now)) {
        return Save(ssi, nullptr);
      }
      return OkStatus();
    }
    if (pass.leaders_last.count(ssi.id)) {
      std::string msg = "recycle waits: this member leads (" +
                        spec.health.leader->probe.Describe(ssi.private_ip) +
                        " passes); the other members waiting for a recycle go first, so the "
                        "quorum elects a leader once";
      if (NoteWaiting(ssi, "Leader", msg, pass.group.generation, now)) {
        EventRecord e = MakeEvent(now, ssi, "controller", "RecycleDeferred", msg);
        return Save(ssi, &e);
      }
      return OkStatus();
    }
    nlohmann::json data = pending.is_object() ? pending.value("data", nlohmann::json::object())
                                              : nlohmann::json::object();
    std::string actor = pending.is_object() ? pending.value("actor", "controller") : "controller";
    status().erase("pending");
    ssi.status_json = status().dump();
    return Start(pass, ssi, "recycle", data, true, actor,
                 "recycle requested (" + data.value("reason", std::string("Recycle")) + ")");
  }

  // ACTIVE and steady: back to spot when the policy says so.
  if (ssi.market == "on-demand" && !spec.compute.instance_types.spot.empty() &&
      spec.strategy.fallback_to_od) {
    const RevertToSpotSpec& r = spec.strategy.revert_to_spot;
    bool allowed = r.perform_at == PerformAt::kAlways ||
                   (r.perform_at == PerformAt::kTimeWindow &&
                    std::any_of(r.time_windows.begin(), r.time_windows.end(),
                                [&](const TimeWindow& w) { return w.Contains(now); }));
    int fails = status().value("revertAttempts", 0);
    Duration wait = env_.options->revert_to_spot_interval * (1LL << std::min(fails, 4));
    Time last = FromMillis(status().value("lastRevertAt", ToMillis(ssi.launched_at)));
    if (allowed && now - last >= wait) {
      status()["lastRevertAt"] = ToMillis(now);
      status()["revertAttempts"] = fails + 1;
      ssi.status_json = status().dump();
      SetPending(ssi, "recycle", "RevertToSpot", "controller");
      ssi.state = SsiState::kRecycle;
      EventRecord e = MakeEvent(
          now, ssi, "controller", "RecycleRequested",
          "on-demand since " + FormatTime(ssi.launched_at) + "; trying to return to spot");
      return Save(ssi, &e);
    }
  } else if (ssi.market == "spot" && mentions("revertAttempts") &&
             status().contains("revertAttempts")) {
    status().erase("revertAttempts");
    status().erase("lastRevertAt");
    ssi.status_json = status().dump();
    SK_RETURN_IF_ERROR(Save(ssi, nullptr));
  }

  return snapshots_->MaybeSnapshot(ssi, pass.group, spec);
}

}  // namespace spotkeeper
