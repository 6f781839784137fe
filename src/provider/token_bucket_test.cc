#include "provider/token_bucket.h"

#include <gtest/gtest.h>

namespace spotkeeper {
namespace {

TEST(TokenBucketTest, BurstThenRefill) {
  FakeClock clock;
  TokenBucket b(5, 2, clock.Now());
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b.TryTake(clock.Now())) << i;
  EXPECT_FALSE(b.TryTake(clock.Now()));
  EXPECT_EQ(b.TimeUntilAvailable(clock.Now()), Duration{500});
  clock.Advance(Duration{499});
  EXPECT_FALSE(b.TryTake(clock.Now()));
  clock.Advance(Duration{1});
  EXPECT_TRUE(b.TryTake(clock.Now()));
  clock.Advance(Duration{3600'000});
  EXPECT_DOUBLE_EQ(b.tokens(clock.Now()), 5);  // never above capacity
}

TEST(TokenBucketTest, Ec2Table) {
  EXPECT_EQ(Ec2BucketFor("RunInstances").capacity, 5);
  EXPECT_EQ(Ec2BucketFor("RunInstances").refill_per_second, 2);
  EXPECT_EQ(Ec2BucketFor("DescribeInstances").name, "non-mutating");
  EXPECT_EQ(Ec2BucketFor("DescribeVolumes").refill_per_second, 20);
  EXPECT_EQ(Ec2BucketFor("AttachVolume").name, "mutating");
  EXPECT_EQ(Ec2BucketFor("CreateTags").refill_per_second, 10);
  EXPECT_EQ(Ec2BucketFor("CreateSnapshot").capacity, 100);
}

TEST(Ec2RateLimiterTest, SeparateBucketsPerClass) {
  FakeClock clock;
  Ec2RateLimiter l;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(l.Acquire("RunInstances", clock.Now()), Duration{0});
  EXPECT_EQ(l.Acquire("RunInstances", clock.Now()), Duration{500});
  EXPECT_EQ(l.Acquire("DescribeInstances", clock.Now()), Duration{0});
}

TEST(Ec2RateLimiterTest, WaitersQueueAtTheRefillRate) {
  FakeClock clock;
  Ec2RateLimiter l;
  for (int i = 0; i < 5; ++i) ASSERT_EQ(l.Acquire("RunInstances", clock.Now()), Duration{0});
  // Three callers told to wait come back 500 ms apart, not all at once.
  EXPECT_EQ(l.Acquire("RunInstances", clock.Now()), Duration{500});
  EXPECT_EQ(l.Acquire("RunInstances", clock.Now()), Duration{1000});
  EXPECT_EQ(l.Acquire("RunInstances", clock.Now()), Duration{1500});
  clock.Advance(Duration{500});
  EXPECT_EQ(l.Acquire("RunInstances", clock.Now()), Duration{0});
}

}  // namespace
}  // namespace spotkeeper
