// EventIntake: cloud events (interruption warnings, rebalance recommendations, state changes)
// turned into actions. Events arrive at least once; each is handled once (the store remembers
// its id) and acknowledged after it is recorded. The sweep is the safety net for lost events.
// A rebalance recommendation recycles the instance only where the group's
// strategy.capacityRebalance says so; otherwise it is only recorded.
#pragma once

#include <optional>

#include "controller/cloud_view.h"
#include "controller/controller_env.h"

namespace spotkeeper {

class EventIntake {
 public:
  explicit EventIntake(ControllerEnv env) : env_(env) {}

  // Receives and handles what is waiting. Returns true if any event concerned an SSI.
  Result<bool> Poll();

  int64_t interruptions() const { return interruptions_; }
  int64_t rebalances() const { return rebalances_; }
  int64_t ignored() const { return ignored_; }

 private:
  Result<bool> Handle(const CloudEvent& e, CloudView& view);
  // One DescribeInstances (batched) for the instances of SSIs that events of `events` would
  // act on.
  void PrefetchInstances(const std::vector<CloudEvent>& events, CloudView& view);
  // Why the event must not be acted on ("" when it may; see event_check.h). `ssi` is the SSI
  // whose current instance the event names, if any.
  Result<std::string> Screen(const CloudEvent& e, const std::optional<SsiRecord>& ssi,
                             CloudView& view);
  // Records (audit event, the event marked seen) that the event was ignored and why.
  Status RecordIgnored(const CloudEvent& e, const std::optional<SsiRecord>& ssi,
                       const std::string& why);
  // The group's strategy.capacityRebalance: replace at a rebalance recommendation or not.
  Result<bool> CapacityRebalance(const std::string& group_id);

  ControllerEnv env_;
  int64_t interruptions_ = 0;
  int64_t rebalances_ = 0;
  int64_t ignored_ = 0;
};

}  // namespace spotkeeper
