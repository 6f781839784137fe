#include "store/fake_election.h"

#include <utility>

namespace spotkeeper {

int64_t FakeElection::Elect(const std::string& name) {
  ++term_;
  ++changes_;
  leader_ = name;
  return term_;
}

void FakeElection::Depose() {
  ++term_;
  leader_.clear();
}

void FakeElection::ArmFailover(int64_t n, bool after_commit, std::function<void()> on_failover) {
  fire_after_ = false;
  armed_at_ = commits_ + n;
  armed_after_ = after_commit;
  on_failover_ = std::move(on_failover);
}

void FakeElection::Fire() {
  auto f = std::move(on_failover_);
  on_failover_ = nullptr;
  if (f) f();
}

void FakeElection::BeforeCommit() {
  if (fire_after_) {  // due after a commit that did not reach its end (refused, crashed)
    fire_after_ = false;
    Fire();
  }
  ++commits_;
  if (armed_at_ < 0 || commits_ < armed_at_) return;
  armed_at_ = -1;
  if (armed_after_) {
    fire_after_ = true;
    return;
  }
  Fire();
}

void FakeElection::AfterCommit() {
  if (!fire_after_) return;
  fire_after_ = false;
  Fire();
}

void FakeElection::CountApplied(const std::string& writer, int64_t fence) {
  if (fence == term_ && !leader_.empty() && leader_ == writer) return;
  non_leader_commits_.push_back("a write of " + writer + " (fenced on term " +
                                std::to_string(fence) + ") committed in term " +
                                std::to_string(term_) + ", when " +
                                (leader_.empty() ? "nobody" : leader_) + " led");
}

}  // namespace spotkeeper
