// health.serving: an SSI is ACTIVE only once its workload serves; planned recycles count it as
// unavailable until then; a workload that never serves stops the SSI in ERROR, deleting nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "controller/controller_harness.h"
#include "controller/serving_prober.h"
#include "provider/provider_actions.h"
#include "provider/provider_decorator.h"

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
  c.probe.port = 2379;
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

// Runs the controller until the group's first SSI is in its wait_serving step; that SSI, or
// nullopt if it never got there.
std::optional<SsiRecord> RunUntilWaitingToServe(ControllerHarness& h, const std::string& group_id) {
  std::string ssi_id;
  bool waiting = h.RunUntil([&] {
    auto ssis = h.Ssis(group_id);
    if (ssis.empty()) return false;
    ssi_id = ssis[0].id;
    return RunningStep(h, ssi_id) == "wait_serving";
  });
  if (!waiting) return std::nullopt;
  return h.Ssi(ssi_id);
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
  std::optional<SsiRecord> started = RunUntilWaitingToServe(h, g->id);
  ASSERT_TRUE(started.has_value());
  std::string ssi_id = started->id;
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
  EXPECT_TRUE(h.cloud()
                  .ProbeServing(active.instance_id, active.private_ip,
                                WithServingCheck(h.BaseSpec("etcd")).health.serving->probe,
                                Duration{1000})
                  .ok());
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
  EXPECT_NE(c->message.find("did not serve within gracePeriod 2m"), std::string::npos)
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
  std::optional<SsiRecord> started = RunUntilWaitingToServe(h, g->id);
  ASSERT_TRUE(started.has_value());
  std::string ssi_id = started->id, first = started->instance_id;
  ASSERT_TRUE(h.cloud().KillInstance(first).ok());
  ASSERT_TRUE(h.RunUntil([&] {
    SsiRecord x = h.Ssi(ssi_id);
    return x.state == SsiState::kActive && x.instance_id != first;
  })) << h.EventLog();
}

// The probe's path through ProviderDecorator's seam. Admit holds every probe made off the
// test's (the ticking) thread until Open(); a probe made on the ticking thread is only noted.
// Observe turns a probe that reached the workload into "503, no leader" until SetQuorum(true):
// the fake workload accepts connections at once, as etcd's port does before it has a leader.
class GatedProbes : public ProviderDecorator {
 public:
  explicit GatedProbes(CloudProvider* inner) : ProviderDecorator(inner) {}
  void Open() {
    std::lock_guard<std::mutex> l(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void SetQuorum(bool q) {
    std::lock_guard<std::mutex> l(mu_);
    quorum_ = q;
  }
  int started() const {
    std::lock_guard<std::mutex> l(mu_);
    return started_;
  }
  bool probed_on_tick_thread() const {
    std::lock_guard<std::mutex> l(mu_);
    return on_tick_thread_;
  }
  // Waits (real time, bounded) until `n` probes have started.
  bool WaitStarted(int n) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(10), [&] { return started_ >= n; });
  }

 protected:
  Status Admit(const char* action) override {
    if (std::string(action) != action::kProbeServing) return OkStatus();
    std::unique_lock<std::mutex> l(mu_);
    ++started_;
    cv_.notify_all();
    if (std::this_thread::get_id() == tick_thread_) {
      on_tick_thread_ = true;
      return OkStatus();
    }
    cv_.wait(l, [&] { return open_; });
    return OkStatus();
  }
  Status Observe(const char* action, const Status& s) override {
    if (std::string(action) != action::kProbeServing || !s.ok()) return s;
    std::lock_guard<std::mutex> l(mu_);
    if (quorum_) return s;
    return Status(Code::kUnavailable, R"(answered 503 (body "{"health":"false"}"))",
                  "UnexpectedStatus");
  }

 private:
  const std::thread::id tick_thread_ = std::this_thread::get_id();
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  bool quorum_ = false;
  int started_ = 0;
  bool on_tick_thread_ = false;
};

