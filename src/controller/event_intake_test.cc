// EventIntake on the fake cloud with events as anyone allowed to send to the events queue could
// write them: another account or region, a state the instance is not in, an instance the cloud
// does not know. Each is recorded (CloudEventIgnored with the reason) and changes nothing; a
// genuine event is still acted on. The pure checks are tested at the end.
#include "controller/event_intake.h"

#include <gtest/gtest.h>

#include "controller/controller_harness.h"
#include "controller/event_check.h"

namespace spotkeeper {
namespace {

using testing::ControllerHarness;

CloudEvent Forged(CloudEventKind kind, const std::string& instance_id, Time now) {
  CloudEvent e;
  e.kind = kind;
  e.instance_id = instance_id;
  e.time = now;
  e.account = "000000000000";  // the fake cloud's
  e.region = "us-east-1";
  if (kind == CloudEventKind::kSpotInterruptionWarning) {
    e.instance_action = "terminate";
    e.action_time = now + std::chrono::minutes(2);
  }
  return e;
}

std::vector<EventRecord> Ignored(Store& store) {
  std::vector<EventRecord> out;
  Result<std::vector<EventRecord>> all = store.ListEvents(EventQuery{});
  if (!all.ok()) return out;
  for (auto& e : *all) {
    if (e.kind == "CloudEventIgnored") out.push_back(e);
  }
  return out;
}

// Runs the controller long enough to take and handle every queued event.
void Drain(ControllerHarness& h) {
  ASSERT_TRUE(h.RunUntil([&] { return h.cloud().events_pending() == 0; }, Duration{60'000}))
      << h.EventLog();
}

TEST(EventIntakeTest, AnEventOfAnotherAccountOrRegionIsRecordedAndIgnored) {
  ControllerHarness h;
  std::string g = h.CreateAndLaunch(h.BaseSpec("db"));
  SsiRecord s = h.Ssis(g)[0];

  CloudEvent other_account =
      Forged(CloudEventKind::kSpotInterruptionWarning, s.instance_id, h.clock().Now());
  other_account.account = "999999999999";
  h.cloud().SendEvent(other_account);
  CloudEvent other_region =
      Forged(CloudEventKind::kInstanceStateChange, s.instance_id, h.clock().Now());
  other_region.state = "terminated";
  other_region.region = "eu-west-1";
  h.cloud().SendEvent(other_region);
  Drain(h);
  h.RunFor(Duration{30'000});

  SsiRecord after = h.Ssi(s.id);
  EXPECT_EQ(after.state, SsiState::kActive) << h.EventLog();
  EXPECT_EQ(after.instance_id, s.instance_id);
  EXPECT_EQ(h.CloudInstance(s.instance_id).state, InstanceState::kRunning);
  auto ignored = Ignored(h.store());
  ASSERT_EQ(ignored.size(), 2u) << h.EventLog();
  EXPECT_EQ(ignored[0].ssi_id, s.id);
  EXPECT_NE(ignored[0].message.find("account 999999999999, not this provider's 000000000000"),
            std::string::npos)
      << ignored[0].message;
  EXPECT_NE(ignored[1].message.find("region eu-west-1, not this provider's us-east-1"),
            std::string::npos)
      << ignored[1].message;
  std::string log = h.EventLog();
  EXPECT_EQ(log.find("InterruptionWarning"), std::string::npos) << log;
  EXPECT_EQ(log.find("InstanceLost"), std::string::npos) << log;
}

TEST(EventIntakeTest, AStateChangeTheCloudDoesNotConfirmIsIgnored) {
  ControllerHarness h;
  std::string g = h.CreateAndLaunch(h.BaseSpec("db"));
  SsiRecord s = h.Ssis(g)[0];

  CloudEvent lost = Forged(CloudEventKind::kInstanceStateChange, s.instance_id, h.clock().Now());
  lost.state = "terminated";
  h.cloud().SendEvent(lost);
  Drain(h);
  h.RunFor(Duration{30'000});

  EXPECT_EQ(h.Ssi(s.id).state, SsiState::kActive) << h.EventLog();
  EXPECT_EQ(h.Ssi(s.id).instance_id, s.instance_id);
  auto ignored = Ignored(h.store());
  ASSERT_EQ(ignored.size(), 1u) << h.EventLog();
  EXPECT_NE(ignored[0].message.find("the event says terminated but DescribeInstances says " +
                                    s.instance_id + " is running"),
            std::string::npos)
      << ignored[0].message;

  // The real thing still works: the host dies, the cloud's own event is acted on.
  ASSERT_TRUE(h.cloud().KillInstance(s.instance_id).ok());
  ASSERT_TRUE(h.RunUntil([&] {
    SsiRecord now = h.Ssi(s.id);
    return now.state == SsiState::kActive && now.instance_id != s.instance_id;
  })) << h.EventLog();
  EXPECT_EQ(Ignored(h.store()).size(), 1u) << h.EventLog();
}

TEST(EventIntakeTest, AnEventForAnUnknownOrGoneInstanceChangesNothing) {
  ControllerHarness h;
  std::string g = h.CreateAndLaunch(h.BaseSpec("db"));
  SsiRecord s = h.Ssis(g)[0];
  // The store says the SSI runs this instance; the cloud has never heard of it (a forged id
  // the attacker guessed the store would hold is the same case).
  CloudEvent stale =
      Forged(CloudEventKind::kRebalanceRecommendation, s.instance_id, h.clock().Now());
  CloudEvent unknown =
      Forged(CloudEventKind::kSpotInterruptionWarning, "i-0123456789abcdef0", h.clock().Now());
  h.cloud().SendEvent(unknown);
  Drain(h);
  // Not an SSI's instance: nothing to act on, nothing described, not recorded.
  EXPECT_TRUE(Ignored(h.store()).empty()) << h.EventLog();
  EXPECT_EQ(h.Ssi(s.id).state, SsiState::kActive);

  // A rebalance recommendation for an instance that is already gone is stale.
  ASSERT_TRUE(h.cloud().TerminateInstance(s.instance_id).ok());
  h.cloud().SendEvent(stale);
  ASSERT_TRUE(h.RunUntil([&] { return !Ignored(h.store()).empty(); }, Duration{60'000}))
      << h.EventLog();
  auto ignored = Ignored(h.store());
  EXPECT_NE(ignored[0].message.find("ignored: " + s.instance_id), std::string::npos)
      << ignored[0].message;
  EXPECT_EQ(h.EventLog().find("RebalanceRecommendation"), std::string::npos) << h.EventLog();
}

TEST(EventCheckTest, ScopeComparesOnlyWhatBothSidesKnow) {
  CloudEvent e;
  e.account = "111111111111";
  e.region = "us-east-1";
  EXPECT_EQ(WhyIgnoreScope(e, {}), "");
  EXPECT_EQ(WhyIgnoreScope(e, {"111111111111", "us-east-1"}), "");
  EXPECT_NE(WhyIgnoreScope(e, {"222222222222", ""}), "");
  EXPECT_NE(WhyIgnoreScope(e, {"", "us-west-2"}), "");
  CloudEvent unnamed;  // synthesised by polling: names neither
  EXPECT_EQ(WhyIgnoreScope(unnamed, {"222222222222", "us-west-2"}), "");
}

TEST(EventCheckTest, TheDescribedInstanceMustFitTheEvent) {
  SsiRecord ssi;
  ssi.id = "ssi-1";
  Instance i;
  i.id = "i-1";
  i.market = Market::kSpot;
  i.state = InstanceState::kRunning;
  i.tags[kTagSsi] = "ssi-1";
  CloudEvent warn;
  warn.kind = CloudEventKind::kSpotInterruptionWarning;
  warn.instance_id = "i-1";
  CloudEvent rebalance = warn;
  rebalance.kind = CloudEventKind::kRebalanceRecommendation;
  CloudEvent lost = warn;
  lost.kind = CloudEventKind::kInstanceStateChange;
  lost.state = "shutting-down";
  CloudEvent started = lost;
  started.state = "running";

  EXPECT_TRUE(NeedsConfirmation(warn));
  EXPECT_TRUE(NeedsConfirmation(rebalance));
  EXPECT_TRUE(NeedsConfirmation(lost));
  EXPECT_FALSE(NeedsConfirmation(started));  // acted on by nobody

  EXPECT_EQ(WhyIgnoreInstance(warn, ssi, i), "");
  EXPECT_EQ(WhyIgnoreInstance(rebalance, ssi, i), "");
  EXPECT_NE(WhyIgnoreInstance(lost, ssi, i), "");  // running: not lost
  EXPECT_NE(WhyIgnoreInstance(warn, ssi, std::nullopt), "");
  EXPECT_EQ(WhyIgnoreInstance(lost, ssi, std::nullopt), "");  // forgotten after termination

  Instance other = i;
  other.tags[kTagSsi] = "ssi-2";
  EXPECT_NE(WhyIgnoreInstance(warn, ssi, other), "");
  Instance imported = i;
  imported.tags.clear();
  EXPECT_EQ(WhyIgnoreInstance(warn, ssi, imported), "");

  Instance on_demand = i;
  on_demand.market = Market::kOnDemand;
  EXPECT_NE(WhyIgnoreInstance(warn, ssi, on_demand), "");
  EXPECT_NE(WhyIgnoreInstance(rebalance, ssi, on_demand), "");

  Instance reclaimed = i;
  reclaimed.state = InstanceState::kTerminated;
  reclaimed.state_reason = "Server.SpotInstanceTermination: Spot instance termination";
  EXPECT_EQ(WhyIgnoreInstance(warn, ssi, reclaimed), "");  // a late, real warning
  EXPECT_NE(WhyIgnoreInstance(rebalance, ssi, reclaimed), "");
  EXPECT_EQ(WhyIgnoreInstance(lost, ssi, reclaimed), "");
  Instance stopped_by_user = i;
  stopped_by_user.state = InstanceState::kTerminated;
  stopped_by_user.state_reason = "Client.UserInitiatedShutdown: User initiated shutdown";
  EXPECT_NE(WhyIgnoreInstance(warn, ssi, stopped_by_user), "");
}

}  // namespace
}  // namespace spotkeeper
