// The controller's cost accrual and savings report on the fake cloud: spot hours at the pool's
// spot price, on-demand hours at the on-demand price, price changes, restarts and the API shape.
#include "controller/cost_meter.h"

#include <gtest/gtest.h>

#include "awsproto/ec2_prices.h"
#include "controller/controller_harness.h"

namespace spotkeeper {
namespace {

using testing::ControllerHarness;

constexpr Duration kHour = std::chrono::hours(1);

GroupSavings Savings(ControllerHarness& h, const std::string& g) {
  auto s = LoadGroupSavings(h.store(), g);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : GroupSavings{};
}

TEST(CostMeterTest, SpotHoursCostTheSpotPriceAndAreComparedWithOnDemand) {
  ControllerHarness h;
  std::string g = h.CreateAndLaunch(h.BaseSpec("db"));
  SsiRecord s = h.Ssis(g)[0];
  ASSERT_EQ(s.market, "spot");
  Instance inst = h.CloudInstance(s.instance_id);
  h.cloud().SetSpotPrice(inst.instance_type, inst.availability_zone, 0.03);
  Time start = h.clock().Now();
  h.RunFor(2 * kHour);

  GroupSavings sv = Savings(h, g);
  double od = *aws::Ec2OnDemandPrice(inst.instance_type);
  // Launch to the price change ran at the fake's initial price; that stretch is at most the
  // launch time, so bound the figures from both sides.
  double hours = sv.spot_hours;
  EXPECT_GE(hours, 2.0 - 1.0 / 60);  // accrued through the last sweep (every 30 s)
  EXPECT_LE(hours, 2.0 + std::chrono::duration<double>(start - inst.launch_time).count() / 3600 +
                       1.0 / 60);
  EXPECT_EQ(sv.on_demand_hours, 0);
  EXPECT_NEAR(sv.on_demand_usd, hours * od, 1e-9);
  EXPECT_NEAR(sv.usd, hours * 0.03, 0.01 * od);
  EXPECT_NEAR(sv.saved_percent, 100.0 * (od - 0.03) / od, 2.0);
  ASSERT_EQ(sv.ssis.size(), 1u);
  EXPECT_EQ(sv.ssis[0]["ssiId"], s.id);
  ASSERT_FALSE(sv.hourly.empty());
  double hourly_sum = 0;
  for (const auto& b : sv.hourly) hourly_sum += b["usd"].get<double>();
  EXPECT_NEAR(hourly_sum, sv.usd, 1e-9);
}

TEST(CostMeterTest, APriceChangeIsCountedFromTheNextRefresh) {
  ControllerHarness h;
  std::string g = h.CreateAndLaunch(h.BaseSpec("db"));
  Instance inst = h.CloudInstance(h.Ssis(g)[0].instance_id);
  h.cloud().SetSpotPrice(inst.instance_type, inst.availability_zone, 0.02);
  h.RunFor(CostMeter::kPriceRefresh + std::chrono::minutes(1));
  double before = Savings(h, g).usd;
  h.RunFor(kHour);
  double at_low = Savings(h, g).usd - before;
  h.cloud().SetSpotPrice(inst.instance_type, inst.availability_zone, 0.08);
  h.RunFor(CostMeter::kPriceRefresh + std::chrono::minutes(1));
  before = Savings(h, g).usd;
  h.RunFor(kHour);
  double at_high = Savings(h, g).usd - before;
  EXPECT_NEAR(at_low, 0.02, 0.001);
  EXPECT_NEAR(at_high, 0.08, 0.001);
}

TEST(CostMeterTest, OnDemandFallbackHoursSaveNothing) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("db");
  std::string az = h.subnets()[0].availability_zone;
  h.cloud().SetSpotCapacity("m5.large", az, 0);
  h.cloud().SetSpotCapacity("m5a.large", az, 0);
  std::string g = h.CreateAndLaunch(spec);
  ASSERT_EQ(h.Ssis(g)[0].market, "on-demand");
  h.RunFor(kHour);
  GroupSavings sv = Savings(h, g);
  EXPECT_GT(sv.on_demand_hours, 0.9);
  EXPECT_EQ(sv.spot_hours, 0);
  EXPECT_NEAR(sv.usd, sv.on_demand_usd, 1e-12);
  EXPECT_NEAR(sv.saved_percent, 0, 1e-9);
}

TEST(CostMeterTest, TheCountSurvivesARestartWithoutCountingTwice) {
  ControllerHarness h;
  std::string g = h.CreateAndLaunch(h.BaseSpec("db"));
  h.RunFor(kHour);
  double hours = Savings(h, g).spot_hours;
  h.Restart();
  h.RunFor(kHour);
  double after = Savings(h, g).spot_hours;
  EXPECT_NEAR(after - hours, 1.0, 1.0 / 60) << "an hour more, not two";
}

TEST(CostMeterTest, ARecycleStartsCountingTheReplacementFromItsLaunch) {
  ControllerHarness h;
  std::string g = h.CreateAndLaunch(h.BaseSpec("db"));
  SsiRecord s = h.Ssis(g)[0];
  h.RunFor(kHour);
  ASSERT_TRUE(h.cloud().Interrupt(s.instance_id).ok());
  ASSERT_TRUE(h.RunUntil([&] {
    SsiRecord now = h.Ssi(s.id);
    return now.state == SsiState::kActive && now.instance_id != s.instance_id;
  }));
  Time replaced = h.clock().Now();
  h.RunFor(kHour);
  SsiRecord after = h.Ssi(s.id);
  auto cost = nlohmann::json::parse(after.status_json)["cost"];
  EXPECT_EQ(cost["instanceId"], after.instance_id);
  double total = cost["spotSeconds"].get<double>() / 3600;
  double elapsed = std::chrono::duration<double>(h.clock().Now() - replaced).count() / 3600;
  // One hour before the interruption, one after, and the replacement's start; never the
  // replaced instance twice.
  EXPECT_GT(total, 2.0 - 2.0 / 60);
  EXPECT_LT(total, 2.0 + elapsed);
}

}  // namespace
}  // namespace spotkeeper
