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

// Waits (bounded) until `cond` holds.
template <typename F>
bool WaitFor(F cond, std::chrono::seconds limit = std::chrono::seconds(15)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling a condition
  }
  return true;
}

// A stream client whose watch always breaks at once: the election must fall back to polling.
class BrokenStream final : public aws::HttpStreamClient {
 public:
  Status Stream(const aws::HttpRequest&, const std::function<bool(std::string_view)>&,
                aws::StreamCancel*) override {
    ++calls;
    return Unavailable("stream broken (test)");
  }
  std::atomic<int> calls{0};
};

TEST_F(LeaderElectionTest, TheWatchWakesAFollowerWhenTheLeaderKeyGoes) {
  auto a = Open(), b = Open();
  ASSERT_TRUE(a && b);
  LeaderElection ea(a.get(), Named("a"));
  LeaderElectionOptions ob = Named("b");
  ob.poll = std::chrono::hours(1);  // only the watch can wake b in time
  ob.watch = &http_;
  LeaderElection eb(b.get(), ob);
  ASSERT_EQ(ea.Step(), Role::kLeader);
  eb.Start();
  ASSERT_TRUE(WaitFor([&] { return eb.watching() && eb.leader() == "a"; }));
  EXPECT_EQ(eb.role(), Role::kFollower);
  // a dies and its lease runs out (revoked from outside, as etcd does at expiry).
  auto key = b->client().Range(ea.key(), "");
  ASSERT_TRUE(key.ok() && key->kvs.size() == 1);
  ASSERT_TRUE(b->client().Revoke(key->kvs[0].lease).ok());
  ASSERT_TRUE(WaitFor([&] { return eb.role() == Role::kLeader; })) << "the watch did not wake b";
  EXPECT_GE(eb.watch_wakeups(), 1);
  EXPECT_TRUE(WriteTxn(*b, [](Transaction& t) { return t.PutGroup(FullGroup("g-1", "w")); }).ok());
  eb.Stop();  // cancels the stream: returns at once although the watch idles
  EXPECT_EQ(eb.role(), Role::kFollower);
}

TEST_F(LeaderElectionTest, WhenTheWatchBreaksPollingTakesOver) {
  auto a = Open(), b = Open();
  ASSERT_TRUE(a && b);
  LeaderElection ea(a.get(), Named("a"));
  BrokenStream broken;
  LeaderElectionOptions ob = Named("b");
  ob.poll = std::chrono::milliseconds(50);
  ob.watch = &broken;
  LeaderElection eb(b.get(), ob);
  ASSERT_EQ(ea.Step(), Role::kLeader);
  eb.Start();
  ASSERT_TRUE(WaitFor([&] { return broken.calls.load() >= 1 && eb.leader() == "a"; }));
  auto key = b->client().Range(ea.key(), "");
  ASSERT_TRUE(key.ok() && key->kvs.size() == 1);
  ASSERT_TRUE(b->client().Revoke(key->kvs[0].lease).ok());
  ASSERT_TRUE(WaitFor([&] { return eb.role() == Role::kLeader; })) << "polling did not take over";
  EXPECT_EQ(eb.watch_wakeups(), 0);
  EXPECT_FALSE(eb.watching());
}

TEST(EtcdWatchParseTest, LinesSplitAcrossChunksAndErrors) {
  std::string buf;
  int created = 0;
  std::vector<EtcdWatchEvent> events;
  auto on_created = [&] { ++created; };
  auto on_event = [&](const EtcdWatchEvent& e) { events.push_back(e); };
  // "/k" is L2s=, "v" is dg==.
  std::string stream =
      R"({"result":{"header":{"revision":"5"},"created":true}})"
      "\n"
      R"({"result":{"header":{"revision":"6"},"events":[{"kv":{"key":"L2s=","value":"dg==","mod_revision":"6"}}]}})"
      "\n"
      R"({"result":{"header":{"revision":"7"},"events":[{"type":"DELETE","kv":{"key":"L2s=","mod_revision":"7"}}]}})"
      "\n";
  for (size_t i = 0; i < stream.size(); i += 7) {
    ASSERT_TRUE(
        EtcdWatch::Parse(buf, std::string_view(stream).substr(i, 7), on_created, on_event).ok());
  }
  EXPECT_EQ(created, 1);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, EtcdWatchEvent::Type::kPut);
  EXPECT_EQ(events[0].key, "/k");
  EXPECT_EQ(events[0].value, "v");
  EXPECT_EQ(events[0].mod_revision, 6);
  EXPECT_EQ(events[1].type, EtcdWatchEvent::Type::kDelete);
  EXPECT_TRUE(buf.empty());
  Status s = EtcdWatch::Parse(buf,
                              R"({"error":{"grpc_code":14,"message":"no leader"}})"
                              "\n",
                              on_created, on_event);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_NE(s.message().find("no leader"), std::string::npos);
  buf.clear();
  s = EtcdWatch::Parse(buf,
                       R"({"result":{"canceled":true,"cancel_reason":"compacted"}})"
                       "\n",
                       on_created, on_event);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_NE(s.message().find("compacted"), std::string::npos);
}

}  // namespace
}  // namespace spotkeeper
