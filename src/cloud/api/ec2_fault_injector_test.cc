#include "cloud/api/ec2_fault_injector.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <thread>

#include "awsproto/aws_error.h"
#include "awsproto/ec2_xml.h"
#include "cloud/api/ec2_handler.h"

namespace spotkeeper::cloud {
namespace {

aws::QueryDecoder Params(std::map<std::string, std::string> p = {}) {
  return aws::QueryDecoder(std::move(p));
}

class Ec2FaultInjectorTest : public ::testing::Test {
 protected:
  Ec2FaultInjector Make(uint64_t seed = 1) {
    return Ec2FaultInjector(&clock_, seed, [this](Duration d) { slept_.push_back(d); });
  }
  FakeClock clock_;
  std::vector<Duration> slept_;
};

TEST_F(Ec2FaultInjectorTest, OffByDefault) {
  Ec2FaultInjector f = Make();
  EXPECT_FALSE(f.config().enabled());
  for (int i = 0; i < 1000; ++i) {
    auto e = f.Apply("RunInstances", Params({{"MaxCount", "1"}}));
    EXPECT_FALSE(e.has_value());
  }
  EXPECT_TRUE(slept_.empty());
  EXPECT_EQ(f.stats().calls, 0);
}

TEST_F(Ec2FaultInjectorTest, ErrorRateHoldsOverManySeededCallsAndReplaysBySeed) {
  Ec2FaultInjector f = Make();
  Ec2FaultConfig c;
  c.error_rate = 0.05;
  c.seed = 42;
  ASSERT_TRUE(f.Set(c).ok());
  constexpr int kCalls = 20000;
  std::vector<int> failed;
  for (int i = 0; i < kCalls; ++i) {
    if (f.Decide("DescribeVpcs", Params()).error) failed.push_back(i);
  }
  // Binomial(20000, 0.05): mean 1000, standard deviation ~31; allow 5 of them.
  EXPECT_NEAR(static_cast<double>(failed.size()), 1000.0, 155.0);
  EXPECT_EQ(f.stats().errors, static_cast<int64_t>(failed.size()));
  EXPECT_EQ(f.stats().calls, kCalls);
  // The same seed set again fails exactly the same calls; another seed does not.
  ASSERT_TRUE(f.Set(c).ok());
  std::vector<int> again;
  for (int i = 0; i < kCalls; ++i) {
    if (f.Decide("DescribeVpcs", Params()).error) again.push_back(i);
  }
  EXPECT_EQ(again, failed);
  c.seed = 43;
  ASSERT_TRUE(f.Set(c).ok());
  std::vector<int> other;
  for (int i = 0; i < kCalls; ++i) {
    if (f.Decide("DescribeVpcs", Params()).error) other.push_back(i);
  }
  EXPECT_NE(other, failed);
  // Rates 0 and 1 are exact.
  c.error_rate = 1;
  ASSERT_TRUE(f.Set(c).ok());
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(f.Decide("DescribeVpcs", Params()).error);
}

// The reply the endpoint sends for an injected error: EC2's XML error shape and HTTP status.
TEST_F(Ec2FaultInjectorTest, InjectedErrorsHaveEc2sXmlShapeAndStatus) {
  const std::map<std::string, int> expected = {{"InternalError", 500},
                                               {"Unavailable", 503},
                                               {"RequestLimitExceeded", 503},
                                               {"InsufficientInstanceCapacity", 500}};
  ASSERT_EQ(InjectableEc2ErrorCodes().size(), expected.size());
  for (const auto& [code, http] : expected) {
    Ec2FaultInjector f = Make();
    Ec2FaultConfig c;
    c.error_rate = 1;
    c.error_code = code;
    ASSERT_TRUE(f.Set(c).ok()) << code;
    auto error = f.Apply("RunInstances", Params({{"MaxCount", "1"}}));
    ASSERT_TRUE(error.has_value()) << code;
    EXPECT_EQ(error->cloud_code(), code);
    ApiReply reply = Ec2Handler::ErrorReply(*error, "req-1");
    EXPECT_EQ(reply.status, http) << code;
    auto doc = aws::ParseXml(reply.body);
    ASSERT_TRUE(doc.ok()) << reply.body;
    pugi::xml_node root = (*doc)->document_element();
    EXPECT_STREQ(root.name(), "Response");
    EXPECT_EQ(aws::XmlText(root, "Errors/Error/Code"), code);
    EXPECT_NE(aws::XmlText(root, "Errors/Error/Message").find("fault injected"), std::string::npos);
    EXPECT_EQ(aws::XmlText(root, "RequestID"), "req-1");
    // And a client reads it back as the same EC2 error.
    auto parsed = aws::ParseEc2ErrorBody(reply.body);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->code, code);
  }
}

TEST_F(Ec2FaultInjectorTest, LatencyAndJitterGoThroughTheSleeper) {
  Ec2FaultInjector f = Make();
  Ec2FaultConfig c;
  c.latency = Duration{50};
  c.jitter = Duration{20};
  c.seed = 7;
  ASSERT_TRUE(f.Set(c).ok());
  int64_t sum = 0;
  std::set<int64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    EXPECT_FALSE(f.Apply("DescribeInstances", Params()).has_value());
  }
  ASSERT_EQ(slept_.size(), 2000u);
  for (Duration d : slept_) {
    EXPECT_GE(d.count(), 50);
    EXPECT_LE(d.count(), 70);
    sum += d.count();
    seen.insert(d.count());
  }
  // Uniform over 50..70: every value turns up in 2000 draws, and the mean is near 60.
  EXPECT_EQ(seen.size(), 21u);
  EXPECT_NEAR(static_cast<double>(sum) / 2000.0, 60.0, 1.0);
  EXPECT_EQ(f.stats().delayed, 2000);
  EXPECT_EQ(f.stats().total_delay.count(), sum);
  // Latency alone is fixed.
  c.jitter = Duration{0};
  ASSERT_TRUE(f.Set(c).ok());
  slept_.clear();
  (void)f.Apply("DescribeInstances", Params());
  ASSERT_EQ(slept_.size(), 1u);
  EXPECT_EQ(slept_[0], Duration{50});
}

