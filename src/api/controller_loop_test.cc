#include "api/controller_loop.h"

#include <gtest/gtest.h>

#include <future>

#include "api/api_test_util.h"
#include "store/sqlite_store.h"

namespace spotkeeper::api {
namespace {

class ControllerLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteStore::Open(":memory:", &world_.clock);
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    ControllerDeps deps;
    deps.store = store_.get();
    deps.cloud = world_.cloud.get();
    deps.clock = &world_.clock;
    deps.seed = 5;
    controller_ = std::make_unique<Controller>(deps);
  }

  testing::FakeWorld world_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Controller> controller_;
};

TEST_F(ControllerLoopTest, ActionsWaitForTheLockAtMostActTimeout) {
  ControllerLoopOptions o;
  o.run_thread = false;
  o.act_timeout = std::chrono::milliseconds(50);
  ControllerLoop loop(controller_.get(), &world_.clock, o);
  std::promise<void> holding, release;
  std::thread holder([&] {
    Status s = loop.Act([&](Controller&) {
      holding.set_value();
      release.get_future().wait();
      return OkStatus();
    });
    EXPECT_TRUE(s.ok());
  });
  holding.get_future().wait();
  Result<GroupRecord> busy =
      loop.Act([&](Controller& c) { return c.CreateGroup(world_.Spec("g"), "test"); });
  release.set_value();
  holder.join();
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.status().code(), Code::kUnavailable);
  EXPECT_TRUE(busy.status().retry_after().has_value());
  EXPECT_EQ(store_->ListGroups(true)->size(), 0u);  // nothing was written
  // Once the lock is free the same action goes through.
  EXPECT_TRUE(loop.Act([&](Controller& c) { return c.CreateGroup(world_.Spec("g"), "t"); }).ok());
}

TEST_F(ControllerLoopTest, ReadyAfterTheFirstTickAndNotWhenStalled) {
  ControllerLoopOptions o;
  o.run_thread = false;
  ControllerLoop loop(controller_.get(), &world_.clock, o);
  std::string why;
  EXPECT_FALSE(loop.Ready(&why));
  EXPECT_NE(why.find("first tick"), std::string::npos);
  loop.TickOnce();
  EXPECT_EQ(loop.snapshot().ticks, 1);
  EXPECT_TRUE(loop.Ready(&why)) << why;

  // A loop whose last tick is older than the stall limit (here: any age at all) is not ready.
  ControllerLoopOptions stalled = o;
  stalled.stall_limit = std::chrono::milliseconds(-1);
  ControllerLoop stuck(controller_.get(), &world_.clock, stalled);
  stuck.TickOnce();
  EXPECT_FALSE(stuck.Ready(&why));
  EXPECT_NE(why.find("last ticked"), std::string::npos) << why;
}

TEST_F(ControllerLoopTest, ThreadTicksAndStopsWhenAsked) {
  ControllerLoopOptions o;
  ControllerLoop loop(controller_.get(), &world_.clock, o);
  std::promise<void> ticked;
  bool once = false;
  loop.SetOnChange([&] {
    if (!once) {
      once = true;
      ticked.set_value();
    }
  });
  loop.Start();
  ASSERT_EQ(ticked.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  loop.Stop();
  int64_t ticks = loop.snapshot().ticks;
  EXPECT_GE(ticks, 1);
  loop.TickOnce();  // still usable by hand after the thread stopped
  EXPECT_EQ(loop.snapshot().ticks, ticks + 1);
}

}  // namespace
}  // namespace spotkeeper::api
