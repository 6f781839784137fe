// Store: everything the controller must not forget — groups, stateful instances (SSIs), the
// cloud resources each SSI owns, the workflow journal, the audit event log — behind one
// interface. SqliteStore (WAL) is the implementation.
//
// Writes go through a Transaction: all puts of one transaction commit together or not at all;
// a Transaction destroyed without Commit() rolls back. Reads outside a transaction see only
// committed data.
//
// Thread safety: a Store may be used from several threads. While a Transaction is open, other
// threads' calls block until it commits or rolls back.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace spotkeeper {

// Stateful instance states (Elastigroup's). PAUSE/RESUME/RECYCLE/DEALLOCATE are requested
// actions waiting for their turn (maxUnavailable); the -ING states are in progress.
enum class SsiState {
  kActive,
  kPause,
  kPausing,
  kPaused,
  kResume,
  kResuming,
  kRecycle,
  kRecycling,
  kDeallocate,
  kDeallocating,
  kDeallocated,
  kError,
};
const char* SsiStateName(SsiState s);  // "ACTIVE", "PAUSING", ...
std::optional<SsiState> ParseSsiState(const std::string& s);

struct GroupRecord {
  std::string id;    // "sig-xxxxxxxx"
  std::string name;  // unique among groups that are not deleted
  std::string spec_json;
  // Starts at 1; the store increments it whenever PutGroup changes spec_json (the caller's
  // value is ignored).
  int64_t generation = 0;
  std::string status = "ACTIVE";  // ACTIVE | DELETING | DELETED
  std::string deallocation_json;  // the statefulDeallocation flags of a pending delete
  // Free-form JSON the controller keeps per group (e.g. when each scheduled task last fired).
  std::string status_json = "{}";
  Time created_at;
  Time updated_at;
};

// A condition, Kubernetes-style: why an SSI is (not) in the state one expects.
struct Condition {
  std::string type;    // "Ready", "Degraded", "Interrupted", ...
  std::string status;  // "True" | "False" | "Unknown"
  std::string reason;  // CamelCase machine-readable
  std::string message;
  int64_t observed_generation = 0;
  Time last_transition;
};

struct SsiRecord {
  std::string id;  // "ssi-xxxxxxxx"
  std::string group_id;
  SsiState state = SsiState::kResuming;
  std::string desired = "running";  // running | paused | deallocated
  std::string pause_reason;         // operator | capacity | "" (only when desired == paused)
  std::string availability_zone;
  std::string subnet_id;
  std::string private_ip;
  std::string eni_id;
  std::string instance_id;  // current instance, "" when none
  std::string instance_type;
  std::string market;    // spot | on-demand
  std::string image_id;  // the image the next launch boots from
  std::vector<Condition> conditions;
  // Free-form JSON the controller keeps for people: last recovery timings, counters.
  std::string status_json = "{}";
  int64_t observed_generation = 0;
  Time created_at;
  Time launched_at;
  Time updated_at;
};

// A cloud resource an SSI owns (or owned).
struct ResourceRecord {
  std::string id;  // the cloud's id: i-..., vol-..., snap-..., ami-..., eni-...
  std::string ssi_id;
  std::string group_id;
  std::string kind;         // instance | volume | snapshot | image | eni
  std::string role;         // root | data | primary ("" when not applicable)
  std::string device_name;  // for volumes and their snapshots: "/dev/sdf"
  std::string availability_zone;
  std::string source_id;  // snapshot: its volume; volume: its snapshot; image: its snapshot
  // current: in use/kept; retiring: to be deleted (retention or deallocation); deleted: gone
  // from the cloud (kept for the record).
  std::string status = "current";
  std::string cloud_state;  // last seen: pending, completed, available, in-use ...
  Time created_at;
  Time updated_at;
};

struct WorkflowRecord {
  std::string id;  // "wf-xxxxxxxxxxxx"
  std::string ssi_id;
  std::string group_id;
  std::string kind;                // launch | pause | resume | recycle | deallocate | import | ...
  std::string status = "running";  // running | succeeded | failed | cancelled
  int step = 0;                    // index of the next step to run
  std::string step_name;
  int attempt = 0;  // failed attempts of the current step
  Time next_run_at;
  std::string data_json = "{}";  // what steps produced so far
  std::string error;
  bool planned = false;  // counts against maxUnavailable
  Time created_at;
  Time updated_at;
};

struct JournalEntry {
  int64_t seq = 0;  // assigned by the store
  std::string workflow_id;
  int step = 0;
  std::string step_name;
  std::string phase;  // begin | end | retry | fail | wait
  std::string detail;
  Time at;
};

