// health.leader: members queued for a planned recycle that lead go last (LeaderOrder), inline
// and with the probes on a worker; without the check, the members' own order.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>

#include "controller/controller_harness.h"
#include "controller/serving_prober.h"

namespace spotkeeper {
namespace {

using testing::ControllerHarness;

GroupSpec Quorum(ControllerHarness& h, bool leader_check) {
  GroupSpec spec = h.BaseSpec("zk");
  spec.capacity = {3, 0, 3};
  spec.strategy.max_unavailable = 1;
  if (leader_check) {
    LeaderCheckSpec c;
    c.probe.port = 2181;
    c.probe.send = "srvr\n";
    c.probe.expect = "Mode: leader";
    spec.health.leader = c;
  }
  return spec;
}

// Makes the group's member at `leader_index` (in the order the controller lists them) the
// leader and the others followers, as ZooKeeper's srvr answers; returns the leader's SSI id.
std::string ElectLeader(ControllerHarness& h, const std::string& group, size_t leader_index) {
  std::vector<SsiRecord> ssis = h.Ssis(group);
  EXPECT_GT(ssis.size(), leader_index);
  for (size_t i = 0; i < ssis.size(); ++i) {
    Status s = h.cloud().SetWorkloadReply(
        ssis[i].instance_id, i == leader_index ? "Zookeeper version: 3.8\nMode: leader\n"
                                               : "Zookeeper version: 3.8\nMode: follower\n");
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return ssis[leader_index].id;
}

// Recycles every member at once and returns the SSI ids in the order their replacements came
// up. `between` runs between ticks (to let probes on a worker answer).
std::vector<std::string> RecycleAllInOrder(ControllerHarness& h, const std::string& group,
                                           const std::function<void()>& between = nullptr) {
  std::map<std::string, std::string> old;
  for (const auto& s : h.Ssis(group)) {
    old[s.id] = s.instance_id;
    EXPECT_TRUE(h.controller().RecycleSsi(s.id, "test").ok());
  }
  std::vector<std::string> order;
  auto replaced = [&] {
    for (const auto& s : h.Ssis(group)) {
      bool done = s.state == SsiState::kActive && s.instance_id != old[s.id];
      if (done && std::find(order.begin(), order.end(), s.id) == order.end()) {
        order.push_back(s.id);
      }
    }
    return order.size() == old.size();
  };
  if (between) {
    for (int i = 0; i < 2000 && !replaced(); ++i) {
      between();
      h.RunFor(Duration{500});
    }
  } else {
    EXPECT_TRUE(h.RunUntil(replaced)) << h.EventLog();
  }
  EXPECT_EQ(order.size(), old.size()) << h.EventLog();
  return order;
}

int CountEvents(ControllerHarness& h, const std::string& type, const std::string& ssi_id) {
  EventQuery q;
  q.ssi_id = ssi_id;
  q.limit = 10000;
  auto events = h.store().ListEvents(q);
  if (!events.ok()) return -1;
  return static_cast<int>(std::count_if(events->begin(), events->end(),
                                        [&](const EventRecord& e) { return e.kind == type; }));
}

TEST(LeaderOrderTest, ARollingRecycleTakesTheLeaderLast) {
  ControllerHarness h(5);
  std::string g = h.CreateAndLaunch(Quorum(h, true));
  // The member that would go first leads.
  std::string leader = ElectLeader(h, g, 0);
  std::vector<std::string> order = RecycleAllInOrder(h, g);
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order.back(), leader) << h.EventLog();
  EXPECT_GE(CountEvents(h, "RecycleDeferred", leader), 1) << h.EventLog();
  for (const std::string& id : order) {
    if (id != leader) {
      EXPECT_EQ(CountEvents(h, "RecycleDeferred", id), 0) << id;
    }
  }
  // Its waiting said why, and the condition went when its recycle started.
  EXPECT_EQ(ControllerHarness::ConditionReason(h.Ssi(leader), "Waiting"), "");
}

// The control: the same roll without health.leader takes the members in their own order, the
// leader first (what the check is for).
TEST(LeaderOrderTest, WithoutTheCheckTheLeaderGoesInTheMembersOrder) {
  ControllerHarness h(5);
  std::string g = h.CreateAndLaunch(Quorum(h, false));
  std::string leader = ElectLeader(h, g, 0);
  std::vector<std::string> order = RecycleAllInOrder(h, g);
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order.front(), leader);
}

// A probe that tells nothing (every member answers it, or none does) leaves the order as it was:
// nothing waits for a leader that cannot be told apart.
TEST(LeaderOrderTest, AProbeEveryMemberOrNoMemberPassesKeepsTheOrder) {
  for (bool all : {true, false}) {
    ControllerHarness h(5);
    std::string g = h.CreateAndLaunch(Quorum(h, true));
    std::vector<SsiRecord> ssis = h.Ssis(g);
    for (const auto& s : ssis) {
      ASSERT_TRUE(h.cloud().SetWorkloadReply(s.instance_id, all ? "Mode: leader" : "Mode: x").ok());
    }
    std::vector<std::string> order = RecycleAllInOrder(h, g);
    ASSERT_EQ(order.size(), 3u);
    EXPECT_EQ(order.front(), ssis[0].id) << "all=" << all;
    EXPECT_EQ(CountEvents(h, "RecycleDeferred", ssis[0].id), 0) << "all=" << all;
  }
}

// Counts the prober's ended probes and waits for them in real time (bounded).
class Ended {
 public:
  void Notify() {
    std::lock_guard<std::mutex> l(mu_);
    ++count_;
    cv_.notify_all();
  }
  bool WaitBeyond(int n) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(10), [&] { return count_ > n; });
  }
  int count() const {
    std::lock_guard<std::mutex> l(mu_);
    return count_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

// The server's way: the probes run on a worker of their own, a queued recycle waits while they
// are in flight, and their answers (which wake the loop) put the leader last all the same.
TEST(LeaderOrderTest, WithProbesOnAWorkerTheLeaderStillGoesLast) {
  ControllerHarness h(5);
  Ended ended;
  ServingProber prober(&h.provider(), 1, [&] { ended.Notify(); });
  h.SetLeaderProber(&prober);
  std::string g = h.CreateAndLaunch(Quorum(h, true));
  std::string leader = ElectLeader(h, g, 0);
  std::vector<std::string> order = RecycleAllInOrder(h, g, [&] {
    int n = ended.count();
    if (prober.in_flight() > 0) {
      EXPECT_TRUE(ended.WaitBeyond(n));
    }
  });
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order.back(), leader) << h.EventLog();
  EXPECT_GE(ended.count(), 2);  // it did ask on the worker
  EXPECT_EQ(prober.in_flight(), 0u);
}

}  // namespace
}  // namespace spotkeeper
