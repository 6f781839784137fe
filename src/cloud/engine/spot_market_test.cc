#include "cloud/engine/spot_market.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

namespace spotkeeper::cloud {
namespace {

const Time kOrigin = FromMillis(1'767'225'600'000);  // 2026-01-01T00:00:00Z
const std::vector<std::string> kZones = {"local-1a", "local-1b"};

std::unique_ptr<SpotMarket> Make(MarketOptions o, uint64_t seed = 7,
                                 const std::vector<CsvPrice>& csv = {}) {
  auto m = SpotMarket::Create(o, InstanceCatalog::Default(), kZones, seed, kOrigin, csv);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(m).value() : nullptr;
}

TEST(SpotMarketTest, NoiseIsStandardNormal) {
  auto m = Make({});
  const int n = 100000;
  double sum = 0, sq = 0;
  for (int k = 0; k < n; ++k) {
    double z = m->Noise("m5.large", "local-1a", k);
    sum += z;
    sq += z * z;
  }
  double mean = sum / n;
  EXPECT_NEAR(mean, 0.0, 0.02);
  EXPECT_NEAR(sq / n - mean * mean, 1.0, 0.02);
}

TEST(SpotMarketTest, WalkRevertsToItsMeanWithinItsBounds) {
  MarketOptions o;
  auto m = Make(o);
  const double od = 0.096;  // m5.large
  // Started at the on-demand price, the walk comes down to its mean: each step closes 2% of the
  // log distance, so after 300 steps less than 0.3% of it is left beside the noise.
  double p = od;
  for (int k = 1; k <= 300; ++k) p = SpotMarket::WalkStep(p, od, o, m->Noise("m5.large", "x", k));
  EXPECT_NEAR(std::log(p / od), std::log(o.mean_ratio), 0.35);
  // Long run: the log price's mean is ln(meanRatio), its lag-1 autocorrelation 1 - reversion,
  // and it never leaves [minRatio, maxRatio] of on-demand.
  std::vector<double> x;
  p = od * o.mean_ratio;
  for (int k = 1; k <= 200000; ++k) {
    p = SpotMarket::WalkStep(p, od, o, m->Noise("m5.large", "local-1a", k));
    ASSERT_LE(p, od * o.max_ratio + 1e-12);
    ASSERT_GE(p, od * o.min_ratio - 1e-12);
    x.push_back(std::log(p / od));
  }
  double mean = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
  EXPECT_NEAR(mean, std::log(o.mean_ratio), 0.02);
  double c0 = 0, c1 = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    c0 += (x[i] - mean) * (x[i] - mean);
    if (i > 0) c1 += (x[i] - mean) * (x[i - 1] - mean);
  }
  EXPECT_NEAR(c1 / c0, 1.0 - o.reversion, 0.01);
  // Stationary standard deviation of an AR(1): volatility / sqrt(1 - (1-reversion)^2).
  double sd = std::sqrt(c0 / static_cast<double>(x.size()));
  EXPECT_NEAR(sd, o.volatility / std::sqrt(1 - std::pow(1 - o.reversion, 2)), 0.015);
}

TEST(SpotMarketTest, PricesMoveOnTheirGridWhateverTheTickCadence) {
  MarketOptions o;
  auto a = Make(o, 7);
  auto b = Make(o, 7);
  auto c = Make(o, 8);
  // Nothing before the first step.
  EXPECT_TRUE(a->AdvanceTo(kOrigin + std::chrono::minutes(5) - Duration{1}).empty());
  EXPECT_EQ(a->NextPriceChange(), kOrigin + std::chrono::minutes(5));
  // One jump of a day, or a tick every 7 minutes: the same history.
  a->AdvanceTo(kOrigin + std::chrono::hours(24));
  for (Time t = kOrigin; t <= kOrigin + std::chrono::hours(24); t += std::chrono::minutes(7)) {
    b->AdvanceTo(t);
  }
  b->AdvanceTo(kOrigin + std::chrono::hours(24));
  c->AdvanceTo(kOrigin + std::chrono::hours(24));
  const auto& ha = a->Find("c5.xlarge", "local-1b")->history;
  const auto& hb = b->Find("c5.xlarge", "local-1b")->history;
  const auto& hc = c->Find("c5.xlarge", "local-1b")->history;
  ASSERT_GT(ha.size(), 20u);  // 288 steps of a 0.17 USD type move the 4th decimal often
  ASSERT_EQ(ha.size(), hb.size());
  for (size_t i = 0; i < ha.size(); ++i) {
    EXPECT_EQ(ha[i].ms, hb[i].ms);
    EXPECT_EQ(ha[i].price, hb[i].price);
    EXPECT_EQ((ha[i].ms - ToMillis(kOrigin)) % 300000, 0);  // on the 5-minute grid
  }
  bool differs = ha.size() != hc.size();
  for (size_t i = 0; !differs && i < ha.size(); ++i) differs = ha[i].price != hc[i].price;
  EXPECT_TRUE(differs) << "another seed, another path";
  EXPECT_EQ(a->SpotPrice("c5.xlarge", "local-1b"), ha.back().price);
  EXPECT_EQ(a->SpotPriceAt("c5.xlarge", "local-1b", FromMillis(ha[3].ms)), ha[3].price);
  EXPECT_EQ(a->SpotPriceAt("c5.xlarge", "local-1b", FromMillis(ha[3].ms) - Duration{1}),
            ha[2].price);
}

TEST(SpotMarketTest, HistoryIsBounded) {
  MarketOptions o;
  o.history_limit = 10;
  o.volatility = 0.2;  // a change at almost every step
  o.reversion = 0.5;
  auto m = Make(o);
  m->AdvanceTo(kOrigin + std::chrono::hours(10));
  EXPECT_EQ(m->Find("r5.2xlarge", "local-1a")->history.size(), 10u);
  MarketOptions wide = o;
  wide.history_limit = 1000;
  wide.price_interval = std::chrono::hours(24);
  auto w = Make(wide);
  w->AdvanceTo(kOrigin + std::chrono::hours(24 * 200));
  const auto& h = w->Find("r5.2xlarge", "local-1a")->history;
  ASSERT_GT(h.size(), 50u);
  EXPECT_LT(h.size(), 95u);
  // At most 90 days before the last change, and the change in effect then.
  int64_t cutoff = h.back().ms - 90LL * 86'400'000;
  EXPECT_LE(h.front().ms, cutoff);
  EXPECT_GT(h[1].ms, cutoff);
}

TEST(SpotMarketTest, CsvParsesAndNamesTheBadLine) {
  auto rows = ParseSpotPriceCsv(
      "timestamp,instance type,AZ,price\n"
      "2024-03-01T00:00:00Z, t3.micro, local-1a, 0.0031\n"
      "# a comment\n\n"
      "1709254800,t3.micro,local-1a,0.0045\n");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].instance_type, "t3.micro");
  EXPECT_EQ((*rows)[1].time - (*rows)[0].time, std::chrono::hours(1));
  EXPECT_EQ((*rows)[1].price, 0.0045);
  auto bad = ParseSpotPriceCsv("2024-03-01T00:00:00Z,t3.micro,local-1a,0.1\nnope,t3.micro,a,1\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 2"), std::string::npos) << bad.status().ToString();
  auto price = ParseSpotPriceCsv("2024-03-01T00:00:00Z,t3.micro,local-1a,-3\n");
  EXPECT_NE(price.status().message().find("not a positive number"), std::string::npos);
  EXPECT_FALSE(ParseSpotPriceCsv("2024-03-01T00:00:00Z,t3.micro,0.1\n").ok());
}

