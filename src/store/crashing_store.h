// CrashingStore: a Store that "kills the process" at a chosen commit, to test that the
// controller resumes correctly from whatever it had journaled. A crash is a SimulatedCrash
// exception thrown out of Commit(), either before the inner commit (the transaction is lost)
// or after it (the transaction is durable but the caller never learns). The simulation
// catches it at the top, throws the controller away and builds a new one on the same store.
// SimulatedCrash deliberately does not derive from std::exception, so no code under test can
// swallow it the way it would catch a library error.
#pragma once

#include <memory>

#include "store/store.h"

namespace spotkeeper {

struct SimulatedCrash {
  int64_t commit_index;
  bool after_commit;
};

class CrashingStore final : public Store {
 public:
  explicit CrashingStore(Store* inner) : inner_(inner) {}

  // Crash at the n-th commit from now (n >= 1); after_commit: the data is committed first.
  void ArmCrash(int64_t n, bool after_commit);
  void Disarm() { armed_at_ = -1; }
  bool armed() const { return armed_at_ >= 0; }
  int64_t commits() const { return commits_; }

  // Called by the transaction wrapper.
  void OnCommit(Transaction& inner);

  Result<std::unique_ptr<Transaction>> Begin() override;
  Result<GroupRecord> GetGroup(const std::string& id) override { return inner_->GetGroup(id); }
  Result<std::vector<GroupRecord>> ListGroups(bool d) override { return inner_->ListGroups(d); }
  Result<SsiRecord> GetSsi(const std::string& id) override { return inner_->GetSsi(id); }
  Result<std::vector<SsiRecord>> ListSsis(const std::string& g) override {
    return inner_->ListSsis(g);
  }
  Result<SsiRecord> FindSsiByInstance(const std::string& i) override {
    return inner_->FindSsiByInstance(i);
  }
  Result<ResourceRecord> GetResource(const std::string& id) override {
    return inner_->GetResource(id);
  }
  Result<std::vector<ResourceRecord>> ListResources(const std::string& s) override {
    return inner_->ListResources(s);
  }
  Result<std::vector<ResourceRecord>> ListResourcesByStatus(const std::string& s) override {
    return inner_->ListResourcesByStatus(s);
  }
  Result<WorkflowRecord> GetWorkflow(const std::string& id) override {
    return inner_->GetWorkflow(id);
  }
  Result<std::vector<WorkflowRecord>> ListRunningWorkflows() override {
    return inner_->ListRunningWorkflows();
  }
  Result<std::vector<WorkflowRecord>> ListWorkflows(const std::string& s) override {
    return inner_->ListWorkflows(s);
  }
  Result<std::vector<JournalEntry>> ListJournal(const std::string& w) override {
    return inner_->ListJournal(w);
  }
  Result<std::vector<EventRecord>> ListEvents(const EventQuery& q) override {
    return inner_->ListEvents(q);
  }
  Result<bool> CloudEventSeen(const std::string& id) override { return inner_->CloudEventSeen(id); }
  Result<int> SchemaVersion() override { return inner_->SchemaVersion(); }
  // Not a commit the crash points count: pruning removes only history no step depends on.
  Result<PruneResult> Prune(const PruneRequest& r) override { return inner_->Prune(r); }

 private:
  Store* inner_;
  int64_t commits_ = 0;
  int64_t armed_at_ = -1;
  bool after_ = false;
};

}  // namespace spotkeeper
