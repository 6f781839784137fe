// EventIntake: cloud events (interruption warnings, rebalance recommendations, state changes)
// turned into actions. Events arrive at least once; each is handled once (the store remembers
// its id) and acknowledged after it is recorded. The sweep is the safety net for lost events.
// A rebalance recommendation recycles the instance only where the group's
// strategy.capacityRebalance says so; otherwise it is only recorded.
#pragma once

#include "controller/controller_env.h"

namespace spotkeeper {

class EventIntake {
 public:
  explicit EventIntake(ControllerEnv env) : env_(env) {}

  // Receives and handles what is waiting. Returns true if any event concerned an SSI.
  Result<bool> Poll();

  int64_t interruptions() const { return interruptions_; }
  int64_t rebalances() const { return rebalances_; }

 private:
  Result<bool> Handle(const CloudEvent& e);
  // The group's strategy.capacityRebalance: replace at a rebalance recommendation or not.
  Result<bool> CapacityRebalance(const std::string& group_id);

  ControllerEnv env_;
  int64_t interruptions_ = 0;
  int64_t rebalances_ = 0;
};

}  // namespace spotkeeper
