// Server-side throttling, injected faults and determinism.
#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "provider/fake/fake_cloud_test_util.h"

namespace spotkeeper::testing_fake {
namespace {

RunInstanceRequest Request(const std::string& image, const std::string& token = "") {
  RunInstanceRequest r;
  r.image_id = image;
  r.instance_type = "t3.micro";
  r.market = Market::kSpot;
  r.client_token = token;
  return r;
}

TEST(FakeThrottleTest, RunInstancesBucketIsFiveThenTwoPerSecond) {
  FakeClock clock;
  FakeCloud cloud(&clock, 1);  // throttling is on by default
  const std::string image = cloud.AddImage("base");
  for (int i = 0; i < 5; ++i) SK_ASSERT_OK(cloud.RunInstance(Request(image)));
  Result<Instance> sixth = cloud.RunInstance(Request(image, "t6"));
  SK_EXPECT_ERROR(sixth, Code::kResourceExhausted, "RequestLimitExceeded");
  EXPECT_TRUE(sixth.status().IsRetryable());
  EXPECT_EQ(cloud.AllInstances().size(), 5u);  // no effect
  clock.Advance(Duration{499});
  SK_EXPECT_ERROR(cloud.RunInstance(Request(image)), Code::kResourceExhausted,
                  "RequestLimitExceeded");
  clock.Advance(Duration{1});
  SK_EXPECT_OK(cloud.RunInstance(Request(image, "t6")));  // the token was not used up
  SK_EXPECT_ERROR(cloud.RunInstance(Request(image)), Code::kResourceExhausted,
                  "RequestLimitExceeded");
  clock.Advance(Duration{500});
  SK_EXPECT_OK(cloud.RunInstance(Request(image)));
  EXPECT_EQ(cloud.stats().throttled, 3);
  EXPECT_EQ(cloud.stats().calls.at("RunInstances"), 10);
  // Other buckets are separate: Describe* share 100 at once, then 20/s.
  for (int i = 0; i < 100; ++i) SK_ASSERT_OK(cloud.DescribeVolumes({}));
  SK_EXPECT_ERROR(cloud.DescribeInstances({}), Code::kResourceExhausted, "RequestLimitExceeded");
  clock.Advance(Duration{50});
  SK_EXPECT_OK(cloud.DescribeInstances({}));
  // Events come from SQS, which EC2's buckets do not cover.
  SK_EXPECT_OK(cloud.ReceiveEvents(10));
  // Inspection and chaos are never throttled.
  EXPECT_EQ(cloud.AllInstances().size(), 7u);
}

TEST(FakeThrottleTest, CanBeSwitchedOff) {
  FakeClock clock;
  FakeCloudOptions o;
  o.throttle = false;
  FakeCloud cloud(&clock, 1, o);
  const std::string image = cloud.AddImage("base");
  for (int i = 0; i < 50; ++i) SK_ASSERT_OK(cloud.RunInstance(Request(image)));
  EXPECT_EQ(cloud.stats().throttled, 0);
}

class FakeFaultsTest : public FakeCloudTest {};

TEST_F(FakeFaultsTest, InjectedErrorsHaveNoEffect) {
  FakeCloud::Faults f;
  f.error_rate = 1.0;
  cloud_.SetFaults(f);
  std::set<std::string> codes;
  for (int i = 0; i < 40; ++i) {
    Result<Instance> r = cloud_.RunInstance(LaunchRequest());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kUnavailable);
    EXPECT_TRUE(r.status().IsRetryable());
    codes.insert(r.status().cloud_code());
  }
  EXPECT_EQ(codes, (std::set<std::string>{"InternalError", "Unavailable"}));
  EXPECT_TRUE(cloud_.AllInstances().empty());
  EXPECT_EQ(cloud_.stats().errors_injected, 40);
}

TEST_F(FakeFaultsTest, FaultsCanTargetActions) {
  FakeCloud::Faults f;
  f.error_rate = 1.0;
  f.actions = {"AttachVolume"};
  cloud_.SetFaults(f);
  Instance inst = Launch();
  Result<Volume> v = cloud_.CreateVolume({"us-east-1a", 5, "", "gp3", {}, ""});
  SK_ASSERT_OK(v);
  Settle(Duration{10'000});
  Status s = cloud_.AttachVolume(v->id, inst.id, "/dev/sdf");
  EXPECT_TRUE(s.cloud_code() == "InternalError" || s.cloud_code() == "Unavailable") << s.ToString();
  EXPECT_EQ(GetVolume(v->id).state, "available");
  cloud_.SetFaults({});
  SK_EXPECT_OK(cloud_.AttachVolume(v->id, inst.id, "/dev/sdf"));
}

TEST_F(FakeFaultsTest, LostResponsesTakeEffect) {
  FakeCloud::Faults f;
  f.lost_response_rate = 1.0;
  f.actions = {"RunInstances", "TerminateInstances"};
  cloud_.SetFaults(f);
  RunInstanceRequest r = LaunchRequest(Market::kSpot, "lost-1");
  r.tags = {{kTagSsi, "s-1"}};
  Result<Instance> lost = cloud_.RunInstance(r);
  SK_EXPECT_ERROR(lost, Code::kUnavailable, "RequestTimeout");
  EXPECT_TRUE(lost.status().IsRetryable());
  // It happened: the caller finds it by its token tag (Describe is not faulted here) ...
  Result<std::vector<Instance>> found =
      cloud_.DescribeInstances({{}, {{kTagToken, "lost-1"}}, {}, ""});
  SK_ASSERT_OK(found);
  ASSERT_EQ(found->size(), 1u);
  // ... or by retrying with the same token once the network is back.
  cloud_.SetFaults({});
  Result<Instance> retry = cloud_.RunInstance(r);
  SK_ASSERT_OK(retry);
  EXPECT_EQ(retry->id, (*found)[0].id);
  EXPECT_EQ(cloud_.AllInstances().size(), 1u);
  cloud_.SetFaults(f);
  SK_EXPECT_ERROR(cloud_.TerminateInstance(retry->id), Code::kUnavailable, "RequestTimeout");
  EXPECT_EQ(Get(retry->id).state, InstanceState::kShuttingDown);
  EXPECT_EQ(cloud_.stats().lost_responses, 2);
}

TEST(FakeLatencyTest, LatencyAdvancesTheClock) {
  FakeClock clock;
  FakeCloudOptions o;
  o.throttle = false;
  o.advance_clock = &clock;
  FakeCloud cloud(&clock, 5, o);
  FakeCloud::Faults f;
  f.max_latency = Duration{200};
  cloud.SetFaults(f);
  Time before = clock.Now();
  int64_t total = 0;
  for (int i = 0; i < 100; ++i) {
    Time t = clock.Now();
    SK_ASSERT_OK(cloud.DescribeInstances({}));
    Duration d = clock.Now() - t;
    EXPECT_GE(d.count(), 0);
    EXPECT_LE(d.count(), 200);
    total += d.count();
  }
  EXPECT_GT(total, 100 * 50);  // on average around 100 ms
  EXPECT_LT(total, 100 * 150);
  EXPECT_EQ(clock.Now() - before, Duration{total});
}

// Runs a fixed script of calls against a cloud with faults and returns a transcript of every
// result, id and event.
std::string Script(uint64_t seed) {
  FakeClock clock;
  FakeCloudOptions o;
  o.advance_clock = &clock;
  FakeCloud cloud(&clock, seed, o);
  FakeCloud::Faults f;
  f.error_rate = 0.2;
  f.lost_response_rate = 0.2;
  f.max_latency = Duration{300};
  cloud.SetFaults(f);
  std::ostringstream out;
  const std::string image = cloud.AddImage("base");
  std::vector<std::string> instances;
  for (int i = 0; i < 30; ++i) {
    RunInstanceRequest r;
    r.image_id = image;
    r.instance_type = "m5.large";
    r.market = i % 3 ? Market::kSpot : Market::kOnDemand;
    r.client_token = "tok-" + std::to_string(i);
    r.block_devices = {{"/dev/sdf", 4, "", "gp3", false}};
    Result<Instance> inst = cloud.RunInstance(r);
    out << "run " << i << " " << inst.status().ToString();
    if (inst.ok()) {
      out << " " << inst->id << " " << inst->private_ip << " " << inst->spot_request_id;
      instances.push_back(inst->id);
    }
    out << "\n";
    clock.Advance(Duration{700});
    if (i % 5 == 4 && !instances.empty()) {
      Status s = cloud.Interrupt(instances[static_cast<size_t>(i) % instances.size()]);
      out << "interrupt " << s.ToString() << "\n";
    }
    if (i % 7 == 6) {
      Result<Volume> v =
          cloud.CreateVolume({"us-east-1b", 3, "", "gp3", {}, "v" + std::to_string(i)});
      out << "volume " << v.status().ToString() << (v.ok() ? v->id : "") << "\n";
    }
  }
  cloud.WalkSpotPrices();
  for (int step = 0; step < 50 && cloud.NextTransitionTime() != kNever; ++step) {
    clock.Set(std::max(clock.Now(), cloud.NextTransitionTime()));
    Result<std::vector<CloudEvent>> events = cloud.ReceiveEvents(10);
    out << "events " << events.status().ToString() << "\n";
    if (events.ok()) {
      for (const CloudEvent& e : *events) {
        out << "  " << e.id << " " << e.instance_id << " " << e.state << " " << ToMillis(e.time)
            << "\n";
      }
    }
  }
  for (const Instance& i : cloud.AllInstances()) {
    out << i.id << " " << InstanceStateName(i.state) << " " << i.state_reason << "\n";
  }
  for (const Volume& v : cloud.AllVolumes()) out << v.id << " " << v.state << "\n";
  Result<std::vector<SpotPrice>> prices = cloud.DescribeSpotPriceHistory({"m5.large"}, {});
  out << "prices " << prices.status().ToString() << "\n";
  if (prices.ok()) {
    for (const SpotPrice& p : *prices) out << p.availability_zone << " " << p.price << "\n";
  }
  FakeCloud::Stats st = cloud.stats();
  out << "stats " << st.throttled << " " << st.errors_injected << " " << st.lost_responses << " "
      << ToMillis(clock.Now()) << "\n";
  return out.str();
}

TEST(FakeDeterminismTest, SameSeedSameCallsSameEverything) {
  std::string a = Script(1234);
  std::string b = Script(1234);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, Script(1235));
  // The script exercised what it should.
  EXPECT_NE(a.find("RequestTimeout"), std::string::npos);
  EXPECT_NE(a.find("InternalError"), std::string::npos);
  EXPECT_NE(a.find("Server.SpotInstanceTermination"), std::string::npos);
}

// One mutex guards everything: calls from several threads (the API server's) are safe. The
// outcome is checked, not the interleaving (which is not deterministic).
TEST(FakeConcurrencyTest, CallsFromSeveralThreads) {
  FakeClock clock;
  FakeCloudOptions o;
  o.throttle = false;
  FakeCloud cloud(&clock, 11, o);
  const std::string image = cloud.AddImage("base");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cloud, &clock, &image, t] {
      for (int i = 0; i < 50; ++i) {
        RunInstanceRequest r = Request(image, "t" + std::to_string(t) + "-" + std::to_string(i));
        Result<Instance> inst = cloud.RunInstance(r);
        ASSERT_TRUE(inst.ok()) << inst.status().ToString();
        ASSERT_TRUE(cloud.DescribeInstances({{inst->id}, {}, {}, ""}).ok());
        if (i % 3 == 0) {
          ASSERT_TRUE(cloud.TerminateInstance(inst->id).ok());
        }
        if (t == 0) clock.Advance(Duration{100});
        ASSERT_TRUE(cloud.ReceiveEvents(10).ok());
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(cloud.AllInstances().size(), 200u);
  SK_EXPECT_OK(cloud.CheckInvariants());
}

}  // namespace
}  // namespace spotkeeper::testing_fake