TEST(SpotMarketTest, CsvReplaysShiftedToTheOrigin) {
  auto rows = ParseSpotPriceCsv(
      "2024-03-01T00:00:00Z,t3.micro,local-1a,0.0031\n"
      "2024-03-01T00:10:00Z,t3.micro,local-1a,0.0042\n"
      "2024-03-01T00:30:00Z,t3.micro,local-1a,0.0029\n");
  ASSERT_TRUE(rows.ok());
  MarketOptions o;
  o.price_model = "csv";
  o.csv_path = "prices.csv";
  auto m = Make(o, 7, *rows);
  EXPECT_EQ(m->SpotPrice("t3.micro", "local-1a"), 0.0031);
  EXPECT_EQ(m->NextPriceChange(), kOrigin + std::chrono::minutes(5));  // the walking pools
  auto changes = m->AdvanceTo(kOrigin + std::chrono::minutes(10));
  EXPECT_EQ(m->SpotPrice("t3.micro", "local-1a"), 0.0042);
  bool replayed = false;
  for (const auto& c : changes) {
    if (c.instance_type == "t3.micro" && c.availability_zone == "local-1a") {
      replayed = true;
      EXPECT_EQ(c.ms, ToMillis(kOrigin + std::chrono::minutes(10)));
      EXPECT_EQ(c.price, 0.0042);
    }
  }
  EXPECT_TRUE(replayed);
  m->AdvanceTo(kOrigin + std::chrono::minutes(29));
  EXPECT_EQ(m->SpotPrice("t3.micro", "local-1a"), 0.0042);
  m->AdvanceTo(kOrigin + std::chrono::hours(5));
  EXPECT_EQ(m->SpotPrice("t3.micro", "local-1a"), 0.0029);  // the last row holds
  // Cost over the replay: 10 min at 0.0031, 20 at 0.0042, 30 at 0.0029.
  EXPECT_NEAR(m->SpotCost("t3.micro", "local-1a", kOrigin, kOrigin + std::chrono::hours(1)),
              (10 * 0.0031 + 20 * 0.0042 + 30 * 0.0029) / 60.0, 1e-12);
  EXPECT_NEAR(m->SpotCost("t3.micro", "local-1a", kOrigin + std::chrono::minutes(5),
                          kOrigin + std::chrono::minutes(15)),
              (5 * 0.0031 + 5 * 0.0042) / 60.0, 1e-12);
  EXPECT_NEAR(m->OnDemandCost("t3.micro", kOrigin, kOrigin + std::chrono::minutes(30)), 0.0104 / 2,
              1e-12);
  // A pool the CSV does not name walks; a pool the cloud lacks is an error naming the key.
  EXPECT_NE(m->Find("t3.micro", "local-1b")->history.size(), 0u);
  auto unknown = ParseSpotPriceCsv("2024-03-01T00:00:00Z,x9.huge,local-1a,1\n");
  auto bad = SpotMarket::Create(o, InstanceCatalog::Default(), kZones, 7, kOrigin, *unknown);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("market.csvPath"), std::string::npos);
}

