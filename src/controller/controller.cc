#include "controller/controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "controller/cloud_preflight.h"
#include "controller/serving_prober.h"
#include "controller/ssi_status.h"

namespace spotkeeper {
namespace {

nlohmann::json FlagsJson(const DeallocationSpec& f) {
  return {{"shouldDeleteImages", f.should_delete_images},
          {"shouldDeleteNetworkInterfaces", f.should_delete_network_interfaces},
          {"shouldDeleteVolumes", f.should_delete_volumes},
          {"shouldDeleteSnapshots", f.should_delete_snapshots}};
}

std::vector<std::string> DeviceNames(const GroupSpec& s) {
  std::vector<std::string> out;
  for (const auto& b : s.compute.launch_specification.block_device_mappings) {
    out.push_back(b.device_name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Changes a group's spec may not make while it has stateful instances: they would strand the
// identity those instances already carry.
std::string IdentityChange(const GroupSpec& a, const GroupSpec& b) {
  const PersistenceSpec& p = a.strategy.persistence;
  const PersistenceSpec& q = b.strategy.persistence;
  if (p.should_persist_root_device != q.should_persist_root_device) {
    return "strategy.persistence.shouldPersistRootDevice";
  }
  if (p.should_persist_block_devices != q.should_persist_block_devices) {
    return "strategy.persistence.shouldPersistBlockDevices";
  }
  if (p.should_persist_private_ip != q.should_persist_private_ip) {
    return "strategy.persistence.shouldPersistPrivateIp";
  }
  if (p.should_persist_block_devices && p.block_devices_mode != q.block_devices_mode) {
    return "strategy.persistence.blockDevicesMode";
  }
  if (DeviceNames(a) != DeviceNames(b)) {
    return "compute.launchSpecification.blockDeviceMappings[].deviceName";
  }
  return "";
}

}  // namespace

Controller::Controller(ControllerDeps deps, ControllerOptions options)
    : deps_(deps),
      options_(options),
      random_(deps.seed),
      engine_(deps.store, deps.cloud, deps.clock, &random_, &specs_),
      snapshots_(Env()),
      reconciler_(Env(), &snapshots_, deps.leader_prober),
      sweeper_(Env()),
      costs_(Env()),
      reaper_(Env()),
      intake_(Env()),
      retention_(Env()) {
  engine_.SetRecoveryHistory(options_.retention.recovery_history);
  engine_.SetServingProber(deps.prober);
  engine_.SetOnSucceeded([this](const WorkflowRecord& wf) {
    if (!options_.on_recovery || wf.kind == "launch" || wf.kind == "pause" ||
        wf.kind == "deallocate") {
      return;
    }
    nlohmann::json d = ParseStatusJson(wf.data_json);
    const nlohmann::json& t = d.value("timings", nlohmann::json::object());
    int64_t active = t.value("active", ToMillis(wf.updated_at));
    int64_t start = t.value("notice", t.value("started", active));
    int64_t down = t.value("terminated", start);
    RecoveryTimes r;
    r.kind = wf.kind;
    r.reason = d.value("reason", std::string());
    r.total = Duration{active - start};
    r.downtime = Duration{active - down};
    for (const char* phase : {"terminated", "released", "running", "attached", "active"}) {
      if (t.contains(phase) && t[phase].is_number_integer()) {
        r.phases.emplace_back(phase, Duration{t[phase].get<int64_t>() - start});
      }
    }
    options_.on_recovery(r);
  });
}

ControllerEnv Controller::Env() {
  return ControllerEnv{deps_.store, deps_.cloud, deps_.clock, &random_,
                       &specs_,     &engine_,    &options_,   deps_.inbox};
}

ControllerStats Controller::stats() const {
  ControllerStats s;
  s.engine = engine_.stats();
  s.interruptions = intake_.interruptions();
  s.rebalances = intake_.rebalances();
  s.snapshots_taken = snapshots_.snapshots_taken();
  s.resources_reaped = reaper_.deleted();
  s.orphans_deleted = sweeper_.orphans_deleted();
  s.pruned = retention_.pruned();
  s.ticks = ticks_;
  return s;
}

Time Controller::Tick() {
  ++ticks_;
  Time now = deps_.clock->Now();
  auto warn = [](const char* what, const Status& s) {
    if (s.ok() || s.retry_after()) return;
    if (s.IsRetryable()) {
      spdlog::debug("{}: {}", what, s.ToString());  // tried again on the next tick
    } else {
      spdlog::warn("{}: {}", what, s.ToString());
    }
  };

  auto events = intake_.Poll();
  warn("events", events.status());
  if (events.ok() && *events) dirty_ = true;
  if (deps_.leader_prober != nullptr && !deps_.leader_prober->TakeEnded().empty()) {
    dirty_ = true;  // health.leader answered: a queued recycle may go now
  }

  if (now >= next_sweep_) {
    Status s = sweeper_.Sweep();
    warn("sweep", s);
    if (s.ok()) warn("cost", costs_.Accrue(sweeper_.observed()));
    next_sweep_ = now + (s.retry_after() ? *s.retry_after() : options_.sweep_interval);
    dirty_ |= s.ok();
  }
  if (now >= next_orphans_) {
    if (next_orphans_ != kEpoch) warn("orphans", sweeper_.CollectOrphans());
    next_orphans_ = now + options_.orphan_interval;
  }
  if (dirty_ || now >= next_reconcile_) {
    dirty_ = false;
    warn("reconcile", reconciler_.ReconcileAll(sweeper_.observed()));
    next_reconcile_ = now + options_.reconcile_interval;
  }

  int64_t finished_before = engine_.stats().workflows_succeeded + engine_.stats().workflows_failed;
  Time next_wf = kNever;
  auto due = engine_.RunDue();
  warn("workflows", due.status());
  if (due.ok()) next_wf = *due;
  if (engine_.stats().workflows_succeeded + engine_.stats().workflows_failed != finished_before) {
    dirty_ = true;  // a finished workflow may let a queued planned action start
  }

  if (now >= next_reap_) {
    auto more = reaper_.Run();
    warn("reaper", more.status());
    next_reap_ = now + options_.reap_interval;
  }

  if (now >= next_prune_) {
    auto next = retention_.Run();
    warn("retention", next.status());
    next_prune_ = next.ok() ? *next : now + options_.retention.interval;
  }

  Time next =
      std::min({next_wf, next_sweep_, next_reconcile_, next_reap_, next_orphans_, next_prune_});
  if (dirty_) next = now;
  return std::max(next, now);
}

Status Controller::SaveSsi(const SsiRecord& ssi, const EventRecord& event) {
  SK_ASSIGN_OR_RETURN(auto tx, deps_.store->Begin());
  SK_RETURN_IF_ERROR(tx->PutSsi(ssi));
  SK_RETURN_IF_ERROR(tx->AppendEvent(event));
  SK_RETURN_IF_ERROR(tx->Commit());
  dirty_ = true;
  return OkStatus();
}

Result<GroupRecord> Controller::CreateGroup(const GroupSpec& spec, const std::string& actor) {
  SK_ASSIGN_OR_RETURN(std::vector<GroupRecord> groups, deps_.store->ListGroups(false));
  for (const auto& g : groups) {
    if (g.name == spec.name) {
      return AlreadyExists("a group named '" + spec.name + "' exists (" + g.id +
                           "); choose another name or update that group");
    }
  }
  SK_RETURN_IF_ERROR(CheckCloudReferences(*deps_.cloud, spec));
  Time now = deps_.clock->Now();
  GroupRecord g;
  g.id = "sig-" + random_.Hex(8);
  g.name = spec.name;
  g.spec_json = ToJson(spec).dump();
  g.status = "ACTIVE";
  g.created_at = g.updated_at = now;
  SK_ASSIGN_OR_RETURN(auto tx, deps_.store->Begin());
  SK_RETURN_IF_ERROR(tx->PutGroup(g));
  SK_RETURN_IF_ERROR(tx->AppendEvent(MakeGroupEvent(
      now, g.id, actor, "GroupCreated",
      "'" + spec.name + "' with capacity target " + std::to_string(spec.capacity.target))));
  SK_RETURN_IF_ERROR(tx->Commit());
  dirty_ = true;
  return deps_.store->GetGroup(g.id);
}

Result<GroupRecord> Controller::UpdateGroup(const std::string& group_id, const GroupSpec& spec,
                                            bool resume_stateful, const std::string& actor) {
  SK_ASSIGN_OR_RETURN(GroupRecord g, deps_.store->GetGroup(group_id));
  if (g.status != "ACTIVE") {
    return FailedPrecondition("group " + group_id + " is " + g.status + " and cannot change");
  }
  SK_ASSIGN_OR_RETURN(const GroupSpec* old, specs_.Get(g));
  SK_ASSIGN_OR_RETURN(std::vector<SsiRecord> ssis, deps_.store->ListSsis(group_id));
  bool has_live = std::any_of(ssis.begin(), ssis.end(),
                              [](const SsiRecord& s) { return s.state != SsiState::kDeallocated; });
  if (!(spec.compute == old->compute)) {
    SK_RETURN_IF_ERROR(CheckCloudReferences(*deps_.cloud, spec));
  }
  std::string changed = IdentityChange(*old, spec);
  if (has_live && !changed.empty()) {
    return FailedPrecondition(changed +
                              " cannot change while the group has stateful instances (it would "
                              "strand the volumes, IPs or images they carry); deallocate them "
                              "first or create a new group");
  }
  for (const auto& s : ssis) {
    if (s.state == SsiState::kDeallocated || s.private_ip.empty() ||
        old->compute.private_ips.empty()) {
      continue;
    }
    const auto& ips = spec.compute.private_ips;
    if (std::find(ips.begin(), ips.end(), s.private_ip) == ips.end()) {
      return FailedPrecondition("compute.privateIps: " + s.private_ip + " is held by " + s.id +
                                "; keep it in the pool or deallocate that instance first");
    }
  }
  if (spec.name != g.name) {
    SK_ASSIGN_OR_RETURN(std::vector<GroupRecord> groups, deps_.store->ListGroups(false));
    for (const auto& other : groups) {
      if (other.id != g.id && other.name == spec.name) {
        return AlreadyExists("a group named '" + spec.name + "' exists (" + other.id + ")");
      }
    }
  }
  Time now = deps_.clock->Now();
  g.name = spec.name;
  g.spec_json = ToJson(spec).dump();
  g.updated_at = now;
  SK_ASSIGN_OR_RETURN(auto tx, deps_.store->Begin());
  SK_RETURN_IF_ERROR(tx->PutGroup(g));
  SK_RETURN_IF_ERROR(tx->AppendEvent(MakeGroupEvent(now, g.id, actor, "GroupUpdated",
                                                    resume_stateful ? "spec updated; paused "
                                                                      "instances resume"
                                                                    : "spec updated")));
  if (resume_stateful) {
    for (auto& s : ssis) {
      if (s.state == SsiState::kDeallocated || s.desired != "paused") continue;
      s.desired = "running";
      s.pause_reason.clear();
      s.updated_at = now;
      SK_RETURN_IF_ERROR(tx->PutSsi(s));
    }
  }
  SK_RETURN_IF_ERROR(tx->Commit());
  dirty_ = true;
  return deps_.store->GetGroup(g.id);
}

Status Controller::DeleteGroup(const std::string& group_id, const DeallocationSpec& flags,
                               const std::string& actor) {
  SK_ASSIGN_OR_RETURN(GroupRecord g, deps_.store->GetGroup(group_id));
  if (g.status == "DELETED") return NotFound("group " + group_id + " is already deleted");
  if (g.status == "DELETING") return OkStatus();
  Time now = deps_.clock->Now();
  g.status = "DELETING";
  g.deallocation_json = FlagsJson(flags).dump();
  g.updated_at = now;
  SK_ASSIGN_OR_RETURN(auto tx, deps_.store->Begin());
  SK_RETURN_IF_ERROR(tx->PutGroup(g));
  SK_RETURN_IF_ERROR(tx->AppendEvent(
      MakeGroupEvent(now, g.id, actor, "GroupDeleting", "deallocation: " + g.deallocation_json)));
  SK_RETURN_IF_ERROR(tx->Commit());
  dirty_ = true;
  return OkStatus();
}

Result<SsiRecord> Controller::LoadActionable(const std::string& ssi_id) {
  SK_ASSIGN_OR_RETURN(SsiRecord ssi, deps_.store->GetSsi(ssi_id));
  if (ssi.state == SsiState::kDeallocated || ssi.desired == "deallocated") {
    return FailedPrecondition("stateful instance " + ssi_id + " is deallocated");
  }
  SK_ASSIGN_OR_RETURN(GroupRecord g, deps_.store->GetGroup(ssi.group_id));
  if (g.status != "ACTIVE") {
    return FailedPrecondition("group " + g.id + " is " + g.status);
  }
  return ssi;
}

Status Controller::PauseSsi(const std::string& ssi_id, const std::string& actor) {
  SK_ASSIGN_OR_RETURN(SsiRecord ssi, LoadActionable(ssi_id));
  if (ssi.desired == "paused") return OkStatus();
  if (ssi.state == SsiState::kRecycle || ssi.state == SsiState::kRecycling ||
      ssi.state == SsiState::kResuming) {
    return FailedPrecondition(ssi_id + " is " + SsiStateName(ssi.state) +
                              "; pause it once that has finished");
  }
  ssi.desired = "paused";
  ssi.pause_reason = "operator";
  ssi.updated_at = deps_.clock->Now();
  return SaveSsi(ssi, MakeEvent(ssi.updated_at, ssi, actor, "PauseRequested", "by " + actor));
}

Status Controller::ResumeSsi(const std::string& ssi_id, const std::string& actor) {
  SK_ASSIGN_OR_RETURN(SsiRecord ssi, LoadActionable(ssi_id));
  if (ssi.desired == "running") return OkStatus();
  if (ssi.state == SsiState::kPausing) {
    return FailedPrecondition(ssi_id + " is PAUSING; resume it once it is PAUSED");
  }
  if (ssi.pause_reason == "capacity") {
    SK_ASSIGN_OR_RETURN(GroupRecord g, deps_.store->GetGroup(ssi.group_id));
    SK_ASSIGN_OR_RETURN(const GroupSpec* spec, specs_.Get(g));
    return FailedPrecondition(ssi_id + " is paused because group " + g.id +
                              " has capacity.target " + std::to_string(spec->capacity.target) +
                              "; raise capacity.target (group update) and it resumes by itself");
  }
  ssi.desired = "running";
  ssi.pause_reason.clear();
  ssi.updated_at = deps_.clock->Now();
  return SaveSsi(ssi, MakeEvent(ssi.updated_at, ssi, actor, "ResumeRequested", "by " + actor));
}

Status Controller::RecycleSsi(const std::string& ssi_id, const std::string& actor) {
  SK_ASSIGN_OR_RETURN(SsiRecord ssi, LoadActionable(ssi_id));
  if (ssi.state == SsiState::kRecycle || ssi.state == SsiState::kRecycling) {
    return FailedPrecondition(ssi_id + " is already " + SsiStateName(ssi.state));
  }
  if (ssi.state != SsiState::kActive || ssi.desired != "running") {
    return FailedPrecondition("only an ACTIVE stateful instance can be recycled; " + ssi_id +
                              " is " + SsiStateName(ssi.state));
  }
  Reconciler::SetPending(ssi, "recycle", "Recycle", actor);
  ssi.state = SsiState::kRecycle;
  ssi.updated_at = deps_.clock->Now();
  return SaveSsi(ssi, MakeEvent(ssi.updated_at, ssi, actor, "RecycleRequested", "by " + actor));
}

Status Controller::DeallocateSsi(const std::string& ssi_id, const DeallocationSpec& flags,
                                 const std::string& actor) {
  SK_ASSIGN_OR_RETURN(SsiRecord ssi, LoadActionable(ssi_id));
  SK_ASSIGN_OR_RETURN(GroupRecord g, deps_.store->GetGroup(ssi.group_id));
  SK_ASSIGN_OR_RETURN(const GroupSpec* old, specs_.Get(g));
  GroupSpec spec = *old;
  // The group shrinks by this instance (else the reconciler would launch a new one).
  if (!(ssi.desired == "paused" && ssi.pause_reason == "capacity")) {
    spec.capacity.target = std::max(0, spec.capacity.target - 1);
    spec.capacity.minimum = std::min(spec.capacity.minimum, spec.capacity.target);
  }
  Time now = deps_.clock->Now();
  nlohmann::json status = ParseStatusJson(ssi.status_json);
  status["deallocationFlags"] = FlagsJson(flags);
  ssi.status_json = status.dump();
  ssi.desired = "deallocated";
  ssi.updated_at = now;
  g.spec_json = ToJson(spec).dump();
  g.updated_at = now;
  SK_ASSIGN_OR_RETURN(auto tx, deps_.store->Begin());
  SK_RETURN_IF_ERROR(tx->PutGroup(g));
  SK_RETURN_IF_ERROR(tx->PutSsi(ssi));
  SK_RETURN_IF_ERROR(tx->AppendEvent(MakeEvent(now, ssi, actor, "DeallocateRequested",
                                               "by " + actor + "; group capacity target now " +
                                                   std::to_string(spec.capacity.target) + "; " +
                                                   FlagsJson(flags).dump())));
  SK_RETURN_IF_ERROR(tx->Commit());
  dirty_ = true;
  return OkStatus();
}

Status Controller::RetrySsi(const std::string& ssi_id, const std::string& actor) {
  SK_RETURN_IF_ERROR(engine_.RetryFailed(ssi_id, actor));
  dirty_ = true;
  return OkStatus();
}

Result<SsiRecord> Controller::ImportInstance(const ImportRequest& req, const std::string& actor) {
  SK_ASSIGN_OR_RETURN(GroupRecord g, deps_.store->GetGroup(req.group_id));
  if (g.status != "ACTIVE") return FailedPrecondition("group " + g.id + " is " + g.status);
  auto owner = deps_.store->FindSsiByInstance(req.instance_id);
  if (owner.ok()) {
    return AlreadyExists(req.instance_id + " already is stateful instance " + owner->id);
  }
  SK_ASSIGN_OR_RETURN(const GroupSpec* old, specs_.Get(g));
  if (req.keep_private_ip && !old->strategy.persistence.should_persist_private_ip) {
    return FailedPrecondition(
        "keeping the private IP needs strategy.persistence.shouldPersistPrivateIp in group " +
        g.id);
  }
  GroupSpec spec = *old;
  spec.capacity.target += 1;  // the imported instance is one more member
  spec.capacity.maximum = std::max(spec.capacity.maximum, spec.capacity.target);
  Time now = deps_.clock->Now();
  SsiRecord ssi;
  ssi.id = "ssi-" + random_.Hex(8);
  ssi.group_id = g.id;
  ssi.desired = "running";
  ssi.created_at = ssi.updated_at = now;
  nlohmann::json data = {{"reason", "Imported"},
                         {"source_instance", req.instance_id},
                         {"keep_private_ip", req.keep_private_ip},
                         {"terminate_source", req.terminate_instance || req.keep_private_ip},
                         {"old_instance", ""}};
  WorkflowRecord wf = engine_.NewWorkflow(ssi, "import", data, false);
  g.spec_json = ToJson(spec).dump();
  g.updated_at = now;
  SK_ASSIGN_OR_RETURN(auto tx, deps_.store->Begin());
  SK_RETURN_IF_ERROR(tx->PutGroup(g));
  SK_RETURN_IF_ERROR(
      engine_.StartInTransaction(*tx, ssi, wf, actor, "import of " + req.instance_id));
  SK_RETURN_IF_ERROR(tx->Commit());
  dirty_ = true;
  return deps_.store->GetSsi(ssi.id);
}

Status Controller::CancelImport(const std::string& ssi_id, const std::string& actor) {
  SK_ASSIGN_OR_RETURN(SsiRecord ssi, deps_.store->GetSsi(ssi_id));
  SK_ASSIGN_OR_RETURN(std::vector<WorkflowRecord> wfs, deps_.store->ListWorkflows(ssi_id));
  auto it = std::find_if(wfs.begin(), wfs.end(), [](const WorkflowRecord& w) {
    return w.kind == "import" && (w.status == "running" || w.status == "failed");
  });
  if (it == wfs.end()) return FailedPrecondition(ssi_id + " has no import in progress");
  WorkflowRecord wf = *it;
  static const std::set<std::string> kCancellable = {"describe_source", "protect_eni",
                                                     "snapshot_source", "wait_source_snapshots"};
  if (!kCancellable.count(wf.step_name)) {
    return FailedPrecondition("the import of " + ssi_id + " is at " + wf.step_name +
                              ": its source instance is being replaced and it can no longer "
                              "be cancelled");
  }
  Time now = deps_.clock->Now();
  SK_ASSIGN_OR_RETURN(GroupRecord g, deps_.store->GetGroup(ssi.group_id));
  SK_ASSIGN_OR_RETURN(const GroupSpec* old, specs_.Get(g));
  GroupSpec spec = *old;
  spec.capacity.target = std::max(0, spec.capacity.target - 1);
  spec.capacity.minimum = std::min(spec.capacity.minimum, spec.capacity.target);
  g.spec_json = ToJson(spec).dump();
  g.updated_at = now;
  wf.status = "cancelled";
  wf.updated_at = now;
  // The snapshots and image the import made are deleted; the source instance is untouched
  // (its network interface keeps DeleteOnTermination=false if that step ran).
  nlohmann::json status = ParseStatusJson(ssi.status_json);
  status["deallocationFlags"] = FlagsJson(DeallocationSpec{true, false, false, true});
  ssi.status_json = status.dump();
  ssi.desired = "deallocated";
  ssi.state = SsiState::kDeallocate;
  ssi.eni_id.clear();
  ssi.updated_at = now;
  SK_ASSIGN_OR_RETURN(auto tx, deps_.store->Begin());
  SK_RETURN_IF_ERROR(tx->PutWorkflow(wf));
  SK_RETURN_IF_ERROR(tx->PutGroup(g));
  SK_ASSIGN_OR_RETURN(std::vector<ResourceRecord> res, deps_.store->ListResources(ssi_id));
  for (auto r : res) {
    if (r.kind == "eni" && r.status == "current") {
      r.status = "released";  // it belongs to the source instance
      r.updated_at = now;
      SK_RETURN_IF_ERROR(tx->PutResource(r));
    }
  }
  SK_RETURN_IF_ERROR(tx->PutSsi(ssi));
  SK_RETURN_IF_ERROR(
      tx->AppendEvent(MakeEvent(now, ssi, actor, "ImportCancelled", "at step " + wf.step_name)));
  SK_RETURN_IF_ERROR(tx->Commit());
  dirty_ = true;
  return OkStatus();
}

}  // namespace spotkeeper
