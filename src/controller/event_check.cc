#include "controller/event_check.h"

namespace spotkeeper {
namespace {

bool IsLostState(const std::string& s) {
  return s == "shutting-down" || s == "terminated" || s == "stopping" || s == "stopped";
}

bool IsLost(InstanceState s) { return IsLostState(InstanceStateName(s)); }

}  // namespace

std::string WhyIgnoreScope(const CloudEvent& e, const CloudScope& scope) {
  if (!e.account.empty() && !scope.account.empty() && e.account != scope.account) {
    return "it names account " + e.account + ", not this provider's " + scope.account;
  }
  if (!e.region.empty() && !scope.region.empty() && e.region != scope.region) {
    return "it names region " + e.region + ", not this provider's " + scope.region;
  }
  return "";
}

bool NeedsConfirmation(const CloudEvent& e) {
  return e.kind != CloudEventKind::kInstanceStateChange || IsLostState(e.state);
}

std::string WhyIgnoreInstance(const CloudEvent& e, const SsiRecord& ssi,
                              const std::optional<Instance>& described) {
  if (!described) {
    // EC2 forgets a terminated instance after about an hour: a loss is still what it says.
    if (e.kind == CloudEventKind::kInstanceStateChange) return "";
    return "DescribeInstances does not know " + e.instance_id;
  }
  const Instance& i = *described;
  auto tag = i.tags.find(kTagSsi);
  // Untagged: an instance being imported, which spotkeeper did not launch.
  if (tag != i.tags.end() && tag->second != ssi.id) {
    return e.instance_id + " is tagged for " + tag->second + ", not " + ssi.id;
  }
  const std::string state = InstanceStateName(i.state);
  switch (e.kind) {
    case CloudEventKind::kSpotInterruptionWarning:
      if (i.market != Market::kSpot) return e.instance_id + " is not a spot instance";
      // Late delivery of a real warning: the instance may already be gone, but by the spot
      // service, not by someone's request.
      if ((i.state == InstanceState::kTerminated || i.state == InstanceState::kStopped) &&
          i.state_reason.rfind("Server.SpotInstance", 0) != 0) {
        return e.instance_id + " is " + state + " (" +
               (i.state_reason.empty() ? "no reason given" : i.state_reason) +
               "), not reclaimed by the spot service";
      }
      return "";
    case CloudEventKind::kRebalanceRecommendation:
      if (i.market != Market::kSpot) return e.instance_id + " is not a spot instance";
      if (i.state != InstanceState::kPending && i.state != InstanceState::kRunning) {
        return e.instance_id + " is " + state + ", not pending or running";
      }
      return "";
    case CloudEventKind::kInstanceStateChange:
      if (!IsLost(i.state)) {
        return "the event says " + e.state + " but DescribeInstances says " + e.instance_id +
               " is " + state;
      }
      return "";
  }
  return "";
}

}  // namespace spotkeeper
