// Events against moto_server: an EventBridge-shaped interruption warning through a real SQS queue,
// and events synthesised by polling.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "moto/moto_fixture.h"

namespace spotkeeper {
namespace {

// Exactly what an EventBridge rule puts on an SQS queue for a spot interruption warning.
std::string InterruptionWarning(const std::string& id, const std::string& instance_id) {
  return R"({"version":"0","id":")" + id +
         R"(","detail-type":"EC2 Spot Instance Interruption Warning","source":"aws.ec2",)"
         R"("account":"123456789012","time":"2026-03-01T10:00:00Z","region":"us-east-1",)"
         R"("resources":["arn:aws:ec2:us-east-1:123456789012:instance/)" +
         instance_id + R"("],"detail":{"instance-id":")" + instance_id +
         R"(","instance-action":"terminate"}})";
}

TEST_F(MotoTest, SqsInterruptionWarningIsReceivedAndAcked) {
  SqsClient* sqs = provider_->sqs();
  auto queue = sqs->CreateQueue("spotkeeper-events");
  ASSERT_TRUE(queue.ok()) << queue.status().ToString();
  ASSERT_FALSE(queue->empty());

  Ec2ProviderConfig config = BaseConfig();
  config.events_queue_url = *queue;
  std::unique_ptr<Ec2Provider> events = MakeProvider(config);

  ASSERT_TRUE(sqs->SendMessage(*queue, "this is not json").ok());
  ASSERT_TRUE(
      sqs->SendMessage(
             *queue,
             R"({"version":"0","id":"x","detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","time":"2026-03-01T10:00:00Z","detail":{}})")
          .ok());
  ASSERT_TRUE(sqs->SendMessage(*queue, InterruptionWarning("7f1c6b0e-0000-4000-8000-000000000001",
                                                           "i-1234567890abcdef0"))
                  .ok());

  auto got = events->ReceiveEvents(10);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  const CloudEvent& e = got->front();
  EXPECT_EQ(e.kind, CloudEventKind::kSpotInterruptionWarning);
  EXPECT_EQ(e.id, "7f1c6b0e-0000-4000-8000-000000000001");
  EXPECT_EQ(e.instance_id, "i-1234567890abcdef0");
  EXPECT_EQ(e.instance_action, "terminate");
  EXPECT_EQ(e.time, *ParseTime("2026-03-01T10:00:00Z"));
  EXPECT_EQ(e.action_time, *ParseTime("2026-03-01T10:02:00Z"));
  EXPECT_FALSE(e.receipt.empty());

  ASSERT_TRUE(events->AckEvents({e.receipt}).ok());
  // The two unusable messages were deleted when received, the warning by the ack: the queue is
  // empty now, even after the visibility timeout (moto's default 30 s is not waited for: a
  // message not deleted would still be counted by the queue's attributes).
  auto attrs =
      sqs->Call("GetQueueAttributes",
                {{"QueueUrl", *queue},
                 {"AttributeNames",
                  {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}}},
                true);
  ASSERT_TRUE(attrs.ok()) << attrs.status().ToString();
  EXPECT_EQ((*attrs)["Attributes"]["ApproximateNumberOfMessages"], "0");
  EXPECT_EQ((*attrs)["Attributes"]["ApproximateNumberOfMessagesNotVisible"], "0");
  auto none = events->ReceiveEvents(10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(MotoTest, SqsRebalanceAndStateChangeKinds) {
  SqsClient* sqs = provider_->sqs();
  auto queue = sqs->CreateQueue("spotkeeper-events-2");
  ASSERT_TRUE(queue.ok());
  Ec2ProviderConfig config = BaseConfig();
  config.events_queue_url = *queue;
  std::unique_ptr<Ec2Provider> events = MakeProvider(config);
  ASSERT_TRUE(
      sqs->SendMessage(
             *queue,
             R"({"version":"0","id":"r1","detail-type":"EC2 Instance Rebalance Recommendation","source":"aws.ec2","account":"1","time":"2026-03-01T10:00:00Z","region":"us-east-1","resources":[],"detail":{"instance-id":"i-0aaaaaaaaaaaaaaaa"}})")
          .ok());
  ASSERT_TRUE(
      sqs->SendMessage(
             *queue,
             R"({"version":"0","id":"s1","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"1","time":"2026-03-01T10:00:01Z","region":"us-east-1","resources":[],"detail":{"instance-id":"i-0bbbbbbbbbbbbbbbb","state":"shutting-down"}})")
          .ok());
  std::vector<CloudEvent> all;
  for (int i = 0; i < 3 && all.size() < 2; ++i) {
    auto got = events->ReceiveEvents(10);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    all.insert(all.end(), got->begin(), got->end());
  }
  ASSERT_EQ(all.size(), 2u);
  std::vector<std::string> receipts;
  for (const CloudEvent& e : all) {
    receipts.push_back(e.receipt);
    if (e.id == "r1") {
      EXPECT_EQ(e.kind, CloudEventKind::kRebalanceRecommendation);
      EXPECT_EQ(e.instance_id, "i-0aaaaaaaaaaaaaaaa");
    } else {
      EXPECT_EQ(e.kind, CloudEventKind::kInstanceStateChange);
      EXPECT_EQ(e.state, "shutting-down");
    }
  }
  ASSERT_TRUE(events->AckEvents(receipts).ok());
  // Acking twice: the handles are gone; not an error.
  EXPECT_TRUE(events->AckEvents(receipts).ok());
}

TEST_F(MotoTest, PollingSynthesisesStateChanges) {
  // No queue: events come from polling instances tagged spotkeeper:group.
  Subnet subnet = SubnetIn("us-east-1a");
  std::string image = MakeImage();
  ASSERT_FALSE(image.empty());

  RunInstanceRequest run;
  run.image_id = image;
  run.instance_type = "t3.micro";
  run.subnet_id = subnet.id;
  run.tags = {{kTagGroup, "g1"}};
  auto ours = provider_->RunInstance(run);
  ASSERT_TRUE(ours.ok()) << ours.status().ToString();
  run.tags = {};
  auto foreign = provider_->RunInstance(run);
  ASSERT_TRUE(foreign.ok());

  auto first = provider_->ReceiveEvents(10);  // records what is there
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->empty());
  ASSERT_TRUE(provider_->TerminateInstance(ours->id).ok());
  ASSERT_TRUE(provider_->TerminateInstance(foreign->id).ok());
  auto second = provider_->ReceiveEvents(10);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ(second->front().kind, CloudEventKind::kInstanceStateChange);
  EXPECT_EQ(second->front().instance_id, ours->id);
  EXPECT_TRUE(second->front().state == "terminated" || second->front().state == "shutting-down");
  ASSERT_TRUE(provider_->AckEvents({second->front().receipt}).ok());
  auto third = provider_->ReceiveEvents(10);
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third->empty());
}

}  // namespace
}  // namespace spotkeeper
