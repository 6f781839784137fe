// FakeCloud: chaos — spot interruptions, rebalance recommendations, impaired and failed hosts —
// and what the instance reads from IMDS about them.
#include "provider/fake/describe_util.h"
#include "provider/fake/fake_cloud.h"

namespace spotkeeper {

using fake::InstanceRecord;
using fake::TransitionKind;

namespace {

bool Alive(const InstanceRecord& rec) {
  return rec.instance.state == InstanceState::kPending ||
         rec.instance.state == InstanceState::kRunning;
}

}  // namespace

void FakeCloud::InterruptLocked(InstanceRecord& rec, Time at) {
  rec.action_time = at + options_.interruption_notice;
  EmitEvent(CloudEventKind::kSpotInterruptionWarning, rec.instance.id, at, "", rec.action_time);
  auto it = spot_requests_.find(rec.instance.spot_request_id);
  if (it != spot_requests_.end()) it->second.request.status_code = "marked-for-termination";
  Schedule(rec.action_time, TransitionKind::kSpotInterruption, &rec.instance.id);
}

void FakeCloud::OnSpotInterruption(const std::string& id, Time at) {
  InstanceRecord& rec = instances_.at(id);
  if (!Alive(rec) || rec.action_time != at) return;
  // The spot service takes the instance at the notice's action time.
  BeginShutdown(rec, at, "Server.SpotInstanceTermination: Spot instance termination", Duration{0},
                /*by_service=*/true);
}

Status FakeCloud::Interrupt(const std::string& instance_id) {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  SK_ASSIGN_OR_RETURN(InstanceRecord * rec, FindInstance(instance_id, false));
  if (rec->instance.market != Market::kSpot || !Alive(*rec)) {
    return FailedPrecondition(instance_id + " is not a pending or running spot instance");
  }
  if (rec->action_time == kNever) InterruptLocked(*rec, Now());
  return OkStatus();
}

Status FakeCloud::RecommendRebalance(const std::string& instance_id) {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  SK_ASSIGN_OR_RETURN(InstanceRecord * rec, FindInstance(instance_id, false));
  if (rec->instance.market != Market::kSpot || !Alive(*rec)) {
    return FailedPrecondition(instance_id + " is not a pending or running spot instance");
  }
  const Time now = Now();
  rec->rebalance_time = now;
  EmitEvent(CloudEventKind::kRebalanceRecommendation, instance_id, now);
  return OkStatus();
}

Status FakeCloud::SetImpaired(const std::string& instance_id, bool impaired) {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  SK_ASSIGN_OR_RETURN(InstanceRecord * rec, FindInstance(instance_id, false));
  rec->impaired = impaired;
  return OkStatus();
}

Status FakeCloud::KillInstance(const std::string& instance_id) {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  SK_ASSIGN_OR_RETURN(InstanceRecord * rec, FindInstance(instance_id, false));
  if (rec->instance.state == InstanceState::kShuttingDown ||
      rec->instance.state == InstanceState::kTerminated) {
    return OkStatus();
  }
  BeginShutdown(*rec, Now(), "Server.InternalError: Internal error", Draw(options_.host_failure),
                /*by_service=*/true);
  return OkStatus();
}

Result<FakeCloud::ImdsNotices> FakeCloud::Imds(const std::string& instance_id) {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  SK_ASSIGN_OR_RETURN(InstanceRecord * rec, FindInstance(instance_id, false));
  ImdsNotices n;
  if (rec->action_time != kNever) {
    n.instance_action = "terminate";
    n.action_time = rec->action_time;
  }
  n.rebalance_time = rec->rebalance_time;
  return n;
}

}  // namespace spotkeeper