TEST(SpotMarketTest, RatesComeFromTheAdvisorBuckets) {
  MarketOptions o;
  o.default_bucket = "10-15%";
  o.pools = {{"m5.large", "local-1a", 3, std::nullopt, ">20%"}};
  auto m = Make(o);
  for (const SpotMarket::Pool* p : m->Pools()) {
    const AdvisorBucket* b = FindAdvisorBucket(p->bucket);
    ASSERT_NE(b, nullptr);
    EXPECT_GE(p->monthly_rate, b->low);
    EXPECT_LE(p->monthly_rate, b->high);
  }
  EXPECT_EQ(m->Find("m5.large", "local-1a")->bucket, ">20%");
  EXPECT_EQ(m->Capacity("m5.large", "local-1a", CapacityMarket::kSpot), 3);
  EXPECT_EQ(m->Capacity("m5.large", "local-1a", CapacityMarket::kOnDemand), -1);
  EXPECT_EQ(m->Find("m5.large", "local-1b")->bucket, "10-15%");
  // The delays of many instances average 1 / rate (exponential), each one fixed by its id and
  // run; the time scale multiplies the rate.
  double rate = m->RatePerSecond("m5.large", "local-1a");
  double f = m->Find("m5.large", "local-1a")->monthly_rate;
  EXPECT_NEAR(rate, -std::log(1 - f) / (30 * 86400.0), 1e-15);
  const int n = 20000;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    auto d = m->InterruptionDelay("i-" + std::to_string(i), 1, "m5.large", "local-1a");
    ASSERT_TRUE(d.has_value());
    sum += static_cast<double>(d->count()) / 1000.0;
  }
  EXPECT_NEAR(sum / n * rate, 1.0, 0.03);
  EXPECT_EQ(m->InterruptionDelay("i-1", 1, "m5.large", "local-1a"),
            m->InterruptionDelay("i-1", 1, "m5.large", "local-1a"));
  EXPECT_NE(m->InterruptionDelay("i-1", 1, "m5.large", "local-1a"),
            m->InterruptionDelay("i-1", 2, "m5.large", "local-1a"));
  MarketOptions fast = o;
  fast.time_scale = 1000;
  auto mf = Make(fast);
  EXPECT_NEAR(mf->RatePerSecond("m5.large", "local-1a") / rate, 1000, 1e-6);
  // A fixed rate per instance-hour replaces every pool's bucket (and the time scale).
  MarketOptions fixed = fast;
  fixed.interruptions_per_hour = 12;
  auto mx = Make(fixed);
  EXPECT_DOUBLE_EQ(mx->RatePerSecond("m5.large", "local-1a"), 12 / 3600.0);
  EXPECT_DOUBLE_EQ(mx->RatePerSecond("t3.micro", "local-1b"), 12 / 3600.0);
  double fixed_sum = 0;
  for (int i = 0; i < n; ++i) {
    auto d = mx->InterruptionDelay("i-" + std::to_string(i), 1, "t3.micro", "local-1b");
    ASSERT_TRUE(d.has_value());
    fixed_sum += static_cast<double>(d->count()) / 1000.0;
  }
  EXPECT_NEAR(fixed_sum / n, 300.0, 9.0);  // a mean of 5 minutes
  MarketOptions off = o;
  off.enabled = false;
  auto md = Make(off);
  EXPECT_FALSE(md->InterruptionDelay("i-1", 1, "m5.large", "local-1a").has_value());
  EXPECT_TRUE(md->AdvanceTo(kOrigin + std::chrono::hours(5)).empty());
  EXPECT_EQ(md->NextPriceChange(), kNever);
}