struct EventRecord {
  int64_t seq = 0;  // assigned by the store, increasing
  Time at;
  std::string group_id;
  std::string ssi_id;
  std::string actor;  // controller | operator | cloud | scheduler
  std::string kind;   // StateChanged, InterruptionWarning, WorkflowStepFailed, ...
  std::string message;
};

struct EventQuery {
  std::string group_id;  // "" = any
  std::string ssi_id;    // "" = any
  Time since = kEpoch;
  int64_t after_seq = 0;
  int limit = 1000;
};

// What Store::Prune may delete (docs/retention.md). Each rule is off at its zero value. Only
// history goes: events, the journal and record of finished workflows, records of resources
// gone from the cloud, and old cloud-event marks. Never a running or failed workflow (a
// failed one is what "retry" resumes) nor the newest workflow of an SSI (what the API shows as
// its current workflow), never a resource that is not "deleted".
struct PruneRequest {
  Time events_before = kEpoch;  // events with at < this
  int64_t events_keep = 0;      // > 0: only the newest this many events stay
  // Workflows "succeeded" or "cancelled", last updated before this, with their journal.
  Time workflows_before = kEpoch;
  int64_t workflows_keep = 0;         // > 0: only the newest this many finished workflows stay
  Time resources_before = kEpoch;     // resources "deleted", last updated before this
  Time cloud_events_before = kEpoch;  // cloud-event marks made before this
  // At most this many rows go in one call (one short transaction). A workflow whose journal
  // does not fit loses its oldest entries now and the rest (and itself) in a later call.
  int64_t max_rows = 500;
};

struct PruneResult {
  int64_t events = 0;
  int64_t journal_entries = 0;
  int64_t workflows = 0;
  int64_t resources = 0;
  int64_t cloud_events = 0;
  bool more = false;  // max_rows cut it short: call again
  int64_t rows() const { return events + journal_entries + workflows + resources + cloud_events; }
};

class Transaction {
 public:
  virtual ~Transaction() = default;  // rolls back unless committed

  virtual Status PutGroup(const GroupRecord& g) = 0;
  virtual Status PutSsi(const SsiRecord& s) = 0;
  virtual Status PutResource(const ResourceRecord& r) = 0;
  virtual Status PutWorkflow(const WorkflowRecord& w) = 0;
  virtual Status AppendJournal(const JournalEntry& e) = 0;
  virtual Status AppendEvent(const EventRecord& e) = 0;
  // Remembers that a cloud event was handled (events are delivered at least once).
  virtual Status MarkCloudEventSeen(const std::string& event_id, Time at) = 0;
  virtual Status Commit() = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual Result<std::unique_ptr<Transaction>> Begin() = 0;

  virtual Result<GroupRecord> GetGroup(const std::string& id) = 0;  // NotFound if absent
  virtual Result<std::vector<GroupRecord>> ListGroups(bool include_deleted) = 0;
  virtual Result<SsiRecord> GetSsi(const std::string& id) = 0;
  // All SSIs, or those of one group. Ordered by id.
  virtual Result<std::vector<SsiRecord>> ListSsis(const std::string& group_id) = 0;
  // The SSI whose current instance is `instance_id`; NotFound if none.
  virtual Result<SsiRecord> FindSsiByInstance(const std::string& instance_id) = 0;
  virtual Result<ResourceRecord> GetResource(const std::string& id) = 0;
  // Resources of one SSI (all statuses), ordered by created_at then id.
  virtual Result<std::vector<ResourceRecord>> ListResources(const std::string& ssi_id) = 0;
  // Resources in a status across all SSIs ("retiring" drives deletions).
  virtual Result<std::vector<ResourceRecord>> ListResourcesByStatus(const std::string& status) = 0;
  virtual Result<WorkflowRecord> GetWorkflow(const std::string& id) = 0;
  // Workflows with status "running", ordered by next_run_at then id.
  virtual Result<std::vector<WorkflowRecord>> ListRunningWorkflows() = 0;
  // Workflows of one SSI, newest first.
  virtual Result<std::vector<WorkflowRecord>> ListWorkflows(const std::string& ssi_id) = 0;
  virtual Result<std::vector<JournalEntry>> ListJournal(const std::string& workflow_id) = 0;
  virtual Result<std::vector<EventRecord>> ListEvents(const EventQuery& q) = 0;
  virtual Result<bool> CloudEventSeen(const std::string& event_id) = 0;
  virtual Result<int> SchemaVersion() = 0;

  // Deletes at most r.max_rows rows of history per `r`, in one transaction of its own.
  // REQUIRES: no transaction open on this thread. A store that cannot prune answers
  // Unimplemented (the controller then keeps everything and says so once).
  virtual Result<PruneResult> Prune(const PruneRequest& r);
};

}  // namespace spotkeeper
