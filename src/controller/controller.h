// Controller: keeps every stateful instance (SSI) of every group alive on spot capacity.
//
// It holds no state of its own that matters: everything lives in the Store, so a controller
// built on the same store after a crash carries on where the old one stopped. Work happens in
// Tick(), which the caller runs in a loop (the server on a thread, the simulation on a fake
// clock); operator actions record what is wanted and the next Tick acts on it.
//
// Thread safety: none. The caller serialises Tick() and the operator methods.
#pragma once

#include <memory>
#include <string>

#include "controller/controller_env.h"
#include "controller/cost_meter.h"
#include "controller/event_intake.h"
#include "controller/reaper.h"
#include "controller/reconciler.h"
#include "controller/retention.h"
#include "controller/snapshot_schedule.h"
#include "controller/sweeper.h"

namespace spotkeeper {

class ServingProber;  // controller/serving_prober.h

struct ControllerDeps {
  Store* store = nullptr;
  CloudProvider* cloud = nullptr;
  const Clock* clock = nullptr;
  uint64_t seed = 0;  // ids of groups, SSIs and workflows
  // Optional (see EventInbox): events received by a pump on another thread.
  EventInbox* inbox = nullptr;
  // Optional (see ServingProber): wait_serving's probes on worker threads; null: inline.
  ServingProber* prober = nullptr;
  // Optional: health.leader's probes (LeaderOrder) on worker threads; null: inline. A prober of
  // its own (not `prober`, whose answers the engine keeps for workflows only); an answer that
  // ends makes the next tick reconcile.
  ServingProber* leader_prober = nullptr;
};

struct ImportRequest {
  std::string group_id;
  std::string instance_id;
  bool keep_private_ip = false;
  bool terminate_instance = false;  // implied by keep_private_ip
};

struct ControllerStats {
  EngineStats engine;
  int64_t interruptions = 0;
  int64_t rebalances = 0;
  int64_t snapshots_taken = 0;
  int64_t resources_reaped = 0;
  int64_t orphans_deleted = 0;
  PruneResult pruned;  // history deleted by retention
  int64_t ticks = 0;
};

class Controller {
 public:
  Controller(ControllerDeps deps, ControllerOptions options = {});

  // Does everything that is due and returns when it next has something to do.
  Time Tick();
  // Makes the next Tick run a full reconcile pass (after an operator action or an event).
  void MarkDirty() { dirty_ = true; }
  // For benchmarks and diagnostics: one Describe sweep, and one reconcile pass over every
  // group (what Tick does when they are due).
  Status SweepOnce() { return sweeper_.Sweep(); }
  Status ReconcileOnce() { return reconciler_.ReconcileAll(sweeper_.observed()); }

  // --- operator actions (actor: who asked, for the audit log) ---
  Result<GroupRecord> CreateGroup(const GroupSpec& spec, const std::string& actor);
  // A new spec for a group (its generation goes up). With resume_stateful, paused SSIs resume.
  Result<GroupRecord> UpdateGroup(const std::string& group_id, const GroupSpec& spec,
                                  bool resume_stateful, const std::string& actor);
  // Deallocates every SSI per `flags`, then marks the group DELETED.
  Status DeleteGroup(const std::string& group_id, const DeallocationSpec& flags,
                     const std::string& actor);
  Status PauseSsi(const std::string& ssi_id, const std::string& actor);
  Status ResumeSsi(const std::string& ssi_id, const std::string& actor);
  Status RecycleSsi(const std::string& ssi_id, const std::string& actor);
  // Deallocating an SSI lowers its group's capacity by one, so it is not replaced.
  Status DeallocateSsi(const std::string& ssi_id, const DeallocationSpec& flags,
                       const std::string& actor);
  Status RetrySsi(const std::string& ssi_id, const std::string& actor);
  Result<SsiRecord> ImportInstance(const ImportRequest& req, const std::string& actor);
  // Stops an import that has not yet terminated its source instance; the SSI is deallocated
  // (deleting the snapshots and image the import made). FailedPrecondition once past that point.
  Status CancelImport(const std::string& ssi_id, const std::string& actor);

  Store& store() { return *deps_.store; }
  CloudProvider& cloud() { return *deps_.cloud; }
  ControllerStats stats() const;

 private:
  ControllerEnv Env();
  Result<SsiRecord> LoadActionable(const std::string& ssi_id);
  Status SaveSsi(const SsiRecord& ssi, const EventRecord& event);

  ControllerDeps deps_;
  ControllerOptions options_;
  Random random_;
  SpecCache specs_;
  WorkflowEngine engine_;
  SnapshotSchedule snapshots_;
  Reconciler reconciler_;
  Sweeper sweeper_;
  CostMeter costs_;
  Reaper reaper_;
  EventIntake intake_;
  Retention retention_;

  bool dirty_ = true;
  Time next_reconcile_ = kEpoch;
  Time next_sweep_ = kEpoch;
  Time next_orphans_ = kEpoch;
  Time next_reap_ = kEpoch;
  Time next_prune_ = kEpoch;
  int64_t ticks_ = 0;
};

}  // namespace spotkeeper
