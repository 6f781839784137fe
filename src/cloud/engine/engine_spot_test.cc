// The spot market in the engine: spot requests and their status codes through each behaviour,
// capacity, interruptions (shrinking pools, on demand) with their IMDS answers and events.
#include "cloud/engine/engine_spot_test_util.h"

namespace spotkeeper::cloud {
namespace {

TEST_F(SpotTest, SpotLaunchMakesAFulfilledRequest) {
  RunInstancesRequest r = Spot();
  r.tag_specs = {{"spot-instances-request", {{"team", "data"}}}, {"instance", {{"Name", "db"}}}};
  auto res = engine_->RunInstances(r);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  const InstanceRecord& i = res->instances.at(0).instance;
  EXPECT_EQ(i.lifecycle, "spot");
  ASSERT_EQ(i.spot_request_id.rfind("sir-", 0), 0u);
  Drain();
  SpotRequestRecord s = RequestOf(i.id);
  EXPECT_EQ(s.state, "active");
  EXPECT_EQ(s.status_code, "fulfilled");
  EXPECT_EQ(s.status_message, "Your spot request is fulfilled.");
  EXPECT_EQ(s.request_type, "one-time");
  EXPECT_EQ(s.interruption_behavior, "terminate");
  EXPECT_EQ(s.instance_id, i.id);
  EXPECT_EQ(s.az, "local-1a");
  EXPECT_EQ(s.instance_type, "t3.micro");
  EXPECT_EQ(s.max_price, "0.010400");  // no MaxPrice: the on-demand price
  EXPECT_EQ(s.tags.at("team"), "data");

  DescribeRequest d;
  d.filters = {{"spot-instance-request-id", {i.spot_request_id}}};
  EXPECT_EQ(engine_->DescribeInstances(d)->items.size(), 1u);
  auto count = [&](std::vector<Ec2Filter> filters) {
    DescribeRequest q;
    q.filters = std::move(filters);
    auto page = engine_->DescribeSpotInstanceRequests(q);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->items.size() : 99;
  };
  EXPECT_EQ(count({{"state", {"active"}}, {"status-code", {"fulfilled"}}}), 1u);
  EXPECT_EQ(count({{"instance-id", {i.id}}, {"tag:team", {"data"}}}), 1u);
  EXPECT_EQ(count({{"launched-availability-zone", {"local-1b"}}}), 0u);
  EXPECT_EQ(count({{"type", {"persistent"}}}), 0u);
  DescribeRequest bad;
  bad.filters = {{"nonsense", {"x"}}};
  EXPECT_EQ(engine_->DescribeSpotInstanceRequests(bad).status().cloud_code(),
            "InvalidParameterValue");
  bad = {};
  bad.ids = {"sir-deadbeef"};
  EXPECT_EQ(engine_->DescribeSpotInstanceRequests(bad).status().cloud_code(),
            "InvalidSpotInstanceRequestID.NotFound");
  bad.ids = {"sir-XYZ"};
  EXPECT_EQ(engine_->DescribeSpotInstanceRequests(bad).status().cloud_code(),
            "InvalidSpotInstanceRequestID.Malformed");
  // Pagination over six requests, two pages of five at most.
  for (int n = 0; n < 5; ++n) Running(Spot());
  DescribeRequest page;
  page.max_results = 5;
  auto first = engine_->DescribeSpotInstanceRequests(page);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->items.size(), 5u);
  ASSERT_FALSE(first->next_token.empty());
  page.next_token = first->next_token;
  auto second = engine_->DescribeSpotInstanceRequests(page);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->items.size(), 1u);
  EXPECT_TRUE(second->next_token.empty());
}

