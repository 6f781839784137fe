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
  armed_at_ = commits_ + n;
  armed_after_ = after_commit;
  on_failover_ = std::move(on_failover);
}

void FakeElection::BeforeCommit() {
  ++commits_;
  if (armed_at_ < 0 || commits_ < armed_at_) return;
  armed_at_ = -1;
  if (armed_after_) {
    fire_after_ = true;
    return;
  }
  auto f = std::move(on_failover_);
  f();
}

void FakeElection::AfterCommit() {
  if (!fire_after_) return;
  fire_after_ = false;
  auto f = std::move(on_failover_);
  f();
}

void FakeElection::CountApplied(const std::string& writer, int64_t fence) {
  if (fence == term_ && !leader_.empty() && leader_ == writer) return;
  non_leader_commits_.push_back("a write of " + writer + " (fenced on term " +
                                std::to_string(fence) + ") committed in term " +
                                std::to_string(term_) + ", when " +
                                (leader_.empty() ? "nobody" : leader_) + " led");
}

}  // namespace spotkeeper
