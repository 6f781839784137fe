#include "provider/cloud_provider.h"

namespace spotkeeper {

const char* MarketName(Market m) { return m == Market::kSpot ? "spot" : "on-demand"; }

const char* InstanceStateName(InstanceState s) {
  switch (s) {
    case InstanceState::kPending: return "pending";
    case InstanceState::kRunning: return "running";
    case InstanceState::kShuttingDown: return "shutting-down";
    case InstanceState::kTerminated: return "terminated";
    case InstanceState::kStopping: return "stopping";
    case InstanceState::kStopped: return "stopped";
  }
  return "unknown";
}

std::optional<InstanceState> ParseInstanceState(const std::string& s) {
  for (auto st : {InstanceState::kPending, InstanceState::kRunning, InstanceState::kShuttingDown,
                  InstanceState::kTerminated, InstanceState::kStopping, InstanceState::kStopped}) {
    if (s == InstanceStateName(st)) return st;
  }
  return std::nullopt;
}

const char* CloudEventKindName(CloudEventKind k) {
  switch (k) {
    case CloudEventKind::kSpotInterruptionWarning: return "EC2 Spot Instance Interruption Warning";
    case CloudEventKind::kRebalanceRecommendation: return "EC2 Instance Rebalance Recommendation";
    case CloudEventKind::kInstanceStateChange: return "EC2 Instance State-change Notification";
  }
  return "unknown";
}

}  // namespace spotkeeper