// Without an injected sleeper the call really waits, but Clear (and Set) release it at once:
// a cloud that stops never waits out a long latency.
TEST_F(Ec2FaultInjectorTest, ClearReleasesCallsHeldForLatency) {
  Ec2FaultInjector f(&clock_, 1);
  Ec2FaultConfig c;
  c.latency = std::chrono::minutes(5);
  ASSERT_TRUE(f.Set(c).ok());
  auto start = std::chrono::steady_clock::now();
  std::atomic<bool> done{false};
  std::thread call([&] {
    EXPECT_FALSE(f.Apply("DescribeVpcs", Params()).has_value());
    done = true;
  });
  // Wait (bounded) until the call is being held, then clear.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (f.stats().delayed == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(f.stats().delayed, 1);
  EXPECT_FALSE(done.load());
  f.Clear();
  call.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::minutes(1));
}

TEST_F(Ec2FaultInjectorTest, ThrottlingFollowsEc2sRequestBucketsOnAFakeClock) {
  Ec2FaultInjector f = Make();
  Ec2FaultConfig c;
  c.throttle = true;
  ASSERT_TRUE(f.Set(c).ok());
  auto run = Params({{"MaxCount", "1"}});
  // RunInstances: 5 tokens, 2 per second.
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(f.Decide("RunInstances", run).error) << i;
  auto throttled = f.Decide("RunInstances", run).error;
  ASSERT_TRUE(throttled.has_value());
  EXPECT_EQ(throttled->cloud_code(), "RequestLimitExceeded");
  EXPECT_EQ(Ec2Handler::ErrorReply(*throttled, "r").status, 503);
  // Other actions have buckets of their own.
  EXPECT_FALSE(f.Decide("CreateVolume", Params()).error);
  clock_.Advance(Duration{499});
  EXPECT_TRUE(f.Decide("RunInstances", run).error);
  clock_.Advance(Duration{1});  // one token at 500 ms
  EXPECT_FALSE(f.Decide("RunInstances", run).error);
  EXPECT_TRUE(f.Decide("RunInstances", run).error);
  clock_.Advance(std::chrono::seconds(10));  // refilled to 5, never more
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(f.Decide("RunInstances", run).error) << i;
  EXPECT_TRUE(f.Decide("RunInstances", run).error);
  EXPECT_EQ(f.stats().throttled, 4);
}

