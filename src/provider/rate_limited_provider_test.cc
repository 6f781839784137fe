#include "provider/rate_limited_provider.h"

#include <gtest/gtest.h>

#include "provider/fake/fake_cloud.h"
#include "provider/forwarding_provider.h"

namespace spotkeeper {
namespace {

TEST(RateLimitedProviderTest, HoldsBackWhatTheBucketHasNoTokenForButNotTheEventQueue) {
  FakeClock clock;
  FakeCloudOptions o;
  o.throttle = false;
  FakeCloud cloud(&clock, 1, o);
  RateLimitedProvider limited(std::make_unique<ForwardingProvider>(&cloud), &clock);
  // RunInstances: a bucket of 5, 2 a second.
  RunInstanceRequest run;
  run.image_id = cloud.AddImage("debian", 8);
  run.instance_type = "m5.large";
  for (int i = 0; i < 5; ++i) {
    run.client_token = "t" + std::to_string(i);
    auto r = limited.RunInstance(run);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
  }
  run.client_token = "t5";
  auto held = limited.RunInstance(run);
  ASSERT_FALSE(held.ok());
  EXPECT_EQ(held.status().cloud_code(), "ClientThrottled");
  EXPECT_TRUE(held.status().IsRetryable());
  ASSERT_TRUE(held.status().retry_after().has_value());
  EXPECT_EQ(*held.status().retry_after(), Duration{500});
  EXPECT_EQ(cloud.stats().calls["RunInstances"], 5) << "the held-back call never reached it";
  EXPECT_EQ(limited.local_throttles(), 1);
  clock.Advance(Duration{500});
  EXPECT_TRUE(limited.RunInstance(run).ok());

  // The event queue is SQS: no EC2 bucket applies.
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(limited.ReceiveEvents(10).ok());
  EXPECT_EQ(limited.local_throttles(), 1);
}

}  // namespace
}  // namespace spotkeeper
