// RecoveryObserver: watches one replacement happen, from outside, at a fine grain: the old
// instance (in the engine, in-process, every 2 ms), its network interface and data volumes,
// the new instance that takes the interface, and finally Redis answering with a known key at
// the same address (every 5 ms once the volumes are attached). The same observer watches the
// controller's replacements and the bench's direct ("floor") ones.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "recovery_call_log.h"
#include "recovery_world.h"

namespace spotkeeper::bench {

// What one replacement must bring back.
struct RecoveryTarget {
  std::string old_instance;
  std::string eni;
  std::vector<std::string> volumes;  // the data volumes to reattach
  std::string vpc, ip;
  std::string key, value;  // written before the trigger; read back on the replacement
};

using TimePoint = Steady::time_point;

// When each phase was first seen. A free interface or volume that was taken again between two
// looks is dated by the call that took it (the cloud refuses to take a busy one).
struct Timeline {
  TimePoint trigger;
  std::optional<TimePoint> noticed;   // the old instance left "running" (kill: the cloud saw it)
  std::optional<TimePoint> gone;      // (a) the old instance is terminated
  std::optional<TimePoint> freed;     // (b) the interface and every data volume are available
  std::optional<TimePoint> running;   // (c) the replacement is running
  std::optional<TimePoint> attached;  // (d) every data volume is attached to it
  std::optional<TimePoint> serving;   // (e) Redis answers GET key with the value at the same IP
  std::map<std::string, TimePoint> done;  // completion of a cloud operation, by resource id
  std::string new_instance;
  int redis_probes = 0;
  double slowest_probe_ms = 0;
  std::string error;  // empty when every phase was seen
};

class RecoveryObserver {
 public:
  RecoveryObserver(RecoveryWorld* world, CallLogProvider* calls) : w_(world), calls_(calls) {}

  // Watches until Redis answers (or `timeout`). `calls`: the log of whoever replaces the
  // instance (to date what the polls missed, and snapshots to watch).
  Timeline Observe(const RecoveryTarget& target, TimePoint trigger, std::chrono::seconds timeout);

 private:
  std::string InstanceState(const std::string& id);

  RecoveryWorld* w_;
  CallLogProvider* calls_;
};

// The time (ms) between the trigger and (e) when no cloud operation was in flight. In flight:
//  - a mutating call (TerminateInstances, RunInstances, AttachVolume, CreateSnapshot,
//    RegisterImage, CreateTags, ...) from its start until it returned and the cloud reached
//    what it asked for (terminate: interface and volumes free; run: running; attach: attached;
//    snapshot: completed), as seen by the observer;
//  - what the trigger itself makes the cloud do: a spot interruption's termination (trigger to
//    (a)), a killed instance until the cloud notices (trigger to `noticed`);
//  - the workload starting on the replacement ((d) to (e)).
// Describe calls and the event queue count as the caller's own time (they are how it waits).
double ControllerShareMs(const Timeline& t, const std::vector<LoggedCall>& calls,
                         const std::string& trigger);

double Ms(TimePoint from, TimePoint to);

}  // namespace spotkeeper::bench
