// EtcdStore beyond the common store suite (store_suite_test.cc): what lives in etcd survives
// the replica, concurrent writers and fences are refused, unreachable etcd is an error.
#include "store/etcd/etcd_store.h"

#include <gtest/gtest.h>

#include "provider/ec2/curl_http_client.h"
#include "store/etcd_store_fixture.h"
#include "store/etcd_test_cluster.h"
#include "store/store_test_util.h"

namespace spotkeeper {
namespace {

using store_testing::At;
using store_testing::ExpectSameSsi;
using store_testing::FullGroup;
using store_testing::FullSsi;
using store_testing::FullWorkflow;
using store_testing::WriteTxn;

class EtcdStoreTest : public store_testing::EtcdStoreFixture {
 protected:
  EtcdStoreTest() { page_size_ = 3; }  // several pages even for a few records
};

TEST_F(EtcdStoreTest, EverythingSurvivesInEtcd) {
  auto a = Open();
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(WriteTxn(*a, [](Transaction& t) {
                SK_RETURN_IF_ERROR(t.PutGroup(FullGroup("g-1", "web")));
                for (int i = 0; i < 7; ++i) {
                  SK_RETURN_IF_ERROR(t.PutSsi(FullSsi("s-" + std::to_string(i), "g-1")));
                }
                SK_RETURN_IF_ERROR(t.PutWorkflow(FullWorkflow("wf-1", "s-1", "g-1")));
                SK_RETURN_IF_ERROR(t.AppendJournal({0, "wf-1", 0, "drain", "begin", "", At(1)}));
                SK_RETURN_IF_ERROR(t.AppendEvent({0, At(1), "g-1", "s-1", "operator", "A", "x"}));
                return t.MarkCloudEventSeen("ev-1", At(3));
              }).ok());
  GroupRecord g = FullGroup("g-1", "web");
  g.spec_json = "{}";
  ASSERT_TRUE(WriteTxn(*a, [&](Transaction& t) { return t.PutGroup(g); }).ok());

  auto b = Open();  // a second controller: everything comes from etcd
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->GetGroup("g-1")->generation, 2);
  ASSERT_EQ(b->ListSsis("g-1")->size(), 7u);
  ExpectSameSsi(*b->GetSsi("s-3"), FullSsi("s-3", "g-1"));
  EXPECT_EQ(b->ListJournal("wf-1")->size(), 1u);
  EXPECT_TRUE(*b->CloudEventSeen("ev-1"));
  // Sequence numbers go on from etcd's.
  ASSERT_TRUE(WriteTxn(*b, [](Transaction& t) {
                SK_RETURN_IF_ERROR(t.AppendJournal({0, "wf-1", 0, "drain", "end", "", At(2)}));
                return t.AppendEvent({0, At(2), "g-1", "s-1", "controller", "B", "y"});
              }).ok());
  auto c = Open();
  ASSERT_NE(c, nullptr);
  auto journal = c->ListJournal("wf-1");
  ASSERT_EQ(journal->size(), 2u);
  EXPECT_EQ((*journal)[1].seq, (*journal)[0].seq + 1);
  EXPECT_EQ((*journal)[1].phase, "end");
  auto events = c->ListEvents({});
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].kind, "B");
}