// Counts the prober's ended probes; waits for them in real time (bounded).
class Ended {
 public:
  void Notify() {
    std::lock_guard<std::mutex> l(mu_);
    ++count_;
    cv_.notify_all();
  }
  int count() const {
    std::lock_guard<std::mutex> l(mu_);
    return count_;
  }
  bool WaitBeyond(int n) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(10), [&] { return count_ > n; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

GroupSpec WithEtcdHealthCheck(GroupSpec spec) {
  spec = WithServingCheck(std::move(spec));
  ServingProbe& p = spec.health.serving->probe;
  p.kind = ServingProbe::Kind::kHttp;
  p.path = "/health";
  p.expect = R"("health":"true")";
  return spec;
}

// With a ServingProber the probe runs on a worker: a probe that hangs does not hold up the
// ticks (the fake clock runs on, one probe stays in flight, none runs on the ticking thread),
// and the SSI stays RESUMING while the richer check fails even though the port accepts
// connections; it is ACTIVE only once /health says the member has a leader.
TEST(HealthCheckTest, AProbeOnAWorkerNeverBlocksTheTickAndTheRicherCheckGatesActive) {
  ControllerHarness h(1, SlowWorkload(Duration{0}));  // the port accepts at once
  GatedProbes gated(&h.provider());
  Ended ended;
  ServingProber prober(&gated, 1, [&] { ended.Notify(); });
  struct OpenOnExit {  // a failed assertion must not leave the worker held (the join would hang)
    GatedProbes* g;
    ~OpenOnExit() { g->Open(); }
  } open_on_exit{&gated};
  h.SetServingProber(&prober);

  auto g = h.controller().CreateGroup(WithEtcdHealthCheck(h.BaseSpec("etcd")), "test");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  std::optional<SsiRecord> started = RunUntilWaitingToServe(h, g->id);
  ASSERT_TRUE(started.has_value());
  std::string ssi_id = started->id;
  ASSERT_TRUE(gated.WaitStarted(1));
  EXPECT_EQ(prober.in_flight(), 1u);

  // The probe hangs; 30 s of ticks go on regardless, without a second probe.
  h.RunFor(Duration{30'000});
  EXPECT_EQ(gated.started(), 1);
  EXPECT_FALSE(gated.probed_on_tick_thread());
  SsiRecord waiting = h.Ssi(ssi_id);
  EXPECT_EQ(waiting.state, SsiState::kResuming);
  const Condition* c = FindCondition(waiting, "Serving");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->reason, "Waiting");
  EXPECT_NE(c->message.find("http://" + waiting.private_ip + ":2379/health"), std::string::npos)
      << c->message;

  // Probes now answer: the port accepts, but /health says 503 (no leader). Not ACTIVE.
  gated.Open();
  for (int i = 0; i < 3; ++i) {
    int n = ended.count();
    if (prober.in_flight() > 0) {
      ASSERT_TRUE(ended.WaitBeyond(n));
    }
    h.RunFor(Duration{6'000});
  }
  EXPECT_GE(ended.count(), 3);
  EXPECT_EQ(h.Ssi(ssi_id).state, SsiState::kResuming);
  EXPECT_FALSE(gated.probed_on_tick_thread());

  // The member has a leader: the next answer makes it ACTIVE.
  gated.SetQuorum(true);
  for (int i = 0; i < 20 && h.Ssi(ssi_id).state != SsiState::kActive; ++i) {
    int n = ended.count();
    if (prober.in_flight() > 0) {
      ASSERT_TRUE(ended.WaitBeyond(n));
    }
    h.RunFor(Duration{2'000});
  }
  SsiRecord active = h.Ssi(ssi_id);
  EXPECT_EQ(active.state, SsiState::kActive) << h.EventLog();
  c = FindCondition(active, "Serving");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->status, "True");
  EXPECT_FALSE(gated.probed_on_tick_thread());
}

// The prober's own contract: one probe per key in flight, the answer kept for exactly the
// request it was made for, answers of ended workflows forgotten.
TEST(ServingProberTest, OneProbePerKeyAndAnswersOnlyForTheSameRequest) {
  ControllerHarness h(1);
  GatedProbes gated(&h.provider());
  Ended ended;
  ServingProber prober(&gated, 2, [&] { ended.Notify(); });
  struct OpenOnExit {
    GatedProbes* g;
    ~OpenOnExit() { g->Open(); }
  } open_on_exit{&gated};
  ServingProbeRequest r{"i-0123", "10.0.1.5", {}, Duration{1000}};
  r.probe.port = 2379;
  EXPECT_FALSE(prober.Probe("wf-1", r).has_value());
  EXPECT_FALSE(prober.Probe("wf-1", r).has_value());  // in flight: not started twice
  ASSERT_TRUE(gated.WaitStarted(1));
  EXPECT_EQ(prober.in_flight(), 1u);
  gated.Open();
  ASSERT_TRUE(ended.WaitBeyond(0));
  EXPECT_EQ(gated.started(), 1);
  EXPECT_EQ(prober.TakeEnded(), std::vector<std::string>{"wf-1"});
  std::optional<Status> answer = prober.Probe("wf-1", r);
  ASSERT_TRUE(answer.has_value());
  EXPECT_FALSE(answer->ok());  // no such instance in the fake cloud

  // An answer for another instance is not taken as this one's: the probe is made again.
  EXPECT_FALSE(prober.Probe("wf-1", r).has_value());
  ASSERT_TRUE(ended.WaitBeyond(1));
  ServingProbeRequest other = r;
  other.instance_id = "i-0456";
  EXPECT_FALSE(prober.Probe("wf-1", other).has_value());
  ASSERT_TRUE(ended.WaitBeyond(2));
  EXPECT_TRUE(prober.Probe("wf-1", other).has_value());
  EXPECT_EQ(gated.started(), 3);

  EXPECT_FALSE(prober.Probe("wf-2", r).has_value());
  ASSERT_TRUE(ended.WaitBeyond(3));
  prober.Retain({});
  EXPECT_FALSE(prober.Probe("wf-2", r).has_value());  // forgotten: probed again
}

}  // namespace
}  // namespace spotkeeper
