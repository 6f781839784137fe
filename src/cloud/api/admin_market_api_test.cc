// The admin API's spot market routes on a running LocalCloud (fake host driver, FakeClock set to
// the real time so that signatures stay fresh): interruptions, pools and cost through
// CloudAdminClient and raw signed requests, with the errors a person gets.
#include <gtest/gtest.h>

#include "cloud/api/admin_api.h"
#include "cloud/api/api_test_util.h"
#include "cloud/api/cloud_admin_client.h"

namespace spotkeeper::cloud {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

class AdminMarketApiTest : public CloudApiTest {
 protected:
  void Customize(LocalCloudOptions& o) override {
    clock_.Set(SystemClock::Default()->Now());
    o.engine.clock = &clock_;
  }
  CloudAdminClient Client() {
    auto target = CloudAdminClient::FindCloud(dir_.string());
    EXPECT_TRUE(target.ok()) << target.status().ToString();
    return CloudAdminClient(&http_, target.ok() ? *target : AdminTarget{}, &clock_);
  }
  // A running instance of t3.micro in local-1a: spot unless `on_demand`, tagged team=`team`.
  std::string Launch(bool on_demand, const std::string& team = "") {
    RunInstancesRequest r;
    r.image_id = kBaseImageId;
    r.instance_type = "t3.micro";
    r.min_count = r.max_count = 1;
    r.availability_zone = "local-1a";
    if (!on_demand) {
      r.market_type = "spot";
      r.spot.request_type = "one-time";
    }
    if (!team.empty()) r.tag_specs = {{"instance", {{"team", team}}}};
    auto res = cloud_->engine()->RunInstances(r);
    last_ = res.ok() ? OkStatus() : res.status();
    if (!res.ok()) return "";
    std::string id = res->instances.at(0).instance.id;
    EXPECT_TRUE(cloud_->engine()->WaitIdle(seconds(10)));
    EXPECT_EQ(State(id), "running");
    return id;
  }
  std::string State(const std::string& id) {
    auto v = cloud_->engine()->FindInstance(id);
    return v ? v->instance.state : "(gone)";
  }
  aws::HttpResponse Raw(const std::string& method, const std::string& path,
                        const std::string& body) {
    aws::HttpRequest req;
    req.method = method;
    req.url = cloud_->endpoint() + path;
    req.headers = {{"Content-Type", "application/json"}};
    req.body = body;
    aws::Sigv4Signer signer("local-1", AdminApi::kSigningService);
    EXPECT_TRUE(signer.Sign(req, creds_, clock_.Now()).ok());
    auto res = http_.Send(req);
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    return res.ok() ? *res : aws::HttpResponse{};
  }
  const PoolView* FindPool(const std::vector<PoolView>& pools, const std::string& type,
                           const std::string& az) {
    for (const PoolView& p : pools) {
      if (p.instance_type == type && p.availability_zone == az) return &p;
    }
    return nullptr;
  }

  FakeClock clock_;
  Status last_;
};

TEST_F(AdminMarketApiTest, InterruptAnswers202WithTheTimelineAndTheInstanceGoes) {
  std::string id = Launch(false);
  ASSERT_FALSE(id.empty()) << last_.ToString();
  const Time now = clock_.Now();
  auto r = Raw("POST", "/_spotkeeper/v1/interruptions",
               R"({"instanceIds": [")" + id + R"("], "noticeSeconds": 10,
                   "rebalanceLeadSeconds": 2.5})");
  ASSERT_EQ(r.status, 202) << r.body;
  nlohmann::json j = nlohmann::json::parse(r.body);
  ASSERT_EQ(j["interruptions"].size(), 1u) << r.body;
  const nlohmann::json& i = j["interruptions"][0];
  EXPECT_EQ(i["instanceId"], id);
  EXPECT_EQ(i["action"], "terminate");
  EXPECT_EQ(i["spotInstanceRequestId"].get<std::string>().rfind("sir-", 0), 0u);
  EXPECT_EQ(i["rebalanceAt"], FormatTime(now));
  EXPECT_EQ(i["noticeAt"], FormatTime(now + milliseconds(2500)));
  EXPECT_EQ(i["actionAt"], FormatTime(now + milliseconds(12500)));
  EXPECT_EQ(i["terminateAt"], i["actionAt"]);

