// The Store contract, on every backend: SqliteStore on ":memory:" and on a file, and EtcdStore
// on a throwaway etcd (skipped, saying why, when etcd is not installed). Records round-trip,
// store-enforced rules, transactions.
#include <gtest/gtest.h>

#include "provider/ec2/curl_http_client.h"
#include "store/etcd/etcd_store.h"
#include "store/etcd_test_cluster.h"
#include "store/sqlite_store.h"
#include "store/store_test_util.h"

namespace spotkeeper {
namespace {

using store_testing::At;
using store_testing::ExpectSameGroup;
using store_testing::ExpectSameResource;
using store_testing::ExpectSameSsi;
using store_testing::ExpectSameWorkflow;
using store_testing::FullGroup;
using store_testing::FullResource;
using store_testing::FullSsi;
using store_testing::FullWorkflow;
using store_testing::Query;
using store_testing::ScratchDir;
using store_testing::WriteTxn;

enum class Backend { kMemory, kFile, kEtcd };

class StoreSuiteTest : public testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kEtcd) {
      if (store_testing::EtcdBinary().empty()) {
        GTEST_SKIP() << "etcd is not installed (Debian's etcd-server, see scripts/deps.sh)";
      }
      std::string why;
      store_testing::EtcdTestCluster* etcd = store_testing::SharedEtcd(&why);
      ASSERT_NE(etcd, nullptr) << why;
      EtcdStoreOptions options;
      options.endpoints = etcd->endpoints();
      options.prefix = store_testing::UniquePrefix();
      options.http = &http_;
      options.clock = &clock_;
      etcd_options_ = options;
      auto opened = EtcdStore::Open(options);
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      store_ = std::move(opened).value();
      return;
    }
    std::string path = GetParam() == Backend::kFile ? dir_.File("store.db") : ":memory:";
    auto opened = SqliteStore::Open(path, &clock_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }

  // A group g-1 and an SSI s-1 in it, for records that refer to them.
  void PutParents() {
    ASSERT_TRUE(WriteTxn(*store_, [](Transaction& t) {
                  SK_RETURN_IF_ERROR(t.PutGroup(FullGroup("g-1", "web")));
                  return t.PutSsi(FullSsi("s-1", "g-1"));
                }).ok());
  }

  ScratchDir dir_;
  EtcdStoreOptions etcd_options_;  // kEtcd: how store_ was opened
  FakeClock clock_;
  CurlHttpClient http_;
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreSuiteTest,
                         testing::Values(Backend::kMemory, Backend::kFile, Backend::kEtcd),
                         [](const testing::TestParamInfo<Backend>& info) {
                           switch (info.param) {
                             case Backend::kMemory:
                               return "Memory";
                             case Backend::kFile:
                               return "File";
                             case Backend::kEtcd:
                               return "Etcd";
                           }
                           return "Unknown";
                         });

