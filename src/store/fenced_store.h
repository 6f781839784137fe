// FencedStore: one controller's view of a Store shared with other controllers, whose commits
// hold only while the controller leads a FakeElection — the model of EtcdStore's fence
// (docs/ha.md) for the simulation. Reads go straight to the shared store.
//
// SetFence(term) records the term the controller won (FakeElection::kNoTerm: none). A commit
// first lets the election run an armed failover, then is refused with FailedPrecondition
// "write refused: ... no longer the leader" (and rolled back: nothing of it lands) unless the
// fence is the election's current term; with the election unfenced it applies anyway and the
// election records the write as one by a non-leader.
#pragma once

#include <memory>
#include <string>

#include "store/fake_election.h"
#include "store/store.h"

namespace spotkeeper {

class FencedStore final : public Store {
 public:
  // `inner` and `election` are not owned and must outlive the store.
  FencedStore(Store* inner, FakeElection* election, std::string name)
      : inner_(inner), election_(election), name_(std::move(name)) {}

  void SetFence(int64_t term) { fence_ = term; }
  int64_t fence() const { return fence_; }
  const std::string& name() const { return name_; }

  // Called by the transaction wrapper: OkStatus when the commit may go ahead.
  Status CheckFence();
  void Applied() { election_->CountApplied(name_, fence_); }
  FakeElection* election() { return election_; }

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

 private:
  Store* inner_;
  FakeElection* election_;
  std::string name_;
  int64_t fence_ = FakeElection::kNoTerm;
};

}  // namespace spotkeeper