TEST_F(Ec2FaultInjectorTest, UnfilteredDescribesDrawFromTheSmallerBucket) {
  Ec2FaultInjector f = Make();
  Ec2FaultConfig c;
  c.throttle = true;
  ASSERT_TRUE(f.Set(c).ok());
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(f.Decide("DescribeInstances", Params()).error) << i;
  EXPECT_TRUE(f.Decide("DescribeInstances", Params()).error);
  // With a filter (or pagination) the call draws from the 100-token bucket, still full.
  auto filtered = Params({{"Filter.1.Name", "tag:Name"}, {"Filter.1.Value.1", "x"}});
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(f.Decide("DescribeInstances", filtered).error) << i;
  EXPECT_TRUE(f.Decide("DescribeInstances", filtered).error);
  EXPECT_TRUE(f.Decide("DescribeInstances", Params({{"MaxResults", "5"}})).error);
  // The unfiltered bucket refills at 10/s: one token per 100 ms.
  clock_.Advance(Duration{100});
  EXPECT_FALSE(f.Decide("DescribeInstances", Params()).error);
  EXPECT_TRUE(f.Decide("DescribeInstances", Params()).error);
}

TEST_F(Ec2FaultInjectorTest, ResourceBucketsCountInstances) {
  Ec2FaultInjector f = Make();
  Ec2FaultConfig c;
  c.throttle = true;
  ASSERT_TRUE(f.Set(c).ok());
  auto big = Params({{"MinCount", "1"}, {"MaxCount", "400"}});
  // 1000 instance tokens: two launches of 400 fit, the third does not (though the request
  // bucket still has tokens).
  EXPECT_FALSE(f.Decide("RunInstances", big).error);
  EXPECT_FALSE(f.Decide("RunInstances", big).error);
  EXPECT_TRUE(f.Decide("RunInstances", big).error);
  EXPECT_FALSE(f.Decide("RunInstances", Params({{"MaxCount", "200"}})).error);
  // Empty now; 2 instances per second come back: 400 in 200 s.
  clock_.Advance(std::chrono::seconds(199));
  EXPECT_TRUE(f.Decide("RunInstances", big).error);
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_FALSE(f.Decide("RunInstances", big).error);
  // TerminateInstances takes one token per InstanceId (1000, 20/s): 50 requests of 20 ids empty
  // it while its request bucket (100, 5/s) still has 50 tokens.
  std::map<std::string, std::string> ids;
  for (int i = 1; i <= 20; ++i) ids["InstanceId." + std::to_string(i)] = "i-" + std::to_string(i);
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(f.Decide("TerminateInstances", Params(ids)).error) << i;
  EXPECT_TRUE(f.Decide("TerminateInstances", Params(ids)).error);
  clock_.Advance(Duration{1000});  // 20 instance tokens
  EXPECT_FALSE(f.Decide("TerminateInstances", Params(ids)).error);
}

TEST_F(Ec2FaultInjectorTest, ThrottleScaleShrinksEveryBucket) {
  Ec2FaultInjector f = Make();
  Ec2FaultConfig c;
  c.throttle = true;
  c.throttle_scale = 0.1;
  ASSERT_TRUE(f.Set(c).ok());
  // DescribeVpcs: 100/20 becomes 10/2.
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(f.Decide("DescribeVpcs", Params()).error) << i;
  EXPECT_TRUE(f.Decide("DescribeVpcs", Params()).error);
  clock_.Advance(Duration{500});
  EXPECT_FALSE(f.Decide("DescribeVpcs", Params()).error);
  // RunInstances: 5/2 becomes 0.5/0.2, kept at one token so a call can pass.
  auto run = Params({{"MaxCount", "1"}});
  EXPECT_FALSE(f.Decide("RunInstances", run).error);
  EXPECT_TRUE(f.Decide("RunInstances", run).error);
  clock_.Advance(Duration{4999});
  EXPECT_TRUE(f.Decide("RunInstances", run).error);
  clock_.Advance(Duration{1});
  EXPECT_FALSE(f.Decide("RunInstances", run).error);
}

TEST_F(Ec2FaultInjectorTest, ActionsTargetTheFaults) {
  Ec2FaultInjector f = Make();
  Ec2FaultConfig c;
  c.error_rate = 1;
  c.latency = Duration{30};
  c.actions = {"RunInstances"};
  ASSERT_TRUE(f.Set(c).ok());
  EXPECT_FALSE(f.Apply("DescribeVpcs", Params()).has_value());
  EXPECT_TRUE(slept_.empty());
  EXPECT_TRUE(f.Apply("RunInstances", Params()).has_value());
  EXPECT_EQ(slept_, std::vector<Duration>{Duration{30}});
  EXPECT_EQ(f.stats().calls, 1);
  EXPECT_EQ(f.stats().errors, 1);
}

