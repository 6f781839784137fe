#include "provider/ec2/eventbridge_event.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/json_depth.h"

namespace spotkeeper {
namespace {

nlohmann::json Envelope(const std::string& type, nlohmann::json detail) {
  return {{"version", "0"},
          {"id", "1e5527d7-bb36-4607-3370-4164db56a40e"},
          {"detail-type", type},
          {"source", "aws.ec2"},
          {"account", "123456789012"},
          {"time", "2026-01-12T11:00:00Z"},
          {"region", "us-east-1"},
          {"resources", {"arn:aws:ec2:us-east-1:123456789012:instance/i-1234567890abcdef0"}},
          {"detail", detail}};
}

TEST(EventBridgeTest, SpotInterruptionWarning) {
  auto e = ParseEventBridgeMessage(
      Envelope("EC2 Spot Instance Interruption Warning",
               {{"instance-id", "i-1234567890abcdef0"}, {"instance-action", "terminate"}})
          .dump());
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_TRUE(e->has_value());
  const CloudEvent& ev = **e;
  EXPECT_EQ(ev.kind, CloudEventKind::kSpotInterruptionWarning);
  EXPECT_EQ(ev.id, "1e5527d7-bb36-4607-3370-4164db56a40e");
  EXPECT_EQ(ev.instance_id, "i-1234567890abcdef0");
  EXPECT_EQ(ev.instance_action, "terminate");
  EXPECT_EQ(ev.time, *ParseTime("2026-01-12T11:00:00Z"));
  EXPECT_EQ(ev.action_time, *ParseTime("2026-01-12T11:02:00Z"));
  EXPECT_EQ(ev.receipt, "");
  EXPECT_EQ(ev.account, "123456789012");
  EXPECT_EQ(ev.region, "us-east-1");
}

TEST(EventBridgeTest, RebalanceAndStateChange) {
  auto r = ParseEventBridgeMessage(
      Envelope("EC2 Instance Rebalance Recommendation", {{"instance-id", "i-1"}}).dump());
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->kind, CloudEventKind::kRebalanceRecommendation);
  EXPECT_EQ((*r)->instance_id, "i-1");
  auto s = ParseEventBridgeMessage(Envelope("EC2 Instance State-change Notification",
                                            {{"instance-id", "i-2"}, {"state", "stopping"}})
                                       .dump());
  ASSERT_TRUE(s.ok() && s->has_value());
  EXPECT_EQ((*s)->kind, CloudEventKind::kInstanceStateChange);
  EXPECT_EQ((*s)->state, "stopping");
}

TEST(EventBridgeTest, SnsWrappedEvent) {
  nlohmann::json sns = {
      {"Type", "Notification"},
      {"MessageId", "m"},
      {"Message",
       Envelope("EC2 Instance Rebalance Recommendation", {{"instance-id", "i-3"}}).dump()}};
  auto r = ParseEventBridgeMessage(sns.dump());
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->instance_id, "i-3");
}

TEST(EventBridgeTest, UnknownKindIsNotAnError) {
  auto r = ParseEventBridgeMessage(Envelope("EBS Snapshot Notification", {{"result", "x"}}).dump());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

TEST(EventBridgeTest, GarbageIsInvalidArgument) {
  const std::string bad[] = {
      "",
      "not json",
      "[1,2]",
      R"({"detail-type":"EC2 Spot Instance Interruption Warning"})",
      Envelope("EC2 Spot Instance Interruption Warning", {{"instance-id", "i-1"}}).dump(),
      Envelope("EC2 Spot Instance Interruption Warning", {{"instance-action", "stop"}}).dump(),
      Envelope("EC2 Instance State-change Notification", {{"instance-id", "i-1"}, {"state", "x"}})
          .dump(),
      Envelope("EC2 Instance Rebalance Recommendation", {{"instance-id", 5}}).dump(),
  };
  for (const std::string& b : bad) {
    auto r = ParseEventBridgeMessage(b);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << b;
  }
  nlohmann::json wrong_source =
      Envelope("EC2 Instance Rebalance Recommendation", {{"instance-id", "i-1"}});
  wrong_source["source"] = "my.app";
  EXPECT_EQ(ParseEventBridgeMessage(wrong_source.dump()).status().code(), Code::kInvalidArgument);
  nlohmann::json bad_time =
      Envelope("EC2 Instance Rebalance Recommendation", {{"instance-id", "i"}});
  bad_time["time"] = "yesterday";
  EXPECT_EQ(ParseEventBridgeMessage(bad_time.dump()).status().code(), Code::kInvalidArgument);
}

TEST(EventBridgeTest, DeeplyNestedMessagesAreRefusedUnread) {
  nlohmann::json detail = {{"instance-id", "i-1234567890abcdef0"}};
  nlohmann::json deep = 1;
  for (size_t i = 0; i < kMaxJsonDepth; ++i) deep = nlohmann::json::array({deep});
  detail["extra"] = deep;
  auto e =
      ParseEventBridgeMessage(Envelope("EC2 Instance Rebalance Recommendation", detail).dump());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Code::kInvalidArgument);
  EXPECT_NE(e.status().message().find("deeper than 64"), std::string::npos);
  detail["extra"] = 1;
  EXPECT_TRUE(
      ParseEventBridgeMessage(Envelope("EC2 Instance Rebalance Recommendation", detail).dump())
          .ok());
}

}  // namespace
}  // namespace spotkeeper
