#include "provider/ec2/aws_request_sender.h"

#include <gtest/gtest.h>

#include "awsproto/fake_http_client.h"
#include "provider/ec2/ec2_query_client.h"
#include "provider/ec2/ec2_test_util.h"

namespace spotkeeper {
namespace {

using testing::Testdata;

class SenderTest : public ::testing::Test {
 protected:
  SenderTest()
      : creds_(aws::Credentials{"AKIDSENDER", "sender-secret", "", kNever, ""}),
        signer_("us-east-1", "ec2") {}

  std::unique_ptr<AwsRequestSender> Sender(int max_attempts = 5, uint64_t seed = 1) {
    RetryPolicy p;
    p.max_attempts = max_attempts;
    p.base_delay = std::chrono::milliseconds(100);
    p.max_delay = std::chrono::milliseconds(1000);
    return std::make_unique<AwsRequestSender>(&http_, &creds_, &clock_, seed, p,
                                              [this](Duration d) {
                                                sleeps_.push_back(d);
                                                clock_.Advance(d);
                                              });
  }
  Result<aws::HttpResponse> Send(AwsRequestSender& s, bool idempotent = true) {
    aws::HttpRequest r{"POST", "https://ec2.test/", {}, "Action=DescribeVolumes", {}};
    return s.Send(r, signer_, idempotent, DecodeEc2Error, "ec2 DescribeVolumes");
  }