TEST_F(Ec2FaultInjectorTest, SetRefillsBucketsAndZeroesCountersClearTurnsOff) {
  Ec2FaultInjector f = Make();
  Ec2FaultConfig c;
  c.throttle = true;
  ASSERT_TRUE(f.Set(c).ok());
  for (int i = 0; i < 5; ++i) (void)f.Decide("RunInstances", Params());
  EXPECT_TRUE(f.Decide("RunInstances", Params()).error);
  ASSERT_TRUE(f.Set(c).ok());
  EXPECT_EQ(f.stats().calls, 0);
  EXPECT_FALSE(f.Decide("RunInstances", Params()).error);
  f.Clear();
  EXPECT_FALSE(f.config().enabled());
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(f.Decide("RunInstances", Params()).error);
}

TEST_F(Ec2FaultInjectorTest, BadConfigurationsAreRefusedAndChangeNothing) {
  Ec2FaultInjector f = Make();
  Ec2FaultConfig good;
  good.latency = Duration{10};
  ASSERT_TRUE(f.Set(good).ok());
  auto refused = [&](Ec2FaultConfig c, const std::string& field) {
    Status s = f.Set(c);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << field;
    EXPECT_NE(s.message().find(field), std::string::npos) << s.message();
    EXPECT_EQ(f.config(), good);
  };
  Ec2FaultConfig c;
  c.error_rate = 1.5;
  refused(c, "errorRate");
  c = {};
  c.error_rate = std::nan("");
  refused(c, "errorRate");
  c = {};
  c.error_rate = 0.1;
  c.error_code = "Boom";
  refused(c, "errorCode");
  c = {};
  c.latency = Duration{-1};
  refused(c, "latencyMs");
  c = {};
  c.latency = std::chrono::minutes(6);
  refused(c, "latencyMs");
  c = {};
  c.throttle = true;
  c.throttle_scale = 0;
  refused(c, "throttleScale");
  c = {};
  c.actions = {"Run Instances"};
  refused(c, "actions");
}

TEST_F(Ec2FaultInjectorTest, JsonRoundTripAndStrictParsing) {
  Ec2FaultConfig c;
  c.error_rate = 0.25;
  c.error_code = "Unavailable";
  c.latency = Duration{50};
  c.jitter = Duration{20};
  c.throttle = true;
  c.throttle_scale = 0.5;
  c.actions = {"RunInstances", "TerminateInstances"};
  c.seed = 99;
  auto back = Ec2FaultConfigFromJson(Ec2FaultConfigToJson(c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, c);
  // Absent keys are off.
  auto empty = Ec2FaultConfigFromJson(nlohmann::json::object());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, Ec2FaultConfig{});
  auto unknown = Ec2FaultConfigFromJson({{"errorRat", 0.1}});
  EXPECT_EQ(unknown.status().code(), Code::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("errorRat"), std::string::npos);
  EXPECT_FALSE(Ec2FaultConfigFromJson({{"latencyMs", "50ms"}}).ok());
  EXPECT_FALSE(Ec2FaultConfigFromJson({{"throttle", 1}}).ok());
  EXPECT_FALSE(Ec2FaultConfigFromJson({{"seed", -1}}).ok());
  EXPECT_FALSE(Ec2FaultConfigFromJson({{"errorRate", 2}}).ok());  // validated too
  EXPECT_FALSE(Ec2FaultConfigFromJson(nlohmann::json::array()).ok());
  Ec2FaultStats s{10, 2, 3, 4, Duration{500}};
  Ec2FaultStats s2 = Ec2FaultStatsFromJson(Ec2FaultStatsToJson(s));
  EXPECT_EQ(s2.calls, 10);
  EXPECT_EQ(s2.errors, 2);
  EXPECT_EQ(s2.throttled, 3);
  EXPECT_EQ(s2.delayed, 4);
  EXPECT_EQ(s2.total_delay, Duration{500});
}

}  // namespace
}  // namespace spotkeeper::cloud
