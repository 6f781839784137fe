#include "store/crashing_store.h"

namespace spotkeeper {
namespace {

class CrashingTransaction final : public ForwardingTransaction {
 public:
  CrashingTransaction(CrashingStore* store, std::unique_ptr<Transaction> inner)
      : ForwardingTransaction(std::move(inner)), store_(store) {}

  Status Commit() override {
    store_->OnCommit(inner());  // may commit and/or throw SimulatedCrash
    return inner().Commit();
  }

 private:
  CrashingStore* store_;
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
  SK_ASSIGN_OR_RETURN(std::unique_ptr<Transaction> inner, this->inner()->Begin());
  return std::unique_ptr<Transaction>(new CrashingTransaction(this, std::move(inner)));
}

}  // namespace spotkeeper