  // The timeline runs on the cloud's clock: running through the notice, then gone.
  clock_.Advance(milliseconds(12499));
  cloud_->engine()->MarketTickOnce();
  ASSERT_TRUE(cloud_->engine()->WaitIdle(seconds(10)));
  EXPECT_EQ(State(id), "running");
  EXPECT_TRUE(cloud_->engine()->SpotMetadata(id, "spot/instance-action").has_value());
  clock_.Advance(milliseconds(1));
  cloud_->engine()->MarketTickOnce();
  ASSERT_TRUE(cloud_->engine()->WaitIdle(seconds(10)));
  EXPECT_EQ(State(id), "terminated");

  // Interrupting it again: it is not running any more.
  auto again = Client().Interrupt({{id}, {}});
  EXPECT_EQ(again.status().code(), Code::kFailedPrecondition) << again.status().ToString();
  EXPECT_EQ(again.status().cloud_code(), "UnsupportedOperation");
  EXPECT_NE(again.status().message().find(id + " (terminated)"), std::string::npos)
      << again.status().message();
}

TEST_F(AdminMarketApiTest, InterruptDefaultsToTheMarketsNoticeThroughTheClient) {
  std::string id = Launch(false);
  ASSERT_FALSE(id.empty()) << last_.ToString();
  CloudAdminClient client = Client();
  auto done = client.Interrupt({{id}, {}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  ASSERT_EQ(done->size(), 1u);
  const MarketOptions defaults;
  EXPECT_EQ((*done)[0].rebalance_time, clock_.Now());
  EXPECT_EQ((*done)[0].notice_time - (*done)[0].rebalance_time, defaults.rebalance_lead);
  EXPECT_EQ((*done)[0].action_time - (*done)[0].notice_time, defaults.notice);
  // A second call keeps the first timeline.
  clock_.Advance(seconds(1));
  auto kept = client.Interrupt({{id}, {seconds(5), seconds(0)}});
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ((*kept)[0].action_time, (*done)[0].action_time);
}

TEST_F(AdminMarketApiTest, InterruptErrorsSayWhatIsWrong) {
  std::string od = Launch(true);
  ASSERT_FALSE(od.empty()) << last_.ToString();
  CloudAdminClient client = Client();
  auto r = client.Interrupt({{"i-0123456789abcdef0"}, {}});
  EXPECT_EQ(r.status().code(), Code::kNotFound) << r.status().ToString();
  EXPECT_NE(r.status().message().find("i-0123456789abcdef0"), std::string::npos);
  auto raw =
      Raw("POST", "/_spotkeeper/v1/interruptions", R"({"instanceIds": ["i-0123456789abcdef0"]})");
  EXPECT_EQ(raw.status, 400) << raw.body;
  EXPECT_EQ(nlohmann::json::parse(raw.body)["code"], "InvalidInstanceID.NotFound");

  r = client.Interrupt({{od}, {}});
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition) << r.status().ToString();
  EXPECT_NE(r.status().message().find("on-demand: " + od), std::string::npos)
      << r.status().message();
  raw = Raw("POST", "/_spotkeeper/v1/interruptions", R"({"instanceIds": [")" + od + R"("]})");
  EXPECT_EQ(raw.status, 409) << raw.body;
  EXPECT_EQ(State(od), "running");

  struct Bad {
    std::string body, mentions;
  };
  for (const Bad& b : std::vector<Bad>{
           {R"({"instanceIds": []})", "instanceIds"},
           {R"({"instanceIds": [7]})", "instanceIds"},
           {R"({"instanceIds": ["i-1"], "noticeSeconds": -1})", "noticeSeconds"},
           {R"({"instanceIds": ["i-1"], "rebalanceLeadSeconds": "30s"})", "rebalanceLeadSeconds"},
           {R"({"instanceIds": ["i-1"], "noticeSeconds": 100000})", "noticeSeconds"},
           {R"({"instanceIds": ["i-1"], "notice": 10})", "unknown key 'notice'"},
           {"not json", "JSON object"}}) {
    raw = Raw("POST", "/_spotkeeper/v1/interruptions", b.body);
    EXPECT_EQ(raw.status, 400) << b.body << " -> " << raw.body;
    auto j = nlohmann::json::parse(raw.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << raw.body;
    EXPECT_EQ(j["code"], "InvalidArgument");
    EXPECT_NE(j["message"].get<std::string>().find(b.mentions), std::string::npos)
        << b.body << " -> " << raw.body;
  }
  raw = Raw("GET", "/_spotkeeper/v1/interruptions", "");
  EXPECT_EQ(raw.status, 405) << raw.body;
}

TEST_F(AdminMarketApiTest, PoolsListPricesCapacityAndUse) {
  std::string spot = Launch(false);
  std::string od = Launch(true);
  ASSERT_FALSE(spot.empty() || od.empty()) << last_.ToString();
  auto pools = Client().GetPools();
  ASSERT_TRUE(pools.ok()) << pools.status().ToString();
  const PoolView* p = FindPool(*pools, "t3.micro", "local-1a");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->spot_in_use, 1);
  EXPECT_EQ(p->on_demand_in_use, 1);
  EXPECT_EQ(p->spot_capacity, -1);
  EXPECT_EQ(p->on_demand_capacity, -1);
  EXPECT_GT(p->on_demand_price, 0);
  EXPECT_GT(p->spot_price, 0);
  EXPECT_LT(p->spot_price, p->on_demand_price);
  EXPECT_FALSE(p->bucket.empty());
  const PoolView* other = FindPool(*pools, "t3.micro", "local-1b");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->spot_in_use, 0);
  // The same numbers as the engine's.
  for (const PoolView& e : cloud_->engine()->DescribePools()) {
    const PoolView* a = FindPool(*pools, e.instance_type, e.availability_zone);
    ASSERT_NE(a, nullptr) << e.instance_type << " " << e.availability_zone;
    EXPECT_EQ(a->spot_price, e.spot_price);
    EXPECT_EQ(a->on_demand_price, e.on_demand_price);
  }
  EXPECT_EQ(pools->size(), cloud_->engine()->DescribePools().size());
}

