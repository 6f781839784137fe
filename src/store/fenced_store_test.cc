// FencedStore behind a FakeElection: only the current leader's commits land; a deposed leader's
// are refused and change nothing; unfenced, the election records them as writes by a
// non-leader; an armed failover moves the lead before or after the n-th commit.
#include "store/fenced_store.h"

#include <gtest/gtest.h>

#include "store/sqlite_store.h"
#include "store/store_test_util.h"

namespace spotkeeper {
namespace {

using store_testing::FullGroup;
using store_testing::WriteTxn;

class FencedStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteStore::Open(":memory:", &clock_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    base_ = std::move(opened).value();
  }
  Status Put(FencedStore& s, const std::string& id) {
    return WriteTxn(s, [&](Transaction& t) { return t.PutGroup(FullGroup(id, id)); });
  }
  bool Has(const std::string& id) { return base_->GetGroup(id).ok(); }

  FakeClock clock_;
  std::unique_ptr<SqliteStore> base_;
};

TEST_F(FencedStoreTest, OnlyTheLeaderWrites) {
  FakeElection election;
  FencedStore a(base_.get(), &election, "a"), b(base_.get(), &election, "b");
  a.SetFence(election.Elect("a"));
  EXPECT_TRUE(Put(a, "g-1").ok());
  Status s = Put(b, "g-2");
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_NE(s.message().find("the lead is held by a"), std::string::npos) << s.message();
  EXPECT_TRUE(Has("g-1"));
  EXPECT_FALSE(Has("g-2"));
  EXPECT_EQ(b.GetGroup("g-1").status().code(), Code::kOk);  // followers read
  EXPECT_EQ(election.refused(), 1);
  EXPECT_TRUE(election.non_leader_commits().empty());
}

TEST_F(FencedStoreTest, ADeposedLeadersWritesAreRefusedAndChangeNothing) {
  FakeElection election;
  FencedStore a(base_.get(), &election, "a"), b(base_.get(), &election, "b");
  a.SetFence(election.Elect("a"));
  election.Depose();
  Status s = Put(a, "g-1");
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_NE(s.message().find("nobody leads"), std::string::npos) << s.message();
  b.SetFence(election.Elect("b"));
  EXPECT_EQ(Put(a, "g-1").code(), Code::kFailedPrecondition);
  EXPECT_FALSE(Has("g-1"));
  EXPECT_TRUE(Put(b, "g-2").ok());
  // a leads again later: a new term, which its old fence does not match until it wins it.
  election.Depose();
  int64_t term = election.Elect("a");
  EXPECT_EQ(Put(a, "g-3").code(), Code::kFailedPrecondition);
  a.SetFence(term);
  EXPECT_TRUE(Put(a, "g-3").ok());
  EXPECT_EQ(election.refused(), 3);
}

TEST_F(FencedStoreTest, UnfencedTheElectionRecordsWritesByANonLeader) {
  FakeElection election(/*fenced=*/false);
  FencedStore a(base_.get(), &election, "a"), b(base_.get(), &election, "b");
  a.SetFence(election.Elect("a"));
  EXPECT_TRUE(Put(a, "g-1").ok());
  EXPECT_TRUE(election.non_leader_commits().empty());
  election.Depose();
  b.SetFence(election.Elect("b"));
  EXPECT_TRUE(Put(a, "g-2").ok());
  ASSERT_EQ(election.non_leader_commits().size(), 1u);
  EXPECT_NE(election.non_leader_commits()[0].find("a write of a (fenced on term 1) committed in "
                                                  "term 3, when b led"),
            std::string::npos)
      << election.non_leader_commits()[0];
}

TEST_F(FencedStoreTest, AnArmedFailoverMovesTheLeadBeforeOrAfterTheNthCommit) {
  FakeElection election;
  FencedStore a(base_.get(), &election, "a");
  a.SetFence(election.Elect("a"));
  int fired = 0;
  election.ArmFailover(2, /*after_commit=*/false, [&] {
    ++fired;
    election.Depose();
  });
  EXPECT_TRUE(Put(a, "g-1").ok());
  EXPECT_EQ(Put(a, "g-2").code(), Code::kFailedPrecondition);  // deposed just before it
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(Has("g-2"));

  a.SetFence(election.Elect("a"));
  election.ArmFailover(1, /*after_commit=*/true, [&] {
    ++fired;
    election.Depose();
  });
  EXPECT_TRUE(Put(a, "g-3").ok());  // lands, then the lead moves
  EXPECT_EQ(fired, 2);
  EXPECT_TRUE(Has("g-3"));
  EXPECT_EQ(Put(a, "g-4").code(), Code::kFailedPrecondition);
  EXPECT_TRUE(election.non_leader_commits().empty());
}

TEST_F(FencedStoreTest, PruneIsFencedLikeACommit) {
  auto event_at = [&](Transaction& t, int64_t s) {
    return t.AppendEvent({0, kEpoch + std::chrono::seconds(s), "g-1", "", "controller", "K", "e"});
  };
  FakeElection election;
  FencedStore a(base_.get(), &election, "a"), b(base_.get(), &election, "b");
  a.SetFence(election.Elect("a"));
  ASSERT_TRUE(WriteTxn(a, [&](Transaction& t) {
                SK_RETURN_IF_ERROR(event_at(t, 1));
                SK_RETURN_IF_ERROR(event_at(t, 2));
                return event_at(t, 3);
              }).ok());
  PruneRequest old;
  old.events_before = kEpoch + std::chrono::seconds(2);
  election.Depose();
  b.SetFence(election.Elect("b"));
  auto refused = a.Prune(old);  // a was deposed: its prune deletes nothing
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(base_->ListEvents({})->size(), 3u);
  auto pruned = b.Prune(old);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->events, 1);
  EXPECT_EQ(base_->ListEvents({})->size(), 2u);
  EXPECT_EQ(election.refused(), 1);
  EXPECT_TRUE(election.non_leader_commits().empty());
}

TEST_F(FencedStoreTest, UnfencedAPruneByANonLeaderIsRecordedOnlyIfItDeletedRows) {
  FakeElection election(/*fenced=*/false);
  FencedStore a(base_.get(), &election, "a"), b(base_.get(), &election, "b");
  a.SetFence(election.Elect("a"));
  ASSERT_TRUE(WriteTxn(a, [&](Transaction& t) {
                return t.AppendEvent(
                    {0, kEpoch + std::chrono::seconds(1), "g-1", "", "controller", "K", "e"});
              }).ok());
  election.Depose();
  b.SetFence(election.Elect("b"));
  PruneRequest none;  // every rule off: deletes nothing
  ASSERT_TRUE(a.Prune(none).ok());
  EXPECT_TRUE(election.non_leader_commits().empty());
  PruneRequest all;
  all.events_before = kEpoch + std::chrono::seconds(10);
  auto pruned = a.Prune(all);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->events, 1);
  EXPECT_EQ(election.non_leader_commits().size(), 1u);
}

}  // namespace
}  // namespace spotkeeper
