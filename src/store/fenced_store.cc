#include "store/fenced_store.h"

namespace spotkeeper {
namespace {

class FencedTransaction final : public ForwardingTransaction {
 public:
  FencedTransaction(FencedStore* store, std::unique_ptr<Transaction> inner)
      : ForwardingTransaction(std::move(inner)), store_(store) {}

  Status Commit() override {
    store_->election()->BeforeCommit();  // may move the lead
    Status fence = store_->CheckFence();
    if (!fence.ok()) {
      RollBack();  // nothing of it lands
      store_->election()->AfterCommit();
      return fence;
    }
    SK_RETURN_IF_ERROR(inner().Commit());
    store_->Applied();
    store_->election()->AfterCommit();  // may move the lead
    return OkStatus();
  }

 private:
  FencedStore* store_;
};

}  // namespace

Status FencedStore::CheckFence() {
  if (!election_->fenced() || fence_ == election_->term()) return OkStatus();
  election_->CountRefused();
  const std::string& leader = election_->leader();
  return Status(
      Code::kFailedPrecondition,
      "write refused: " + name_ + " is no longer the leader (" +
          (leader.empty() ? std::string("nobody leads") : "the lead is held by " + leader) + ")");
}

Result<std::unique_ptr<Transaction>> FencedStore::Begin() {
  SK_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> inner, this->inner()->Begin());
  return std::unique_ptr<Transaction>(new FencedTransaction(this, std::move(inner)));
}

Result<PruneResult> FencedStore::Prune(const PruneRequest& r) {
  SK_RETURN_IF_ERROR(CheckFence());
  SK_ASSIGN_OR_RETURN(PruneResult pruned, inner()->Prune(r));
  if (pruned.rows() > 0) Applied();
  return pruned;
}

}  // namespace spotkeeper