TEST_P(StoreSuiteTest, GroupRoundTrip) {
  GroupRecord g = FullGroup("g-1", "web");
  ASSERT_TRUE(WriteTxn(*store_, [&](Transaction& t) { return t.PutGroup(g); }).ok());
  auto got = store_->GetGroup("g-1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  g.generation = 1;  // the store's, not the caller's 42
  ExpectSameGroup(*got, g);
}

TEST_P(StoreSuiteTest, SsiRoundTripInEveryState) {
  ASSERT_TRUE(
      WriteTxn(*store_, [](Transaction& t) { return t.PutGroup(FullGroup("g-1", "web")); }).ok());
  for (int i = 0; i <= static_cast<int>(SsiState::kError); ++i) {
    SsiRecord s = FullSsi("s-" + std::to_string(i), "g-1");
    s.state = static_cast<SsiState>(i);
    ASSERT_TRUE(WriteTxn(*store_, [&](Transaction& t) { return t.PutSsi(s); }).ok());
    auto got = store_->GetSsi(s.id);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ExpectSameSsi(*got, s);
  }
  // No conditions is an empty list, not an error.
  SsiRecord bare = FullSsi("s-bare", "g-1");
  bare.conditions.clear();
  ASSERT_TRUE(WriteTxn(*store_, [&](Transaction& t) { return t.PutSsi(bare); }).ok());
  auto got = store_->GetSsi("s-bare");
  ASSERT_TRUE(got.ok());
  ExpectSameSsi(*got, bare);
}

TEST_P(StoreSuiteTest, ResourceAndWorkflowRoundTrip) {
  PutParents();
  ResourceRecord r = FullResource("vol-1", "s-1", "g-1");
  ResourceRecord orphan = FullResource("snap-9", "", "");  // no owner recorded
  WorkflowRecord w = FullWorkflow("wf-1", "s-1", "g-1");
  WorkflowRecord group_level = FullWorkflow("wf-2", "", "g-1");
  group_level.next_run_at = kNever;
  group_level.planned = false;
  ASSERT_TRUE(WriteTxn(*store_, [&](Transaction& t) {
                SK_RETURN_IF_ERROR(t.PutResource(r));
                SK_RETURN_IF_ERROR(t.PutResource(orphan));
                SK_RETURN_IF_ERROR(t.PutWorkflow(w));
                return t.PutWorkflow(group_level);
              }).ok());
  for (const ResourceRecord& want : {r, orphan}) {
    auto got = store_->GetResource(want.id);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ExpectSameResource(*got, want);
  }
  for (const WorkflowRecord& want : {w, group_level}) {
    auto got = store_->GetWorkflow(want.id);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ExpectSameWorkflow(*got, want);
  }
}

TEST_P(StoreSuiteTest, PutIsAnUpsertById) {
  PutParents();
  SsiRecord s = FullSsi("s-1", "g-1");
  s.state = SsiState::kActive;
  s.instance_id = "i-new";
  s.conditions.pop_back();
  ResourceRecord r = FullResource("vol-1", "s-1", "g-1");
  WorkflowRecord w = FullWorkflow("wf-1", "s-1", "g-1");
  ASSERT_TRUE(WriteTxn(*store_, [&](Transaction& t) {
                SK_RETURN_IF_ERROR(t.PutSsi(s));
                SK_RETURN_IF_ERROR(t.PutResource(r));
                return t.PutWorkflow(w);
              }).ok());
  r.status = "retiring";
  r.cloud_state = "available";
  w.status = "succeeded";
  w.step = 9;
  ASSERT_TRUE(WriteTxn(*store_, [&](Transaction& t) {
                SK_RETURN_IF_ERROR(t.PutResource(r));
                return t.PutWorkflow(w);
              }).ok());
  auto ssi = store_->GetSsi("s-1");
  ASSERT_TRUE(ssi.ok());
  ExpectSameSsi(*ssi, s);
  auto resource = store_->GetResource("vol-1");
  ASSERT_TRUE(resource.ok());
  ExpectSameResource(*resource, r);
  auto workflow = store_->GetWorkflow("wf-1");
  ASSERT_TRUE(workflow.ok());
  ExpectSameWorkflow(*workflow, w);
  auto all = store_->ListSsis("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
}

TEST_P(StoreSuiteTest, MissingIdsAreNotFound) {
  EXPECT_EQ(store_->GetGroup("g-x").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->GetSsi("s-x").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->GetResource("vol-x").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->GetWorkflow("wf-x").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->FindSsiByInstance("i-x").status().code(), Code::kNotFound);
  EXPECT_NE(store_->GetSsi("s-x").status().message().find("s-x"), std::string::npos);
}

TEST_P(StoreSuiteTest, EmptyIdsAreInvalid) {
  auto txn = store_->Begin();
  ASSERT_TRUE(txn.ok());
  EXPECT_EQ((*txn)->PutGroup(FullGroup("", "web")).code(), Code::kInvalidArgument);
}

TEST_P(StoreSuiteTest, GenerationStartsAtOneAndBumpsOnlyOnSpecChange) {
  GroupRecord g = FullGroup("g-1", "web");
  auto put_and_get = [&](const GroupRecord& rec) -> int64_t {
    EXPECT_TRUE(WriteTxn(*store_, [&](Transaction& t) { return t.PutGroup(rec); }).ok());
    auto got = store_->GetGroup(rec.id);
    EXPECT_TRUE(got.ok());
    return got.ok() ? got->generation : -1;
  };
  EXPECT_EQ(put_and_get(g), 1);
  g.status = "DELETING";  // other fields don't bump it
  g.updated_at = At(100);
  g.deallocation_json = "{}";
  g.status_json = R"({"n":2})";
  g.generation = 77;
  EXPECT_EQ(put_and_get(g), 1);
  g.spec_json = R"({"capacity":{"target":4}})";
  EXPECT_EQ(put_and_get(g), 2);
  g.generation = 0;
  EXPECT_EQ(put_and_get(g), 2);
  g.spec_json = R"({"capacity":{"target":5}})";
  EXPECT_EQ(put_and_get(g), 3);

  // Within one transaction each changing Put bumps it, and reads see it.
  ASSERT_TRUE(WriteTxn(*store_, [&](Transaction& t) {
                GroupRecord fresh = FullGroup("g-2", "db");
                SK_RETURN_IF_ERROR(t.PutGroup(fresh));
                fresh.spec_json = "{}";
                SK_RETURN_IF_ERROR(t.PutGroup(fresh));
                auto got = store_->GetGroup("g-2");
                EXPECT_TRUE(got.ok());
                EXPECT_EQ(got.ok() ? got->generation : -1, 2);
                return OkStatus();
              }).ok());
}

TEST_P(StoreSuiteTest, GroupNamesAreUniqueAmongLiveGroups) {
  ASSERT_TRUE(
      WriteTxn(*store_, [](Transaction& t) { return t.PutGroup(FullGroup("g-1", "web")); }).ok());
  Status clash =
      WriteTxn(*store_, [](Transaction& t) { return t.PutGroup(FullGroup("g-2", "web")); });
  EXPECT_EQ(clash.code(), Code::kAlreadyExists);
  EXPECT_NE(clash.message().find("'web'"), std::string::npos) << clash.message();
  EXPECT_NE(clash.message().find("g-1"), std::string::npos) << clash.message();
  // DELETING still holds the name.
  GroupRecord g1 = FullGroup("g-1", "web");
  g1.status = "DELETING";
  ASSERT_TRUE(WriteTxn(*store_, [&](Transaction& t) { return t.PutGroup(g1); }).ok());
  EXPECT_EQ(
      WriteTxn(*store_, [](Transaction& t) { return t.PutGroup(FullGroup("g-2", "web")); }).code(),
      Code::kAlreadyExists);
  // Once DELETED the name is free; the deleted group can't take it back.
  g1.status = "DELETED";
  ASSERT_TRUE(WriteTxn(*store_, [&](Transaction& t) { return t.PutGroup(g1); }).ok());
  ASSERT_TRUE(
      WriteTxn(*store_, [](Transaction& t) { return t.PutGroup(FullGroup("g-2", "web")); }).ok());
  g1.status = "ACTIVE";
  EXPECT_EQ(WriteTxn(*store_, [&](Transaction& t) { return t.PutGroup(g1); }).code(),
            Code::kAlreadyExists);
  // Re-putting a group under its own name is fine; so is a second DELETED "web".
  ASSERT_TRUE(
      WriteTxn(*store_, [](Transaction& t) { return t.PutGroup(FullGroup("g-2", "web")); }).ok());
  GroupRecord g3 = FullGroup("g-3", "web");
  g3.status = "DELETED";
  EXPECT_TRUE(WriteTxn(*store_, [&](Transaction& t) { return t.PutGroup(g3); }).ok());
  auto live = store_->ListGroups(false);
  ASSERT_TRUE(live.ok());
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].id, "g-2");
  auto all = store_->ListGroups(true);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, "g-1");
  EXPECT_EQ((*all)[2].id, "g-3");
}

