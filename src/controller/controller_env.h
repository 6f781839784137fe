// ControllerEnv: the seams every controller part works through, and the controller's options.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/random.h"
#include "common/time.h"
#include "controller/event_inbox.h"
#include "controller/retention_options.h"
#include "controller/spec_cache.h"
#include "controller/workflow_engine.h"
#include "provider/cloud_provider.h"
#include "store/store.h"

namespace spotkeeper {

// One recovery's times, from its trigger (the notice, or the workflow's start).
struct RecoveryTimes {
  std::string kind;    // recycle | interrupt | resume | import
  std::string reason;  // Interrupted, Recycle, InstanceLost, ...
  Duration total{0};
  Duration downtime{0};  // from the old instance's termination
  // When each phase was reached, from the trigger, in order: terminated, released, running,
  // attached, active (those the workflow went through).
  std::vector<std::pair<std::string, Duration>> phases;
};

struct ControllerOptions {
  Duration reconcile_interval{10'000};  // full pass over groups and SSIs
  Duration sweep_interval{30'000};      // Describe sweep: instances that died silently
  Duration orphan_interval{300'000};    // look for tagged resources nobody owns
  Duration orphan_grace{900'000};       // ...that are at least this old
  Duration revert_to_spot_interval{1'800'000};
  Duration reap_interval{5'000};  // delete retiring resources
  int max_events_per_tick = 100;
  // What history the store keeps, and how the tick prunes the rest (retention_options.h).
  RetentionOptions retention;
  // Called (on the controller's thread) when an SSI becomes ACTIVE again after a recovery
  // (recycle, interruption, resume, import).
  std::function<void(const RecoveryTimes&)> on_recovery;
};

struct ControllerEnv {
  Store* store;
  CloudProvider* cloud;
  const Clock* clock;
  Random* random;
  SpecCache* specs;
  WorkflowEngine* engine;
  const ControllerOptions* options;
  // Where events come from when something receives them off the controller's thread; null:
  // the tick receives them itself (CloudProvider::ReceiveEvents).
  EventInbox* inbox = nullptr;
};

// What the last sweep saw of spotkeeper's instances.
struct InstanceObservation {
  InstanceState state = InstanceState::kPending;
  bool impaired = false;
  Time launch_time;
  std::string instance_type;
  std::string availability_zone;
  Market market = Market::kOnDemand;
};

struct Observed {
  Time at = kEpoch;
  bool valid = false;
  std::unordered_map<std::string, InstanceObservation> instances;
};

}  // namespace spotkeeper
