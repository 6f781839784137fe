#include "awsproto/ec2_request_buckets.h"

#include <gtest/gtest.h>

namespace spotkeeper::aws {
namespace {

TEST(Ec2RequestBucketsTest, CategoriesFromEc2sTable) {
  Ec2Bucket d = Ec2RequestBucketFor("DescribeImages", false);
  EXPECT_EQ(d.key, "DescribeImages");
  EXPECT_EQ(d.category, "non-mutating");
  EXPECT_EQ(d.capacity, 100);
  EXPECT_EQ(d.refill_per_second, 20);
  Ec2Bucket m = Ec2RequestBucketFor("AttachVolume", false);
  EXPECT_EQ(m.category, "mutating");
  EXPECT_EQ(m.capacity, 50);
  EXPECT_EQ(m.refill_per_second, 5);
  Ec2Bucket ri = Ec2RequestBucketFor("RequestSpotInstances", true);
  EXPECT_EQ(ri.category, "resource-intensive");
  EXPECT_EQ(ri.capacity, 50);
  Ec2Bucket run = Ec2RequestBucketFor("RunInstances", true);
  EXPECT_EQ(run.category, "uncategorized");
  EXPECT_EQ(run.capacity, 5);
  EXPECT_EQ(run.refill_per_second, 2);
  EXPECT_EQ(Ec2RequestBucketFor("CreateTags", false).refill_per_second, 10);
  EXPECT_EQ(Ec2RequestBucketFor("CopyImage", false).refill_per_second, 1);
  EXPECT_EQ(Ec2RequestBucketFor("TerminateInstances", false).capacity, 100);
  // StopInstances has no entry of its own: mutating.
  EXPECT_EQ(Ec2RequestBucketFor("StopInstances", false).category, "mutating");
}

TEST(Ec2RequestBucketsTest, UnfilteredDescribesDrawFromTheirOwnSmallerBucket) {
  Ec2Bucket unfiltered = Ec2RequestBucketFor("DescribeInstances", false);
  EXPECT_EQ(unfiltered.key, "DescribeInstances/unfiltered");
  EXPECT_EQ(unfiltered.category, "unfiltered-non-mutating");
  EXPECT_EQ(unfiltered.capacity, 50);
  EXPECT_EQ(unfiltered.refill_per_second, 10);
  Ec2Bucket filtered = Ec2RequestBucketFor("DescribeInstances", true);
  EXPECT_EQ(filtered.key, "DescribeInstances");
  EXPECT_EQ(filtered.capacity, 100);
  // Describe actions outside the subset are never in the smaller bucket.
  EXPECT_EQ(Ec2RequestBucketFor("DescribeImages", false).category, "non-mutating");
}

TEST(Ec2RequestBucketsTest, ResourceBucketsForFourActions) {
  auto run = Ec2ResourceBucketFor("RunInstances");
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->key, "RunInstances/resource");
  EXPECT_EQ(run->capacity, 1000);
  EXPECT_EQ(run->refill_per_second, 2);
  EXPECT_EQ(Ec2ResourceBucketFor("TerminateInstances")->refill_per_second, 20);
  EXPECT_EQ(Ec2ResourceBucketFor("StartInstances")->refill_per_second, 2);
  EXPECT_EQ(Ec2ResourceBucketFor("StopInstances")->refill_per_second, 20);
  EXPECT_FALSE(Ec2ResourceBucketFor("CreateVolume").has_value());
}

}  // namespace
}  // namespace spotkeeper::aws