TEST_F(EtcdStoreTest, AWriterWithAStaleReplicaIsRefusedThenCatchesUp) {
  auto a = Open();
  auto b = Open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(WriteTxn(*a, [](Transaction& t) {
                SK_RETURN_IF_ERROR(t.PutGroup(FullGroup("g-1", "web")));
                return t.PutSsi(FullSsi("s-1", "g-1"));
              }).ok());
  // b has not seen g-1: creating it again must not overwrite a's.
  GroupRecord other = FullGroup("g-1", "other");
  Status s = WriteTxn(*b, [&](Transaction& t) { return t.PutGroup(other); });
  EXPECT_EQ(s.code(), Code::kAborted) << s.ToString();
  EXPECT_EQ(a->GetGroup("g-1")->name, "web");
  // b reloads before its next transaction and then sees (and may change) a's records.
  SsiRecord changed = FullSsi("s-1", "g-1");
  changed.instance_id = "i-b";
  ASSERT_TRUE(WriteTxn(*b, [&](Transaction& t) { return t.PutSsi(changed); }).ok());
  EXPECT_EQ(b->GetGroup("g-1")->name, "web");
  // Event sequence numbers are not handed out twice: a has not seen b's event 1.
  ASSERT_TRUE(WriteTxn(*b, [](Transaction& t) {
                return t.AppendEvent({0, At(1), "g-1", "s-1", "controller", "B", "b"});
              }).ok());
  auto append_a = [&] {
    return WriteTxn(*a, [](Transaction& t) {
      return t.AppendEvent({0, At(2), "g-1", "s-1", "controller", "A", "a"});
    });
  };
  EXPECT_EQ(append_a().code(), Code::kAborted);
  ASSERT_TRUE(append_a().ok());  // after the reload: seq 2
  auto events = a->ListEvents({});
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].kind, "B");
  EXPECT_EQ((*events)[1].seq, 2);
  ASSERT_TRUE(a->Reload().ok());
  EXPECT_EQ(a->GetSsi("s-1")->instance_id, "i-b");
}

TEST_F(EtcdStoreTest, AFencedWriteIsRefusedOnceTheFenceKeyIsGone) {
  auto a = Open();
  ASSERT_NE(a, nullptr);
  std::string key = prefix_ + "leader";
  EtcdTxn create;
  create.compares.push_back({key, EtcdCompare::Target::kCreate, 0});
  create.puts.push_back({key, "controller-a", 0});
  auto created = a->client().Txn(create);
  ASSERT_TRUE(created.ok() && created->succeeded);
  a->SetFence(EtcdFence{key, created->revision});
  ASSERT_TRUE(
      WriteTxn(*a, [](Transaction& t) { return t.PutGroup(FullGroup("g-1", "web")); }).ok());

  // Another controller takes the key over (as after a's lease expired).
  EtcdTxn takeover;
  takeover.deletes.push_back(key);
  ASSERT_TRUE(a->client().Txn(takeover).ok());
  EtcdTxn mine;
  mine.puts.push_back({key, "controller-b", 0});
  ASSERT_TRUE(a->client().Txn(mine).ok());

  GroupRecord changed = FullGroup("g-1", "web");
  changed.spec_json = "{}";
  Status s = WriteTxn(*a, [&](Transaction& t) { return t.PutGroup(changed); });
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("no longer the leader"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("controller-b"), std::string::npos) << s.message();
  auto b = Open();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->GetGroup("g-1")->generation, 1);  // nothing of the refused write landed
  EXPECT_EQ(a->GetGroup("g-1")->generation, 1);  // nor in a's replica
}

