// The deterministic simulation: one seed = one random world (groups in every persistence mode on
// the fake cloud, a fake clock, SQLite in memory) driven through a period of chaos —
// interruptions, rebalance signals, silent instance deaths, impaired instances, capacity
// droughts, API errors, lost responses and latency, controller crashes at random journal
// points, operator actions — followed by calm, in which everything must converge. Invariants
// (sim/invariant_checker.h) are checked after every step that changed something.
// The same seed always replays the same run.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/time.h"

namespace spotkeeper {

struct SimOptions {
  uint64_t seed = 1;
  Duration chaos{3'600'000};         // simulated time with chaos
  Duration settle_limit{7'200'000};  // then at most this long to converge
  // Failovers: `controllers` controllers share the store, each through a FencedStore behind one
  // FakeElection; the lead moves at random points (mean gap `failover_mean`, often in the middle
  // of a controller step), the deposed leader keeps working for up to 90 s with its writes
  // refused, and a random controller takes over and resumes the workflows from the journal.
  // A controller crash then also moves the lead. Invariant: no write by a non-leader commits.
  bool failovers = false;
  int controllers = 3;
  Duration failover_mean{120'000};
  // Test only: the fence lets every write through (the invariant must catch it).
  bool unfenced = false;
  bool verbose = false;                           // print the run's events as they happen
  std::function<void(const std::string&)> print;  // where verbose output goes
};

struct SimResult {
  uint64_t seed = 0;
  bool ok = true;
  std::vector<std::string> violations;
  std::string failed_at;  // simulated time of the first violation
  int64_t ticks = 0;
  int64_t invariant_checks = 0;
  int64_t crashes = 0;
  int64_t interruptions = 0;
  int64_t rebalances = 0;
  int64_t kills = 0;
  int64_t droughts = 0;
  int64_t operator_actions = 0;
  int64_t failovers = 0;       // changes of lead (elections after the first)
  int64_t refused_writes = 0;  // commits the fence refused (deposed leaders, followers)
  int64_t deposed_ticks = 0;   // ticks run by a deposed leader that had not noticed yet
  int64_t recoveries = 0;      // recycle/interrupt workflows that succeeded
  int64_t groups = 0;
  int64_t ssis = 0;
  int64_t errors = 0;  // SSIs left in ERROR (with a reason) at the end
  Duration settle_time{0};
  std::string summary;  // one line about the world
};

SimResult RunSimulation(const SimOptions& options);

}  // namespace spotkeeper
