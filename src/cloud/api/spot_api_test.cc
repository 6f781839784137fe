// The spot market through the local cloud's endpoints, in real time (the market thread, worker
// threads, the system clock): EC2 Query shapes of the spot actions, the IMDS answers inside the
// notice window, and events by SQS long poll (with the delay measured).
#include <gtest/gtest.h>

#include <cstdio>

#include "awsproto/query_decoder.h"
#include "cloud/api/api_test_util.h"
#include "cloud/api/ec2_handler.h"

namespace spotkeeper::cloud {
namespace {

using aws::QueryParams;
using aws::XmlItems;
using aws::XmlText;
using std::chrono::milliseconds;

class SpotApiTest : public CloudApiTest {
 protected:
  void Customize(LocalCloudOptions& o) override {
    o.engine.market.notice = milliseconds(600);
    o.engine.market.rebalance_lead = milliseconds(300);
  }
  std::string RunSpot(const std::string& max_price = "") {
    QueryParams p("RunInstances", "2016-11-15");
    p.Set("ImageId", kBaseImageId).Set("InstanceType", "t3.micro").Set("MinCount", 1);
    p.Set("MaxCount", 1).Set("Placement.AvailabilityZone", "local-1a");
    p.Set("InstanceMarketOptions.MarketType", "spot");
    p.Set("InstanceMarketOptions.SpotOptions.SpotInstanceType", "one-time");
    if (!max_price.empty()) p.Set("InstanceMarketOptions.SpotOptions.MaxPrice", max_price);
    auto r = Ec2(p);
    last_ = r;
    if (r.status != 200) return "";
    pugi::xml_node item = XmlItems(Xml(r)->document_element(), "instancesSet").at(0);
    EXPECT_EQ(XmlText(item, "instanceLifecycle"), "spot");
    EXPECT_EQ(XmlText(item, "spotInstanceRequestId").rfind("sir-", 0), 0u);
    return XmlText(item, "instanceId");
  }
  // Long-polls the events queue (at most `wait_s` seconds) for the next event about `id`.
  nlohmann::json NextEvent(const std::string& id, int wait_s = 5) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = Sqs("ReceiveMessage", {{"QueueUrl", cloud_->events_queue_url()},
                                      {"MaxNumberOfMessages", 1},
                                      {"WaitTimeSeconds", wait_s}});
      nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
      if (!body.is_object() || !body.contains("Messages")) continue;
      for (const nlohmann::json& m : body["Messages"]) {
        nlohmann::json e = nlohmann::json::parse(m["Body"].get<std::string>());
        Sqs("DeleteMessage",
            {{"QueueUrl", cloud_->events_queue_url()}, {"ReceiptHandle", m["ReceiptHandle"]}});
        if (e["detail"].value("instance-id", "") == id) return e;
      }
    }
    return nlohmann::json();
  }
  ApiReply Imds(const InstanceView& v, const std::string& path) {
    return cloud_->imds_handler()->Handle(v.instance.vpc_id, v.instance.private_ip, "GET",
                                          "/latest/meta-data/" + path, {});
  }
  aws::HttpResponse last_;
};