TEST_F(SpotTest, SpotOptionsAreValidatedAsOnEc2) {
  auto code = [&](RunInstancesRequest r) {
    auto res = engine_->RunInstances(r);
    return res.ok() ? std::string("ok") : res.status().cloud_code();
  };
  EXPECT_EQ(code(Spot("persistent", "terminate")), "InvalidParameterCombination");
  EXPECT_EQ(code(Spot("persistent", "")), "InvalidParameterCombination");
  EXPECT_EQ(code(Spot("one-time", "stop")), "InvalidParameterCombination");
  EXPECT_EQ(code(Spot("one-time", "hibernate")), "InvalidParameterCombination");
  EXPECT_EQ(code(Spot("sometimes", "")), "InvalidParameterValue");
  EXPECT_EQ(code(Spot("persistent", "pause")), "InvalidParameterValue");
  RunInstancesRequest cheap = Spot();
  cheap.spot.max_price = "abc";
  EXPECT_EQ(code(cheap), "InvalidParameterValue");
  cheap.spot.max_price = "0.0001";  // below the pool's price (0.35 of 0.0104)
  auto res = engine_->RunInstances(cheap);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().cloud_code(), "SpotMaxPriceTooLow");
  EXPECT_NE(res.status().message().find("0.003600"), std::string::npos) << res.status().message();
  EXPECT_EQ(code(Spot("persistent", "stop")), "ok");
  EXPECT_EQ(code(Spot("persistent", "hibernate")), "ok");
  // Nothing was recorded for the refused calls.
  DescribeRequest all;
  EXPECT_EQ(engine_->DescribeSpotInstanceRequests(all)->items.size(), 2u);
}

TEST_F(SpotTest, CapacityIsPerPoolAndPerMarket) {
  ASSERT_TRUE(engine_->SetPoolCapacity("t3.micro", "local-1a", "spot", 1).ok());
  std::string a = Running(Spot());
  auto full = engine_->RunInstances(Spot());
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().cloud_code(), "InsufficientInstanceCapacity");
  EXPECT_EQ(full.status().message(),
            "There is no Spot capacity available that matches your request.");
  // Another zone, or on-demand, is another pool.
  EXPECT_TRUE(engine_->RunInstances(Spot()).status().cloud_code() ==
              "InsufficientInstanceCapacity");
  EXPECT_TRUE(engine_->RunInstances(Launch("local-1b")).ok());
  std::string od = Running(Launch());
  ASSERT_TRUE(engine_->SetPoolCapacity("t3.micro", "local-1a", "on-demand", 1).ok());
  auto od_full = engine_->RunInstances(Launch());
  ASSERT_FALSE(od_full.ok());
  EXPECT_EQ(od_full.status().cloud_code(), "InsufficientInstanceCapacity");
  EXPECT_NE(od_full.status().message().find("(local-1a)"), std::string::npos);
  EXPECT_NE(od_full.status().message().find("local-1b"), std::string::npos);
  // MaxCount beyond the room launches what fits; MinCount beyond it launches nothing.
  ASSERT_TRUE(engine_->SetPoolCapacity("t3.micro", "local-1a", "on-demand", 3).ok());
  RunInstancesRequest many = Launch();
  many.max_count = 5;
  auto some = engine_->RunInstances(many);
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(some->instances.size(), 2u);
  // A stopped on-demand instance needs room to start again.
  Drain();
  ASSERT_TRUE(engine_->StopInstances({od}, false).ok());
  Drain();
  ASSERT_TRUE(engine_->RunInstances(Launch()).ok());
  EXPECT_EQ(engine_->StartInstances({od}).status().cloud_code(), "InsufficientInstanceCapacity");
  EXPECT_EQ(engine_->SetPoolCapacity("t3.micro", "local-1a", "reserved", 1).status().code(),
            Code::kInvalidArgument);
  EXPECT_FALSE(engine_->SetPoolCapacity("t3.micro", "local-9z", "spot", 1).ok());
  std::vector<PoolView> pools = engine_->DescribePools();
  auto pool = std::find_if(pools.begin(), pools.end(), [](const PoolView& p) {
    return p.instance_type == "t3.micro" && p.availability_zone == "local-1a";
  });
  ASSERT_NE(pool, pools.end());
  EXPECT_EQ(pool->spot_capacity, 1);
  EXPECT_EQ(pool->spot_in_use, 1);
  EXPECT_EQ(pool->on_demand_capacity, 3);
  EXPECT_EQ(pool->on_demand_in_use, 3);
  EXPECT_DOUBLE_EQ(pool->on_demand_price, 0.0104);
  EXPECT_DOUBLE_EQ(pool->spot_price, 0.0036);
  EXPECT_EQ(pool->bucket, "<5%");
  (void)a;
}

