// InvariantChecker: what must hold in every simulated world, checked after every step and at
// the end. It reads the fake cloud's full state (including deletions) and the store, and
// remembers what it saw before (first IP of each SSI, volume per device) to catch changes.
//
//  1. No volume attached to two instances; no ENI on two live instances.
//  2. An SSI's private IP never changes (IP persistence); reattach-mode data volumes keep their
//     ids within an AZ; a volume restored from a snapshot comes from that SSI's latest
//     completed snapshot of the device at the time the volume was made.
//  3. Nothing leaks (checked once converged): every live resource tagged by spotkeeper is on
//     record as owned; nothing an SSI owns (record status current/released) is deleted.
//  4. (Convergence is checked by the simulation: ConvergenceProblems.)
//  5. Running planned workflows per group never exceed maxUnavailable.
//  6. A group whose strategy.capacityRebalance is false never recycles for a rebalance
//     recommendation (nothing pending, running or recovered with reason Rebalance).
//  7. In a group with health.serving, an ACTIVE SSI whose instance runs has a serving workload.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "provider/fake/fake_cloud.h"
#include "spec/group_spec.h"
#include "store/store.h"

namespace spotkeeper {

class InvariantChecker {
 public:
  InvariantChecker(FakeCloud* cloud, Store* store) : cloud_(cloud), store_(store) {}

  // Invariants 1, 2, 3 (deletions), 5 and 6. Returns the violations found (empty: all good).
  std::vector<std::string> CheckStep();
  // Invariant 3 (leaks), for a converged world.
  std::vector<std::string> CheckNoLeaks();
  // Invariant 4: every SSI settled as its desired state says; capacity met.
  std::vector<std::string> ConvergenceProblems();

  int64_t checks() const { return checks_; }

 private:
  const GroupSpec* SpecOf(const std::string& group_id);

  FakeCloud* cloud_;
  Store* store_;
  int64_t checks_ = 0;
  size_t deletions_seen_ = 0;
  std::map<std::string, std::string> first_ip_;                     // ssi -> ip
  std::map<std::string, std::pair<std::string, std::string>> vol_;  // ssi|dev -> (vol, az)
  std::set<std::string> checked_restores_;                          // volume ids
  std::map<std::string, std::pair<int64_t, GroupSpec>> specs_;      // group -> (gen, spec)
};

}  // namespace spotkeeper
