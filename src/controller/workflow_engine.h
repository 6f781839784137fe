// WorkflowEngine: runs durable workflows step by step (see workflow.h for the contract).
//
// Journal: "begin" is committed before a step first runs (with the previous step's "end" when
// one step follows another, so a step costs one commit); "end" (or "retry"/"fail") is
// committed together with everything the step changed. After a crash the engine finds the
// workflow at its step and runs that step again.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>

#include "common/random.h"
#include "common/time.h"
#include "controller/spec_cache.h"
#include "controller/workflow.h"
#include "provider/cloud_provider.h"
#include "store/store.h"

namespace spotkeeper {

class ServingProber;  // controller/serving_prober.h

struct EngineStats {
  int64_t steps_run = 0;
  int64_t step_retries = 0;
  int64_t step_failures = 0;
  int64_t client_throttled = 0;
  int64_t workflows_succeeded = 0;
  int64_t workflows_failed = 0;
  int64_t quiet_waits = 0;  // waits that changed nothing and so wrote nothing
};

class WorkflowEngine {
 public:
  WorkflowEngine(Store* store, CloudProvider* cloud, const Clock* clock, Random* random,
                 SpecCache* specs);

  // A new workflow record for `ssi` (not stored). The caller commits it together with the SSI
  // moved to def.running_state (see StartInTransaction).
  WorkflowRecord NewWorkflow(const SsiRecord& ssi, const std::string& kind, nlohmann::json data,
                             bool planned);
  // Puts the workflow, the SSI in the workflow's running state and an event in `tx`.
  Status StartInTransaction(Transaction& tx, SsiRecord& ssi, const WorkflowRecord& wf,
                            const std::string& actor, const std::string& why);

  // Runs every running workflow whose next_run_at <= now. Returns the earliest next_run_at
  // among those still running (kNever if none).
  Result<Time> RunDue();
  // Runs one workflow until it waits, fails or ends (bounded number of steps). `view` is the
  // pass's shared view of the cloud (nullptr: a private one).
  Status Run(WorkflowRecord wf, CloudView* view = nullptr);

  // Operator retry of an SSI in ERROR: its failed workflow runs its failed step again.
  Status RetryFailed(const std::string& ssi_id, const std::string& actor);
  // Cancels a failed workflow (so another can start). Running workflows cannot be cancelled.
  Status CancelFailed(Transaction& tx, const std::string& ssi_id);

  // The workflow runs at the next RunDue, whatever its wake-up time (an event said what it
  // waits on may have changed).
  void Wake(const std::string& workflow_id) { woken_.insert(workflow_id); }
  // How long `step`'s waits have lately taken (zero: not learned yet).
  Duration ExpectedWait(const std::string& step) const;

  const EngineStats& stats() const { return stats_; }
  // Called after a workflow's success is committed.
  // Recoveries kept per SSI in its status (StepContext::recovery_history).
  void SetRecoveryHistory(size_t n) { recovery_history_ = n; }
  // Where wait_serving's probes run (null: inline, in the step). Not owned.
  void SetServingProber(ServingProber* prober) { prober_ = prober; }
  void SetOnSucceeded(std::function<void(const WorkflowRecord&)> f) {
    on_succeeded_ = std::move(f);
  }

 private:
  Duration Backoff(int attempt);

  Store* store_;
  CloudProvider* cloud_;
  const Clock* clock_;
  Random* random_;
  size_t recovery_history_ = 50;
  ServingProber* prober_ = nullptr;
  SpecCache* specs_;
  EngineStats stats_;
  std::function<void(const WorkflowRecord&)> on_succeeded_;
  // When a waiting workflow that changed nothing runs next (not written to the store: after a
  // restart every workflow simply runs once more).
  std::map<std::string, Time> wake_;
  // What a workflow held back by the client-side rate limit had looked up: prefetched with the
  // others on its next pass (in memory only, like wake_).
  std::map<std::string, WatchList> throttled_watch_;
  // Workflows an event woke (run at the next pass). In memory only.
  std::set<std::string> woken_;
  // Poll pacing (steps::Poll): when a workflow's current step first waited, and per step name
  // the recent time from a step's first wait to its end (an average over the last few).
  struct Waiting {
    int step = -1;
    Time since = kEpoch;
  };
  std::map<std::string, Waiting> waiting_;
  std::map<std::string, Duration> expected_wait_;
};

}  // namespace spotkeeper
