#include "cloud/api/cloud_server.h"

#include <gtest/gtest.h>

#include <thread>

#include "awsproto/query_decoder.h"
#include "cloud/api/api_test_util.h"
#include "common/http_body_guard.h"
#include "common/json_depth.h"
#include "common/raw_http_test_util.h"

namespace spotkeeper::cloud {
namespace {

using aws::QueryParams;
using aws::XmlItems;
using aws::XmlText;

using CloudServerTest = CloudApiTest;

TEST_F(CloudServerTest, SignedQueryGetsEc2Xml) {
  auto r = Ec2(QueryParams("DescribeAvailabilityZones", "2016-11-15"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = Xml(r);
  pugi::xml_node root = doc->document_element();
  EXPECT_STREQ(root.name(), "DescribeAvailabilityZonesResponse");
  EXPECT_STREQ(root.attribute("xmlns").value(), "http://ec2.amazonaws.com/doc/2016-11-15/");
  EXPECT_FALSE(XmlText(root, "requestId").empty());
  auto zones = XmlItems(root, "availabilityZoneInfo");
  ASSERT_EQ(zones.size(), 2u);
  EXPECT_EQ(XmlText(zones[0], "zoneName"), "local-1a");
  EXPECT_EQ(XmlText(zones[0], "zoneState"), "available");
}

TEST_F(CloudServerTest, GetWithAQueryStringWorksToo) {
  aws::HttpRequest req;
  req.method = "GET";
  req.url = cloud_->endpoint() + "/?" + QueryParams("DescribeVpcs", "2016-11-15").Encode();
  auto r = Send(req, nullptr, "ec2");
  ASSERT_EQ(r.status, 200) << r.body;
  auto vpcs = XmlItems(Xml(r)->document_element(), "vpcSet");
  ASSERT_EQ(vpcs.size(), 1u);
  EXPECT_EQ(XmlText(vpcs[0], "cidrBlock"), "10.0.0.0/16");
  EXPECT_EQ(XmlText(vpcs[0], "isDefault"), "true");
}

TEST_F(CloudServerTest, Sigv4FailuresAreRefusedWithEc2Codes) {
  aws::Credentials unknown{"AKIAUNKNOWNKEY000000", "whatever", "", kNever, ""};
  auto r = Ec2(QueryParams("DescribeVpcs", "2016-11-15"), &unknown);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorCode(r), "AuthFailure");
  EXPECT_FALSE(XmlText(Xml(r)->document_element(), "RequestID").empty());
  aws::Credentials wrong = creds_;
  wrong.secret_access_key = "not-the-secret";
  r = Ec2(QueryParams("DescribeVpcs", "2016-11-15"), &wrong);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorCode(r), "SignatureDoesNotMatch");
  EXPECT_EQ(r.body.find(creds_.secret_access_key), std::string::npos);
  aws::HttpRequest unsigned_req;
  unsigned_req.url = cloud_->endpoint() + "/";
  unsigned_req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  unsigned_req.body = QueryParams("DescribeVpcs", "2016-11-15").Encode();
  auto u = http_.Send(unsigned_req);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(ErrorCode(*u), "MissingAuthenticationToken");
  // SQS gets the JSON protocol's error shape.
  auto s = Sqs("ListQueues", nlohmann::json::object(), &wrong);
  EXPECT_EQ(s.status, 403);
  auto j = nlohmann::json::parse(s.body);
  EXPECT_EQ(j["__type"], "com.amazonaws.sqs#SignatureDoesNotMatch");
}

// Limits decided from the headers, before the body is read (common/http_body_guard.h).
constexpr size_t kMiB = 1 << 20;

std::string FormHead(const std::string& extra) {
  return "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
         "Content-Type: application/x-www-form-urlencoded\r\n" +
         extra + "\r\n";
}

TEST_F(CloudServerTest, UnsignedChunkedBodyIsRefusedBeforeItIsRead) {
  int port = std::stoi(cloud_->endpoint().substr(cloud_->endpoint().rfind(':') + 1));
  auto r = testing::SendRaw(port, FormHead("Transfer-Encoding: chunked\r\n"), 64 * kMiB, true);
  ASSERT_EQ(r.status(), 401) << r.response;
  EXPECT_LT(r.body_sent, 16 * kMiB) << "the server read the body before refusing";
  EXPECT_NE(r.body().find("<Code>MissingAuthenticationToken</Code>"), std::string::npos)
      << r.body();
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(cloud_->server()->Stats()["(unsigned)"].calls, 1);
  // A presigned-style query (X-Amz-Signature) passes the presence check; SigV4 decides later
  // (and refuses this one, whose other presign parameters are missing).
  r = testing::SendRaw(port,
                       "GET /?Action=DescribeVpcs&X-Amz-Signature=00 HTTP/1.1\r\nHost: "
                       "127.0.0.1\r\nConnection: close\r\n\r\n",
                       0, false);
  EXPECT_GE(r.status(), 400) << r.response;
  EXPECT_EQ(cloud_->server()->Stats()["(unsigned)"].calls, 1);
  EXPECT_EQ(cloud_->server()->Stats()["DescribeVpcs"].calls, 1);
}

TEST_F(CloudServerTest, OversizedBodiesGet413InEc2Shape) {
  int port = std::stoi(cloud_->endpoint().substr(cloud_->endpoint().rfind(':') + 1));
  // Any Authorization header passes the cheap check; the size is refused before SigV4 runs.
  std::string auth = "Authorization: AWS4-HMAC-SHA256 Credential=x\r\n";
  auto r =
      testing::SendRaw(port, FormHead(auth + "Content-Length: 67108864\r\n"), 64 * kMiB, false);
  ASSERT_EQ(r.status(), 413) << r.response;
  EXPECT_LT(r.body_sent, 16 * kMiB);
  EXPECT_NE(r.body().find("<Code>RequestEntityTooLarge</Code>"), std::string::npos) << r.body();
  EXPECT_NE(r.body().find("<RequestID>"), std::string::npos) << r.body();
  r = testing::SendRaw(port, FormHead(auth + "Transfer-Encoding: chunked\r\n"), 64 * kMiB, true);
  ASSERT_EQ(r.status(), 413) << r.response;
  EXPECT_LT(r.body_sent, 16 * kMiB) << "reading went on past the cap";
  EXPECT_TRUE(r.closed);
  // gzip is refused (415), not inflated.
  r = testing::SendRaw(port, FormHead(auth + "Content-Encoding: gzip\r\nContent-Length: 10\r\n"),
                       10, false);
  EXPECT_EQ(r.status(), 415) << r.response;
  // Signed requests of ordinary size still work.
  EXPECT_EQ(Ec2(QueryParams("DescribeVpcs", "2016-11-15")).status, 200);
}

TEST_F(CloudServerTest, ErrorsHaveEc2ShapeAndStatus) {
  QueryParams p("DescribeInstances", "2016-11-15");
  p.Set("InstanceId.1", "i-0123456789abcdef0");
  auto r = Ec2(p);
  EXPECT_EQ(r.status, 400);
  auto doc = Xml(r);
  EXPECT_STREQ(doc->document_element().name(), "Response");
  EXPECT_EQ(ErrorCode(r), "InvalidInstanceID.NotFound");
  EXPECT_NE(XmlText(doc->document_element(), "Errors/Error/Message").find("i-0123456789abcdef0"),
            std::string::npos);
  EXPECT_EQ(ErrorCode(Ec2(QueryParams("LaunchRockets", "2016-11-15"))), "InvalidAction");
  QueryParams run("RunInstances", "2016-11-15");
  run.Set("ImageId", "ami-00000000000000001").Set("MaxCount", 1);
  EXPECT_EQ(ErrorCode(Ec2(run)), "MissingParameter");
  run.Set("MinCount", 1).Set("DryRun", true);
  auto dry = Ec2(run);
  EXPECT_EQ(dry.status, 412);
  EXPECT_EQ(ErrorCode(dry), "DryRunOperation");
}

TEST_F(CloudServerTest, RunInstancesOverHttpReachesRunningInTheBackground) {
  QueryParams p("RunInstances", "2016-11-15");
  p.Set("ImageId", "ami-00000000000000001").Set("InstanceType", "t3.small");
  p.Set("MinCount", 1).Set("MaxCount", 1).Set("ClientToken", "http-1");
  p.At("Placement").Set("AvailabilityZone", "local-1b");
  p.At("BlockDeviceMapping", 1).Set("DeviceName", "/dev/sdf");
  p.At("BlockDeviceMapping", 1).At("Ebs").Set("VolumeSize", 2).Set("DeleteOnTermination", false);
  p.At("TagSpecification", 1).Set("ResourceType", "instance");
  p.At("TagSpecification", 1).At("Tag", 1).Set("Key", "Name").Set("Value", "http");
  p.Set("UserData", "ZWNobyBoaQ==");
  auto r = Ec2(p);
  ASSERT_EQ(r.status, 200) << r.body;
  pugi::xml_node root = Xml(r)->document_element();
  auto items = XmlItems(root, "instancesSet");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(XmlText(items[0], "instanceState/name"), "pending");
  EXPECT_EQ(XmlText(items[0], "instanceState/code"), "0");
  EXPECT_EQ(XmlText(items[0], "placement/availabilityZone"), "local-1b");
  EXPECT_EQ(XmlText(items[0], "clientToken"), "http-1");
  EXPECT_EQ(XmlItems(items[0], "blockDeviceMapping").size(), 2u);
  std::string id = XmlText(items[0], "instanceId");
  ASSERT_TRUE(cloud_->engine()->WaitIdle(std::chrono::seconds(10)));
  QueryParams d("DescribeInstances", "2016-11-15");
  d.At("Filter", 1).Set("Name", "tag:Name").Set("Value.1", "http");
  auto desc = Ec2(d);
  auto res = XmlItems(Xml(desc)->document_element(), "reservationSet");
  ASSERT_EQ(res.size(), 1u);
  auto inst = XmlItems(res[0], "instancesSet");
  ASSERT_EQ(inst.size(), 1u);
  EXPECT_EQ(XmlText(inst[0], "instanceId"), id);
  EXPECT_EQ(XmlText(inst[0], "instanceState/name"), "running");
  EXPECT_EQ(driver_.Instances().at(id).config.user_data, "echo hi");
  // Same token, same parameters: the same reservation.
  auto again = Ec2(p);
  EXPECT_EQ(XmlText(XmlItems(Xml(again)->document_element(), "instancesSet")[0], "instanceId"), id);
  auto stats = cloud_->server()->Stats();
  EXPECT_EQ(stats["RunInstances"].calls, 2);
}

TEST_F(CloudServerTest, DescribeInstancesPagesOverHttp) {
  QueryParams p("RunInstances", "2016-11-15");
  p.Set("ImageId", "ami-00000000000000001").Set("MinCount", 7).Set("MaxCount", 7);
  ASSERT_EQ(Ec2(p).status, 200);
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  for (; pages < 10; ++pages) {
    QueryParams d("DescribeInstances", "2016-11-15");
    d.Set("MaxResults", 5);
    if (!token.empty()) d.Set("NextToken", token);
    pugi::xml_node root = Xml(Ec2(d))->document_element();
    for (pugi::xml_node r : XmlItems(root, "reservationSet")) {
      for (pugi::xml_node i : XmlItems(r, "instancesSet")) seen.insert(XmlText(i, "instanceId"));
    }
    token = XmlText(root, "nextToken");
    if (token.empty()) break;
  }
  EXPECT_EQ(pages, 1);
  EXPECT_EQ(seen.size(), 7u);
}

TEST_F(CloudServerTest, ParameterCountAndJsonDepthLimitsAnswerInTheProtocolsShape) {
  QueryParams many("DescribeInstances", "2016-11-15");
  for (size_t i = 1; i <= aws::kMaxQueryParameters; ++i)
    many.Set("InstanceId." + std::to_string(i), "i-1");
  auto r = Ec2(many);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorCode(r), "InvalidParameterValue");
  EXPECT_NE(r.body.find(std::to_string(aws::kMaxQueryParameters)), std::string::npos) << r.body;