TEST_P(StoreSuiteTest, TransactionDestroyedWithoutCommitRollsBack) {
  {
    auto txn = store_->Begin();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->PutGroup(FullGroup("g-1", "web")).ok());
    ASSERT_TRUE((*txn)->AppendEvent({0, At(1), "g-1", "", "operator", "Created", "x"}).ok());
    ASSERT_TRUE((*txn)->MarkCloudEventSeen("ev-1", At(1)).ok());
  }
  EXPECT_EQ(store_->GetGroup("g-1").status().code(), Code::kNotFound);
  auto events = store_->ListEvents({});
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(events->empty());
  EXPECT_FALSE(*store_->CloudEventSeen("ev-1"));
  // The store is usable again.
  EXPECT_TRUE(
      WriteTxn(*store_, [](Transaction& t) { return t.PutGroup(FullGroup("g-1", "web")); }).ok());
}

TEST_P(StoreSuiteTest, FailedPutAbortsTheWholeTransaction) {
  ASSERT_TRUE(
      WriteTxn(*store_, [](Transaction& t) { return t.PutGroup(FullGroup("g-1", "web")); }).ok());
  auto txn = store_->Begin();
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->PutGroup(FullGroup("g-2", "db")).ok());
  ASSERT_TRUE((*txn)->PutSsi(FullSsi("s-2", "g-2")).ok());
  EXPECT_EQ((*txn)->PutGroup(FullGroup("g-3", "web")).code(), Code::kAlreadyExists);
  EXPECT_EQ((*txn)->PutSsi(FullSsi("s-3", "g-2")).code(), Code::kAborted);
  Status commit = (*txn)->Commit();
  EXPECT_EQ(commit.code(), Code::kAborted);
  EXPECT_NE(commit.message().find("web"), std::string::npos) << commit.message();
  txn->reset();
  EXPECT_EQ(store_->GetGroup("g-2").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->GetGroup("g-3").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->GetSsi("s-2").status().code(), Code::kNotFound);
  auto groups = store_->ListGroups(true);
  ASSERT_TRUE(groups.ok());
  EXPECT_EQ(groups->size(), 1u);
}