TEST_F(AdminMarketApiTest, DrainingTheSpotPoolReclaimsAndRefusesLaunchesUntilRestored) {
  std::string spot = Launch(false);
  ASSERT_FALSE(spot.empty()) << last_.ToString();
  CloudAdminClient client = Client();
  auto drained = client.SetPoolCapacity({"t3.micro", "local-1a", "spot", 0});
  ASSERT_TRUE(drained.ok()) << drained.status().ToString();
  EXPECT_EQ(drained->pool.spot_capacity, 0);
  EXPECT_EQ(drained->pool.on_demand_capacity, -1);
  ASSERT_EQ(drained->interruptions.size(), 1u);
  EXPECT_EQ(drained->interruptions[0].instance_id, spot);
  EXPECT_GT(drained->interruptions[0].action_time, clock_.Now());

  EXPECT_TRUE(Launch(false).empty());
  EXPECT_EQ(last_.cloud_code(), "InsufficientInstanceCapacity") << last_.ToString();
  EXPECT_FALSE(Launch(true).empty()) << "on-demand has its own capacity: " << last_.ToString();

  auto restored = client.SetPoolCapacity({"t3.micro", "local-1a", "spot", -1});
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->pool.spot_capacity, -1);
  EXPECT_TRUE(restored->interruptions.empty());
  EXPECT_FALSE(Launch(false).empty()) << last_.ToString();

  // On-demand capacity refuses on-demand launches only, and never reclaims.
  auto od = client.SetPoolCapacity({"t3.micro", "local-1a", "on-demand", 0});
  ASSERT_TRUE(od.ok()) << od.status().ToString();
  EXPECT_TRUE(od->interruptions.empty());
  EXPECT_EQ(od->pool.on_demand_in_use, 1);
  EXPECT_TRUE(Launch(true).empty());
  EXPECT_EQ(last_.cloud_code(), "InsufficientInstanceCapacity") << last_.ToString();
}

TEST_F(AdminMarketApiTest, PoolErrorsSayWhatIsWrong) {
  CloudAdminClient client = Client();
  auto r = client.SetPoolCapacity({"t9.enormous", "local-1a", "spot", 1});
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("no pool t9.enormous in local-1a"), std::string::npos)
      << r.status().message();
  r = client.SetPoolCapacity({"t3.micro", "mars-1a", "spot", 1});
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  struct Bad {
    std::string body, mentions;
  };
  for (const Bad& b : std::vector<Bad>{
           {R"({"instanceType": "t3.micro", "availabilityZone": "local-1a", "capacity": -2})",
            "capacity"},
           {R"({"instanceType": "t3.micro", "availabilityZone": "local-1a", "capacity": 1.5})",
            "capacity"},
           {R"({"instanceType": "t3.micro", "availabilityZone": "local-1a"})",
            "\"capacity\" is missing"},
           {R"({"instanceType": "t3.micro", "capacity": 1})", "availabilityZone"},
           {R"({"instanceType": "t3.micro", "availabilityZone": "local-1a", "capacity": 1,
                "market": "reserved"})",
            "\"market\" must be \"spot\" or \"on-demand\""},
           {R"({"instanceType": "t3.micro", "availabilityZone": "local-1a", "capacity": 1,
                "zone": "x"})",
            "unknown key 'zone'"}}) {
    auto raw = Raw("PUT", "/_spotkeeper/v1/pools", b.body);
    EXPECT_EQ(raw.status, 400) << b.body << " -> " << raw.body;
    auto j = nlohmann::json::parse(raw.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << raw.body;
    EXPECT_NE(j["message"].get<std::string>().find(b.mentions), std::string::npos)
        << b.body << " -> " << raw.body;
  }
  for (const PoolView& p : cloud_->engine()->DescribePools()) {
    EXPECT_EQ(p.spot_capacity, -1) << p.instance_type << " " << p.availability_zone;
  }
}

