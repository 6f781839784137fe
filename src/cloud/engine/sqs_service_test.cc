#include "cloud/engine/sqs_service.h"

#include <gtest/gtest.h>

#include <thread>

namespace spotkeeper::cloud {
namespace {

class SqsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = CloudDb::Open(":memory:").value();
    sqs_ = std::make_unique<SqsService>(db_.get(), &clock_, 1, "000000000000",
                                        "http://127.0.0.1:7781");
    ASSERT_TRUE(sqs_->CreateQueue("q", {}).ok());
  }
  FakeClock clock_;
  std::unique_ptr<CloudDb> db_;
  std::unique_ptr<SqsService> sqs_;
};

TEST_F(SqsTest, QueuesHaveUrlsAndAttributes) {
  EXPECT_EQ(*sqs_->GetQueueUrl("q"), "http://127.0.0.1:7781/000000000000/q");
  EXPECT_EQ(*sqs_->QueueNameFromUrl("http://127.0.0.1:7781/000000000000/q"), "q");
  EXPECT_EQ(sqs_->GetQueueUrl("nope").status().cloud_code(), "QueueDoesNotExist");
  EXPECT_EQ(sqs_->QueueNameFromUrl("http://x/0/nope").status().cloud_code(), "QueueDoesNotExist");
  EXPECT_TRUE(sqs_->CreateQueue("q", {}).ok());  // same attributes: the same queue
  EXPECT_EQ(sqs_->CreateQueue("q", {{"VisibilityTimeout", "5"}}).status().cloud_code(),
            "QueueNameExists");
  EXPECT_EQ(sqs_->CreateQueue("bad name", {}).status().cloud_code(), "InvalidParameterValue");
  EXPECT_EQ(sqs_->CreateQueue("a.fifo", {}).status().cloud_code(), "UnsupportedOperation");
  EXPECT_EQ(sqs_->CreateQueue("r", {{"Colour", "red"}}).status().cloud_code(),
            "InvalidAttributeName");
  EXPECT_EQ(sqs_->CreateQueue("r", {{"DelaySeconds", "901"}}).status().cloud_code(),
            "InvalidAttributeValue");
  ASSERT_TRUE(sqs_->SendMessage("q", "x").ok());
  auto attrs = sqs_->GetQueueAttributes("q");
  EXPECT_EQ(attrs->at("ApproximateNumberOfMessages"), "1");
  EXPECT_EQ(sqs_->ListQueues("")->size(), 1u);
}

TEST_F(SqsTest, VisibilityTimeoutHidesAReceivedMessageUntilItExpires) {
  auto sent = sqs_->SendMessage("q", "hello");
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->md5_of_body, "5d41402abc4b2a76b9719d911017c592");
  auto first = sqs_->ReceiveMessage("q", 10, 30, 0);
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].body, "hello");
  EXPECT_EQ((*first)[0].attributes.at("ApproximateReceiveCount"), "1");
  EXPECT_TRUE(sqs_->ReceiveMessage("q", 10, 30, 0)->empty());
  clock_.Advance(std::chrono::seconds(31));
  auto second = sqs_->ReceiveMessage("q", 10, 30, 0);
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].attributes.at("ApproximateReceiveCount"), "2");
  // The old receipt no longer deletes (SQS: success, nothing deleted); the new one does.
  ASSERT_TRUE(sqs_->DeleteMessage("q", (*first)[0].receipt_handle).ok());
  clock_.Advance(std::chrono::seconds(31));
  auto third = sqs_->ReceiveMessage("q", 10, 30, 0);
  ASSERT_EQ(third->size(), 1u);
  ASSERT_TRUE(sqs_->DeleteMessage("q", (*third)[0].receipt_handle).ok());
  clock_.Advance(std::chrono::seconds(31));
  EXPECT_TRUE(sqs_->ReceiveMessage("q", 10, 30, 0)->empty());
  EXPECT_EQ(sqs_->DeleteMessage("q", "garbage").cloud_code(), "ReceiptHandleIsInvalid");
}