TEST_P(StoreSuiteTest, CommitRefusesReferencesToMissingRows) {
  Status s = WriteTxn(*store_, [](Transaction& t) {
    SK_RETURN_IF_ERROR(t.PutGroup(FullGroup("g-1", "web")));
    return t.PutSsi(FullSsi("s-1", "g-missing"));
  });
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_NE(s.message().find("ssis s-1"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("groups"), std::string::npos) << s.message();
  EXPECT_EQ(store_->GetGroup("g-1").status().code(), Code::kNotFound);

  s = WriteTxn(*store_, [](Transaction& t) {
    return t.AppendJournal({0, "wf-missing", 1, "boot", "begin", "", At(1)});
  });
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_NE(s.message().find("journal"), std::string::npos) << s.message();

  // Order inside a transaction does not matter: children first is fine.
  EXPECT_TRUE(WriteTxn(*store_, [](Transaction& t) {
                SK_RETURN_IF_ERROR(t.PutResource(FullResource("vol-1", "s-1", "g-1")));
                SK_RETURN_IF_ERROR(t.PutSsi(FullSsi("s-1", "g-1")));
                return t.PutGroup(FullGroup("g-1", "web"));
              }).ok());
}

TEST_P(StoreSuiteTest, ReadsOnTheTransactionThreadSeeItsWrites) {
  auto txn = store_->Begin();
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->PutGroup(FullGroup("g-1", "web")).ok());
  ASSERT_TRUE((*txn)->PutSsi(FullSsi("s-1", "g-1")).ok());
  EXPECT_TRUE(store_->GetGroup("g-1").ok());
  auto ssis = store_->ListSsis("g-1");
  ASSERT_TRUE(ssis.ok());
  EXPECT_EQ(ssis->size(), 1u);
  EXPECT_EQ(store_->Begin().status().code(), Code::kFailedPrecondition);
  txn->reset();  // rolls back
  EXPECT_EQ(store_->GetGroup("g-1").status().code(), Code::kNotFound);
}

TEST_P(StoreSuiteTest, FinishedTransactionRefusesWork) {
  auto txn = store_->Begin();
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->PutGroup(FullGroup("g-1", "web")).ok());
  ASSERT_TRUE((*txn)->Commit().ok());
  EXPECT_EQ((*txn)->PutGroup(FullGroup("g-2", "db")).code(), Code::kFailedPrecondition);
  EXPECT_EQ((*txn)->Commit().code(), Code::kFailedPrecondition);
  // The lock was released at Commit: another transaction can start while `txn` lives.
  EXPECT_TRUE(
      WriteTxn(*store_, [](Transaction& t) { return t.PutGroup(FullGroup("g-2", "db")); }).ok());
  EXPECT_EQ(store_->GetGroup("g-1")->name, "web");
}

TEST_P(StoreSuiteTest, ListSsisAndFindByInstance) {
  ASSERT_TRUE(WriteTxn(*store_, [](Transaction& t) {
                SK_RETURN_IF_ERROR(t.PutGroup(FullGroup("g-1", "web")));
                SK_RETURN_IF_ERROR(t.PutGroup(FullGroup("g-2", "db")));
                for (const char* id : {"s-c", "s-a", "s-b"}) {
                  SK_RETURN_IF_ERROR(t.PutSsi(FullSsi(id, "g-1")));
                }
                SsiRecord other = FullSsi("s-0", "g-2");
                other.instance_id = "";
                return t.PutSsi(other);
              }).ok());
  auto of_g1 = store_->ListSsis("g-1");
  ASSERT_TRUE(of_g1.ok());
  ASSERT_EQ(of_g1->size(), 3u);
  EXPECT_EQ((*of_g1)[0].id, "s-a");
  EXPECT_EQ((*of_g1)[1].id, "s-b");
  EXPECT_EQ((*of_g1)[2].id, "s-c");
  auto all = store_->ListSsis("");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].id, "s-0");
  EXPECT_TRUE(store_->ListSsis("g-none")->empty());

  auto found = store_->FindSsiByInstance("i-s-b");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->id, "s-b");
  EXPECT_EQ(store_->FindSsiByInstance("").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->FindSsiByInstance("i-s-0").status().code(), Code::kNotFound);
}

