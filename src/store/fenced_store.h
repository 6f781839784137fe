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
#include "store/forwarding_store.h"

namespace spotkeeper {

class FencedStore final : public ForwardingStore {
 public:
  // `inner` and `election` are not owned and must outlive the store.
  FencedStore(Store* inner, FakeElection* election, std::string name)
      : ForwardingStore(inner), election_(election), name_(std::move(name)) {}

  void SetFence(int64_t term) { fence_ = term; }
  int64_t fence() const { return fence_; }
  const std::string& name() const { return name_; }

  // Called by the transaction wrapper: OkStatus when the commit may go ahead.
  Status CheckFence();
  void Applied() { election_->CountApplied(name_, fence_); }
  FakeElection* election() { return election_; }

  Result<std::unique_ptr<Transaction>> Begin() override;
  // Fenced like a commit (EtcdStore prunes in fenced transactions): a deposed leader's prune
  // is refused and deletes nothing. Unfenced, a prune by a non-leader that deleted rows is
  // recorded as a write by a non-leader. Not counted as a commit for an armed failover.
  Result<PruneResult> Prune(const PruneRequest& r) override;

 private:
  FakeElection* election_;
  std::string name_;
  int64_t fence_ = FakeElection::kNoTerm;
};

}  // namespace spotkeeper
