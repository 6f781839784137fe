// The spot market's clock work in the engine: interruptions from prices and from the rate draw,
// a restart in the middle of a notice, cost, price history, a disabled market.
#include "cloud/engine/engine_spot_test_util.h"

namespace spotkeeper::cloud {
namespace {

TEST_F(SpotTest, PriceAboveTheMaximumInterruptsByPrice) {
  UseCsv(
      "timestamp,instance type,AZ,price\n"
      "2025-06-01T00:00:00Z,t3.micro,local-1a,0.0030\n"
      "2025-06-01T00:10:00Z,t3.micro,local-1a,0.0040\n"
      "2025-06-01T00:20:00Z,t3.micro,local-1a,0.0060\n");
  RunInstancesRequest r = Spot();
  r.spot.max_price = "0.002";
  EXPECT_EQ(engine_->RunInstances(r).status().cloud_code(), "SpotMaxPriceTooLow");
  r.spot.max_price = "0.005";
  std::string id = Running(r);
  std::string cheap_enough = Running(Spot());  // max price: on-demand
  start_ = clock_.Now();
  Tick(minutes(10));
  EXPECT_EQ(Imds(id, "events/recommendations/rebalance"), "404");
  Tick(minutes(10));  // 0.0060 > 0.005, at 00:20 exactly
  EXPECT_EQ(Imds(id, "events/recommendations/rebalance"),
            "{\"noticeTime\": \"" + At(minutes(20)) + "\"}");
  EXPECT_EQ(Imds(cheap_enough, "events/recommendations/rebalance"), "404");
  Tick(seconds(30));
  EXPECT_EQ(Status(id), "active/marked-for-termination");
  Tick(seconds(120));
  EXPECT_EQ(State(id), "terminated");
  EXPECT_EQ(Status(id), "closed/instance-terminated-by-price");
  EXPECT_EQ(State(cheap_enough), "running");
}

TEST_F(SpotTest, TheRateDrawInterruptsAtItsExactTime) {
  market_.default_bucket = ">20%";
  market_.time_scale = 1e5;                  // a mean delay of about a minute and a half
  market_.price_interval = hours(24 * 365);  // no price steps in the way
  Reconfigure();
  std::string id = Running(Spot());
  start_ = clock_.Now();
  Time due = engine_->MarketTickOnce();
  ASSERT_LT(due, start_ + hours(1));
  ASSERT_GT(due, start_);
  clock_.Set(due - milliseconds(1));
  engine_->MarketTickOnce();
  EXPECT_EQ(Imds(id, "events/recommendations/rebalance"), "404");
  clock_.Set(due);
  EXPECT_EQ(engine_->MarketTickOnce(), due + seconds(30));  // next: the notice
  EXPECT_NE(Imds(id, "events/recommendations/rebalance"), "404");
  Tick(seconds(150));
  EXPECT_EQ(State(id), "terminated");
  EXPECT_EQ(Status(id), "closed/instance-terminated-no-capacity");
  // The same seed draws the same delay for the same instance: a reopened engine on a copy of
  // the state before the draw would schedule it identically (the draw is a pure function).
}

TEST_F(SpotTest, ARestartInTheMiddleOfANoticeKeepsTheDeadline) {
  std::string id = Running(Spot());
  start_ = clock_.Now();
  ASSERT_TRUE(engine_->InterruptInstances({id}, {seconds(120), seconds(30)}).ok());
  Tick(seconds(60));
  std::string action = Imds(id, "spot/instance-action");
  ASSERT_NE(action, "404");
  Restart();
  EXPECT_EQ(Imds(id, "spot/instance-action"), action);
  EXPECT_NE(Imds(id, "events/recommendations/rebalance"), "404");
  EXPECT_EQ(Status(id), "closed/instance-terminated-no-capacity");
  EXPECT_EQ(engine_->MarketTickOnce(), start_ + seconds(150));
  Tick(seconds(90) - milliseconds(1));
  EXPECT_EQ(State(id), "running");
  Tick(milliseconds(1));
  EXPECT_EQ(State(id), "terminated");
  // The warning was sent once, before the restart.
  int warnings = 0;
  for (const nlohmann::json& e : Events()) {
    warnings += e["detail-type"] == "EC2 Spot Instance Interruption Warning";
  }
  EXPECT_EQ(warnings, 1);
  ExpectHostMatchesState();
}

TEST_F(SpotTest, CostAccruesByTheSecondAtTheCurrentPrice) {
  UseCsv(
      "2025-06-01T00:00:00Z,t3.micro,local-1a,0.0030\n"
      "2025-06-01T00:10:00Z,t3.micro,local-1a,0.0040\n"
      "2025-06-01T00:20:00Z,t3.micro,local-1a,0.0060\n");
  RunInstancesRequest tagged = Launch();
  tagged.tag_specs = {{"instance", {{"team", "data"}}}};
  std::string od = Running(tagged);
  std::string spot = Running(Spot());
  for (int i = 0; i < 3; ++i) Tick(minutes(10));
  auto find = [&](const std::string& id) {
    for (const CostView& c : engine_->DescribeCost()) {
      if (c.instance_id == id) return c;
    }
    ADD_FAILURE() << "no cost for " << id;
    return CostView{};
  };
  CostView c = find(od);
  EXPECT_EQ(c.lifecycle, "on-demand");
  EXPECT_EQ(c.tags.at("team"), "data");
  EXPECT_DOUBLE_EQ(c.seconds, 1800);
  EXPECT_NEAR(c.cost, 0.0104 / 2, 1e-12);
  EXPECT_NEAR(c.on_demand_cost, 0.0104 / 2, 1e-12);
  CostView s = find(spot);
  EXPECT_EQ(s.lifecycle, "spot");
  EXPECT_NEAR(s.cost, (10 * 0.0030 + 10 * 0.0040 + 10 * 0.0060) / 60, 1e-12);
  EXPECT_NEAR(s.on_demand_cost, 0.0104 / 2, 1e-12);
  // Terminated: the cost stops and stays, also after a restart.
  ASSERT_TRUE(engine_->TerminateInstances({spot}).ok());
  Drain();
  Tick(minutes(30));
  Restart();
  s = find(spot);
  EXPECT_EQ(s.state, "terminated");
  EXPECT_NEAR(s.cost, (10 * 0.0030 + 10 * 0.0040 + 10 * 0.0060) / 60, 1e-12);
  EXPECT_DOUBLE_EQ(s.seconds, 1800);
  c = find(od);
  EXPECT_DOUBLE_EQ(c.seconds, 3600);
  EXPECT_NEAR(c.cost, 0.0104, 1e-12);
  // A stopped instance costs nothing while stopped.
  ASSERT_TRUE(engine_->StopInstances({od}, false).ok());
  Drain();
  Tick(hours(2));
  EXPECT_NEAR(find(od).cost, 0.0104, 1e-12);
}

TEST_F(SpotTest, PriceHistoryFiltersAndPages) {
  Time origin = clock_.Now();
  Tick(hours(2));
  auto history = [&](SpotPriceHistoryRequest r) {
    auto page = engine_->DescribeSpotPriceHistory(r);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->items : std::vector<SpotPriceView>{};
  };
  SpotPriceHistoryRequest r;
  r.instance_types = {"c5.xlarge"};
  r.availability_zone = "local-1b";
  std::vector<SpotPriceView> all = history(r);
  ASSERT_GT(all.size(), 5u);  // c5.xlarge's price moves its 4th decimal most steps
  EXPECT_EQ(all.back().timestamp, origin);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].instance_type, "c5.xlarge");
    EXPECT_EQ(all[i].availability_zone, "local-1b");
    EXPECT_EQ(all[i].product_description, "Linux/UNIX");
    EXPECT_EQ((all[i].timestamp - origin) % minutes(5), Duration{0});
    if (i > 0) {
      EXPECT_LT(all[i].timestamp, all[i - 1].timestamp);  // newest first
    }
  }
  // StartTime between changes: the later changes and the one in effect at StartTime.
  r.start_time = origin + minutes(62);
  std::vector<SpotPriceView> since = history(r);
  size_t later = 0;
  for (const SpotPriceView& v : all) later += v.timestamp >= *r.start_time;
  ASSERT_EQ(since.size(), later + 1);
  EXPECT_LT(since.back().timestamp, *r.start_time);
  r.end_time = origin + minutes(90);
  for (const SpotPriceView& v : history(r)) EXPECT_LE(v.timestamp, *r.end_time);
  // Pages of 3 chain to the whole answer.
  r.start_time.reset();
  r.end_time.reset();
  r.max_results = 3;
  std::vector<SpotPriceView> paged;
  for (int n = 0; n < 100; ++n) {
    auto page = engine_->DescribeSpotPriceHistory(r);
    ASSERT_TRUE(page.ok());
    EXPECT_LE(page->items.size(), 3u);
    paged.insert(paged.end(), page->items.begin(), page->items.end());
    if (page->next_token.empty()) break;
    r.next_token = page->next_token;
  }
  ASSERT_EQ(paged.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(paged[i].timestamp, all[i].timestamp);
  // Filters and product descriptions.
  SpotPriceHistoryRequest f;
  f.filters = {{"instance-type", {"t3.*"}}, {"availability-zone", {"local-1a"}}};
  std::vector<SpotPriceView> t3 = history(f);
  ASSERT_FALSE(t3.empty());
  for (const SpotPriceView& v : t3) EXPECT_EQ(v.instance_type.rfind("t3.", 0), 0u);
  f = {};
  f.product_descriptions = {"Windows"};
  EXPECT_TRUE(history(f).empty());
  f.product_descriptions = {"Linux/UNIX (Amazon VPC)"};
  f.instance_types = {"m5.large"};
  ASSERT_FALSE(history(f).empty());
  EXPECT_EQ(history(f)[0].product_description, "Linux/UNIX (Amazon VPC)");
  f = {};
  f.instance_types = {"c5.xlarge"};
  char price[16];
  std::snprintf(price, sizeof price, "%.6f", all[0].price);
  f.filters = {{"spot-price", {price}}, {"availability-zone", {"local-1b"}}};
  EXPECT_GE(history(f).size(), 1u);
  // Errors.
  f = {};
  f.start_time = origin + hours(1);
  f.end_time = origin;
  EXPECT_EQ(engine_->DescribeSpotPriceHistory(f).status().cloud_code(), "InvalidParameterValue");
  f = {};
  f.max_results = 0;
  EXPECT_EQ(engine_->DescribeSpotPriceHistory(f).status().cloud_code(), "InvalidParameterValue");
  f = {};
  f.availability_zone = "local-9z";
  EXPECT_EQ(engine_->DescribeSpotPriceHistory(f).status().cloud_code(), "InvalidParameterValue");
  f = {};
  f.filters = {{"price", {"1"}}};
  EXPECT_EQ(engine_->DescribeSpotPriceHistory(f).status().cloud_code(), "InvalidParameterValue");
}

TEST_F(SpotTest, ADisabledMarketHoldsPricesAndDrawsNothing) {
  market_.enabled = false;
  market_.default_bucket = ">20%";
  market_.time_scale = 1e6;
  Reconfigure();
  std::string id = Running(Spot());
  EXPECT_EQ(engine_->MarketTickOnce(), kNever);
  Tick(hours(24));
  EXPECT_EQ(State(id), "running");
  SpotPriceHistoryRequest r;
  r.instance_types = {"t3.micro"};
  r.availability_zone = "local-1a";
  EXPECT_EQ(engine_->DescribeSpotPriceHistory(r)->items.size(), 1u);
  // Interruptions on demand still work.
  ASSERT_TRUE(engine_->InterruptInstances({id}, {seconds(0), seconds(0)}).ok());
  Drain();
  EXPECT_EQ(State(id), "terminated");
}

}  // namespace
}  // namespace spotkeeper::cloud