TEST_F(SpotApiTest, SpotActionsAnswerEc2Shapes) {
  std::string id = RunSpot();
  ASSERT_FALSE(id.empty()) << last_.body;
  ASSERT_TRUE(cloud_->engine()->WaitIdle(std::chrono::seconds(10)));
  auto r = Ec2(QueryParams("DescribeSpotInstanceRequests", "2016-11-15")
                   .Set("Filter.1.Name", "instance-id")
                   .Set("Filter.1.Value.1", id));
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<pugi::xml_node> items =
      XmlItems(Xml(r)->document_element(), "spotInstanceRequestSet");
  ASSERT_EQ(items.size(), 1u);
  pugi::xml_node s = items[0];
  std::string sir = XmlText(s, "spotInstanceRequestId");
  EXPECT_EQ(XmlText(s, "instanceId"), id);
  EXPECT_EQ(XmlText(s, "state"), "active");
  EXPECT_EQ(XmlText(s, "status/code"), "fulfilled");
  EXPECT_FALSE(XmlText(s, "status/updateTime").empty());
  EXPECT_EQ(XmlText(s, "type"), "one-time");
  EXPECT_EQ(XmlText(s, "spotPrice"), "0.010400");
  EXPECT_EQ(XmlText(s, "launchSpecification/instanceType"), "t3.micro");
  EXPECT_EQ(XmlText(s, "launchSpecification/placement/availabilityZone"), "local-1a");
  EXPECT_EQ(XmlText(s, "launchedAvailabilityZone"), "local-1a");
  EXPECT_EQ(XmlText(s, "productDescription"), "Linux/UNIX");
  EXPECT_EQ(XmlText(s, "instanceInterruptionBehavior"), "terminate");

  r = Ec2(QueryParams("DescribeSpotPriceHistory", "2016-11-15")
              .Set("InstanceType.1", "t3.micro")
              .Set("ProductDescription.1", "Linux/UNIX")
              .Set("AvailabilityZone", "local-1a")
              .Set("StartTime", FormatTime(SystemClock::Default()->Now())));
  ASSERT_EQ(r.status, 200) << r.body;
  items = XmlItems(Xml(r)->document_element(), "spotPriceHistorySet");
  ASSERT_EQ(items.size(), 1u);  // the price in effect at StartTime
  EXPECT_EQ(XmlText(items[0], "spotPrice"), "0.003600");
  EXPECT_EQ(XmlText(items[0], "instanceType"), "t3.micro");
  EXPECT_EQ(XmlText(items[0], "availabilityZone"), "local-1a");
  EXPECT_EQ(XmlText(items[0], "productDescription"), "Linux/UNIX");
  EXPECT_FALSE(XmlText(items[0], "timestamp").empty());
  r = Ec2(QueryParams("DescribeSpotPriceHistory", "2016-11-15").Set("StartTime", "yesterday"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorCode(r), "InvalidParameterValue");

  EXPECT_TRUE(RunSpot("0.001").empty());
  EXPECT_EQ(last_.status, 400);
  EXPECT_EQ(ErrorCode(last_), "SpotMaxPriceTooLow");
  ASSERT_TRUE(cloud_->engine()->SetPoolCapacity("t3.micro", "local-1a", "spot", 1).ok());
  EXPECT_TRUE(RunSpot().empty());
  EXPECT_EQ(last_.status, 500);  // as EC2 answers InsufficientInstanceCapacity
  EXPECT_EQ(ErrorCode(last_), "InsufficientInstanceCapacity");

  r = Ec2(
      QueryParams("CancelSpotInstanceRequests", "2016-11-15").Set("SpotInstanceRequestId.1", sir));
  ASSERT_EQ(r.status, 200) << r.body;
  items = XmlItems(Xml(r)->document_element(), "spotInstanceRequestSet");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(XmlText(items[0], "spotInstanceRequestId"), sir);
  EXPECT_EQ(XmlText(items[0], "state"), "cancelled");
}

TEST_F(SpotApiTest, AnInterruptionSignalsThroughTheImdsAndTheQueueOnTime) {
  std::string id = RunSpot();
  ASSERT_FALSE(id.empty()) << last_.body;
  ASSERT_TRUE(cloud_->engine()->WaitIdle(std::chrono::seconds(10)));
  InstanceView v = *cloud_->engine()->FindInstance(id);
  EXPECT_EQ(Imds(v, "spot/instance-action").status, 404);
  EXPECT_EQ(NextEvent(id, 1)["detail"]["state"], "pending");
  EXPECT_EQ(NextEvent(id, 1)["detail"]["state"], "running");

  auto t0 = std::chrono::steady_clock::now();
  auto sched = cloud_->engine()->InterruptInstances({id}, {});
  ASSERT_TRUE(sched.ok()) << sched.status().ToString();
  nlohmann::json rebalance = NextEvent(id);
  double rebalance_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(rebalance["detail-type"], "EC2 Instance Rebalance Recommendation");
  EXPECT_EQ(Imds(v, "events/recommendations/rebalance").status, 200);
  EXPECT_EQ(Imds(v, "spot/instance-action").status, 404);

  nlohmann::json warning = NextEvent(id);
  auto warned = std::chrono::steady_clock::now();
  EXPECT_EQ(warning["detail-type"], "EC2 Spot Instance Interruption Warning");
  EXPECT_EQ(warning["detail"]["instance-action"], "terminate");
  // Inside the notice window the IMDS has the action and its time.
  ApiReply action = Imds(v, "spot/instance-action");
  EXPECT_EQ(action.status, 200);
  nlohmann::json a = nlohmann::json::parse(action.body);
  EXPECT_EQ(a["action"], "terminate");
  std::string when = FormatTime((*sched)[0].action_time);
  EXPECT_EQ(a["time"], when.substr(0, 19) + "Z");

  nlohmann::json stopping = NextEvent(id);
  auto acted = std::chrono::steady_clock::now();
  EXPECT_EQ(stopping["detail"]["state"], "shutting-down");
  EXPECT_EQ(NextEvent(id)["detail"]["state"], "terminated");
  double lead_ms = std::chrono::duration<double, std::milli>(warned - t0).count();
  double notice_ms = std::chrono::duration<double, std::milli>(acted - t0).count();
  std::printf(
      "[ timing ] rebalance event after %.1f ms; notice at %.1f ms (due 300); action at "
      "%.1f ms (due 900)\n",
      rebalance_ms, lead_ms, notice_ms);
  EXPECT_GE(lead_ms, 300 - 2);  // never early (steady and system clocks may differ by ~1 ms)
  EXPECT_GE(notice_ms, 900 - 2);
  EXPECT_LT(notice_ms, 900 + 2000);
  DescribeRequest d;
  d.ids = {v.instance.spot_request_id};
  auto page = cloud_->engine()->DescribeSpotInstanceRequests(d);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items[0].status_code, "instance-terminated-no-capacity");
}

}  // namespace
}  // namespace spotkeeper::cloud
