#include "provider/ec2/sqs_event_source.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "provider/ec2/ec2_test_util.h"

namespace spotkeeper {
namespace {

using testing::ScriptedProvider;
using testing::Testdata;

Ec2ProviderConfig QueueConfig() {
  Ec2ProviderConfig c;
  c.events_queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/spotkeeper-events";
  c.events_wait_seconds = 20;
  c.request_timeout = std::chrono::seconds(10);
  return c;
}

TEST(SqsEventSourceTest, ReceiveLongPollsAndParsesAndDropsPoison) {
  ScriptedProvider s(QueueConfig());
  s.aws.OnFile("ReceiveMessage", "sqs_receive_message.json");
  s.aws.On("DeleteMessageBatch", 200, R"({"Successful":[{"Id":"0"},{"Id":"1"}],"Failed":[]})");
  auto events = s.provider->ReceiveEvents(25);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].kind, CloudEventKind::kSpotInterruptionWarning);
  EXPECT_EQ((*events)[0].instance_id, "i-1234567890abcdef0");
  EXPECT_EQ((*events)[0].receipt, "AQEBzWwaftRI0KuVm4tP+/7q1rGgNqicHq...receipt-1");
  EXPECT_EQ((*events)[0].action_time, *ParseTime("2026-01-12T11:02:00Z"));
  EXPECT_EQ((*events)[1].kind, CloudEventKind::kRebalanceRecommendation);
  EXPECT_EQ((*events)[1].receipt, "receipt-2");

  auto reqs = s.aws.Requests("ReceiveMessage");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].url, "https://ec2.test.local/");  // endpointUrl serves SQS too
  EXPECT_EQ(aws::FindHeader(reqs[0].headers, "X-Amz-Target"), "AmazonSQS.ReceiveMessage");
  EXPECT_EQ(aws::FindHeader(reqs[0].headers, "Content-Type"), "application/x-amz-json-1.0");
  EXPECT_NE(aws::FindHeader(reqs[0].headers, "Authorization")->find("/us-east-1/sqs/aws4_request"),
            std::string::npos);
  nlohmann::json body = nlohmann::json::parse(reqs[0].body);
  EXPECT_EQ(body["QueueUrl"], QueueConfig().events_queue_url);
  EXPECT_EQ(body["MaxNumberOfMessages"], 10);  // at most 10, whatever max asks
  EXPECT_EQ(body["WaitTimeSeconds"], 20);
  EXPECT_EQ(reqs[0].timeout, std::chrono::seconds(30));  // wait + request timeout

  // The garbled message and the unknown kind were deleted at once.
  auto deletes = s.aws.Requests("DeleteMessageBatch");
  ASSERT_EQ(deletes.size(), 1u);
  nlohmann::json d = nlohmann::json::parse(deletes[0].body);
  ASSERT_EQ(d["Entries"].size(), 2u);
  EXPECT_EQ(d["Entries"][0]["ReceiptHandle"], "receipt-3");
  EXPECT_EQ(d["Entries"][1]["ReceiptHandle"], "receipt-4");
}

TEST(SqsEventSourceTest, AckDeletesInBatchesOfTen) {
  ScriptedProvider s(QueueConfig());
  s.aws.On("DeleteMessageBatch", 200, R"({"Successful":[]})");
  std::vector<std::string> receipts;
  for (int i = 0; i < 23; ++i) receipts.push_back("r" + std::to_string(i));
  ASSERT_TRUE(s.provider->AckEvents(receipts).ok());
  auto deletes = s.aws.Requests("DeleteMessageBatch");
  ASSERT_EQ(deletes.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(deletes[0].body)["Entries"].size(), 10u);
  EXPECT_EQ(nlohmann::json::parse(deletes[2].body)["Entries"].size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(deletes[2].body)["Entries"][2]["ReceiptHandle"], "r22");
  ASSERT_TRUE(s.provider->AckEvents({}).ok());
  EXPECT_EQ(s.aws.CallCount("DeleteMessageBatch"), 3u);
}

TEST(SqsEventSourceTest, AckFailures) {
  ScriptedProvider s(QueueConfig());
  s.aws.On(
      "DeleteMessageBatch", 200,
      R"({"Successful":[],"Failed":[{"Id":"0","SenderFault":true,"Code":"ReceiptHandleIsInvalid","Message":"x"}]})");
  s.aws.On(
      "DeleteMessageBatch", 200,
      R"({"Successful":[],"Failed":[{"Id":"1","SenderFault":false,"Code":"InternalError","Message":"x"}]})");
  EXPECT_TRUE(s.provider->AckEvents({"gone"}).ok());  // already deleted: fine
  Status st = s.provider->AckEvents({"a", "b"});
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.cloud_code(), "InternalError");
  EXPECT_TRUE(st.IsRetryable());
}

TEST(SqsEventSourceTest, QueueErrorsAndThrottling) {
  ScriptedProvider s(QueueConfig());
  s.aws.OnFile("ReceiveMessage", "sqs_error_queue_does_not_exist.json", 400);
  auto r = s.provider->ReceiveEvents(5);
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_EQ(r.status().cloud_code(), "QueueDoesNotExist");
  EXPECT_NE(r.status().message().find("sqs ReceiveMessage"), std::string::npos);

  ScriptedProvider t(QueueConfig());
  t.aws.OnFile("ReceiveMessage", "sqs_error_throttling.json", 400);
  t.aws.On("ReceiveMessage", 200, "{}");
  auto ok = t.provider->ReceiveEvents(5);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->empty());
  EXPECT_EQ(t.aws.CallCount("ReceiveMessage"), 2u);
}

TEST(SqsEventSourceTest, ZeroMaxReceivesNothing) {
  ScriptedProvider s(QueueConfig());
  auto r = s.provider->ReceiveEvents(0);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(s.aws.CallCount("ReceiveMessage"), 0u);
}

TEST(SqsEventSourceTest, SqsEndpointDefaultsToTheQueueOrigin) {
  Ec2ProviderConfig c;
  c.region = "eu-west-1";
  c.events_queue_url = "https://sqs.eu-west-1.amazonaws.com/1/q";
  EXPECT_EQ(c.SqsEndpoint(), "https://sqs.eu-west-1.amazonaws.com");
  EXPECT_EQ(c.Ec2Endpoint(), "https://ec2.eu-west-1.amazonaws.com");
  c.sqs_endpoint_url = "http://127.0.0.1:9324";
  EXPECT_EQ(c.SqsEndpoint(), "http://127.0.0.1:9324");
}

}  // namespace
}  // namespace spotkeeper
