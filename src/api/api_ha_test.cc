// Two API servers on one etcd store and one (fake) cloud: one leads; the follower serves reads
// that follow the leader's writes, refuses writes naming the leader, shows its role in /readyz
// and /metrics, and takes over when the leader resigns.
#include <gtest/gtest.h>

#include <thread>

#include "api/api_test_util.h"
#include "store/etcd_test_cluster.h"

namespace spotkeeper::api {
namespace {

using testing::FakeWorld;
using testing::Reply;
using testing::TempDir;
using testing::TestServer;

// Polls `done` (real time: the election runs on its own thread) until it holds or 15 s pass.
bool Eventually(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

bool Leads(TestServer& s) { return s.app().election()->role() == Role::kLeader; }

TEST(ApiHaTest, OneLeaderFollowersReadAndRefuseWritesTakeoverOnResign) {
  if (store_testing::EtcdBinary().empty()) {
    GTEST_SKIP() << "etcd is not installed (Debian's etcd-server, see scripts/deps.sh)";
  }
  auto etcd = store_testing::EtcdTestCluster::Start(1);
  ASSERT_TRUE(etcd.ok()) << etcd.status().ToString();
  FakeWorld world;
  TempDir dir_a, dir_b;
  TestServer a(&world, dir_a.path(), 7, 16, {}, (*etcd)->url());
  ASSERT_TRUE(Eventually([&] { return Leads(a); }));
  TestServer b(&world, dir_b.path(), 8, 16, {}, (*etcd)->url());
  ASSERT_TRUE(Eventually([&] { return b.app().election()->leader() == a.app().url(); }));
  EXPECT_FALSE(Leads(b));

  std::string group = a.CreateAndLaunch(world.Spec("web"));
  ASSERT_FALSE(group.empty());
  // The follower's reads catch up with the leader's writes.
  ASSERT_TRUE(Eventually([&] {
    Reply g = b.Get("/api/v1/group/" + group);
    return g.status == 200 && g.json["status"]["capacity"]["active"] == 1;
  }));
  // A follower never ticks, even when asked to.
  EXPECT_FALSE(b.RunUntil([] { return false; }, Duration{60'000}));
  EXPECT_EQ(b.app().loop().snapshot().ticks, 0);

  Reply refused = b.Post("/api/v1/group", ToJson(world.Spec("db")));
  EXPECT_EQ(refused.status, 503) << refused.Dump();
  EXPECT_NE(refused.body.find("follower"), std::string::npos) << refused.Dump();
  EXPECT_NE(refused.body.find(a.app().url()), std::string::npos) << refused.Dump();

  Reply ready_a = a.Call("GET", "/readyz", "", "", false);
  Reply ready_b = b.Call("GET", "/readyz", "", "", false);
  EXPECT_EQ(ready_a.json["role"], "leader") << ready_a.Dump();
  EXPECT_EQ(ready_b.status, 200) << ready_b.Dump();
  EXPECT_EQ(ready_b.json["role"], "follower") << ready_b.Dump();
  EXPECT_EQ(ready_b.json["checks"]["role"]["leader"], a.app().url()) << ready_b.Dump();
  EXPECT_NE(a.Get("/metrics").body.find("spotkeeper_leader{store=\"etcd\"} 1"), std::string::npos);
  EXPECT_NE(b.Get("/metrics").body.find("spotkeeper_leader{store=\"etcd\"} 0"), std::string::npos);

  // The leader resigns: the follower takes over and can change what the leader made.
  a.app().Stop();
  ASSERT_TRUE(Eventually([&] { return Leads(b); }));
  std::string second = b.CreateAndLaunch(world.Spec("db"));
  EXPECT_FALSE(second.empty());
  Reply groups = b.Get("/api/v1/group");
  EXPECT_EQ(groups.status, 200) << groups.Dump();
  EXPECT_EQ(groups.json["items"].size(), 2u) << groups.Dump();
}

}  // namespace
}  // namespace spotkeeper::api