TEST_P(StoreSuiteTest, ResourcesBySsiAndByStatus) {
  PutParents();
  ASSERT_TRUE(WriteTxn(*store_, [](Transaction& t) {
                SK_RETURN_IF_ERROR(t.PutSsi(FullSsi("s-2", "g-1")));
                ResourceRecord a = FullResource("vol-b", "s-1", "g-1");
                a.created_at = At(20);
                ResourceRecord b = FullResource("vol-a", "s-1", "g-1");
                b.created_at = At(20);
                b.status = "retiring";
                ResourceRecord c = FullResource("snap-1", "s-1", "g-1");
                c.created_at = At(10);
                c.status = "deleted";
                ResourceRecord d = FullResource("vol-z", "s-2", "g-1");
                d.created_at = At(5);
                d.status = "retiring";
                for (const auto& r : {a, b, c, d}) SK_RETURN_IF_ERROR(t.PutResource(r));
                return OkStatus();
              }).ok());
  auto of_s1 = store_->ListResources("s-1");
  ASSERT_TRUE(of_s1.ok());
  ASSERT_EQ(of_s1->size(), 3u);  // every status, by created_at then id
  EXPECT_EQ((*of_s1)[0].id, "snap-1");
  EXPECT_EQ((*of_s1)[1].id, "vol-a");
  EXPECT_EQ((*of_s1)[2].id, "vol-b");
  auto retiring = store_->ListResourcesByStatus("retiring");
  ASSERT_TRUE(retiring.ok());
  ASSERT_EQ(retiring->size(), 2u);
  EXPECT_EQ((*retiring)[0].id, "vol-z");
  EXPECT_EQ((*retiring)[1].id, "vol-a");
  EXPECT_EQ(store_->ListResourcesByStatus("current")->size(), 1u);
  EXPECT_TRUE(store_->ListResourcesByStatus("nope")->empty());
}

TEST_P(StoreSuiteTest, WorkflowListings) {
  PutParents();
  ASSERT_TRUE(WriteTxn(*store_, [](Transaction& t) {
                SK_RETURN_IF_ERROR(t.PutSsi(FullSsi("s-2", "g-1")));
                auto wf = [](const std::string& id, const std::string& ssi,
                             const std::string& status, int64_t next, int64_t created) {
                  WorkflowRecord w = FullWorkflow(id, ssi, "g-1");
                  w.status = status;
                  w.next_run_at = At(next);
                  w.created_at = At(created);
                  return w;
                };
                for (const WorkflowRecord& w : {
                         wf("wf-d", "s-1", "running", 30, 1),
                         wf("wf-c", "s-1", "running", 10, 2),
                         wf("wf-b", "s-2", "running", 30, 3),
                         wf("wf-a", "s-1", "succeeded", 0, 4),
                         wf("wf-e", "s-1", "failed", 5, 4),
                         wf("wf-f", "s-2", "cancelled", 1, 5),
                     }) {
                  SK_RETURN_IF_ERROR(t.PutWorkflow(w));
                }
                return OkStatus();
              }).ok());
  auto running = store_->ListRunningWorkflows();
  ASSERT_TRUE(running.ok());
  std::vector<std::string> ids;
  for (const auto& w : *running) ids.push_back(w.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"wf-c", "wf-b", "wf-d"}));

  auto of_s1 = store_->ListWorkflows("s-1");
  ASSERT_TRUE(of_s1.ok());
  ids.clear();
  for (const auto& w : *of_s1) ids.push_back(w.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"wf-e", "wf-a", "wf-c", "wf-d"}));
}