  aws::FakeHttpClient http_;
  aws::StaticCredentialsProvider creds_;
  FakeClock clock_;
  aws::Sigv4Signer signer_;
  std::vector<Duration> sleeps_;
};

TEST_F(SenderTest, ThrottlingIsRetriedWithJitteredExponentialBackoff) {
  for (int i = 0; i < 3; ++i) http_.Enqueue(503, Testdata("error_request_limit_exceeded.xml"));
  http_.Enqueue(200, "<DescribeVolumesResponse/>");
  auto sender = Sender();
  auto r = Send(*sender);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(http_.request_count(), 4u);
  ASSERT_EQ(sleeps_.size(), 3u);
  // Full jitter: retry n sleeps in (0, min(1000ms, 100ms * 2^n)].
  const int64_t caps[] = {100, 200, 400};
  for (size_t i = 0; i < sleeps_.size(); ++i) {
    EXPECT_GT(sleeps_[i].count(), 0);
    EXPECT_LE(sleeps_[i].count(), caps[i]);
  }
  EXPECT_EQ(sender->stats().retries, 3);
  EXPECT_EQ(sender->stats().requests, 4);
}

TEST_F(SenderTest, BackoffIsDeterministicForASeedAndCapped) {
  auto run = [&](uint64_t seed) {
    sleeps_.clear();
    http_.SetHandler([](const aws::HttpRequest&) -> Result<aws::HttpResponse> {
      return aws::HttpResponse{503, {}, Testdata("error_request_limit_exceeded.xml")};
    });
    auto sender = Sender(8, seed);
    EXPECT_EQ(Send(*sender).status().cloud_code(), "RequestLimitExceeded");
    return sleeps_;
  };
  std::vector<Duration> a = run(9), b = run(9), c = run(10);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  ASSERT_EQ(a.size(), 7u);
  for (Duration d : a) EXPECT_LE(d.count(), 1000);
}

TEST_F(SenderTest, ClientErrorsAreNotRetried) {
  http_.Enqueue(400, Testdata("error_invalid_volume_not_found.xml"));
  auto sender = Sender();
  auto r = Send(*sender);
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_EQ(r.status().cloud_code(), "InvalidVolume.NotFound");
  EXPECT_EQ(r.status().message(),
            "ec2 DescribeVolumes: The volume 'vol-1234567890abcdef0' does not exist. "
            "(request ea966190-f9aa-478e-9ede-example)");
  EXPECT_EQ(http_.request_count(), 1u);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(SenderTest, CapacityErrorIsNotRetriedDespiteHttp500) {
  http_.Enqueue(500, Testdata("error_insufficient_instance_capacity.xml"));
  auto sender = Sender();
  auto r = Send(*sender);
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(r.status().cloud_code(), "InsufficientInstanceCapacity");
  EXPECT_FALSE(r.status().IsRetryable());
  EXPECT_EQ(http_.request_count(), 1u);
}

TEST_F(SenderTest, ServerErrorsRetriedOnlyWhenIdempotent) {
  http_.Enqueue(503, Testdata("error_unavailable.xml"));
  http_.Enqueue(500, Testdata("error_internal_error.xml"));
  http_.Enqueue(200, "<ok/>");
  auto sender = Sender();
  ASSERT_TRUE(Send(*sender, /*idempotent=*/true).ok());
  EXPECT_EQ(http_.request_count(), 3u);

  http_.ClearRequests();
  http_.Enqueue(503, Testdata("error_unavailable.xml"));
  auto r = Send(*sender, /*idempotent=*/false);
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(r.status().cloud_code(), "Unavailable");
  EXPECT_EQ(http_.request_count(), 1u);
}

TEST_F(SenderTest, TransportFailures) {
  auto sender = Sender();
  // A connection that was never made is safe to retry even when not idempotent.
  http_.Enqueue(Status(Code::kUnavailable, "refused", aws::kConnectionFailed));
  http_.Enqueue(200, "<ok/>");
  ASSERT_TRUE(Send(*sender, /*idempotent=*/false).ok());
  EXPECT_EQ(http_.request_count(), 2u);
  // A timeout may have reached the server: only idempotent calls retry it.
  http_.ClearRequests();
  http_.Enqueue(DeadlineExceeded("timed out"));
  EXPECT_EQ(Send(*sender, /*idempotent=*/false).status().code(), Code::kDeadlineExceeded);
  EXPECT_EQ(http_.request_count(), 1u);
  http_.ClearRequests();
  http_.Enqueue(DeadlineExceeded("timed out"));
  http_.Enqueue(200, "<ok/>");
  EXPECT_TRUE(Send(*sender, /*idempotent=*/true).ok());
  EXPECT_EQ(http_.request_count(), 2u);
}

TEST_F(SenderTest, GivesUpAfterMaxAttemptsWithTheLastError) {
  http_.SetHandler([](const aws::HttpRequest&) -> Result<aws::HttpResponse> {
    return aws::HttpResponse{503, {}, Testdata("error_request_limit_exceeded.xml")};
  });
  auto sender = Sender(3);
  auto r = Send(*sender);
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted);
  EXPECT_TRUE(r.status().IsRetryable());
  EXPECT_EQ(http_.request_count(), 3u);
}

TEST_F(SenderTest, EachAttemptIsSignedAtItsOwnTime) {
  http_.Enqueue(503, Testdata("error_request_limit_exceeded.xml"));
  http_.Enqueue(200, "<ok/>");
  clock_.Set(*ParseTime("2026-01-01T00:00:00.500Z"));
  auto sender = Sender();
  sleeps_.clear();
  ASSERT_TRUE(Send(*sender).ok());
  auto reqs = http_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(aws::FindHeader(reqs[0].headers, "X-Amz-Date"), "20260101T000000Z");
  EXPECT_NE(aws::FindHeader(reqs[0].headers, "Authorization"), std::nullopt);
  // The first sleep moved the clock; the second attempt carries its own date and signature
  // whenever the second changed.
  if (std::chrono::floor<std::chrono::seconds>(clock_.Now()) !=
      std::chrono::floor<std::chrono::seconds>(*ParseTime("2026-01-01T00:00:00.500Z"))) {
    EXPECT_NE(aws::FindHeader(reqs[1].headers, "Authorization"),
              aws::FindHeader(reqs[0].headers, "Authorization"));
  }
}

TEST_F(SenderTest, NonXmlErrorBodyFallsBackToHttpStatus) {
  http_.Enqueue(502, "<html>Bad Gateway</html>");
  auto sender = Sender(1);
  auto r = Send(*sender);
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("HTTP 502"), std::string::npos);
}

TEST_F(SenderTest, MissingCredentialsStopBeforeSending) {
  aws::StaticCredentialsProvider empty(aws::Credentials{});
  AwsRequestSender sender(&http_, &empty, &clock_, 1, RetryPolicy{}, [](Duration) {});
  aws::HttpRequest r{"POST", "https://ec2.test/", {}, "", {}};
  auto res = sender.Send(r, signer_, true, DecodeEc2Error, "ec2 X");
  EXPECT_EQ(res.status().code(), Code::kNotFound);
  EXPECT_EQ(http_.request_count(), 0u);
}

TEST(ShouldRetryTest, Table) {
  EXPECT_TRUE(
      AwsRequestSender::ShouldRetry(Status(Code::kResourceExhausted, "", "Throttling"), false));
  EXPECT_FALSE(AwsRequestSender::ShouldRetry(
      Status(Code::kResourceExhausted, "", "InsufficientInstanceCapacity"), true));
  EXPECT_FALSE(AwsRequestSender::ShouldRetry(
      Status(Code::kResourceExhausted, "", "VcpuLimitExceeded"), true));
  EXPECT_TRUE(AwsRequestSender::ShouldRetry(Status(Code::kUnavailable, "", "InternalError"), true));
  EXPECT_FALSE(
      AwsRequestSender::ShouldRetry(Status(Code::kUnavailable, "", "InternalError"), false));
  EXPECT_FALSE(AwsRequestSender::ShouldRetry(Status(Code::kInvalidArgument, "", "X"), true));
  EXPECT_FALSE(AwsRequestSender::ShouldRetry(OkStatus(), true));
}

}  // namespace
}  // namespace spotkeeper