TEST_F(SpotTest, InterruptionTerminatesAfterTheRebalanceAndTheNotice) {
  std::string id = Running(Spot());
  Events();  // launch events
  start_ = clock_.Now();
  EXPECT_EQ(Imds(id, "spot/instance-action"), "404");
  EXPECT_EQ(Imds(id, "events/recommendations/rebalance"), "404");
  auto sched = engine_->InterruptInstances({id}, {seconds(120), seconds(30)});
  ASSERT_TRUE(sched.ok()) << sched.status().ToString();
  ASSERT_EQ(sched->size(), 1u);
  EXPECT_EQ((*sched)[0].action, "terminate");
  EXPECT_EQ((*sched)[0].notice_time, start_ + seconds(30));
  EXPECT_EQ((*sched)[0].action_time, start_ + seconds(150));
  // Now: the rebalance recommendation only.
  EXPECT_EQ(Imds(id, "events/recommendations/rebalance"), "{\"noticeTime\": \"" + At({}) + "\"}");
  EXPECT_EQ(Imds(id, "spot/instance-action"), "404");
  EXPECT_EQ(Status(id), "active/fulfilled");
  std::vector<nlohmann::json> events = Events();
  ASSERT_EQ(events.size(), 1u);
  const nlohmann::json& rebalance = events[0];
  EXPECT_EQ(rebalance["detail-type"], "EC2 Instance Rebalance Recommendation");
  EXPECT_EQ(rebalance["source"], "aws.ec2");
  EXPECT_EQ(rebalance["version"], "0");
  EXPECT_EQ(rebalance["account"], "000000000000");
  EXPECT_EQ(rebalance["region"], "local-1");
  EXPECT_EQ(rebalance["time"], At({}));
  EXPECT_EQ(rebalance["resources"][0], "arn:aws:ec2:local-1:000000000000:instance/" + id);
  EXPECT_EQ(rebalance["detail"], nlohmann::json({{"instance-id", id}}));
  // 30 s later: the notice.
  Tick(seconds(30) - milliseconds(1));
  EXPECT_EQ(Imds(id, "spot/instance-action"), "404");
  Tick(milliseconds(1));
  EXPECT_EQ(Imds(id, "spot/instance-action"),
            "{\"action\": \"terminate\", \"time\": \"" + At(seconds(150)) + "\"}");
  EXPECT_EQ(Imds(id, "spot/termination-time"), At(seconds(150)));
  EXPECT_EQ(Imds(id, "spot"), "instance-action\ntermination-time");
  // EC2 marks a capacity termination at once (not marked-for-termination); the instance runs
  // out its notice.
  EXPECT_EQ(Status(id), "closed/instance-terminated-no-capacity");
  EXPECT_EQ(State(id), "running");
  events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["detail-type"], "EC2 Spot Instance Interruption Warning");
  EXPECT_EQ(events[0]["time"], At(seconds(30)));
  EXPECT_EQ(events[0]["detail"],
            nlohmann::json({{"instance-id", id}, {"instance-action", "terminate"}}));
  // The action at the deadline, to the millisecond.
  Tick(seconds(120) - milliseconds(1));
  EXPECT_EQ(State(id), "running");
  Tick(milliseconds(1));
  EXPECT_EQ(State(id), "terminated");
  auto v = engine_->FindInstance(id);
  EXPECT_EQ(v->instance.state_reason_code, "Server.SpotInstanceTermination");
  EXPECT_EQ(EventKinds(id),
            (std::vector<std::string>{"EC2 Instance State-change Notification:shutting-down",
                                      "EC2 Instance State-change Notification:terminated"}));
  EXPECT_EQ(Status(id), "closed/instance-terminated-no-capacity");
  ExpectHostMatchesState();
}

