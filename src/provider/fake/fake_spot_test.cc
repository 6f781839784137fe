// Spot interruptions, rebalance recommendations, failures, pools and prices; events.
#include <gtest/gtest.h>

#include "provider/fake/fake_cloud_test_util.h"

namespace spotkeeper::testing_fake {
namespace {

class FakeSpotTest : public FakeCloudTest {};

TEST_F(FakeSpotTest, InterruptionTimeline) {
  Result<NetworkInterface> eni = cloud_.CreateNetworkInterface({subnet_a_, "", "", {}, {}, ""});
  SK_ASSERT_OK(eni);
  RunInstanceRequest r = LaunchRequest(Market::kSpot);
  r.subnet_id.clear();
  r.network_interface_id = eni->id;
  r.block_devices = {{"/dev/xvda", 0, "", "gp3", false}, {"/dev/sdf", 10, "", "gp3", false}};
  Result<Instance> inst = cloud_.RunInstance(r);
  SK_ASSERT_OK(inst);
  Settle(Duration{10'000});
  DrainEvents();

  const Time t = clock_.Now();
  SK_ASSERT_OK(cloud_.Interrupt(inst->id));
  SK_ASSERT_OK(cloud_.Interrupt(inst->id));  // a second notice changes nothing
  // The warning, at T, for T + 120 s.
  std::vector<CloudEvent> events = DrainEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, CloudEventKind::kSpotInterruptionWarning);
  EXPECT_EQ(events[0].instance_id, inst->id);
  EXPECT_EQ(events[0].time, t);
  EXPECT_EQ(events[0].instance_action, "terminate");
  EXPECT_EQ(events[0].action_time, t + Duration{120'000});
  Result<FakeCloud::ImdsNotices> imds = cloud_.Imds(inst->id);
  SK_ASSERT_OK(imds);
  EXPECT_EQ(imds->instance_action, "terminate");
  EXPECT_EQ(imds->action_time, t + Duration{120'000});
  auto sir = [&]() {
    return (*cloud_.DescribeSpotInstanceRequests({{inst->spot_request_id}, {}, {}, ""}))[0];
  };
  EXPECT_EQ(sir().status_code, "marked-for-termination");
  EXPECT_EQ(sir().state, "active");
  EXPECT_EQ(cloud_.NextTransitionTime(), t + Duration{120'000});

  // Running until the action time, terminated at it.
  clock_.Set(t + Duration{119'999});
  EXPECT_EQ(Get(inst->id).state, InstanceState::kRunning);
  clock_.Set(t + Duration{120'000});
  Instance dead = Get(inst->id);
  EXPECT_EQ(dead.state, InstanceState::kTerminated);
  EXPECT_EQ(dead.state_reason, "Server.SpotInstanceTermination: Spot instance termination");
  EXPECT_EQ(sir().state, "closed");
  EXPECT_EQ(sir().status_code, "instance-terminated-by-service");
  events = DrainEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].state, "shutting-down");
  EXPECT_EQ(events[1].state, "terminated");
  EXPECT_EQ(events[1].time, t + Duration{120'000});

  // Then the volumes (both DeleteOnTermination=false here) and the ENI are available again.
  const std::string root = inst->block_devices[0].volume_id;
  const std::string data = inst->block_devices[1].volume_id;
  EXPECT_EQ(GetVolume(root).attachments.at(0).state, "detaching");
  Advance(Duration{2000});
  EXPECT_EQ(GetVolume(root).state, "available");
  EXPECT_EQ(GetVolume(data).state, "available");
  EXPECT_EQ(GetEni(eni->id).status, "available");
  EXPECT_TRUE(cloud_.deletions().empty());
  // And a replacement can take them over.
  RunInstanceRequest again = LaunchRequest(Market::kSpot);
  again.subnet_id.clear();
  again.network_interface_id = eni->id;
  Result<Instance> repl = cloud_.RunInstance(again);
  SK_ASSERT_OK(repl);
  EXPECT_EQ(repl->private_ip, inst->private_ip);
  Settle(Duration{10'000});
  SK_EXPECT_OK(cloud_.AttachVolume(data, repl->id, "/dev/sdf"));
}

TEST_F(FakeSpotTest, TerminatingAfterTheNoticeIsTheUsersTermination) {
  Instance inst = Launch(Market::kSpot);
  Settle(Duration{10'000});
  SK_ASSERT_OK(cloud_.Interrupt(inst.id));
  Advance(Duration{30'000});
  SK_ASSERT_OK(cloud_.TerminateInstance(inst.id));
  Settle(Duration{200'000});
  Instance dead = Get(inst.id);
  EXPECT_EQ(dead.state, InstanceState::kTerminated);
  EXPECT_EQ(dead.state_reason, "Client.UserInitiatedShutdown: User initiated shutdown");
  EXPECT_EQ(cloud_.AllSpotInstanceRequests()[0].status_code, "instance-terminated-by-user");
}

TEST_F(FakeSpotTest, ChaosNeedsALiveSpotInstance) {
  Instance od = Launch(Market::kOnDemand);
  SK_EXPECT_ERROR(cloud_.Interrupt(od.id), Code::kFailedPrecondition, "");
  SK_EXPECT_ERROR(cloud_.RecommendRebalance(od.id), Code::kFailedPrecondition, "");
  SK_EXPECT_ERROR(cloud_.Interrupt("i-00000000000000000"), Code::kNotFound,
                  "InvalidInstanceID.NotFound");
  Instance spot = Launch(Market::kSpot);
  SK_ASSERT_OK(cloud_.TerminateInstance(spot.id));
  SK_EXPECT_ERROR(cloud_.Interrupt(spot.id), Code::kFailedPrecondition, "");
}

TEST_F(FakeSpotTest, RebalanceRecommendation) {
  Instance inst = Launch(Market::kSpot);
  Settle(Duration{10'000});
  DrainEvents();
  const Time t = clock_.Now();
  SK_ASSERT_OK(cloud_.RecommendRebalance(inst.id));
  std::vector<CloudEvent> events = DrainEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, CloudEventKind::kRebalanceRecommendation);
  EXPECT_EQ(events[0].time, t);
  EXPECT_EQ(cloud_.Imds(inst.id)->rebalance_time, t);
  EXPECT_EQ(cloud_.Imds(inst.id)->instance_action, "");
  Settle();
  EXPECT_EQ(Get(inst.id).state, InstanceState::kRunning);  // only a recommendation
}

TEST_F(FakeSpotTest, HostFailureKillsWithoutNotice) {
  Instance inst = Launch(Market::kSpot);
  Settle(Duration{10'000});
  DrainEvents();
  SK_ASSERT_OK(cloud_.KillInstance(inst.id));
  EXPECT_EQ(Get(inst.id).state, InstanceState::kShuttingDown);
  Advance(Duration{1500});
  Instance dead = Get(inst.id);
  EXPECT_EQ(dead.state, InstanceState::kTerminated);
  EXPECT_EQ(dead.state_reason, "Server.InternalError: Internal error");
  for (const CloudEvent& e : DrainEvents()) {
    EXPECT_EQ(e.kind, CloudEventKind::kInstanceStateChange);
  }
  EXPECT_EQ(cloud_.AllSpotInstanceRequests()[0].status_code, "instance-terminated-by-service");
  SK_EXPECT_OK(cloud_.KillInstance(inst.id));  // already dead
}

TEST_F(FakeSpotTest, ShrinkingAPoolInterruptsTheExcess) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Launch(Market::kSpot).id);
  Launch(Market::kOnDemand);  // on-demand is not in the spot pool
  Settle(Duration{10'000});
  DrainEvents();
  cloud_.SetSpotCapacity("m5.large", "us-east-1a", 2);
  std::vector<CloudEvent> warnings = DrainEvents();
  ASSERT_EQ(warnings.size(), 3u);
  std::set<std::string> noticed;
  for (const CloudEvent& e : warnings) {
    EXPECT_EQ(e.kind, CloudEventKind::kSpotInterruptionWarning);
    noticed.insert(e.instance_id);
  }
  EXPECT_EQ(noticed.size(), 3u);
  // The pool is full until they are gone; shrinking to the same size again does nothing new.
  SK_EXPECT_ERROR(cloud_.RunInstance(LaunchRequest(Market::kSpot)), Code::kResourceExhausted,
                  "InsufficientInstanceCapacity");
  cloud_.SetSpotCapacity("m5.large", "us-east-1a", 2);
  EXPECT_TRUE(DrainEvents().empty());
  Settle(Duration{130'000});
  int running = 0;
  for (const std::string& id : ids) {
    Instance i = Get(id);
    if (noticed.count(id)) {
      EXPECT_EQ(i.state, InstanceState::kTerminated);
    } else {
      EXPECT_EQ(i.state, InstanceState::kRunning);
      ++running;
    }
  }
  EXPECT_EQ(running, 2);
  // Growing it back makes room.
  cloud_.SetSpotCapacity("m5.large", "us-east-1a", 3);
  SK_EXPECT_OK(cloud_.RunInstance(LaunchRequest(Market::kSpot)));
  SK_EXPECT_ERROR(cloud_.RunInstance(LaunchRequest(Market::kSpot)), Code::kResourceExhausted,
                  "InsufficientInstanceCapacity");
}

TEST_F(FakeSpotTest, SpotPrices) {
  Result<std::vector<SpotPrice>> all = cloud_.DescribeSpotPriceHistory({}, {});
  SK_ASSERT_OK(all);
  EXPECT_GE(all->size(), 3u * 20);  // every catalogue type in every zone
  Result<std::vector<SpotPrice>> m5 = cloud_.DescribeSpotPriceHistory({"m5.large"}, {"us-east-1b"});
  SK_ASSERT_OK(m5);
  ASSERT_EQ(m5->size(), 1u);
  EXPECT_EQ((*m5)[0].instance_type, "m5.large");
  EXPECT_EQ((*m5)[0].availability_zone, "us-east-1b");
  EXPECT_NEAR((*m5)[0].price, 0.0288, 1e-9);  // 30% of 0.096
  Advance(Duration{1000});
  cloud_.SetSpotPrice("m5.large", "us-east-1b", 0.05);
  m5 = cloud_.DescribeSpotPriceHistory({"m5.large"}, {"us-east-1b"});
  EXPECT_EQ((*m5)[0].price, 0.05);
  EXPECT_EQ((*m5)[0].timestamp, clock_.Now());
  for (int i = 0; i < 200; ++i) cloud_.WalkSpotPrices(0.2);
  all = cloud_.DescribeSpotPriceHistory({"m5.large", "c5.large"}, {});
  SK_ASSERT_OK(all);
  ASSERT_EQ(all->size(), 6u);
  bool moved = false;
  for (const SpotPrice& p : *all) {
    double od = p.instance_type == "m5.large" ? 0.096 : 0.085;
    EXPECT_GE(p.price, od * 0.1 - 1e-4);
    EXPECT_LE(p.price, od + 1e-4);
    moved |= std::abs(p.price - od * 0.3) > 1e-3;
  }
  EXPECT_TRUE(moved);
}

TEST_F(FakeSpotTest, DescribeSpotInstanceRequestsFilters) {
  Instance a = Launch(Market::kSpot);
  Instance b = Launch(Market::kSpot);
  SK_ASSERT_OK(cloud_.TerminateInstance(b.id));
  Settle(Duration{10'000});
  Result<std::vector<SpotInstanceRequest>> active =
      cloud_.DescribeSpotInstanceRequests({{}, {}, {"active"}, ""});
  SK_ASSERT_OK(active);
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].instance_id, a.id);
  Result<std::vector<SpotInstanceRequest>> closed =
      cloud_.DescribeSpotInstanceRequests({{}, {}, {"closed"}, "us-east-1a"});
  SK_ASSERT_OK(closed);
  ASSERT_EQ(closed->size(), 1u);
  EXPECT_EQ((*closed)[0].instance_id, b.id);
  SK_EXPECT_ERROR(cloud_.DescribeSpotInstanceRequests({{"sir-00000000000000000"}, {}, {}, ""}),
                  Code::kNotFound, "InvalidSpotInstanceRequestID.NotFound");
}

TEST_F(FakeSpotTest, EventsAreRedeliveredUntilAcknowledged) {
  Instance inst = Launch(Market::kSpot);
  Result<std::vector<CloudEvent>> first = cloud_.ReceiveEvents(10);
  SK_ASSERT_OK(first);
  ASSERT_EQ(first->size(), 1u);  // pending
  EXPECT_EQ((*first)[0].state, "pending");
  Settle(Duration{10'000});
  // Only "running" is new; "pending" is invisible for 30 s.
  Result<std::vector<CloudEvent>> second = cloud_.ReceiveEvents(10);
  SK_ASSERT_OK(second);
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].state, "running");
  SK_ASSERT_OK(cloud_.AckEvents({(*second)[0].receipt}));
  // The simulation can jump to the redelivery.
  Time redelivery = (*first)[0].time + Duration{30'000};
  EXPECT_EQ(cloud_.NextTransitionTime(), redelivery);
  clock_.Set(redelivery);
  Result<std::vector<CloudEvent>> again = cloud_.ReceiveEvents(10);
  SK_ASSERT_OK(again);
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].id, (*first)[0].id);
  SK_ASSERT_OK(cloud_.AckEvents({(*again)[0].receipt}));
  EXPECT_EQ(cloud_.events_pending(), 0);
  EXPECT_EQ(cloud_.events_pushed(), 2);
  SK_EXPECT_ERROR(cloud_.AckEvents({"nonsense"}), Code::kInvalidArgument, "ReceiptHandleIsInvalid");
  SK_EXPECT_ERROR(cloud_.ReceiveEvents(0), Code::kInvalidArgument, "InvalidParameterValue");
  // At most 10 per call, as SQS.
  for (int i = 0; i < 12; ++i) Launch();
  Result<std::vector<CloudEvent>> batch = cloud_.ReceiveEvents(100);
  SK_ASSERT_OK(batch);
  EXPECT_EQ(batch->size(), 10u);
}

}  // namespace
}  // namespace spotkeeper::testing_fake
