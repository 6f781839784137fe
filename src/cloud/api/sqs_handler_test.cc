#include "cloud/api/sqs_handler.h"

#include <gtest/gtest.h>

namespace spotkeeper::cloud {
namespace {

class SqsHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = CloudDb::Open(":memory:").value();
    sqs_ = std::make_unique<SqsService>(db_.get(), &clock_, 3, "000000000000", "http://h:1");
    handler_ = std::make_unique<SqsHandler>(sqs_.get());
    url_ = nlohmann::json::parse(Json("CreateQueue", {{"QueueName", "q"}}).body)["QueueUrl"];
  }
  ApiReply Json(const std::string& action, const nlohmann::json& in) {
    return handler_->HandleJson(action, in.dump(), "rid");
  }
  std::string Type(const ApiReply& r) { return nlohmann::json::parse(r.body)["__type"]; }

  FakeClock clock_;
  std::unique_ptr<CloudDb> db_;
  std::unique_ptr<SqsService> sqs_;
  std::unique_ptr<SqsHandler> handler_;
  std::string url_;
};

TEST_F(SqsHandlerTest, BatchRulesAndErrorShapes) {
  EXPECT_EQ(url_, "http://h:1/000000000000/q");
  nlohmann::json eleven = nlohmann::json::array();
  for (int i = 0; i < 11; ++i)
    eleven.push_back({{"Id", std::to_string(i)}, {"ReceiptHandle", "x"}});
  EXPECT_EQ(Type(Json("DeleteMessageBatch", {{"QueueUrl", url_}, {"Entries", eleven}})),
            "com.amazonaws.sqs#TooManyEntriesInBatchRequest");
  nlohmann::json twins = {{{"Id", "a"}, {"ReceiptHandle", "x"}},
                          {{"Id", "a"}, {"ReceiptHandle", "y"}}};
  EXPECT_EQ(Type(Json("DeleteMessageBatch", {{"QueueUrl", url_}, {"Entries", twins}})),
            "com.amazonaws.sqs#BatchEntryIdsNotDistinct");
  EXPECT_EQ(
      Type(Json("SendMessage", {{"QueueUrl", "http://h:1/000000000000/zz"}, {"MessageBody", "x"}})),
      "com.amazonaws.sqs#QueueDoesNotExist");
  EXPECT_EQ(Type(Json("SendMessage", {{"MessageBody", "x"}})),
            "com.amazonaws.sqs#MissingParameter");
  EXPECT_EQ(handler_->HandleJson("SendMessage", "not json", "rid").status, 400);
  ApiReply q = handler_->HandleQuery(
      aws::QueryDecoder(std::map<std::string, std::string>{{"Action", "ReceiveMessage"}}),
      "/000000000000/zz", "rid");
  EXPECT_EQ(q.status, 400);
  EXPECT_NE(q.body.find("<Code>AWS.SimpleQueueService.NonExistentQueue</Code>"), std::string::npos);
}

TEST_F(SqsHandlerTest, QueryProtocolNamesTheQueueByPath) {
  ApiReply sent =
      handler_->HandleQuery(aws::QueryDecoder({{"Action", "SendMessage"}, {"MessageBody", "hi"}}),
                            "/000000000000/q", "rid");
  ASSERT_EQ(sent.status, 200) << sent.body;
  EXPECT_NE(sent.body.find("<MessageId>"), std::string::npos);
  ApiReply got = handler_->HandleQuery(
      aws::QueryDecoder({{"Action", "ReceiveMessage"}, {"AttributeName.1", "All"}}),
      "/000000000000/q", "rid");
  EXPECT_NE(got.body.find("<Body>hi</Body>"), std::string::npos);
  EXPECT_NE(got.body.find("<Name>ApproximateReceiveCount</Name>"), std::string::npos);
  ApiReply none = handler_->HandleQuery(
      aws::QueryDecoder(std::map<std::string, std::string>{{"Action", "ReceiveMessage"}}),
      "/000000000000/q", "rid");
  EXPECT_NE(none.body.find("<ReceiveMessageResult"), std::string::npos);  // empty, but there
}

}  // namespace
}  // namespace spotkeeper::cloud