TEST_F(SpotTest, StopBehaviourStopsAndStartsAgainWhenThereIsRoom) {
  market_.restart_delay = seconds(60);
  Reconfigure();
  std::string id = Running(Spot("persistent", "stop"));
  ASSERT_TRUE(engine_->InterruptInstances({id}, {seconds(120), seconds(0)}).ok());
  EXPECT_EQ(Status(id), "active/marked-for-stop");  // lead 0: notice at once
  EXPECT_NE(Imds(id, "spot/instance-action").find("\"action\": \"stop\""), std::string::npos);
  EXPECT_EQ(Imds(id, "spot/termination-time"), "404");
  std::vector<nlohmann::json> ev = Events();
  ASSERT_GE(ev.size(), 2u);
  EXPECT_EQ(ev[ev.size() - 2]["detail-type"], "EC2 Instance Rebalance Recommendation");
  EXPECT_EQ(ev.back()["detail"]["instance-action"], "stop");
  Tick(seconds(120));
  EXPECT_EQ(State(id), "stopped");
  EXPECT_EQ(engine_->FindInstance(id)->instance.state_reason_code, "Server.SpotInstanceShutdown");
  EXPECT_EQ(Status(id), "disabled/instance-stopped-no-capacity");
  EXPECT_EQ(Imds(id, "spot/instance-action"), "404");
  // No room: it stays stopped past the restart delay; room again: it starts.
  ASSERT_TRUE(engine_->SetPoolCapacity("t3.micro", "local-1a", "spot", 0).ok());
  Tick(seconds(61));
  EXPECT_EQ(State(id), "stopped");
  ASSERT_TRUE(engine_->SetPoolCapacity("t3.micro", "local-1a", "spot", -1).ok());
  Tick(milliseconds(1));
  EXPECT_EQ(State(id), "running");
  SpotRequestRecord s = RequestOf(id);
  EXPECT_EQ(s.state + "/" + s.status_code, "active/fulfilled");
  EXPECT_EQ(s.runs, 2);
  EXPECT_EQ(Imds(id, "events/recommendations/rebalance"), "404");
}

TEST_F(SpotTest, HibernateIsMarkedForHibernation) {
  std::string id = Running(Spot("persistent", "hibernate"));
  ASSERT_TRUE(engine_->InterruptInstances({id}, {seconds(10), seconds(5)}).ok());
  Tick(seconds(5));
  EXPECT_EQ(Status(id), "active/marked-for-hibernation");
  EXPECT_NE(Imds(id, "spot/instance-action").find("hibernate"), std::string::npos);
  Tick(seconds(10));
  EXPECT_EQ(State(id), "stopped");
  EXPECT_EQ(Status(id), "disabled/instance-stopped-no-capacity");
}

TEST_F(SpotTest, UserActionsMoveTheStatusAsOnEc2) {
  std::string once = Running(Spot());
  EXPECT_EQ(engine_->StopInstances({once}, false).status().cloud_code(), "UnsupportedOperation");
  ASSERT_TRUE(engine_->TerminateInstances({once}).ok());
  EXPECT_EQ(Status(once), "closed/instance-terminated-by-user");
  Drain();
  EXPECT_EQ(Status(once), "closed/instance-terminated-by-user");

  std::string kept = Running(Spot("persistent", "stop"));
  ASSERT_TRUE(engine_->StopInstances({kept}, false).ok());
  EXPECT_EQ(Status(kept), "active/marked-for-stop");
  Drain();
  EXPECT_EQ(Status(kept), "disabled/instance-stopped-by-user");
  Tick(hours(1));  // a user's stop is not undone by the market
  EXPECT_EQ(State(kept), "stopped");
  ASSERT_TRUE(engine_->StartInstances({kept}).ok());
  EXPECT_EQ(Status(kept), "open/pending-evaluation");
  Drain();
  EXPECT_EQ(Status(kept), "active/fulfilled");
}