TEST_F(SqsTest, ChangeMessageVisibility) {
  ASSERT_TRUE(sqs_->SendMessage("q", "m").ok());
  auto got = sqs_->ReceiveMessage("q", 1, 30, 0);
  ASSERT_EQ(got->size(), 1u);
  ASSERT_TRUE(sqs_->ChangeMessageVisibility("q", (*got)[0].receipt_handle, 0).ok());
  auto again = sqs_->ReceiveMessage("q", 1, 30, 0);
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ(sqs_->ChangeMessageVisibility("q", (*got)[0].receipt_handle, 10).cloud_code(),
            "MessageNotInflight");
  EXPECT_EQ(sqs_->ChangeMessageVisibility("q", (*again)[0].receipt_handle, 50000).cloud_code(),
            "InvalidParameterValue");
}

TEST_F(SqsTest, ReceiveLimitsAndOrder) {
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(sqs_->SendMessage("q", std::to_string(i)).ok());
  auto got = sqs_->ReceiveMessage("q", 10, 3600, 0);
  ASSERT_EQ(got->size(), 10u);
  EXPECT_EQ((*got)[0].body, "0");
  EXPECT_EQ(sqs_->ReceiveMessage("q", 11, 30, 0).status().cloud_code(), "InvalidParameterValue");
  EXPECT_EQ(sqs_->ReceiveMessage("q", 1, 30, 21).status().cloud_code(), "InvalidParameterValue");
  EXPECT_EQ(sqs_->SendMessage("q", "").status().cloud_code(), "MissingParameter");
  ASSERT_TRUE(sqs_->SendMessage("q", "later", 60).ok());
  EXPECT_EQ(sqs_->ReceiveMessage("q", 10, 3600, 0)->size(), 2u);  // the delayed one is not there
  clock_.Advance(std::chrono::seconds(61));
  auto delayed = sqs_->ReceiveMessage("q", 10, 3600, 0);
  ASSERT_EQ(delayed->size(), 1u);
  EXPECT_EQ((*delayed)[0].body, "later");
}

TEST_F(SqsTest, LongPollWaitsUpToItsDeadline) {
  auto start = std::chrono::steady_clock::now();
  auto got = sqs_->ReceiveMessage("q", 1, 30, 1);
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
  EXPECT_GE(waited, std::chrono::milliseconds(950));
  EXPECT_LT(waited, std::chrono::seconds(3));
}

TEST_F(SqsTest, LongPollReturnsWhenAMessageArrives) {
  std::thread sender([&] {
    // The poll below is already waiting or will find the message at once: either way it must
    // return long before its 20 s deadline.
    ASSERT_TRUE(sqs_->SendMessage("q", "wake").ok());
  });
  auto start = std::chrono::steady_clock::now();
  auto got = sqs_->ReceiveMessage("q", 1, 30, 20);
  auto waited = std::chrono::steady_clock::now() - start;
  sender.join();
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].body, "wake");
  EXPECT_LT(waited, std::chrono::seconds(2));
}

TEST_F(SqsTest, CloseEndsLongPolls) {
  std::thread closer([&] { sqs_->Close(); });
  auto start = std::chrono::steady_clock::now();
  auto got = sqs_->ReceiveMessage("q", 1, 30, 20);
  closer.join();
  ASSERT_TRUE(got.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(SqsTest, AQueueNobodyReadsStaysBoundedByItsRetentionPeriod) {
  ASSERT_TRUE(sqs_->CreateQueue("unread", {{"MessageRetentionPeriod", "60"}}).ok());
  // A message a second for ten minutes: only the last minute's stay.
  for (int i = 0; i < 600; ++i) {
    ASSERT_TRUE(sqs_->SendMessage("unread", "m" + std::to_string(i)).ok());
    clock_.Advance(std::chrono::seconds(1));
  }
  int64_t rows = -1;
  ASSERT_TRUE(db_->Query("SELECT COUNT(*) FROM sqs_messages WHERE queue = ?",
                         {std::string("unread")},
                         [&](const DbRow& r) { rows = std::get<int64_t>(r[0]); })
                  .ok());
  EXPECT_EQ(rows, 61);  // sent within the last 60 s, the one just sent included
}

}  // namespace
}  // namespace spotkeeper::cloud
