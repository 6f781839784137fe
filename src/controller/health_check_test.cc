// health.serving: an SSI is ACTIVE only once its workload serves; planned recycles count it as
// unavailable until then; a workload that never serves stops the SSI in ERROR, deleting nothing.
#include <gtest/gtest.h>

#include <algorithm>

#include "controller/controller_harness.h"

namespace spotkeeper {
namespace {

using testing::ControllerHarness;

constexpr Duration kServingDelay{60'000};

FakeCloudOptions SlowWorkload(Duration delay = kServingDelay) {
  FakeCloudOptions o;
  o.workload_serving = {delay, delay};
  return o;
}

GroupSpec WithServingCheck(GroupSpec spec, int grace_seconds = 300) {
  ServingCheckSpec c;
  c.tcp_port = 2379;
  c.grace_period_seconds = grace_seconds;
  c.interval_seconds = 5;
  c.timeout_seconds = 2;
  spec.health.serving = c;
  return spec;
}

std::string RunningStep(ControllerHarness& h, const std::string& ssi_id) {
  auto wfs = h.store().ListWorkflows(ssi_id);
  if (!wfs.ok()) return "";
  for (const auto& w : *wfs) {
    if (w.status == "running") return w.step_name;
  }
  return "";
}

const Condition* FindCondition(const SsiRecord& s, const std::string& type) {
  for (const auto& c : s.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

// Members of the group whose workload does not accept connections right now (the fake cloud's
// ground truth, not what the controller believes).
int NotServing(ControllerHarness& h, const std::string& group_id) {
  int n = 0;
  for (const auto& s : h.Ssis(group_id)) {
    auto serving =
        s.instance_id.empty() ? Result<bool>(false) : h.cloud().WorkloadServing(s.instance_id);
    n += serving.ok() && *serving ? 0 : 1;
  }
  return n;
}

TEST(HealthCheckTest, ALaunchIsActiveOnlyOnceTheWorkloadServes) {
  ControllerHarness h(1, SlowWorkload());
  auto g = h.controller().CreateGroup(WithServingCheck(h.BaseSpec("etcd")), "test");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  std::string ssi_id;
  ASSERT_TRUE(h.RunUntil([&] {
    auto ssis = h.Ssis(g->id);
    if (ssis.empty()) return false;
    ssi_id = ssis[0].id;
    return RunningStep(h, ssi_id) == "wait_serving";
  }));
  SsiRecord waiting = h.Ssi(ssi_id);
  EXPECT_EQ(waiting.state, SsiState::kResuming);
  const Condition* c = FindCondition(waiting, "Serving");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->status, "False");
  EXPECT_EQ(c->reason, "Waiting");
  EXPECT_NE(c->message.find("tcp port 2379 of " + waiting.private_ip), std::string::npos)
      << c->message;

  h.RunFor(Duration{30'000});
  EXPECT_EQ(h.Ssi(ssi_id).state, SsiState::kResuming) << "ACTIVE before the workload served";

  ASSERT_TRUE(h.RunUntil([&] { return h.Ssi(ssi_id).state == SsiState::kActive; })) << h.EventLog();
  SsiRecord active = h.Ssi(ssi_id);
  Instance inst = h.CloudInstance(active.instance_id);
  // Pending (>= 3 s) then the workload's 60 s: never ACTIVE before that.
  EXPECT_GE(h.clock().Now() - inst.launch_time, kServingDelay);
  EXPECT_TRUE(h.cloud().ProbeTcp(active.instance_id, active.private_ip, 2379, Duration{1000}).ok());
  c = FindCondition(active, "Serving");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->status, "True");
}

TEST(HealthCheckTest, RecoveryTimesRunToServing) {
  ControllerHarness h(2, SlowWorkload());
  std::string g = h.CreateAndLaunch(WithServingCheck(h.BaseSpec("etcd")));
  SsiRecord s = h.Ssis(g)[0];
  ASSERT_TRUE(h.controller().RecycleSsi(s.id, "test").ok());
  ASSERT_TRUE(h.RunUntil([&] {
    SsiRecord x = h.Ssi(s.id);
    return x.state == SsiState::kActive && x.instance_id != s.instance_id;
  })) << h.EventLog();
  auto rec = nlohmann::json::parse(h.Ssi(s.id).status_json)["lastRecovery"];
  ASSERT_TRUE(rec.contains("serving")) << rec.dump();
  EXPECT_GE(rec["serving"].get<int64_t>() - rec["launched"].get<int64_t>(), kServingDelay.count())
      << rec.dump();
  EXPECT_GE(rec["active"].get<int64_t>(), rec["serving"].get<int64_t>());
  EXPECT_GE(rec["totalMs"].get<int64_t>(), kServingDelay.count());
}

// Recycles every member of a 3-member group at once (maxUnavailable 1) and returns the most
// members that were not serving at the same time.
int MostNotServingDuringRollingRecycle(ControllerHarness& h, const GroupSpec& base) {
  GroupSpec spec = base;
  spec.capacity = {3, 0, 3};
  spec.strategy.max_unavailable = 1;
  std::string g = h.CreateAndLaunch(spec);
  // Every member serves before the recycle starts.
  EXPECT_TRUE(h.RunUntil([&] { return NotServing(h, g) == 0; }));
  std::vector<std::string> old;
  for (const auto& s : h.Ssis(g)) {
    old.push_back(s.instance_id);
    EXPECT_TRUE(h.controller().RecycleSsi(s.id, "test").ok());
  }
  int most = 0;
  bool done = h.RunUntil([&] {
    most = std::max(most, NotServing(h, g));
    auto ssis = h.Ssis(g);
    return std::all_of(ssis.begin(), ssis.end(), [&](const SsiRecord& s) {
      return s.state == SsiState::kActive &&
             std::find(old.begin(), old.end(), s.instance_id) == old.end();
    });
  });
  EXPECT_TRUE(done) << h.EventLog();
  return most;
}

TEST(HealthCheckTest, RollingRecycleNeverHasTwoMembersNotServing) {
  ControllerHarness h(3, SlowWorkload());
  EXPECT_EQ(MostNotServingDuringRollingRecycle(h, WithServingCheck(h.BaseSpec("etcd"))), 1);
}

// The control: the same workload without the check takes the next member down while the
// previous one is still starting (what the check is for).
TEST(HealthCheckTest, WithoutTheCheckTheNextMemberGoesDownBeforeThePreviousServes) {
  ControllerHarness h(3, SlowWorkload());
  EXPECT_GE(MostNotServingDuringRollingRecycle(h, h.BaseSpec("etcd")), 2);
}

TEST(HealthCheckTest, PastTheGracePeriodTheSsiIsInErrorAndNothingIsDeleted) {
  ControllerHarness h(4, SlowWorkload(Duration{0}));
  std::string g = h.CreateAndLaunch(WithServingCheck(h.BaseSpec("etcd"), /*grace=*/120));
  SsiRecord s = h.Ssis(g)[0];
  // The replacement's workload will not serve.
  ASSERT_TRUE(h.controller().RecycleSsi(s.id, "test").ok());
  std::string replacement;
  ASSERT_TRUE(h.RunUntil([&] {
    SsiRecord x = h.Ssi(s.id);
    if (!x.instance_id.empty() && x.instance_id != s.instance_id && replacement != x.instance_id) {
      replacement = x.instance_id;
      EXPECT_TRUE(h.cloud().SetWorkloadServing(replacement, false).ok());
    }
    return x.state == SsiState::kError;
  })) << h.EventLog();
  SsiRecord failed = h.Ssi(s.id);
  // (The recycle itself let the old instance's throwaway volumes go; from here on nothing goes.)
  const size_t deletions_before = h.cloud().deletions().size();
  EXPECT_EQ(ControllerHarness::ConditionReason(failed, "Ready"), "NotServing");
  const Condition* c = FindCondition(failed, "Serving");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->reason, "NotServing");
  EXPECT_NE(c->message.find("did not accept a connection within gracePeriod 2m"), std::string::npos)
      << c->message;
  EXPECT_NE(c->message.find("Connection refused"), std::string::npos) << c->message;
  EXPECT_NE(c->message.find("nothing was deleted"), std::string::npos) << c->message;

  // It stays that way: the instance runs on, nothing is deleted or replaced.
  h.RunFor(Duration{1'800'000});
  SsiRecord later = h.Ssi(s.id);
  EXPECT_EQ(later.state, SsiState::kError);
  EXPECT_EQ(later.instance_id, replacement);
  EXPECT_EQ(h.CloudInstance(replacement).state, InstanceState::kRunning);
  for (const auto& v : h.Current(s.id, "volume")) {
    EXPECT_EQ(h.CloudVolume(v.id).state, "in-use") << v.id;
  }
  EXPECT_EQ(h.cloud().deletions().size(), deletions_before);

  // Once the workload serves, a retry makes it ACTIVE (a fresh grace period).
  ASSERT_TRUE(h.cloud().SetWorkloadServing(replacement, true).ok());
  ASSERT_TRUE(h.controller().RetrySsi(s.id, "test").ok());
  ASSERT_TRUE(h.RunUntil([&] { return h.Ssi(s.id).state == SsiState::kActive; })) << h.EventLog();
  EXPECT_EQ(h.Ssi(s.id).instance_id, replacement);
}

TEST(HealthCheckTest, AReplacementThatDiesWhileNotYetServingIsReplaced) {
  ControllerHarness h(5, SlowWorkload());
  auto g = h.controller().CreateGroup(WithServingCheck(h.BaseSpec("etcd")), "test");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  std::string ssi_id, first;
  ASSERT_TRUE(h.RunUntil([&] {
    auto ssis = h.Ssis(g->id);
    if (ssis.empty()) return false;
    ssi_id = ssis[0].id;
    first = ssis[0].instance_id;
    return RunningStep(h, ssi_id) == "wait_serving";
  }));
  ASSERT_TRUE(h.cloud().KillInstance(first).ok());
  ASSERT_TRUE(h.RunUntil([&] {
    SsiRecord x = h.Ssi(ssi_id);
    return x.state == SsiState::kActive && x.instance_id != first;
  })) << h.EventLog();
}

}  // namespace
}  // namespace spotkeeper
