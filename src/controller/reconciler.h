// Reconciler: the level-triggered heart of the controller. For every group it compares what is
// wanted (the spec's capacity, each SSI's desired state, requested actions, scheduled tasks)
// with what is (SSI states, the last sweep of the cloud) and starts the workflows that close
// the gap — planned ones only while the group has fewer than maxUnavailable SSIs disrupted.
#pragma once

#include <set>
#include <string>

#include "controller/controller_env.h"
#include "controller/leader_order.h"
#include "controller/snapshot_schedule.h"

namespace spotkeeper {

class Reconciler {
 public:
  // `leader_prober` (optional): health.leader's probes on a worker; null: inline.
  Reconciler(ControllerEnv env, SnapshotSchedule* snapshots,
             ServingProber* leader_prober = nullptr);

  // One pass over every group.
  Status ReconcileAll(const Observed& observed);

  // The requested action of an SSI, kept in its status JSON while it waits for its turn.
  static void SetPending(SsiRecord& ssi, const std::string& kind, const std::string& reason,
                         const std::string& actor, nlohmann::json data = {});

 private:
  struct GroupPass;  // per-group working state (reconciler.cc)

  Status ReconcileGroup(const GroupRecord& group, const Observed& observed,
                        const std::set<std::string>& busy);
  Status RunScheduledTasks(GroupRecord& group, const GroupSpec& spec);
  Status ReconcileCapacity(GroupPass& pass);
  void OrderQueuedRecycles(GroupPass& pass);
  Status ReconcileSsi(GroupPass& pass, SsiRecord ssi, const Observed& observed);
  Status Start(GroupPass& pass, SsiRecord& ssi, const std::string& kind, nlohmann::json data,
               bool planned, const std::string& actor, const std::string& why);
  Status Save(const SsiRecord& ssi, const EventRecord* event);

  ControllerEnv env_;
  SnapshotSchedule* snapshots_;
  LeaderOrder leaders_;
  std::set<std::string> queued_recycles_;  // this ReconcileAll's, for leaders_.Retain
};

}  // namespace spotkeeper