  nlohmann::json deep = 1;
  for (size_t i = 0; i < kMaxJsonDepth; ++i) deep = nlohmann::json::array({deep});
  auto sqs = Sqs("ListQueues", {{"QueueNamePrefix", "x"}, {"Extra", deep}});
  EXPECT_EQ(sqs.status, 400);
  auto j = nlohmann::json::parse(sqs.body);
  EXPECT_EQ(j["__type"], "com.amazonaws.sqs#SerializationException") << sqs.body;
  EXPECT_NE(j["message"].get<std::string>().find("64"), std::string::npos);
  // One level less is read (and the unknown member ignored or refused by name, not by depth).
  nlohmann::json shallow = 1;
  for (size_t i = 0; i + 2 < kMaxJsonDepth; ++i) shallow = nlohmann::json::array({shallow});
  auto ok = Sqs("ListQueues", {{"QueueNamePrefix", "x"}, {"Extra", shallow}});
  EXPECT_EQ(nlohmann::json::parse(ok.body).value("message", "").find("deeper"), std::string::npos);
}

TEST_F(CloudServerTest, TooManyHeadersGet431InEc2Shape) {
  int port = std::stoi(cloud_->endpoint().substr(cloud_->endpoint().rfind(':') + 1));
  std::string pad;
  for (size_t i = 0; i < http::kMaxRequestHeaders; ++i)
    pad += "X-Pad-" + std::to_string(i) + ": v\r\n";
  // Host, Authorization and the pads: one over the limit.
  auto r = testing::SendRaw(port,
                            "GET /?Action=DescribeVpcs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            "Authorization: AWS4-HMAC-SHA256 x\r\n" +
                                pad + "\r\n",
                            0, false);
  ASSERT_EQ(r.status(), 431) << r.response;
  EXPECT_NE(r.body().find("<Code>RequestHeaderFieldsTooLarge</Code>"), std::string::npos)
      << r.body();
  EXPECT_NE(r.body().find("at most 64"), std::string::npos) << r.body();
}

TEST_F(CloudServerTest, SqsJsonProtocol) {
  auto created = Sqs("CreateQueue", {{"QueueName", "work"}});
  ASSERT_EQ(created.status, 200) << created.body;
  std::string url = nlohmann::json::parse(created.body)["QueueUrl"];
  EXPECT_EQ(url, cloud_->endpoint() + "/000000000000/work");
  for (int i = 0; i < 3; ++i) {
    auto sent = Sqs("SendMessage", {{"QueueUrl", url}, {"MessageBody", "m" + std::to_string(i)}});
    ASSERT_EQ(sent.status, 200) << sent.body;
  }
  auto got = Sqs("ReceiveMessage",
                 {{"QueueUrl", url}, {"MaxNumberOfMessages", 10}, {"AttributeNames", {"All"}}});
  auto j = nlohmann::json::parse(got.body);
  ASSERT_EQ(j["Messages"].size(), 3u);
  EXPECT_EQ(j["Messages"][0]["Body"], "m0");
  EXPECT_TRUE(j["Messages"][0]["Attributes"].contains("SentTimestamp"));
  nlohmann::json entries = nlohmann::json::array();
  for (size_t i = 0; i < 3; ++i) {
    entries.push_back({{"Id", "e" + std::to_string(i)},
                       {"ReceiptHandle", i == 2 ? "bogus" : j["Messages"][i]["ReceiptHandle"]}});
  }
  auto del = Sqs("DeleteMessageBatch", {{"QueueUrl", url}, {"Entries", entries}});
  auto dj = nlohmann::json::parse(del.body);
  EXPECT_EQ(dj["Successful"].size(), 2u);
  ASSERT_EQ(dj["Failed"].size(), 1u);
  EXPECT_EQ(dj["Failed"][0]["Code"], "ReceiptHandleIsInvalid");
  auto missing = Sqs("GetQueueUrl", {{"QueueName", "nope"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(nlohmann::json::parse(missing.body)["__type"], "com.amazonaws.sqs#QueueDoesNotExist");
  EXPECT_EQ(*aws::FindHeader(missing.headers, "x-amzn-query-error"),
            "AWS.SimpleQueueService.NonExistentQueue;Sender");
  auto empty = Sqs("DeleteMessageBatch", {{"QueueUrl", url}, {"Entries", nlohmann::json::array()}});
  EXPECT_EQ(nlohmann::json::parse(empty.body)["__type"], "com.amazonaws.sqs#EmptyBatchRequest");
}

TEST_F(CloudServerTest, SqsLongPollOverHttpHonoursItsDeadline) {
  std::string url = cloud_->events_queue_url();
  // Drain the events of start-up (none are expected, but be exact).
  Sqs("PurgeQueue", {{"QueueUrl", url}});
  auto start = std::chrono::steady_clock::now();
  auto r = Sqs("ReceiveMessage", {{"QueueUrl", url}, {"WaitTimeSeconds", 1}});
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(nlohmann::json::parse(r.body).contains("Messages"));
  EXPECT_GE(waited, std::chrono::milliseconds(950));
  EXPECT_LT(waited, std::chrono::seconds(4));
  // A state change arriving during a long poll ends it.
  std::thread launcher([&] {
    RunInstancesRequest req;
    req.image_id = kBaseImageId;
    req.min_count = req.max_count = 1;
    EXPECT_TRUE(cloud_->engine()->RunInstances(req).ok());
  });
  start = std::chrono::steady_clock::now();
  auto woke = Sqs("ReceiveMessage", {{"QueueUrl", url}, {"WaitTimeSeconds", 20}});
  launcher.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  auto j = nlohmann::json::parse(woke.body);
  ASSERT_TRUE(j.contains("Messages")) << woke.body;
  auto event = nlohmann::json::parse(j["Messages"][0]["Body"].get<std::string>());
  EXPECT_EQ(event["detail-type"], "EC2 Instance State-change Notification");
  EXPECT_EQ(event["source"], "aws.ec2");
  EXPECT_EQ(event["detail"]["state"], "pending");
}

TEST_F(CloudServerTest, SqsQueryProtocolForOlderClients) {
  QueryParams p("SendMessage", "2012-11-05");
  p.Set("QueueUrl", cloud_->events_queue_url()).Set("MessageBody", "hello");
  auto sent = Ec2(p, nullptr, "sqs");
  ASSERT_EQ(sent.status, 200) << sent.body;
  EXPECT_STREQ(Xml(sent)->document_element().name(), "SendMessageResponse");
  QueryParams r("ReceiveMessage", "2012-11-05");
  r.Set("QueueUrl", cloud_->events_queue_url()).Set("MaxNumberOfMessages", 10);
  auto got = Ec2(r, nullptr, "sqs");
  pugi::xml_node result = aws::XmlChild(Xml(got)->document_element(), "ReceiveMessageResult");
  bool found = false;
  for (pugi::xml_node m : result.children("Message"))
    found = found || XmlText(m, "Body") == "hello";
  EXPECT_TRUE(found) << got.body;
  QueryParams bad("GetQueueUrl", "2012-11-05");
  bad.Set("QueueName", "nope");
  auto err = Ec2(bad, nullptr, "sqs");
  EXPECT_EQ(err.status, 400);
  EXPECT_EQ(XmlText(Xml(err)->document_element(), "Error/Code"),
            "AWS.SimpleQueueService.NonExistentQueue");
}

}  // namespace
}  // namespace spotkeeper::cloud