TEST_F(SpotTest, CancelLeavesARunningInstanceAndTerminatesAStoppedOne) {
  std::string running = Running(Spot());
  std::string stopped = Running(Spot("persistent", "stop"));
  ASSERT_TRUE(engine_->StopInstances({stopped}, false).ok());
  Drain();
  std::string a = RequestOf(running).id, b = RequestOf(stopped).id;
  auto out = engine_->CancelSpotInstanceRequests({a, b});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].state, "cancelled");
  EXPECT_EQ((*out)[1].state, "cancelled");
  EXPECT_EQ(Status(running), "cancelled/request-canceled-and-instance-running");
  EXPECT_EQ(State(running), "running");
  Drain();
  EXPECT_EQ(State(stopped), "terminated");
  EXPECT_EQ(Status(stopped), "cancelled/instance-terminated-by-service");
  // Terminating the running one later keeps the request cancelled.
  ASSERT_TRUE(engine_->TerminateInstances({running}).ok());
  EXPECT_EQ(Status(running), "cancelled/instance-terminated-by-user");
  EXPECT_EQ(engine_->CancelSpotInstanceRequests({"sir-00000000"}).status().cloud_code(),
            "InvalidSpotInstanceRequestID.NotFound");
  EXPECT_EQ(engine_->CancelSpotInstanceRequests({}).status().cloud_code(), "MissingParameter");
}

TEST_F(SpotTest, ShrinkingAPoolReclaimsTheNewestWithNotice) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(Running(Spot()));
    clock_.Advance(seconds(1));
  }
  std::string od = Running(Launch());
  auto reclaimed = engine_->SetPoolCapacity("t3.micro", "local-1a", "spot", 1);
  ASSERT_TRUE(reclaimed.ok()) << reclaimed.status().ToString();
  ASSERT_EQ(reclaimed->size(), 2u);
  std::set<std::string> got = {(*reclaimed)[0].instance_id, (*reclaimed)[1].instance_id};
  EXPECT_EQ(got, (std::set<std::string>{ids[1], ids[2]}));
  // Shrinking further counts only what is not already leaving.
  auto more = engine_->SetPoolCapacity("t3.micro", "local-1a", "spot", 1);
  EXPECT_TRUE(more->empty());
  Tick(seconds(30));
  EXPECT_EQ(Status(ids[2]), "closed/instance-terminated-no-capacity");
  EXPECT_EQ(Status(ids[0]), "active/fulfilled");
  Tick(seconds(120));
  EXPECT_EQ(State(ids[1]), "terminated");
  EXPECT_EQ(State(ids[2]), "terminated");
  EXPECT_EQ(State(ids[0]), "running");
  EXPECT_EQ(State(od), "running");  // on-demand is never reclaimed
  ASSERT_TRUE(engine_->SetPoolCapacity("t3.micro", "local-1a", "on-demand", 0).ok());
  EXPECT_EQ(State(od), "running");
}

TEST_F(SpotTest, OnlyRunningSpotInstancesCanBeInterrupted) {
  std::string od = Running(Launch());
  std::string spot = Running(Spot());
  auto r = engine_->InterruptInstances({spot, od}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().cloud_code(), "UnsupportedOperation");
  EXPECT_NE(r.status().message().find(od), std::string::npos);
  EXPECT_EQ(Imds(spot, "events/recommendations/rebalance"), "404");  // all or nothing
  EXPECT_EQ(engine_->InterruptInstances({"i-0123456789abcdef0"}, {}).status().cloud_code(),
            "InvalidInstanceID.NotFound");
  EXPECT_EQ(engine_->InterruptInstances({spot}, {seconds(-1), {}}).status().code(),
            Code::kInvalidArgument);
  // Twice: the first timeline stands; the configured defaults apply.
  auto first = engine_->InterruptInstances({spot}, {});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)[0].action_time - (*first)[0].rebalance_time, seconds(150));
  clock_.Advance(seconds(5));
  auto again = engine_->InterruptInstances({spot}, {seconds(1), seconds(1)});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].action_time, (*first)[0].action_time);
}

}  // namespace
}  // namespace spotkeeper::cloud
