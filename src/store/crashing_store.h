// CrashingStore: a Store that "kills the process" at a chosen commit, to test that the
// controller resumes correctly from whatever it had journaled. A crash is a SimulatedCrash
// exception thrown out of Commit(), either before the inner commit (the transaction is lost)
// or after it (the transaction is durable but the caller never learns). The simulation
// catches it at the top, throws the controller away and builds a new one on the same store.
// SimulatedCrash deliberately does not derive from std::exception, so no code under test can
// swallow it the way it would catch a library error.
#pragma once

#include <memory>

#include "store/forwarding_store.h"

namespace spotkeeper {

struct SimulatedCrash {
  int64_t commit_index;
  bool after_commit;
};

class CrashingStore final : public ForwardingStore {
 public:
  explicit CrashingStore(Store* inner) : ForwardingStore(inner) {}

  // Crash at the n-th commit from now (n >= 1); after_commit: the data is committed first.
  void ArmCrash(int64_t n, bool after_commit);
  void Disarm() { armed_at_ = -1; }
  bool armed() const { return armed_at_ >= 0; }
  int64_t commits() const { return commits_; }

  // Called by the transaction wrapper.
  void OnCommit(Transaction& inner);

  Result<std::unique_ptr<Transaction>> Begin() override;
  // Prune is forwarded (ForwardingStore): not a commit the crash points count, pruning removes
  // only history no step depends on.

 private:
  int64_t commits_ = 0;
  int64_t armed_at_ = -1;
  bool after_ = false;
};

}  // namespace spotkeeper
