#include "store/fenced_store.h"

namespace spotkeeper {
namespace {

class FencedTransaction final : public Transaction {
 public:
  FencedTransaction(FencedStore* store, std::unique_ptr<Transaction> inner)
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
    store_->election()->BeforeCommit();  // may move the lead
    Status fence = store_->CheckFence();
    if (!fence.ok()) {
      inner_.reset();  // rolls back: nothing of it lands
      store_->election()->AfterCommit();
      return fence;
    }
    SK_RETURN_IF_ERROR(inner_->Commit());
    store_->Applied();
    store_->election()->AfterCommit();  // may move the lead
    return OkStatus();
  }

 private:
  FencedStore* store_;
  std::unique_ptr<Transaction> inner_;
};

}  // namespace

Status FencedStore::CheckFence() {
  if (!election_->fenced() || fence_ == election_->term()) return OkStatus();
  election_->CountRefused();
  const std::string& leader = election_->leader();
  return Status(Code::kFailedPrecondition,
                "write refused: " + name_ + " is no longer the leader (" +
                    (leader.empty() ? std::string("nobody leads") : "the lead is held by " + leader) +
                    ")");
}

Result<std::unique_ptr<Transaction>> FencedStore::Begin() {
  SK_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> inner, inner_->Begin());
  return std::unique_ptr<Transaction>(new FencedTransaction(this, std::move(inner)));
}

}  // namespace spotkeeper
