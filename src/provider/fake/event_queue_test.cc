#include "provider/fake/event_queue.h"

#include <gtest/gtest.h>

namespace spotkeeper {
namespace {

CloudEvent At(Time t, const std::string& instance) {
  CloudEvent e;
  e.kind = CloudEventKind::kInstanceStateChange;
  e.instance_id = instance;
  e.time = t;
  e.state = "running";
  return e;
}

TEST(EventQueueTest, DeliversInOrderWithUniqueIdsAndReceipts) {
  const Time t0 = FromMillis(1'000'000);
  EventQueue q;
  for (int i = 0; i < 5; ++i) q.Push(At(t0 + Duration{i}, "i-" + std::to_string(i)));
  std::vector<CloudEvent> got = q.Receive(t0 + Duration{10}, 3, Duration{30'000});
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].instance_id, "i-0");
  EXPECT_EQ(got[2].instance_id, "i-2");
  EXPECT_NE(got[0].id, got[1].id);
  EXPECT_NE(got[0].receipt, got[1].receipt);
  std::vector<CloudEvent> rest = q.Receive(t0 + Duration{10}, 10, Duration{30'000});
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].instance_id, "i-3");
  EXPECT_TRUE(q.Receive(t0 + Duration{10}, 10, Duration{30'000}).empty());
}

TEST(EventQueueTest, UnackedEventsComeBackAfterTheVisibilityTimeout) {
  const Time t0 = FromMillis(1'000'000);
  EventQueue q;
  q.Push(At(t0, "i-a"));
  q.Push(At(t0, "i-b"));
  std::vector<CloudEvent> first = q.Receive(t0, 10, Duration{30'000});
  ASSERT_EQ(first.size(), 2u);
  ASSERT_TRUE(q.Ack({first[1].receipt}).ok());
  EXPECT_EQ(q.NextRedeliveryTime(t0), t0 + Duration{30'000});
  EXPECT_TRUE(q.Receive(t0 + Duration{29'999}, 10, Duration{30'000}).empty());
  std::vector<CloudEvent> again = q.Receive(t0 + Duration{30'000}, 10, Duration{30'000});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].instance_id, "i-a");
  EXPECT_EQ(again[0].id, first[0].id);            // the same event
  EXPECT_NE(again[0].receipt, first[0].receipt);  // a new receipt
  // An old receipt still deletes it (as SQS allows), and acking twice is fine.
  EXPECT_TRUE(q.Ack({first[0].receipt}).ok());
  EXPECT_TRUE(q.Ack({again[0].receipt}).ok());
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.NextRedeliveryTime(t0), kNever);
  EXPECT_EQ(q.pushed(), 2);
}

TEST(EventQueueTest, UnknownReceiptIsRejectedAndDeletesNothing) {
  const Time t0 = FromMillis(1'000'000);
  EventQueue q;
  q.Push(At(t0, "i-a"));
  std::vector<CloudEvent> got = q.Receive(t0, 10, Duration{30'000});
  Status s = q.Ack({got[0].receipt, "bogus"});
  EXPECT_EQ(s.cloud_code(), "ReceiptHandleIsInvalid");
  EXPECT_EQ(q.size(), 1u);
}

TEST(EventQueueTest, RedeliveryTimeIgnoresEventsAlreadyVisible) {
  const Time t0 = FromMillis(1'000'000);
  EventQueue q;
  q.Push(At(t0, "i-a"));
  ASSERT_EQ(q.Receive(t0, 1, Duration{1000}).size(), 1u);
  EXPECT_EQ(q.NextRedeliveryTime(t0 + Duration{999}), t0 + Duration{1000});
  EXPECT_EQ(q.NextRedeliveryTime(t0 + Duration{1000}), kNever);  // visible already
}

}  // namespace
}  // namespace spotkeeper
