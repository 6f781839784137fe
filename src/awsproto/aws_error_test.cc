#include "awsproto/aws_error.h"

#include <gtest/gtest.h>

#include "awsproto/ec2_xml_writer.h"

namespace spotkeeper::aws {
namespace {

TEST(AwsErrorTest, CodeMapping) {
  struct Row {
    const char* code;
    int http;
    Code want;
    bool retryable;
  };
  const Row rows[] = {
      {"RequestLimitExceeded", 503, Code::kResourceExhausted, true},
      {"Throttling", 400, Code::kResourceExhausted, true},
      {"ThrottlingException", 400, Code::kResourceExhausted, true},
      {"InsufficientInstanceCapacity", 500, Code::kResourceExhausted, false},
      {"InsufficientVolumeCapacity", 500, Code::kResourceExhausted, false},
      {"SpotMaxPriceTooLow", 400, Code::kResourceExhausted, false},
      {"InvalidInstanceID.NotFound", 400, Code::kNotFound, false},
      {"InvalidVolume.NotFound", 400, Code::kNotFound, false},
      {"InvalidAMIID.NotFound", 400, Code::kNotFound, false},
      {"QueueDoesNotExist", 400, Code::kNotFound, false},
      {"IncorrectState", 400, Code::kFailedPrecondition, false},
      {"IncorrectInstanceState", 400, Code::kFailedPrecondition, false},
      {"VolumeInUse", 400, Code::kFailedPrecondition, false},
      {"InvalidNetworkInterface.InUse", 400, Code::kFailedPrecondition, false},
      {"InvalidSnapshot.InUse", 400, Code::kFailedPrecondition, false},
      {"InvalidVolume.ZoneMismatch", 400, Code::kFailedPrecondition, false},
      {"InvalidAMIID.Unavailable", 400, Code::kFailedPrecondition, false},
      {"AuthFailure", 401, Code::kUnauthenticated, false},
      {"SignatureDoesNotMatch", 403, Code::kUnauthenticated, false},
      {"RequestExpired", 400, Code::kUnauthenticated, false},
      {"UnauthorizedOperation", 403, Code::kPermissionDenied, false},
      {"AccessDenied", 403, Code::kPermissionDenied, false},
      {"InvalidParameterValue", 400, Code::kInvalidArgument, false},
      {"InvalidParameterCombination", 400, Code::kInvalidArgument, false},
      {"MissingParameter", 400, Code::kInvalidArgument, false},
      {"InvalidInstanceID.Malformed", 400, Code::kInvalidArgument, false},
      {"IdempotentParameterMismatch", 400, Code::kInvalidArgument, false},
      {"InternalError", 500, Code::kUnavailable, true},
      {"Unavailable", 503, Code::kUnavailable, true},
      {"InvalidGroup.Duplicate", 400, Code::kAlreadyExists, false},
      {"SomethingNew", 503, Code::kUnavailable, true},
      {"SomethingNew", 400, Code::kInvalidArgument, false},
      {"", 429, Code::kResourceExhausted, true},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(CodeForAwsError(r.code, r.http), r.want) << r.code;
    Status s = StatusFromAwsError({r.code, "msg", "rid"}, r.http);
    EXPECT_EQ(s.IsRetryable(), r.retryable) << r.code;
    EXPECT_EQ(s.cloud_code(), r.code);
  }
  EXPECT_TRUE(IsThrottlingError("RequestLimitExceeded"));
  EXPECT_FALSE(IsThrottlingError("InsufficientInstanceCapacity"));
}

TEST(AwsErrorTest, StatusCarriesMessageAndRequestId) {
  Status s = StatusFromAwsError({"InvalidVolume.NotFound", "The volume 'vol-1' does not exist.",
                                 "ea966190-f9aa-478e-9ede-example"},
                                400);
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(),
            "The volume 'vol-1' does not exist. (request ea966190-f9aa-478e-9ede-example)");
  EXPECT_EQ(s.ToString(),
            "NotFound (InvalidVolume.NotFound): The volume 'vol-1' does not exist. "
            "(request ea966190-f9aa-478e-9ede-example)");
}

TEST(AwsErrorTest, ParsesEc2ErrorBody) {
  auto e = ParseEc2ErrorBody(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>"
      "InsufficientInstanceCapacity</Code><Message>We currently do not have sufficient m5.large "
      "capacity in the Availability Zone you requested (us-east-1a).</Message></Error></Errors>"
      "<RequestID>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestID></Response>");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "InsufficientInstanceCapacity");
  EXPECT_NE(e->message.find("m5.large"), std::string::npos);
  EXPECT_EQ(e->request_id, "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE");
}

TEST(AwsErrorTest, ParsesGenericQueryErrorBody) {
  auto e = ParseEc2ErrorBody(
      "<ErrorResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><Error><Type>Sender"
      "</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>nope</Message></Error>"
      "<RequestId>r1</RequestId></ErrorResponse>");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "AWS.SimpleQueueService.NonExistentQueue");
  EXPECT_EQ(e->request_id, "r1");
  EXPECT_FALSE(ParseEc2ErrorBody("<html>502 Bad Gateway</html>").has_value());
  EXPECT_FALSE(ParseEc2ErrorBody("not xml").has_value());
}

TEST(AwsErrorTest, ParsesJsonErrorBody) {
  auto e = ParseJsonErrorBody(
      R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."})",
      {{"x-amzn-RequestId", "r2"}});
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "QueueDoesNotExist");
  EXPECT_EQ(e->message, "The specified queue does not exist.");
  EXPECT_EQ(e->request_id, "r2");
  e = ParseJsonErrorBody(R"({"__type":"ThrottlingException","Message":"slow"})");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "ThrottlingException");
  EXPECT_EQ(e->message, "slow");
  EXPECT_FALSE(ParseJsonErrorBody("{}").has_value());
  EXPECT_FALSE(ParseJsonErrorBody("garbage").has_value());
}

TEST(AwsErrorTest, ServerSideReplyRoundTrips) {
  Status capacity(Code::kResourceExhausted, "no capacity", "InsufficientInstanceCapacity");
  Ec2ErrorReply r = Ec2ErrorForStatus(capacity);
  EXPECT_EQ(r.http_status, 500);
  EXPECT_EQ(r.code, "InsufficientInstanceCapacity");
  auto parsed = ParseEc2ErrorBody(Ec2ErrorXml(r.code, capacity.message(), "rid"));
  ASSERT_TRUE(parsed.has_value());
  Status back = StatusFromAwsError(*parsed, r.http_status);
  EXPECT_EQ(back.code(), capacity.code());
  EXPECT_EQ(back.cloud_code(), capacity.cloud_code());
  EXPECT_FALSE(back.IsRetryable());

  EXPECT_EQ(
      Ec2ErrorForStatus(Status(Code::kResourceExhausted, "x", "RequestLimitExceeded")).http_status,
      503);
  EXPECT_EQ(Ec2ErrorForStatus(Status(Code::kUnauthenticated, "x", "AuthFailure")).http_status, 401);
  EXPECT_EQ(Ec2ErrorForStatus(NotFound("x")).code, "InvalidID");
  EXPECT_EQ(Ec2ErrorForStatus(Internal("x")).http_status, 500);
  EXPECT_EQ(Ec2ErrorForStatus(InvalidArgument("x")).code, "InvalidParameterValue");
}

}  // namespace
}  // namespace spotkeeper::aws
