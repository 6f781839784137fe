#include "controller/event_intake.h"

#include "controller/event_check.h"
#include "controller/reconciler.h"
#include "controller/ssi_status.h"

namespace spotkeeper {

Result<bool> EventIntake::Poll() {
  bool any = false;
  int budget = env_.options->max_events_per_tick;
  while (budget > 0) {
    std::vector<CloudEvent> events;
    if (env_.inbox != nullptr) {
      events = env_.inbox->Take(10);
    } else {
      SK_ASSIGN_OR_RETURN(events, env_.cloud->ReceiveEvents(10));
    }
    if (events.empty()) break;
    std::vector<std::string> receipts;
    CloudView view(env_.cloud);
    PrefetchInstances(events, view);
    for (size_t i = 0; i < events.size(); ++i) {
      const CloudEvent& e = events[i];
      --budget;
      Result<bool> seen = env_.store->CloudEventSeen(e.id);
      Result<bool> mine = seen.ok() && !*seen ? Handle(e, view) : Result<bool>(false);
      if (!seen.ok() || !mine.ok()) {
        // Not handled: the inbox keeps it (and those after it) for the next tick; without an
        // inbox the queue delivers it again after its visibility timeout.
        if (env_.inbox != nullptr) {
          env_.inbox->PushFront({events.begin() + static_cast<std::ptrdiff_t>(i), events.end()});
        }
        if (!receipts.empty()) (void)env_.cloud->AckEvents(receipts);  // else redelivered, seen
        return !seen.ok() ? seen.status() : mine.status();
      }
      any |= *mine;
      receipts.push_back(e.receipt);
    }
    // Acknowledged only after handling is committed: a crash before this re-delivers them.
    SK_RETURN_IF_ERROR(env_.cloud->AckEvents(receipts));
  }
  return any;
}

void EventIntake::PrefetchInstances(const std::vector<CloudEvent>& events, CloudView& view) {
  WatchList watch;
  for (const auto& e : events) {
    if (!NeedsConfirmation(e) || !WhyIgnoreScope(e, env_.cloud->Scope()).empty()) continue;
    if (env_.store->FindSsiByInstance(e.instance_id).ok()) watch["instance"].insert(e.instance_id);
  }
  // Whatever the prefetch could not fetch (throttled, an id EC2 does not know) is described
  // one by one when the event is screened.
  if (!watch.empty()) view.Prefetch(watch);
}

Result<std::string> EventIntake::Screen(const CloudEvent& e, const std::optional<SsiRecord>& ssi,
                                        CloudView& view) {
  std::string why = WhyIgnoreScope(e, env_.cloud->Scope());
  if (!why.empty() || !ssi || !NeedsConfirmation(e)) return why;
  SK_ASSIGN_OR_RETURN(std::optional<Instance> described, view.GetInstance(e.instance_id));
  return WhyIgnoreInstance(e, *ssi, described);
}

Status EventIntake::RecordIgnored(const CloudEvent& e, const std::optional<SsiRecord>& ssi,
                                  const std::string& why) {
  Time now = env_.clock->Now();
  ++ignored_;
  SK_ASSIGN_OR_RETURN(auto tx, env_.store->Begin());
  SK_RETURN_IF_ERROR(tx->MarkCloudEventSeen(e.id, now));
  std::string message = std::string(CloudEventKindName(e.kind)) + " " + e.id + " for " +
                        e.instance_id + " ignored: " + why;
  EventRecord r;
  if (ssi) {
    r = MakeEvent(now, *ssi, "cloud", "CloudEventIgnored", message);
  } else {
    r.at = now;
    r.actor = "cloud";
    r.kind = "CloudEventIgnored";
    r.message = message;
  }
  SK_RETURN_IF_ERROR(tx->AppendEvent(r));
  return tx->Commit();
}

Result<bool> EventIntake::Handle(const CloudEvent& e, CloudView& view) {
  Time now = env_.clock->Now();
  auto found = env_.store->FindSsiByInstance(e.instance_id);
  if (!found.ok() && found.status().code() != Code::kNotFound) return found.status();
  std::optional<SsiRecord> owner;
  if (found.ok()) owner = *found;
  SK_ASSIGN_OR_RETURN(std::string why, Screen(e, owner, view));
  if (!why.empty()) {
    SK_RETURN_IF_ERROR(RecordIgnored(e, owner, why));
    return false;
  }
  SK_ASSIGN_OR_RETURN(auto tx, env_.store->Begin());
  SK_RETURN_IF_ERROR(tx->MarkCloudEventSeen(e.id, now));
  if (!found.ok()) {
    SK_RETURN_IF_ERROR(tx->Commit());
    if (found.status().code() != Code::kNotFound) return found.status();
    // No longer an SSI's current instance (e.g. the one a recycle is terminating): a workflow
    // of the SSI that owned it may be waiting on it.
    auto owned = env_.store->GetResource(e.instance_id);
    if (!owned.ok() || owned->ssi_id.empty()) return false;
    SK_ASSIGN_OR_RETURN(std::vector<WorkflowRecord> wfs, env_.store->ListWorkflows(owned->ssi_id));
    bool woke = false;
    for (const auto& w : wfs) {
      if (w.status != "running") continue;
      env_.engine->Wake(w.id);
      woke = true;
    }
    return woke;
  }
  SsiRecord ssi = *found;
  SK_ASSIGN_OR_RETURN(std::vector<WorkflowRecord> wfs, env_.store->ListWorkflows(ssi.id));
  bool busy = false;
  for (const auto& w : wfs) {
    if (w.status != "running") continue;
    busy = true;
    // What it waits on may have just changed: look now rather than at its next poll.
    env_.engine->Wake(w.id);
  }

  switch (e.kind) {
    case CloudEventKind::kSpotInterruptionWarning: {
      ++interruptions_;
      SK_RETURN_IF_ERROR(tx->AppendEvent(
          MakeEvent(now, ssi, "cloud", "InterruptionWarning",
                    e.instance_id + " will be reclaimed (" +
                        (e.instance_action.empty() ? "terminate" : e.instance_action) + ")" +
                        " at " + FormatTime(e.action_time))));
      bool startable = ssi.state == SsiState::kActive || ssi.state == SsiState::kRecycle ||
                       ssi.state == SsiState::kPause || ssi.state == SsiState::kDeallocate;
      if (busy || !startable) break;
      // Whatever was queued, the instance is going: a queued pause or deallocation becomes
      // that, anything else a recycle. Unplanned: the cloud decided, not us.
      std::string kind = ssi.state == SsiState::kPause        ? "pause"
                         : ssi.state == SsiState::kDeallocate ? "deallocate"
                                                              : "interrupt";
      nlohmann::json data = {{"reason", "Interrupted"},
                             {"notice_at", ToMillis(e.time)},
                             {"action_time", ToMillis(e.action_time)},
                             {"timings", {{"notice", ToMillis(e.time)}}}};
      if (kind == "deallocate") {
        data["flags"] =
            ParseStatusJson(ssi.status_json).value("deallocationFlags", nlohmann::json::object());
      }
      nlohmann::json status = ParseStatusJson(ssi.status_json);
      status.erase("pending");
      ssi.status_json = status.dump();
      WorkflowRecord wf = env_.engine->NewWorkflow(ssi, kind, data, false);
      SK_RETURN_IF_ERROR(
          env_.engine->StartInTransaction(*tx, ssi, wf, "cloud", "spot interruption warning"));
      break;
    }
    case CloudEventKind::kRebalanceRecommendation: {
      ++rebalances_;
      SK_ASSIGN_OR_RETURN(bool proactive, CapacityRebalance(ssi.group_id));
      SK_RETURN_IF_ERROR(tx->AppendEvent(MakeEvent(
          now, ssi, "cloud", "RebalanceRecommendation",
          e.instance_id + " is at elevated risk of interruption; " +
              (proactive ? "recycling it proactively"
                         : "strategy.capacityRebalance is false: waiting for the interruption "
                           "notice"))));
      if (!proactive || busy || ssi.state != SsiState::kActive) break;
      Reconciler::SetPending(ssi, "recycle", "Rebalance", "cloud");
      ssi.state = SsiState::kRecycle;  // planned: waits for maxUnavailable
      ssi.updated_at = now;
      SK_RETURN_IF_ERROR(tx->PutSsi(ssi));
      break;
    }
    case CloudEventKind::kInstanceStateChange: {
      bool lost = e.state == "shutting-down" || e.state == "terminated" || e.state == "stopping" ||
                  e.state == "stopped";
      if (!lost || busy || ssi.state != SsiState::kActive || ssi.instance_id != e.instance_id) {
        break;
      }
      SK_RETURN_IF_ERROR(tx->AppendEvent(
          MakeEvent(now, ssi, "cloud", "InstanceLost", e.instance_id + " is " + e.state)));
      WorkflowRecord wf =
          env_.engine->NewWorkflow(ssi, "recycle", {{"reason", "InstanceLost"}}, false);
      SK_RETURN_IF_ERROR(
          env_.engine->StartInTransaction(*tx, ssi, wf, "cloud", e.instance_id + " " + e.state));
      break;
    }
  }
  SK_RETURN_IF_ERROR(tx->Commit());
  return true;
}

Result<bool> EventIntake::CapacityRebalance(const std::string& group_id) {
  SK_ASSIGN_OR_RETURN(GroupRecord group, env_.store->GetGroup(group_id));
  SK_ASSIGN_OR_RETURN(const GroupSpec* spec, env_.specs->Get(group));
  return spec->strategy.capacity_rebalance;
}

}  // namespace spotkeeper
