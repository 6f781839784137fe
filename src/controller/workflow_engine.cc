#include "controller/workflow_engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <set>

#include "controller/serving_prober.h"

namespace spotkeeper {
namespace {

constexpr int kMaxStepsPerRun = 64;
constexpr int kDegradedAfterAttempts = 5;

int IndexOf(const WorkflowDef& def, const std::string& name) {
  for (size_t i = 0; i < def.steps.size(); ++i) {
    if (def.steps[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

// True when a step left the SSI as it was (what a waiting step usually does).
bool SameSsi(const SsiRecord& a, const SsiRecord& b) {
  if (a.state != b.state || a.desired != b.desired || a.instance_id != b.instance_id ||
      a.private_ip != b.private_ip || a.eni_id != b.eni_id ||
      a.availability_zone != b.availability_zone || a.subnet_id != b.subnet_id ||
      a.image_id != b.image_id || a.market != b.market || a.instance_type != b.instance_type ||
      a.status_json != b.status_json || a.launched_at != b.launched_at ||
      a.conditions.size() != b.conditions.size()) {
    return false;
  }
  for (size_t i = 0; i < a.conditions.size(); ++i) {
    const Condition& x = a.conditions[i];
    const Condition& y = b.conditions[i];
    if (x.type != y.type || x.status != y.status || x.reason != y.reason ||
        x.message != y.message) {
      return false;
    }
  }
  return true;
}

JournalEntry Journal(const WorkflowRecord& wf, const std::string& phase, const std::string& detail,
                     Time at) {
  JournalEntry j;
  j.workflow_id = wf.id;
  j.step = wf.step;
  j.step_name = wf.step_name;
  j.phase = phase;
  j.detail = detail;
  j.at = at;
  return j;
}

}  // namespace

WorkflowEngine::WorkflowEngine(Store* store, CloudProvider* cloud, const Clock* clock,
                               Random* random, SpecCache* specs)
    : store_(store), cloud_(cloud), clock_(clock), random_(random), specs_(specs) {}

WorkflowRecord WorkflowEngine::NewWorkflow(const SsiRecord& ssi, const std::string& kind,
                                           nlohmann::json data, bool planned) {
  const WorkflowDef* def = FindWorkflowDef(kind);
  WorkflowRecord wf;
  wf.id = "wf-" + random_->Hex(12);
  wf.ssi_id = ssi.id;
  wf.group_id = ssi.group_id;
  wf.kind = kind;
  wf.status = "running";
  wf.step = def ? std::max(0, IndexOf(*def, def->first_step)) : 0;
  wf.step_name = def ? def->first_step : "";
  wf.planned = planned;
  wf.created_at = wf.updated_at = wf.next_run_at = clock_->Now();
  if (!data.is_object()) data = nlohmann::json::object();
  if (!data.contains("old_instance")) data["old_instance"] = ssi.instance_id;
  wf.data_json = data.dump();
  return wf;
}

Status WorkflowEngine::StartInTransaction(Transaction& tx, SsiRecord& ssi, const WorkflowRecord& wf,
                                          const std::string& actor, const std::string& why) {
  const WorkflowDef* def = FindWorkflowDef(wf.kind);
  if (def == nullptr) return Internal("unknown workflow kind " + wf.kind);
  SsiState old = ssi.state;
  ssi.state = def->running_state;
  ssi.updated_at = clock_->Now();
  SK_RETURN_IF_ERROR(tx.PutSsi(ssi));
  SK_RETURN_IF_ERROR(tx.PutWorkflow(wf));
  EventRecord e;
  e.at = clock_->Now();
  e.group_id = ssi.group_id;
  e.ssi_id = ssi.id;
  e.actor = actor;
  e.kind = "WorkflowStarted";
  e.message = wf.kind + " (" + wf.id + (wf.planned ? ", planned" : "") + "): " + why + "; " +
              (old == ssi.state ? std::string("now ") : std::string(SsiStateName(old)) + " -> ") +
              SsiStateName(ssi.state);
  return tx.AppendEvent(e);
}

Duration WorkflowEngine::ExpectedWait(const std::string& step) const {
  auto it = expected_wait_.find(step);
  return it == expected_wait_.end() ? Duration{0} : it->second;
}

Duration WorkflowEngine::Backoff(int attempt) {
  // 1 s, 2 s, 4 s ... capped at 5 min, with jitter in [50%, 100%].
  int64_t base = std::min<int64_t>(300'000, 1000LL << std::min(attempt, 20));
  return Duration{base / 2 +
                  static_cast<int64_t>(random_->Uniform(static_cast<uint64_t>(base / 2) + 1))};
}

namespace {

// When a workflow held back by the rate limit runs again: after the limiter's wait, rounded
// up to a shared grid, so the workflows held back together come back together and their
// lookups go out as a few batched Describe calls (one per kind) instead of one call each.
constexpr Duration kThrottleGrid{500};
Time ThrottleWake(Time now, Duration wait) {
  const int64_t at = ToMillis(now) + std::max<int64_t>(1, wait.count());
  const int64_t g = kThrottleGrid.count();
  return FromMillis((at + g - 1) / g * g);
}

Time EffectiveNextRun(const WorkflowRecord& wf, const std::map<std::string, Time>& wake,
                      const std::set<std::string>& woken) {
  if (woken.count(wf.id)) return kEpoch;
  auto it = wake.find(wf.id);
  return it == wake.end() ? wf.next_run_at : std::max(wf.next_run_at, it->second);
}

}  // namespace

Result<Time> WorkflowEngine::RunDue() {
  SK_ASSIGN_OR_RETURN(std::vector<WorkflowRecord> running, store_->ListRunningWorkflows());
  Time now = clock_->Now();
  std::vector<std::pair<WorkflowRecord, WatchList>> due;
  WatchList watch;
  std::set<std::string> live;
  if (prober_ != nullptr) {
    // A probe that ended wakes its workflow: the step takes the answer in this pass.
    for (std::string& id : prober_->TakeEnded()) woken_.insert(std::move(id));
  }
  for (auto& wf : running) {
    live.insert(wf.id);
    if (EffectiveNextRun(wf, wake_, woken_) > now) continue;
    nlohmann::json data = nlohmann::json::parse(wf.data_json, nullptr, false);
    WatchList mine;
    if (data.is_object() && data.contains("_watch") && data["_watch"].is_object()) {
      for (auto& [kind, ids] : data["_watch"].items()) {
        for (const auto& id : ids) mine[kind].insert(id.get<std::string>());
      }
    }
    if (auto t = throttled_watch_.find(wf.id); t != throttled_watch_.end()) {
      for (const auto& [kind, ids] : t->second) mine[kind].insert(ids.begin(), ids.end());
    }
    for (const auto& [kind, ids] : mine) watch[kind].insert(ids.begin(), ids.end());
    due.push_back({std::move(wf), std::move(mine)});
  }
  for (auto it = wake_.begin(); it != wake_.end();) {
    it = live.count(it->first) ? std::next(it) : wake_.erase(it);
  }
  for (auto it = throttled_watch_.begin(); it != throttled_watch_.end();) {
    it = live.count(it->first) ? std::next(it) : throttled_watch_.erase(it);
  }
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    it = live.count(it->first) ? std::next(it) : waiting_.erase(it);
  }
  for (auto it = woken_.begin(); it != woken_.end();) {
    it = live.count(*it) ? std::next(it) : woken_.erase(it);
  }
  if (prober_ != nullptr) prober_->Retain(live);
  CloudView view(cloud_);
  view.Prefetch(watch);
  for (auto& [wf, mine] : due) {
    if (view.throttled() && !view.Fetched(mine)) {
      // What it waits on could not be fetched (rate limit): look again when it can be.
      wake_[wf.id] = ThrottleWake(now, *view.throttled());
      continue;
    }
    Status s = Run(wf, &view);
    if (!s.ok()) spdlog::warn("workflow {}: {}", wf.id, s.ToString());
  }
  SK_ASSIGN_OR_RETURN(running, store_->ListRunningWorkflows());
  Time next = kNever;
  for (const auto& wf : running) next = std::min(next, EffectiveNextRun(wf, wake_, woken_));
  return next;
}

Status WorkflowEngine::Run(WorkflowRecord wf, CloudView* shared_view) {
  CloudView private_view(cloud_);
  CloudView* view = shared_view != nullptr ? shared_view : &private_view;
  wake_.erase(wf.id);
  woken_.erase(wf.id);
  throttled_watch_.erase(wf.id);
  const WorkflowDef* def = FindWorkflowDef(wf.kind);
  if (def == nullptr) return Internal("workflow " + wf.id + " has unknown kind " + wf.kind);
  SK_ASSIGN_OR_RETURN(SsiRecord ssi, store_->GetSsi(wf.ssi_id));
  SK_ASSIGN_OR_RETURN(GroupRecord group, store_->GetGroup(wf.group_id));
  SK_ASSIGN_OR_RETURN(const GroupSpec* spec, specs_->Get(group));
  SK_ASSIGN_OR_RETURN(std::vector<ResourceRecord> resources, store_->ListResources(ssi.id));

  for (int i = 0; i < kMaxStepsPerRun; ++i) {
    if (wf.step < 0 || wf.step >= static_cast<int>(def->steps.size())) {
      return Internal("workflow " + wf.id + " is at step " + std::to_string(wf.step) + " of " +
                      std::to_string(def->steps.size()));
    }
    const StepDef& step = def->steps[static_cast<size_t>(wf.step)];
    Time now = clock_->Now();
    nlohmann::json data = nlohmann::json::parse(wf.data_json, nullptr, false);
    if (!data.is_object()) return Internal("workflow " + wf.id + " data is not a JSON object");

    // Journal "begin" once per step (not on every poll of a waiting step).
    if (!data.contains("_begun") || data["_begun"] != wf.step) {
      data["_begun"] = wf.step;
      wf.step_name = step.name;
      wf.data_json = data.dump();
      wf.updated_at = now;
      SK_ASSIGN_OR_RETURN(auto tx, store_->Begin());
      SK_RETURN_IF_ERROR(tx->PutWorkflow(wf));
      SK_RETURN_IF_ERROR(tx->AppendJournal(Journal(wf, "begin", "", now)));
      SK_RETURN_IF_ERROR(tx->Commit());
    }

    const nlohmann::json data_before = data;
    (void)view->TakeLookups();
    StepContext ctx(now, cloud_, view, random_, &group, spec, &wf, ssi, resources, std::move(data));
    ctx.set_recovery_history(recovery_history_);
    ctx.set_prober(prober_);
    auto waiting = waiting_.find(wf.id);
    if (waiting != waiting_.end() && waiting->second.step != wf.step) {
      waiting_.erase(waiting);
      waiting = waiting_.end();
    }
    ctx.SetPacing(waiting == waiting_.end() ? kEpoch : waiting->second.since,
                  ExpectedWait(step.name));
    const Time step_ran = now;
    StepResult res;
    try {
      res = step.fn(ctx);
    } catch (const std::exception& e) {
      // A bug in a step (e.g. unexpected JSON shape): stop this SSI with the reason shown.
      res = StepResult::Fail("InternalError", Internal(step.name + ": " + e.what()));
    }
    ++stats_.steps_run;

    now = clock_->Now();
    if (res.kind == StepResult::Kind::kWait) {
      if (waiting == waiting_.end()) waiting_[wf.id] = Waiting{wf.step, step_ran};
    } else if (waiting != waiting_.end()) {
      if (res.kind == StepResult::Kind::kDone || res.kind == StepResult::Kind::kGoto) {
        Duration took = now - waiting->second.since;
        auto [e, fresh] = expected_wait_.emplace(step.name, took);
        if (!fresh) e->second = (e->second * 3 + took) / 4;
      }
      waiting_.erase(waiting);
    }
    // What a waiting step looked at is what the next pass prefetches for it.
    WatchList lookups = view->TakeLookups();
    if (res.kind == StepResult::Kind::kWait) {
      nlohmann::json w = nlohmann::json::object();
      for (const auto& [kind, ids] : lookups) w[kind] = ids;
      if (!w.empty()) ctx.data()["_watch"] = w;
    } else {
      ctx.data().erase("_watch");
    }
    if (res.kind == StepResult::Kind::kWait && ctx.changed_resources().empty() &&
        ctx.events().empty() && ctx.data() == data_before && SameSsi(ctx.ssi(), ssi)) {
      // Nothing to remember: keep the wake-up time in memory and write nothing.
      wake_[wf.id] = std::max(res.at, now);
      ++stats_.quiet_waits;
      return OkStatus();
    }
    wf.data_json = ctx.data().dump();
    wf.updated_at = now;
    ctx.ssi().updated_at = now;
    std::vector<JournalEntry> journal;
    bool stop = true;
    if (res.kind == StepResult::Kind::kGoto && IndexOf(*def, res.target) < 0) {
      res = StepResult::Fail("InternalError",
                             Internal(step.name + " jumps to unknown step " + res.target));
    }
    switch (res.kind) {
      case StepResult::Kind::kDone:
      case StepResult::Kind::kGoto: {
        int next = res.kind == StepResult::Kind::kGoto ? IndexOf(*def, res.target) : wf.step + 1;
        journal.push_back(Journal(wf, "end", res.target.empty() ? "" : "goto " + res.target, now));
        wf.attempt = 0;
        wf.error.clear();
        wf.next_run_at = now;
        if (res.kind == StepResult::Kind::kDone && next >= static_cast<int>(def->steps.size())) {
          wf.status = "succeeded";
          ++stats_.workflows_succeeded;
        } else {
          wf.step = next;
          wf.step_name = def->steps[static_cast<size_t>(next)].name;
          stop = false;
          // The next step's "begin" goes in this step's transaction (one commit per step).
          ctx.data()["_begun"] = wf.step;
          wf.data_json = ctx.data().dump();
          journal.push_back(Journal(wf, "begin", "", now));
        }
        break;
      }
      case StepResult::Kind::kWait:
        wf.next_run_at = std::max(res.at, now);
        break;
      case StepResult::Kind::kRetry: {
        if (res.status.retry_after().has_value()) {
          // Held back by the client-side rate limit: not a failure, just not yet. The limiter
          // gives each waiter its own slot (at the bucket's refill rate), so come back then.
          ++stats_.client_throttled;
          wf.next_run_at = ThrottleWake(now, *res.status.retry_after());
          wake_[wf.id] = wf.next_run_at;
          // What it looked up before (and at) the refusal is prefetched in batch next time,
          // so many throttled workflows share a few Describe calls instead of each spending
          // tokens on single lookups and losing them to the next refusal.
          throttled_watch_[wf.id] = std::move(lookups);
          return OkStatus();  // nothing else changed: nothing to write
        }
        ++stats_.step_retries;
        ++wf.attempt;
        wf.error = res.status.ToString();
        wf.next_run_at = now + Backoff(wf.attempt - 1);
        journal.push_back(Journal(wf, "retry", wf.error, now));
        if (wf.attempt == 1 || wf.attempt == kDegradedAfterAttempts || wf.attempt % 20 == 0) {
          ctx.AddEvent("StepRetrying",
                       step.name + " attempt " + std::to_string(wf.attempt) + ": " + wf.error);
        }
        if (wf.attempt >= kDegradedAfterAttempts) {
          ctx.SetCondition("Degraded", "True", "StepRetrying",
                           step.name + " has failed " + std::to_string(wf.attempt) +
                               " times; still retrying: " + wf.error);
        }
        break;
      }
      case StepResult::Kind::kFail: {
        ++stats_.step_failures;
        ++stats_.workflows_failed;
        wf.status = "failed";
        wf.error = res.status.ToString();
        journal.push_back(Journal(wf, "fail", wf.error, now));
        SsiState old = ctx.ssi().state;
        ctx.ssi().state = SsiState::kError;
        ctx.SetCondition("Ready", "False", res.reason,
                         wf.kind + " failed at " + step.name + ": " + wf.error +
                             " (fix the cause, then retry the instance)");
        ctx.AddEvent("StateChanged",
                     std::string(SsiStateName(old)) + " -> ERROR: " + res.reason + ": " + wf.error);
        break;
      }
    }

    SK_ASSIGN_OR_RETURN(auto tx, store_->Begin());
    SK_RETURN_IF_ERROR(tx->PutSsi(ctx.ssi()));
    for (const auto& r : ctx.changed_resources()) SK_RETURN_IF_ERROR(tx->PutResource(r));
    SK_RETURN_IF_ERROR(tx->PutWorkflow(wf));
    for (const auto& j : journal) SK_RETURN_IF_ERROR(tx->AppendJournal(j));
    for (const auto& e : ctx.events()) SK_RETURN_IF_ERROR(tx->AppendEvent(e));
    SK_RETURN_IF_ERROR(tx->Commit());

    ssi = ctx.ssi();
    resources = ctx.resources();
    if (wf.status == "succeeded" && on_succeeded_) on_succeeded_(wf);
    if (stop) return OkStatus();
  }
  return OkStatus();  // bounded; the rest runs on the next tick
}

Status WorkflowEngine::RetryFailed(const std::string& ssi_id, const std::string& actor) {
  SK_ASSIGN_OR_RETURN(SsiRecord ssi, store_->GetSsi(ssi_id));
  if (ssi.state != SsiState::kError) {
    return FailedPrecondition("stateful instance " + ssi_id + " is " + SsiStateName(ssi.state) +
                              ", not ERROR; only an instance in ERROR can be retried");
  }
  SK_ASSIGN_OR_RETURN(std::vector<WorkflowRecord> wfs, store_->ListWorkflows(ssi_id));
  auto it = std::find_if(wfs.begin(), wfs.end(),
                         [](const WorkflowRecord& w) { return w.status == "failed"; });
  if (it == wfs.end()) return FailedPrecondition("no failed workflow to retry for " + ssi_id);
  WorkflowRecord wf = *it;
  const WorkflowDef* def = FindWorkflowDef(wf.kind);
  if (def == nullptr) return Internal("unknown workflow kind " + wf.kind);
  Time now = clock_->Now();
  wf.status = "running";
  wf.attempt = 0;
  wf.next_run_at = now;
  wf.updated_at = now;
  ssi.state = def->running_state;
  for (auto& c : ssi.conditions) {
    if (c.type == "Ready") {
      c.reason = "Retrying";
      c.message = "retry requested by " + actor;
      c.last_transition = now;
    }
  }
  ssi.updated_at = now;
  SK_ASSIGN_OR_RETURN(auto tx, store_->Begin());
  SK_RETURN_IF_ERROR(tx->PutWorkflow(wf));
  SK_RETURN_IF_ERROR(tx->PutSsi(ssi));
  SK_RETURN_IF_ERROR(tx->AppendJournal(Journal(wf, "retry", "operator retry by " + actor, now)));
  EventRecord e{
      0, now, ssi.group_id, ssi.id, actor, "Retry", wf.kind + " resumes at step " + wf.step_name};
  SK_RETURN_IF_ERROR(tx->AppendEvent(e));
  return tx->Commit();
}

Status WorkflowEngine::CancelFailed(Transaction& tx, const std::string& ssi_id) {
  SK_ASSIGN_OR_RETURN(std::vector<WorkflowRecord> wfs, store_->ListWorkflows(ssi_id));
  for (auto wf : wfs) {
    if (wf.status != "failed") continue;
    wf.status = "cancelled";
    wf.updated_at = clock_->Now();
    SK_RETURN_IF_ERROR(tx.PutWorkflow(wf));
  }
  return OkStatus();
}

}  // namespace spotkeeper
