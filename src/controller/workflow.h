// Durable workflows: the vocabulary.
//
// A workflow is a list of named steps run one after another for one SSI. The engine journals
// "begin" before a step runs and "end" after, and commits everything the step changed (SSI,
// resources, workflow data, events) in the same transaction as "end". A crash anywhere means the
// step runs again from the last committed state, so every step must be idempotent: it looks at
// what the cloud and the store already hold before it acts, and every create call carries a
// token derived from persisted data (StepContext::Token), never from fresh randomness.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/random.h"
#include "common/status.h"
#include "common/time.h"
#include "controller/cloud_view.h"
#include "provider/cloud_provider.h"
#include "spec/group_spec.h"
#include "store/store.h"

namespace spotkeeper {

class ServingProber;  // controller/serving_prober.h

// What a step reports.
struct StepResult {
  enum class Kind {
    kDone,   // finished; the next step runs
    kWait,   // not yet (a resource is still changing state); run again at `at`
    kRetry,  // a retryable error; run again after a backoff
    kFail,   // a terminal error: the SSI goes to ERROR with a condition
    kGoto,   // finished; continue at step `target` (by name)
  };
  Kind kind = Kind::kDone;
  Time at = kEpoch;
  Status status;
  std::string target;
  std::string reason;  // for kFail: the condition's reason

  static StepResult Done() { return {}; }
  static StepResult WaitUntil(Time t) { return {Kind::kWait, t, {}, {}, {}}; }
  static StepResult Retry(Status s) { return {Kind::kRetry, kEpoch, std::move(s), {}, {}}; }
  static StepResult Fail(std::string reason, Status s) {
    return {Kind::kFail, kEpoch, std::move(s), {}, std::move(reason)};
  }
  static StepResult Goto(std::string step) {
    return {Kind::kGoto, kEpoch, {}, std::move(step), {}};
  }
};

// Everything a step may read and change. Changes to `ssi`, `data`, and the records added with
// PutResource/AddEvent are committed by the engine after the step returns (Done, Goto, Wait or
// Retry), atomically with the journal entry.
class StepContext {
 public:
  StepContext(Time now, CloudProvider* cloud, CloudView* view, Random* random,
              const GroupRecord* group, const GroupSpec* spec, WorkflowRecord* workflow,
              SsiRecord ssi, std::vector<ResourceRecord> resources, nlohmann::json data);

  Time now() const { return now_; }
  CloudProvider& cloud() { return *cloud_; }
  // Reads of the cloud go through the view (batched and cached for the engine's pass).
  CloudView& view() { return *view_; }
  Random& random() { return *random_; }
  const GroupRecord& group() const { return *group_; }
  const GroupSpec& spec() const { return *spec_; }
  const WorkflowRecord& workflow() const { return *workflow_; }
  SsiRecord& ssi() { return ssi_; }
  nlohmann::json& data() { return data_; }

  // A client token for a create call, the same every time this step runs for `purpose` in this
  // workflow (so a repeated call after a lost response or a crash finds the first one).
  // `purpose` names what is created: "eni", "run:m5.large:spot:0", "snap:/dev/sdf".
  std::string Token(const std::string& purpose) const;

  // Resources the SSI owns (all statuses), including changes made by this step.
  const std::vector<ResourceRecord>& resources() const { return resources_; }
  // The current (not retiring/deleted) resources of a kind (and role, if given). Copies:
  // PutResource may move the records around.
  std::vector<ResourceRecord> Current(const std::string& kind, const std::string& role = "") const;
  // Valid until the next PutResource.
  const ResourceRecord* FindResource(const std::string& id) const;
  // Adds or replaces (by id) a resource record; fills ssi/group ids and times.
  void PutResource(ResourceRecord r);
  void SetResourceStatus(const std::string& id, const std::string& status);

  void AddEvent(const std::string& kind, const std::string& message);
  void SetCondition(const std::string& type, const std::string& status, const std::string& reason,
                    const std::string& message);

  Tags ResourceTags(const std::string& role, const std::string& device = "") const;

  // How a waiting step paces its polls (see steps::Poll): when this step first waited (kEpoch:
  // it has not waited yet) and how long this step's waits have lately taken (zero: unknown).
  Time wait_started() const { return wait_started_; }
  Duration expected_wait() const { return expected_wait_; }

  // Recoveries to keep in the SSI's status "recoveries" (the controller's retention setting).
  size_t recovery_history() const { return recovery_history_; }
  void set_recovery_history(size_t n) { recovery_history_ = n; }

  // Where wait_serving's probes run off the controller's thread (null: inline).
  ServingProber* prober() const { return prober_; }
  void set_prober(ServingProber* p) { prober_ = p; }

  // For the engine.
  void SetPacing(Time wait_started, Duration expected_wait) {
    wait_started_ = wait_started;
    expected_wait_ = expected_wait;
  }
  const std::vector<ResourceRecord>& changed_resources() const { return changed_; }
  const std::vector<EventRecord>& events() const { return events_; }

 private:
  Time now_;
  CloudProvider* cloud_;
  CloudView* view_;
  Random* random_;
  const GroupRecord* group_;
  const GroupSpec* spec_;
  WorkflowRecord* workflow_;
  SsiRecord ssi_;
  std::vector<ResourceRecord> resources_;
  nlohmann::json data_;
  std::vector<ResourceRecord> changed_;
  std::vector<EventRecord> events_;
  Time wait_started_ = kEpoch;
  Duration expected_wait_{0};
  ServingProber* prober_ = nullptr;
  size_t recovery_history_ = 50;
};

using StepFn = std::function<StepResult(StepContext&)>;

struct StepDef {
  std::string name;
  StepFn fn;
};

// The kinds of workflow and their steps.
struct WorkflowDef {
  std::string kind;
  std::vector<StepDef> steps;
  std::string first_step;  // where a new workflow of this kind starts
  SsiState running_state;  // the SSI's state while it runs
};

// The table of every workflow kind: launch, resume, pause, recycle, interrupt, deallocate, import.
const WorkflowDef* FindWorkflowDef(const std::string& kind);

}  // namespace spotkeeper
