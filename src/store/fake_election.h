// FakeElection: the leader election of several controllers sharing one store (docs/ha.md),
// reduced to what the simulation needs: who leads, and the term of each lead. It stands for
// LeaderElection on etcd the way FakeCloud stands for EC2.
//
// A term is a number that goes up at every change of lead, like the create_revision of the
// campaign key: Elect() gives the lead to a candidate under a new term, Depose() ends the lead
// (the leader's lease expired) with nobody leading until the next Elect(). A FencedStore holds
// the term its controller won and commits only while that term is the current one; the election
// counts what the fences refused and every commit that landed although its writer did not lead
// (which a working fence makes impossible: the simulation's "no write by a non-leader" invariant).
//
// For the simulation's failovers in the middle of a controller step, ArmFailover() makes the
// n-th commit from now (of any FencedStore) trigger a callback, before or after it applies.
//
// Not thread-safe: the simulation is single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace spotkeeper {

class FakeElection {
 public:
  // A term no lead has: the fence of a controller that does not lead.
  static constexpr int64_t kNoTerm = -1;

  // With `fenced` false, FencedStores let every commit through (to show that the invariant
  // catches what the fence prevents).
  explicit FakeElection(bool fenced = true) : fenced_(fenced) {}

  // A new lead for `name`; its term.
  int64_t Elect(const std::string& name);
  // Nobody leads from now on (the term goes up, so the old leader's fence no longer holds).
  void Depose();
  int64_t term() const { return term_; }
  const std::string& leader() const { return leader_; }  // "" when nobody leads
  bool fenced() const { return fenced_; }

  // Calls `on_failover(after_commit)` at the n-th commit from now (n >= 1): before the commit
  // is checked against the fence, or after it applied.
  void ArmFailover(int64_t n, bool after_commit, std::function<void()> on_failover);
  void Disarm() {
    armed_at_ = -1;
    fire_after_ = false;
  }

  // --- called by FencedStore ---
  // Counts the commit; runs an armed failover that is due before it.
  void BeforeCommit();
  // Runs an armed failover that is due after the commit (also when the commit was refused; if
  // it never returns, at the next BeforeCommit).
  void AfterCommit();
  void CountRefused() { ++refused_; }
  // A commit of `writer`, fenced on `fence`, applied while the current term was term().
  void CountApplied(const std::string& writer, int64_t fence);

  int64_t commits() const { return commits_; }
  int64_t refused() const { return refused_; }
  int64_t changes() const { return changes_; }
  // One line per commit that applied although its writer did not lead.
  const std::vector<std::string>& non_leader_commits() const { return non_leader_commits_; }

 private:
  void Fire();

  bool fenced_;
  int64_t term_ = 0;
  std::string leader_;
  int64_t changes_ = 0;
  int64_t commits_ = 0;
  int64_t refused_ = 0;
  std::vector<std::string> non_leader_commits_;
  int64_t armed_at_ = -1;
  bool armed_after_ = false;
  bool fire_after_ = false;
  std::function<void()> on_failover_;
};

}  // namespace spotkeeper
