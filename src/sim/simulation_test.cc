// A few seeds of the deterministic simulation in-process (the 500-seed run is tests/sim): every
// invariant holds, including 6 (capacityRebalance, drawn per group).
#include "sim/simulation.h"

#include <gtest/gtest.h>

namespace spotkeeper {
namespace {

TEST(SimulationTest, InvariantsHoldOverTwelveSeeds) {
  int64_t rebalances = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SimOptions o;
    o.seed = seed;
    o.chaos = Duration{1'800'000};
    SimResult r = RunSimulation(o);
    rebalances += r.rebalances;
    EXPECT_TRUE(r.ok) << "seed " << seed << " at " << r.failed_at << ": "
                      << (r.violations.empty() ? "" : r.violations[0]);
  }
  EXPECT_GT(rebalances, 0) << "the seeds must exercise rebalance recommendations";
}

}  // namespace
}  // namespace spotkeeper