TEST_P(StoreSuiteTest, JournalIsPerWorkflowInAppendOrder) {
  PutParents();
  ASSERT_TRUE(
      WriteTxn(*store_, [](Transaction& t) {
        SK_RETURN_IF_ERROR(t.PutWorkflow(FullWorkflow("wf-1", "s-1", "g-1")));
        SK_RETURN_IF_ERROR(t.PutWorkflow(FullWorkflow("wf-2", "s-1", "g-1")));
        SK_RETURN_IF_ERROR(t.AppendJournal({99, "wf-1", 0, "snapshot", "begin", "", At(1)}));
        SK_RETURN_IF_ERROR(t.AppendJournal({0, "wf-2", 0, "launch", "begin", "", At(2)}));
        return t.AppendJournal({0, "wf-1", 0, "snapshot", "end", R"({"snap":"snap-1"})", At(3)});
      }).ok());
  auto j = store_->ListJournal("wf-1");
  ASSERT_TRUE(j.ok());
  ASSERT_EQ(j->size(), 2u);
  EXPECT_EQ((*j)[0].seq, 1);  // assigned by the store; the caller's 99 is ignored
  EXPECT_EQ((*j)[0].workflow_id, "wf-1");
  EXPECT_EQ((*j)[0].step_name, "snapshot");
  EXPECT_EQ((*j)[0].phase, "begin");
  EXPECT_EQ((*j)[0].at, At(1));
  EXPECT_EQ((*j)[1].seq, 3);
  EXPECT_EQ((*j)[1].phase, "end");
  EXPECT_EQ((*j)[1].detail, R"({"snap":"snap-1"})");
  EXPECT_EQ((*j)[1].at, At(3));
  EXPECT_EQ(store_->ListJournal("wf-2")->size(), 1u);
  EXPECT_TRUE(store_->ListJournal("wf-3")->empty());
}

