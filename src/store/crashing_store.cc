#include "store/crashing_store.h"

namespace spotkeeper {
namespace {

class CrashingTransaction final : public Transaction {
 public:
  CrashingTransaction(CrashingStore* store, std::unique_ptr<Transaction> inner)
      : store_(store), inner_(std::move(inner)) {}

  Status PutGroup(const GroupRecord& g) override { return inner_->PutGroup(g); }
  Status PutSsi(const SsiRecord& s) override { return inner_->PutSsi(s); }
  Status PutResource(const ResourceRecord& r) override { return inner_->PutResource(r); }
  Status PutWorkflow(const WorkflowRecord& w) override { return inner_->PutWorkflow(w); }
  Status AppendJournal(const JournalEntry& e) override { return inner_->AppendJournal(e); }
  Status AppendEvent(const EventRecord& e) override { return inner_->AppendEvent(e); }
  Status MarkCloudEventSeen(const std::string& id, Time at) override {
    return inner_->MarkCloudEventSeen(id, at);
  }
  Status Commit() override {
    store_->OnCommit(*inner_);  // may commit and/or throw SimulatedCrash
    return inner_->Commit();
  }

 private:
  CrashingStore* store_;
  std::unique_ptr<Transaction> inner_;
};

}  // namespace

void CrashingStore::ArmCrash(int64_t n, bool after_commit) {
  armed_at_ = commits_ + n;
  after_ = after_commit;
}

void CrashingStore::OnCommit(Transaction& inner) {
  ++commits_;
  if (armed_at_ < 0 || commits_ < armed_at_) return;
  armed_at_ = -1;
  if (after_) {
    Status s = inner.Commit();
    (void)s;
  }
  throw SimulatedCrash{commits_, after_};
}

Result<std::unique_ptr<Transaction>> CrashingStore::Begin() {
  SK_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> inner, inner_->Begin());
  return std::unique_ptr<Transaction>(new CrashingTransaction(this, std::move(inner)));
}

}  // namespace spotkeeper
