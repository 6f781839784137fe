// ForwardingStore and ForwardingTransaction: a Store (a Transaction) that hands every call to
// another one. Wrappers that change one thing (CrashingStore: crash at a commit; FencedStore:
// refuse a deposed leader's commits) derive from them and override only Begin()/Commit() and
// what else they change.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/store.h"

namespace spotkeeper {

class ForwardingTransaction : public Transaction {
 public:
  explicit ForwardingTransaction(std::unique_ptr<Transaction> inner) : inner_(std::move(inner)) {}

  Status PutGroup(const GroupRecord& g) override { return inner_->PutGroup(g); }
  Status PutSsi(const SsiRecord& s) override { return inner_->PutSsi(s); }
  Status PutResource(const ResourceRecord& r) override { return inner_->PutResource(r); }
  Status PutWorkflow(const WorkflowRecord& w) override { return inner_->PutWorkflow(w); }
  Status AppendJournal(const JournalEntry& e) override { return inner_->AppendJournal(e); }
  Status AppendEvent(const EventRecord& e) override { return inner_->AppendEvent(e); }
  Status MarkCloudEventSeen(const std::string& id, Time at) override {
    return inner_->MarkCloudEventSeen(id, at);
  }
  Status Commit() override { return inner_->Commit(); }

 protected:
  Transaction& inner() { return *inner_; }
  // Drops the inner transaction uncommitted: it rolls back. Calls after this are not allowed.
  void RollBack() { inner_.reset(); }

 private:
  std::unique_ptr<Transaction> inner_;
};

class ForwardingStore : public Store {
 public:
  // `inner` is not owned and must outlive this store.
  explicit ForwardingStore(Store* inner) : inner_(inner) {}

  Result<std::unique_ptr<Transaction>> Begin() override { return inner_->Begin(); }
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
  Result<PruneResult> Prune(const PruneRequest& r) override { return inner_->Prune(r); }

 protected:
  Store* inner() const { return inner_; }

 private:
  Store* inner_;
};

}  // namespace spotkeeper
