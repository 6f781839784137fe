#include "common/status.h"
#include "common/time.h"

#include <gtest/gtest.h>

namespace spotkeeper {
namespace {

Result<int> Half(int x) {
  if (x % 2) return InvalidArgument("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  SK_ASSIGN_OR_RETURN(int h, Half(x));
  SK_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, OkAndErrors) {
  EXPECT_TRUE(OkStatus().ok());
  Status s = NotFound("vol-1");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.ToString(), "NotFound: vol-1");
  EXPECT_EQ(s.Annotate("attach").message(), "attach: vol-1");
}

TEST(StatusTest, RetryableSortsThrottlingFromCapacity) {
  EXPECT_TRUE(Status(Code::kResourceExhausted, "slow down", "RequestLimitExceeded").IsRetryable());
  EXPECT_FALSE(
      Status(Code::kResourceExhausted, "none left", "InsufficientInstanceCapacity").IsRetryable());
  EXPECT_FALSE(Status(Code::kResourceExhausted, "limit", "VcpuLimitExceeded").IsRetryable());
  EXPECT_TRUE(Unavailable("lost").IsRetryable());
  EXPECT_FALSE(InvalidArgument("bad").IsRetryable());
}

TEST(StatusTest, RetryAfterTravelsWithAnnotate) {
  Status s = ResourceExhausted("bucket").WithRetryAfter(Duration{500});
  ASSERT_TRUE(s.Annotate("run").retry_after().has_value());
  EXPECT_EQ(s.Annotate("run").retry_after()->count(), 500);
}

TEST(ResultTest, AssignOrReturnPropagates) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(Quarter(8).status().ok());
}

}  // namespace
}  // namespace spotkeeper
