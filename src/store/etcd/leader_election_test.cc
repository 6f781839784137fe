// LeaderElection on a throwaway etcd: one leader; followers and deposed leaders cannot write;
// a resigned or expired leader is replaced.
#include "store/etcd/leader_election.h"

#include <gtest/gtest.h>

#include <thread>

#include "provider/ec2/curl_http_client.h"
#include "store/etcd_store_fixture.h"
#include "store/etcd_test_cluster.h"
#include "store/store_test_util.h"

namespace spotkeeper {
namespace {

using store_testing::FullGroup;
using store_testing::WriteTxn;

class LeaderElectionTest : public store_testing::EtcdStoreFixture {
 protected:
  static LeaderElectionOptions Named(const std::string& name) {
    LeaderElectionOptions o;
    o.name = name;
    o.ttl_seconds = 2;
    return o;
  }
};

TEST_F(LeaderElectionTest, OneLeaderAndFollowersCannotWrite) {
  auto a = Open(), b = Open();
  ASSERT_TRUE(a && b);
  LeaderElection ea(a.get(), Named("a")), eb(b.get(), Named("b"));
  EXPECT_EQ(ea.Step(), Role::kLeader);
  EXPECT_EQ(eb.Step(), Role::kFollower);
  EXPECT_EQ(eb.leader(), "a");
  EXPECT_EQ(ea.Step(), Role::kLeader);  // renews
  EXPECT_TRUE(
      WriteTxn(*a, [](Transaction& t) { return t.PutGroup(FullGroup("g-1", "web")); }).ok());
  Status s = WriteTxn(*b, [](Transaction& t) { return t.PutGroup(FullGroup("g-2", "db")); });
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("held by a"), std::string::npos) << s.message();
}

TEST_F(LeaderElectionTest, ADeposedLeadersWritesAreRefused) {
  auto a = Open(), b = Open();
  ASSERT_TRUE(a && b);
  LeaderElection ea(a.get(), Named("a")), eb(b.get(), Named("b"));
  ASSERT_EQ(ea.Step(), Role::kLeader);
  ASSERT_TRUE(
      WriteTxn(*a, [](Transaction& t) { return t.PutGroup(FullGroup("g-1", "web")); }).ok());
  // a's lease ends while a is paused (as after SIGSTOP past the TTL): revoke it from outside.
  auto key = b->client().Range(ea.key(), "");
  ASSERT_TRUE(key.ok() && key->kvs.size() == 1);
  ASSERT_TRUE(b->client().Revoke(key->kvs[0].lease).ok());
  ASSERT_EQ(eb.Step(), Role::kLeader);
  EXPECT_NE(b->GetGroup("g-1").status().code(), Code::kNotFound);  // b reloaded on winning
  GroupRecord changed = FullGroup("g-1", "web");
  changed.spec_json = "{}";
  ASSERT_TRUE(WriteTxn(*b, [&](Transaction& t) { return t.PutGroup(changed); }).ok());

  // a wakes up still believing it leads; its write is refused and changes nothing.
  EXPECT_EQ(ea.role(), Role::kLeader);
  GroupRecord stale = FullGroup("g-1", "stale");
  Status s = WriteTxn(*a, [&](Transaction& t) { return t.PutGroup(stale); });
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("no longer the leader"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("held by b"), std::string::npos) << s.message();
  auto c = Open();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->GetGroup("g-1")->name, "web");
  EXPECT_EQ(c->GetGroup("g-1")->generation, 2);
  // Its next round notices.
  EXPECT_EQ(ea.Step(), Role::kFollower);
}

// Passes requests on to a real client and keeps the bodies of the range requests.
class RangeRecordingHttp : public aws::HttpClient {
 public:
  explicit RangeRecordingHttp(aws::HttpClient* next) : next_(next) {}
  Result<aws::HttpResponse> Send(const aws::HttpRequest& request) override {
    if (request.url.find("/v3/kv/range") != std::string::npos) ranges.push_back(request.body);
    return next_->Send(request);
  }
  std::vector<std::string> ranges;

 private:
  aws::HttpClient* next_;
};

TEST_F(LeaderElectionTest, AWinnerCatchesUpInsteadOfLoadingEverything) {
  auto a = Open();
  ASSERT_NE(a, nullptr);
  RangeRecordingHttp recording(&http_);
  EtcdStoreOptions options;
  options.endpoints = etcd_->endpoints();
  options.prefix = prefix_;
  options.http = &recording;
  options.clock = &clock_;
  auto b = EtcdStore::Open(options);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  LeaderElection ea(a.get(), Named("a")), eb(b->get(), Named("b"));
  ASSERT_EQ(ea.Step(), Role::kLeader);
  ASSERT_TRUE(
      WriteTxn(*a, [](Transaction& t) { return t.PutGroup(FullGroup("g-1", "web")); }).ok());
  ASSERT_EQ(eb.Step(), Role::kFollower);  // follows: g-1 is in its replica
  ASSERT_TRUE(WriteTxn(*a, [](Transaction& t) { return t.PutGroup(FullGroup("g-2", "db")); }).ok());
  ea.Stop();  // resigns

  recording.ranges.clear();
  ASSERT_EQ(eb.Step(), Role::kLeader);
  // It has every write of the previous leader ...
  EXPECT_EQ((*b)->GetGroup("g-1")->name, "web");
  EXPECT_EQ((*b)->GetGroup("g-2")->name, "db");
  // ... read as the changes since its replica's revision, not as a load of everything.
  ASSERT_FALSE(recording.ranges.empty());
  for (const std::string& body : recording.ranges) {
    EXPECT_NE(body.find("min_mod_revision"), std::string::npos) << body;
  }
  EXPECT_TRUE(
      WriteTxn(**b, [](Transaction& t) { return t.PutGroup(FullGroup("g-3", "cache")); }).ok());
}

TEST_F(LeaderElectionTest, AResigningLeaderIsReplacedAtOnce) {
  auto a = Open(), b = Open();
  ASSERT_TRUE(a && b);
  LeaderElection ea(a.get(), Named("a")), eb(b.get(), Named("b"));
  ASSERT_EQ(ea.Step(), Role::kLeader);
  ASSERT_EQ(eb.Step(), Role::kFollower);
  ea.Stop();
  EXPECT_EQ(ea.role(), Role::kFollower);
  EXPECT_EQ(eb.Step(), Role::kLeader);
  EXPECT_EQ(WriteTxn(*a, [](Transaction& t) { return t.PutGroup(FullGroup("g-1", "w")); }).code(),
            Code::kFailedPrecondition);
}

TEST_F(LeaderElectionTest, AnExpiredLeaseHandsTheLeadOver) {
  auto a = Open(), b = Open();
  ASSERT_TRUE(a && b);
  LeaderElection ea(a.get(), Named("a")), eb(b.get(), Named("b"));
  ASSERT_EQ(ea.Step(), Role::kLeader);
  // a stops renewing; b campaigns until the 2 s lease has run out (bounded wait).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (eb.Step() != Role::kLeader) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "b never took over";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling a condition
  }
  EXPECT_EQ(ea.Step(), Role::kFollower);
  EXPECT_EQ(ea.leader(), "");
}

}  // namespace
}  // namespace spotkeeper