TEST_P(StoreSuiteTest, ListEventsHonoursEveryField) {
  // seq 1..12: group g-(i%2), ssi s-(i%3), at = i seconds.
  ASSERT_TRUE(WriteTxn(*store_, [](Transaction& t) {
                for (int i = 1; i <= 12; ++i) {
                  SK_RETURN_IF_ERROR(t.AppendEvent({0, At(i), "g-" + std::to_string(i % 2),
                                                    "s-" + std::to_string(i % 3), "controller",
                                                    "StateChanged", "event " + std::to_string(i)}));
                }
                return OkStatus();
              }).ok());
  auto seqs = [&](const EventQuery& q) {
    std::vector<int64_t> out;
    auto events = store_->ListEvents(q);
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    if (events.ok()) {
      for (const auto& e : *events) out.push_back(e.seq);
    }
    return out;
  };
  using V = std::vector<int64_t>;
  EXPECT_EQ(seqs({}), (V{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
  EXPECT_EQ(seqs(Query("g-1")), (V{1, 3, 5, 7, 9, 11}));
  EXPECT_EQ(seqs(Query("", "s-0")), (V{3, 6, 9, 12}));
  EXPECT_EQ(seqs(Query("g-0", "s-0")), (V{6, 12}));
  EXPECT_EQ(seqs(Query("", "", At(10))), (V{10, 11, 12}));
  EXPECT_EQ(seqs(Query("", "", kEpoch, 10)), (V{11, 12}));
  EXPECT_EQ(seqs(Query("", "", kEpoch, 0, 3)), (V{1, 2, 3}));
  EXPECT_EQ(seqs(Query("g-1", "", At(4), 5, 2)), (V{7, 9}));
  EXPECT_TRUE(seqs(Query("g-9")).empty());

  auto one = store_->ListEvents(Query("", "", kEpoch, 11));
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  const EventRecord& e = (*one)[0];
  EXPECT_EQ(e.seq, 12);
  EXPECT_EQ(e.at, At(12));
  EXPECT_EQ(e.group_id, "g-0");
  EXPECT_EQ(e.ssi_id, "s-0");
  EXPECT_EQ(e.actor, "controller");
  EXPECT_EQ(e.kind, "StateChanged");
  EXPECT_EQ(e.message, "event 12");

  EXPECT_EQ(store_->ListEvents(Query("", "", kEpoch, 0, 0)).status().code(),
            Code::kInvalidArgument);
}

TEST_P(StoreSuiteTest, CloudEventsSeen) {
  EXPECT_FALSE(*store_->CloudEventSeen("ev-1"));
  ASSERT_TRUE(
      WriteTxn(*store_, [](Transaction& t) { return t.MarkCloudEventSeen("ev-1", At(1)); }).ok());
  EXPECT_TRUE(*store_->CloudEventSeen("ev-1"));
  EXPECT_FALSE(*store_->CloudEventSeen("ev-2"));
  // At-least-once delivery: marking again is fine.
  EXPECT_TRUE(
      WriteTxn(*store_, [](Transaction& t) { return t.MarkCloudEventSeen("ev-1", At(2)); }).ok());
  EXPECT_TRUE(*store_->CloudEventSeen("ev-1"));
}

// --- Prune (store.h: PruneRequest) ---

std::vector<int64_t> EventSeqs(Store& store) {
  std::vector<int64_t> out;
  auto events = store.ListEvents({});
  EXPECT_TRUE(events.ok()) << events.status().ToString();
  if (events.ok()) {
    for (const auto& e : *events) out.push_back(e.seq);
  }
  return out;
}

Result<PruneResult> PruneAll(Store& store, PruneRequest r, int* calls) {
  PruneResult total;
  for (*calls = 1; *calls <= 100; ++*calls) {
    SK_ASSIGN_OR_RETURN(PruneResult one, store.Prune(r));
    total.events += one.events;
    total.journal_entries += one.journal_entries;
    total.workflows += one.workflows;
    total.resources += one.resources;
    total.cloud_events += one.cloud_events;
    if (!one.more) return total;
  }
  return Internal("prune did not finish in 100 calls");
}

TEST_P(StoreSuiteTest, PruneEventsByAgeThenByCountInBatches) {
  ASSERT_TRUE(WriteTxn(*store_, [](Transaction& t) {
                for (int i = 1; i <= 12; ++i) {
                  SK_RETURN_IF_ERROR(
                      t.AppendEvent({0, At(i), "g-1", "s-1", "controller", "StateChanged", "e"}));
                }
                return OkStatus();
              }).ok());
  using V = std::vector<int64_t>;
  PruneRequest by_age;
  by_age.events_before = At(4);  // 1, 2, 3 are older
  auto r = store_->Prune(by_age);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->events, 3);
  EXPECT_FALSE(r->more);
  EXPECT_EQ(EventSeqs(*store_), (V{4, 5, 6, 7, 8, 9, 10, 11, 12}));

  PruneRequest by_count;
  by_count.events_keep = 4;
  by_count.max_rows = 2;  // 5 to delete: three calls
  auto first = store_->Prune(by_count);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->events, 2);
  EXPECT_TRUE(first->more);
  EXPECT_EQ(EventSeqs(*store_), (V{6, 7, 8, 9, 10, 11, 12}));
  int calls = 0;
  auto rest = PruneAll(*store_, by_count, &calls);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(rest->events, 3);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(EventSeqs(*store_), (V{9, 10, 11, 12}));
  // Nothing left to do is a no-op; new events keep their increasing seqs.
  EXPECT_EQ(store_->Prune(by_count)->rows(), 0);
  ASSERT_TRUE(WriteTxn(*store_, [](Transaction& t) {
                return t.AppendEvent({0, At(13), "g-1", "s-1", "controller", "Tick", "e"});
              }).ok());
  EXPECT_EQ(EventSeqs(*store_), (V{9, 10, 11, 12, 13}));
  by_count.max_rows = 0;
  EXPECT_EQ(store_->Prune(by_count).status().code(), Code::kInvalidArgument);
}

TEST_P(StoreSuiteTest, PruneKeepsRunningFailedAndEachSsisNewestWorkflow) {
  PutParents();
  ASSERT_TRUE(WriteTxn(*store_, [](Transaction& t) {
                SK_RETURN_IF_ERROR(t.PutSsi(FullSsi("s-2", "g-1")));
                auto wf = [&](const std::string& id, const std::string& ssi,
                              const std::string& status, int64_t created) -> Status {
                  WorkflowRecord w = FullWorkflow(id, ssi, "g-1");
                  w.status = status;
                  w.created_at = At(created);
                  w.updated_at = At(created + 1);
                  SK_RETURN_IF_ERROR(t.PutWorkflow(w));
                  for (int step = 0; step < 3; ++step) {
                    SK_RETURN_IF_ERROR(t.AppendJournal({0, id, step, "s", "end", "", At(created)}));
                  }
                  return OkStatus();
                };
                SK_RETURN_IF_ERROR(wf("wf-a", "s-1", "succeeded", 1));
                SK_RETURN_IF_ERROR(wf("wf-b", "s-1", "cancelled", 2));
                SK_RETURN_IF_ERROR(wf("wf-c", "s-1", "failed", 3));
                SK_RETURN_IF_ERROR(wf("wf-d", "s-1", "running", 4));
                SK_RETURN_IF_ERROR(wf("wf-e", "s-2", "succeeded", 1));  // s-2's newest
                return OkStatus();
              }).ok());
  PruneRequest r;
  r.workflows_before = At(1000);
  auto pruned = store_->Prune(r);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->workflows, 2);
  EXPECT_EQ(pruned->journal_entries, 6);
  std::vector<std::string> ids;
  auto of_s1 = store_->ListWorkflows("s-1");
  ASSERT_TRUE(of_s1.ok());
  for (const auto& w : *of_s1) ids.push_back(w.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"wf-d", "wf-c"}));
  EXPECT_EQ(store_->ListWorkflows("s-2")->size(), 1u);
  EXPECT_TRUE(store_->ListJournal("wf-a")->empty());
  EXPECT_EQ(store_->ListJournal("wf-c")->size(), 3u);
  EXPECT_EQ(store_->ListJournal("wf-e")->size(), 3u);
  EXPECT_EQ(store_->GetWorkflow("wf-b").status().code(), Code::kNotFound);
}