TEST(SpotMarketTest, CapacityAndOptionErrorsNameWhatToFix) {
  auto m = Make({});
  EXPECT_TRUE(m->SetCapacity("t3.micro", "local-1a", CapacityMarket::kOnDemand, 0).ok());
  EXPECT_EQ(m->Capacity("t3.micro", "local-1a", CapacityMarket::kOnDemand), 0);
  EXPECT_FALSE(m->SetCapacity("t3.micro", "local-9z", CapacityMarket::kSpot, 1).ok());
  EXPECT_FALSE(m->SetCapacity("t3.micro", "local-1a", CapacityMarket::kSpot, -2).ok());
  auto error_of = [](MarketOptions o) { return ValidateMarketOptions(o).message(); };
  MarketOptions o;
  o.default_bucket = "3%";
  EXPECT_NE(error_of(o).find("market.defaultBucket"), std::string::npos);
  o = {};
  o.interruptions_per_hour = -1;
  EXPECT_NE(error_of(o).find("market.interruptionsPerHour"), std::string::npos);
  o = {};
  o.price_model = "csv";
  EXPECT_NE(error_of(o).find("market.csvPath"), std::string::npos);
  o = {};
  o.pools = {{"t3.micro", "local-1a", -5, std::nullopt, ""}};
  EXPECT_NE(error_of(o).find("market.pools[0].spotCapacity"), std::string::npos);
  o = {};
  o.reclaim_order = "oldest";
  EXPECT_NE(error_of(o).find("market.reclaimOrder"), std::string::npos);
  o = {};
  o.pools = {{"x9.huge", "local-1a", 1, std::nullopt, ""}};
  auto bad = SpotMarket::Create(o, InstanceCatalog::Default(), kZones, 1, kOrigin, {});
  EXPECT_NE(bad.status().message().find("market.pools[0].instanceType"), std::string::npos);
}

}  // namespace
}  // namespace spotkeeper::cloud