TEST_F(EtcdStoreTest, CatchUpReadsOnlyWhatChanged) {
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(WriteTxn(*a, [](Transaction& t) {
                SK_RETURN_IF_ERROR(t.PutGroup(FullGroup("g-1", "web")));
                SK_RETURN_IF_ERROR(t.PutSsi(FullSsi("s-1", "g-1")));
                SK_RETURN_IF_ERROR(t.PutWorkflow(FullWorkflow("wf-1", "s-1", "g-1")));
                SK_RETURN_IF_ERROR(t.AppendJournal({0, "wf-1", 0, "drain", "begin", "", At(1)}));
                return t.AppendEvent({0, At(1), "g-1", "s-1", "operator", "A", "x"});
              }).ok());
  ASSERT_TRUE(b->CatchUp().ok());
  EXPECT_EQ(b->ListSsis("g-1")->size(), 1u);
  EXPECT_EQ(b->ListJournal("wf-1")->size(), 1u);
  EXPECT_EQ(b->revision(), a->revision());

  SsiRecord changed = FullSsi("s-1", "g-1");
  changed.instance_id = "i-2";
  ASSERT_TRUE(WriteTxn(*a, [&](Transaction& t) {
                SK_RETURN_IF_ERROR(t.PutSsi(changed));
                return t.AppendJournal({0, "wf-1", 0, "drain", "end", "", At(2)});
              }).ok());
  ASSERT_TRUE(b->CatchUp().ok());
  EXPECT_EQ(b->GetSsi("s-1")->instance_id, "i-2");
  auto journal = b->ListJournal("wf-1");
  ASSERT_EQ(journal->size(), 2u);
  EXPECT_EQ((*journal)[1].phase, "end");
  EXPECT_EQ(b->ListEvents({})->size(), 1u);  // unchanged records are not applied twice
  // b, now current, can write after a without a conflict.
  SsiRecord by_b = changed;
  by_b.instance_id = "i-3";
  EXPECT_TRUE(WriteTxn(*b, [&](Transaction& t) {
                SK_RETURN_IF_ERROR(t.PutSsi(by_b));
                return t.AppendEvent({0, At(3), "g-1", "s-1", "controller", "B", "y"});
              }).ok());
  EXPECT_EQ(b->ListEvents({})->back().seq, 2);
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

TEST_F(EtcdStoreTest, AFullLoadPagesByKeyWithoutARevisionFilter) {
  // etcd honours a range's limit only without revision filters; a full load that asked for
  // min_mod_revision would read every remaining key of a kind for each page.
  auto a = Open();
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(WriteTxn(*a, [](Transaction& t) {
                SK_RETURN_IF_ERROR(t.PutGroup(FullGroup("g-1", "web")));
                for (int i = 0; i < 7; ++i) {
                  SK_RETURN_IF_ERROR(t.PutSsi(FullSsi("s-" + std::to_string(i), "g-1")));
                }
                return OkStatus();
              }).ok());
  RangeRecordingHttp recording(&http_);
  EtcdStoreOptions options;
  options.endpoints = etcd_->endpoints();
  options.prefix = prefix_;
  options.http = &recording;
  options.clock = &clock_;
  options.page_size = page_size_;
  auto b = EtcdStore::Open(options);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ((*b)->ListSsis("g-1")->size(), 7u);
  ASSERT_FALSE(recording.ranges.empty());
  size_t paged = 0;
  for (const std::string& body : recording.ranges) {
    EXPECT_EQ(body.find("min_mod_revision"), std::string::npos) << body;
    paged += body.find("\"limit\"") != std::string::npos;
  }
  EXPECT_EQ(paged, recording.ranges.size());
  EXPECT_GE(recording.ranges.size(), 3u);  // 7 SSIs in pages of 3, and the other kinds

  // Catching up after a change is what asks for min_mod_revision.
  ASSERT_TRUE(WriteTxn(*a, [](Transaction& t) { return t.PutSsi(FullSsi("s-7", "g-1")); }).ok());
  recording.ranges.clear();
  ASSERT_TRUE((*b)->CatchUp().ok());
  EXPECT_EQ((*b)->ListSsis("g-1")->size(), 8u);
  ASSERT_FALSE(recording.ranges.empty());
  EXPECT_NE(recording.ranges[0].find("min_mod_revision"), std::string::npos);
}

TEST(EtcdStoreUnreachableTest, OpenFailsWhenNoEndpointAnswers) {
  CurlHttpClient http;
  EtcdStoreOptions options;
  options.endpoints = {"http://127.0.0.1:1"};
  options.http = &http;
  auto opened = EtcdStore::Open(options);
  EXPECT_EQ(opened.status().code(), Code::kUnavailable) << opened.status().ToString();
}

TEST(EtcdUrlTest, ParsesHostsAndRefusesOtherShapes) {
  auto ok = ParseEtcdUrl("etcd://127.0.0.1:2379,10.0.0.2:2379");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, (std::vector<std::string>{"http://127.0.0.1:2379", "http://10.0.0.2:2379"}));
  for (const char* bad : {"http://x:1", "etcd://", "etcd://host", "etcd://a:1,", "etcd://a:1/p"}) {
    EXPECT_EQ(ParseEtcdUrl(bad).status().code(), Code::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace spotkeeper