TEST_P(StoreSuiteTest, PruneWorkflowsByCountAndSplitsALongJournal) {
  PutParents();
  ASSERT_TRUE(WriteTxn(*store_, [](Transaction& t) {
                for (int i = 1; i <= 4; ++i) {
                  WorkflowRecord w = FullWorkflow("wf-" + std::to_string(i), "s-1", "g-1");
                  w.status = "succeeded";
                  w.created_at = At(i);
                  w.updated_at = At(i);
                  SK_RETURN_IF_ERROR(t.PutWorkflow(w));
                  for (int step = 0; step < 5; ++step) {
                    SK_RETURN_IF_ERROR(t.AppendJournal({0, w.id, step, "s", "end", "", At(i)}));
                  }
                }
                return OkStatus();
              }).ok());
  PruneRequest r;
  r.workflows_keep = 2;  // wf-1 and wf-2 go (5 journal entries + the record each)
  r.max_rows = 4;
  auto first = store_->Prune(r);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->journal_entries, 4);  // wf-1's journal does not fit: its oldest go first
  EXPECT_EQ(first->workflows, 0);
  EXPECT_TRUE(first->more);
  EXPECT_EQ(store_->ListJournal("wf-1")->size(), 1u);
  EXPECT_TRUE(store_->GetWorkflow("wf-1").ok());
  int calls = 0;
  auto rest = PruneAll(*store_, r, &calls);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(rest->workflows, 2);
  EXPECT_EQ(rest->journal_entries, 6);
  EXPECT_EQ(store_->GetWorkflow("wf-1").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->GetWorkflow("wf-2").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->ListJournal("wf-3")->size(), 5u);
  EXPECT_EQ(store_->ListWorkflows("s-1")->size(), 2u);
}

TEST_P(StoreSuiteTest, PruneDeletedResourcesAndOldCloudEventMarks) {
  PutParents();
  ASSERT_TRUE(WriteTxn(*store_, [](Transaction& t) {
                for (const char* status : {"current", "retiring", "deleted"}) {
                  for (int age : {10, 100}) {
                    ResourceRecord r = FullResource(
                        std::string("vol-") + status + std::to_string(age), "s-1", "g-1");
                    r.status = status;
                    r.updated_at = At(age);
                    SK_RETURN_IF_ERROR(t.PutResource(r));
                  }
                }
                SK_RETURN_IF_ERROR(t.MarkCloudEventSeen("ev-old", At(10)));
                return t.MarkCloudEventSeen("ev-new", At(100));
              }).ok());
  PruneRequest r;
  r.resources_before = At(50);
  r.cloud_events_before = At(50);
  auto pruned = store_->Prune(r);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->resources, 1);
  EXPECT_EQ(pruned->cloud_events, 1);
  EXPECT_EQ(store_->GetResource("vol-deleted10").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->ListResources("s-1")->size(), 5u);
  EXPECT_FALSE(*store_->CloudEventSeen("ev-old"));
  EXPECT_TRUE(*store_->CloudEventSeen("ev-new"));
  if (GetParam() == Backend::kEtcd) {
    // The keys are gone from etcd itself: a store loading afresh does not see them.
    auto other = EtcdStore::Open(etcd_options_);
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    EXPECT_EQ((*other)->GetResource("vol-deleted10").status().code(), Code::kNotFound);
    EXPECT_TRUE((*other)->GetResource("vol-deleted100").ok());
    EXPECT_FALSE(*(*other)->CloudEventSeen("ev-old"));
    // And it goes on writing: the pruned records' revisions are forgotten.
    EXPECT_TRUE(WriteTxn(*store_, [](Transaction& t) {
                  ResourceRecord again = FullResource("vol-deleted10", "s-1", "g-1");
                  return t.PutResource(again);
                }).ok());
  }
}

}  // namespace
}  // namespace spotkeeper
