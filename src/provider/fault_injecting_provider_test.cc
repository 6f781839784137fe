#include "provider/fault_injecting_provider.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "provider/fake/fake_cloud.h"

namespace spotkeeper {
namespace {

FakeCloudOptions Unthrottled() {
  FakeCloudOptions o;
  o.throttle = false;
  return o;
}

ProviderFaults Faults(const std::string& text) {
  auto f = ParseProviderFaults(text);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? *f : ProviderFaults{};
}

class FaultInjectingProviderTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  FakeCloud cloud_{&clock_, 1, Unthrottled()};
  Sleeper advance_ = [this](Duration d) { clock_.Advance(d); };
};

TEST_F(FaultInjectingProviderTest, RetryableErrorsAtTheRateAndTheCallIsNotMade) {
  FaultInjectingProvider p(&cloud_, Faults("error=0.2,seed=5"), advance_);
  const int n = 2000;
  int failed = 0;
  std::set<std::string> codes;
  for (int i = 0; i < n; ++i) {
    auto r = p.DescribeAvailabilityZones();
    if (r.ok()) continue;
    ++failed;
    EXPECT_TRUE(r.status().IsRetryable()) << r.status().ToString();
    EXPECT_NE(r.status().message().find("injected into DescribeAvailabilityZones"),
              std::string::npos);
    codes.insert(r.status().cloud_code());
  }
  EXPECT_GT(failed, n * 0.2 * 0.8);
  EXPECT_LT(failed, n * 0.2 * 1.2);
  EXPECT_EQ(codes, (std::set<std::string>{"RequestLimitExceeded", "InternalError", "Unavailable"}));
  EXPECT_EQ(cloud_.stats().calls["DescribeAvailabilityZones"], n - failed);
  auto st = p.stats();
  EXPECT_EQ(st.calls, n);
  EXPECT_EQ(st.errors, failed);
  EXPECT_EQ(st.faults_by_action["DescribeAvailabilityZones"], failed);
  EXPECT_EQ(st.lost_responses, 0);
}

TEST_F(FaultInjectingProviderTest, TheSameSeedDrawsTheSameFaults) {
  auto run = [&](uint64_t seed) {
    ProviderFaults f = Faults("error=0.3,lost=0.2,terminal=0.05");
    f.seed = seed;
    FaultInjectingProvider p(&cloud_, f, advance_);
    std::string outcomes;
    for (int i = 0; i < 200; ++i) {
      auto r = p.DescribeSubnets({});
      outcomes += r.ok() ? "." : r.status().cloud_code().substr(0, 2);
    }
    return outcomes;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST_F(FaultInjectingProviderTest, AnActionsFaultsDoNotDependOnOtherActionsCalls) {
  auto outcomes = [&](int other_calls_between) {
    FaultInjectingProvider p(&cloud_, Faults("error=0.3,lost=0.2,seed=3"), advance_);
    std::string out;
    for (int i = 0; i < 100; ++i) {
      for (int k = 0; k < other_calls_between; ++k) (void)p.DescribeVolumes({});
      auto r = p.DescribeSubnets({});
      out += r.ok() ? "." : r.status().cloud_code().substr(0, 2);
    }
    return out;
  };
  const std::string alone = outcomes(0);
  EXPECT_EQ(outcomes(1), alone);
  EXPECT_EQ(outcomes(3), alone);
  EXPECT_NE(alone.find_first_not_of('.'), std::string::npos) << "some faults at these rates";
}

TEST_F(FaultInjectingProviderTest, ALostResponseTookEffect) {
  FaultInjectingProvider p(&cloud_, Faults("CreateVolume.lost=1"), advance_);
  auto v = p.CreateVolume(CreateVolumeRequest{"us-east-1a", 1, "", "gp3", {{"k", "v"}}, "tok-1"});
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), Code::kUnavailable);
  EXPECT_EQ(v.status().cloud_code(), "RequestTimeout");
  EXPECT_TRUE(v.status().IsRetryable());
  // The volume is there; asking again with the same token finds it (EC2's ClientToken).
  auto listed = p.DescribeVolumes(Filter{{}, {{"k", "v"}}, {}, ""});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(p.stats().lost_responses, 1);
  // A failed call keeps its own error: nothing to lose.
  FaultInjectingProvider all_lost(&cloud_, Faults("lost=1"), advance_);
  Status s = all_lost.DeleteVolume("vol-00000000000000000");
  EXPECT_EQ(s.code(), Code::kNotFound) << s.ToString();
  EXPECT_EQ(all_lost.stats().lost_responses, 0);
}

TEST_F(FaultInjectingProviderTest, TerminalErrorsAreNotRetryable) {
  FaultInjectingProvider p(&cloud_, Faults("RunInstances.terminal=1"), advance_);
  RunInstanceRequest run;
  run.image_id = cloud_.AddImage("debian", 8);
  run.instance_type = "m5.large";
  auto r = p.RunInstance(run);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(r.status().cloud_code(), "UnauthorizedOperation");
  EXPECT_FALSE(r.status().IsRetryable());
  EXPECT_TRUE(cloud_.AllInstances().empty());
  EXPECT_EQ(p.stats().terminal_errors, 1);
  // Other actions are untouched.
  EXPECT_TRUE(p.DescribeInstances({}).ok());
}

TEST_F(FaultInjectingProviderTest, LatencyGoesThroughTheSleeper) {
  FaultInjectingProvider p(&cloud_, Faults("latency=100ms,DescribeSubnets.latency=0"), advance_);
  const Time start = clock_.Now();
  Duration longest{0};
  for (int i = 0; i < 50; ++i) {
    Time before = clock_.Now();
    ASSERT_TRUE(p.DescribeVolumes({}).ok());
    longest = std::max(longest, std::chrono::duration_cast<Duration>(clock_.Now() - before));
  }
  const Time after_volumes = clock_.Now();
  EXPECT_EQ(after_volumes - start, p.stats().latency);
  EXPECT_LE(longest, Duration{100});
  EXPECT_GT(p.stats().latency, Duration{50 * 20}) << "uniform in [0, 100ms]: about 50 ms each";
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(p.DescribeSubnets({}).ok());
  EXPECT_EQ(clock_.Now(), after_volumes) << "no latency for DescribeSubnets";
}

TEST_F(FaultInjectingProviderTest, SetFaultsCalmsTheCalls) {
  FaultInjectingProvider p(&cloud_, Faults("error=1"), advance_);
  EXPECT_FALSE(p.DescribeInstances({}).ok());
  p.SetFaults({});
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(p.DescribeInstances({}).ok());
  EXPECT_EQ(p.Name(), "fake");
}

TEST_F(FaultInjectingProviderTest, EventQueueCallsCanBeFaultedToo) {
  FaultInjectingProvider p(&cloud_, Faults("ReceiveMessage.error=1"), advance_);
  auto r = p.ReceiveEvents(10);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsRetryable()) << r.status().ToString();
  EXPECT_TRUE(p.AckEvents({}).ok());
}

}  // namespace
}  // namespace spotkeeper