TEST_F(AdminMarketApiTest, CostPerInstanceAndPerTagAgainstOnDemand) {
  std::string spot = Launch(false, "a");
  std::string od = Launch(true, "b");
  std::string untagged = Launch(false);
  ASSERT_FALSE(spot.empty() || od.empty() || untagged.empty()) << last_.ToString();
  clock_.Advance(hours(1));
  auto report = Client().GetCost();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->instances.size(), 3u);
  std::map<std::string, CostView> by_id;
  for (const CostView& v : report->instances) by_id[v.instance_id] = v;
  const std::vector<PoolView> pools = cloud_->engine()->DescribePools();
  const PoolView* pool = FindPool(pools, "t3.micro", "local-1a");
  ASSERT_NE(pool, nullptr);
  const double od_price = pool->on_demand_price;
  ASSERT_GT(od_price, 0);
  EXPECT_EQ(by_id[od].lifecycle, "on-demand");
  EXPECT_DOUBLE_EQ(by_id[od].seconds, 3600);
  EXPECT_NEAR(by_id[od].cost, od_price, 1e-9);
  EXPECT_NEAR(by_id[od].on_demand_cost, od_price, 1e-9);
  EXPECT_EQ(by_id[spot].lifecycle, "spot");
  EXPECT_EQ(by_id[spot].state, "running");
  EXPECT_DOUBLE_EQ(by_id[spot].seconds, 3600);
  EXPECT_NEAR(by_id[spot].on_demand_cost, od_price, 1e-9);
  EXPECT_GT(by_id[spot].cost, 0);
  EXPECT_LT(by_id[spot].cost, od_price);

  EXPECT_EQ(report->total.instances, 3);
  EXPECT_NEAR(report->total.cost, by_id[spot].cost + by_id[od].cost + by_id[untagged].cost, 1e-9);
  EXPECT_NEAR(report->total.on_demand_cost, 3 * od_price, 1e-9);
  ASSERT_EQ(report->by_tag.count("team"), 1u);
  const auto& team = report->by_tag.at("team");
  ASSERT_EQ(team.size(), 2u);
  EXPECT_EQ(team.at("a").instances, 1);
  EXPECT_NEAR(team.at("a").cost, by_id[spot].cost, 1e-9);
  EXPECT_NEAR(team.at("a").SavedPercent(), 100 * (od_price - by_id[spot].cost) / od_price, 1e-6);
  EXPECT_GT(team.at("a").SavedPercent(), 0);
  EXPECT_NEAR(team.at("b").SavedPercent(), 0, 1e-9);

  // The raw answer carries savedPercent per instance and per tag value.
  auto raw = Raw("GET", "/_spotkeeper/v1/cost", "");
  ASSERT_EQ(raw.status, 200) << raw.body;
  auto j = nlohmann::json::parse(raw.body);
  EXPECT_NEAR(j["byTag"]["team"][0]["savedPercent"].get<double>(), team.at("a").SavedPercent(),
              1e-6);
  EXPECT_EQ(j["byTag"]["team"][0]["value"], "a");
  for (const auto& i : j["instances"]) EXPECT_TRUE(i.contains("savedPercent")) << i.dump();

  // A terminated instance stays in the report with what it cost.
  ASSERT_TRUE(cloud_->engine()->TerminateInstances({spot}).ok());
  ASSERT_TRUE(cloud_->engine()->WaitIdle(seconds(10)));
  clock_.Advance(hours(1));
  auto later = Client().GetCost();
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  for (const CostView& v : later->instances) {
    if (v.instance_id != spot) continue;
    EXPECT_EQ(v.state, "terminated");
    EXPECT_DOUBLE_EQ(v.seconds, 3600);
    EXPECT_NEAR(v.cost, by_id[spot].cost, 1e-9);
  }
}

}  // namespace
}  // namespace spotkeeper::cloud
