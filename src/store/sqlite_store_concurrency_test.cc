// SqliteStore from several threads: a transaction excludes other threads until it ends, and they
// then see exactly what it committed.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <thread>
#include <vector>

#include "store/sqlite_store.h"
#include "store/store_test_util.h"

namespace spotkeeper {
namespace {

using store_testing::FullGroup;
using store_testing::FullSsi;
using store_testing::Query;
using store_testing::ScratchDir;
using store_testing::WriteTxn;

class SqliteStoreConcurrencyTest : public testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    auto opened = SqliteStore::Open(GetParam() ? dir_.File("db") : ":memory:", &clock_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }

  ScratchDir dir_;
  FakeClock clock_;
  std::unique_ptr<SqliteStore> store_;
};

INSTANTIATE_TEST_SUITE_P(MemoryAndFile, SqliteStoreConcurrencyTest, testing::Values(false, true),
                         [](const testing::TestParamInfo<bool>& info) {
                           return info.param ? "File" : "Memory";
                         });

TEST_P(SqliteStoreConcurrencyTest, ReadersOnOtherThreadsWaitForTheCommit) {
  constexpr int kReaders = 4;
  constexpr int kSsis = 200;
  auto txn = store_->Begin();
  ASSERT_TRUE(txn.ok());
  GroupRecord g = FullGroup("g-1", "web");
  ASSERT_TRUE((*txn)->PutGroup(g).ok());

  std::latch started(kReaders);
  std::atomic<int> finished{0};
  std::vector<int64_t> generations(kReaders, -1);
  std::vector<size_t> ssi_counts(kReaders, 0);
  std::vector<std::thread> readers;
  for (int k = 0; k < kReaders; ++k) {
    readers.emplace_back([&, k] {
      started.count_down();
      auto group = store_->GetGroup("g-1");
      generations[static_cast<size_t>(k)] = group.ok() ? group->generation : -1;
      auto ssis = store_->ListSsis("g-1");
      ssi_counts[static_cast<size_t>(k)] = ssis.ok() ? ssis->size() : 0;
      finished.fetch_add(1);
    });
  }
  started.wait();
  // More work inside the transaction while the readers try to read.
  for (int i = 0; i < kSsis; ++i) {
    ASSERT_TRUE((*txn)->PutSsi(FullSsi("s-" + std::to_string(i), "g-1")).ok());
  }
  g.spec_json = "{}";
  ASSERT_TRUE((*txn)->PutGroup(g).ok());
  EXPECT_EQ(store_->GetGroup("g-1")->generation, 2);  // this thread reads its own writes
  EXPECT_EQ(finished.load(), 0) << "a reader got through while the transaction was open";
  ASSERT_TRUE((*txn)->Commit().ok());
  for (std::thread& t : readers) t.join();
  for (int k = 0; k < kReaders; ++k) {
    EXPECT_EQ(generations[static_cast<size_t>(k)], 2) << "reader " << k;
    EXPECT_EQ(ssi_counts[static_cast<size_t>(k)], static_cast<size_t>(kSsis)) << "reader " << k;
  }
}

TEST_P(SqliteStoreConcurrencyTest, RolledBackWritesAreNeverSeenByOtherThreads) {
  auto txn = store_->Begin();
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->PutGroup(FullGroup("g-1", "web")).ok());
  std::latch started(1);
  Code seen = Code::kOk;
  std::thread reader([&] {
    started.count_down();
    seen = store_->GetGroup("g-1").status().code();
  });
  started.wait();
  txn->reset();  // rolls back
  reader.join();
  EXPECT_EQ(seen, Code::kNotFound);
}

TEST_P(SqliteStoreConcurrencyTest, TransactionsOnManyThreadsSerialise) {
  constexpr int kThreads = 4;
  constexpr int kTxnsPerThread = 50;
  ASSERT_TRUE(WriteTxn(*store_, [](Transaction& t) {
                SK_RETURN_IF_ERROR(t.PutGroup(FullGroup("g-1", "web")));
                SsiRecord counter = FullSsi("s-counter", "g-1");
                counter.observed_generation = 0;
                return t.PutSsi(counter);
              }).ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int k = 0; k < kThreads; ++k) {
    writers.emplace_back([&, k] {
      for (int i = 0; i < kTxnsPerThread; ++i) {
        // Read-modify-write inside the transaction: lost updates would show in the total.
        Status s = WriteTxn(*store_, [&](Transaction& t) {
          SK_ASSIGN_OR_RETURN(SsiRecord counter, store_->GetSsi("s-counter"));
          counter.observed_generation += 1;
          SK_RETURN_IF_ERROR(t.PutSsi(counter));
          return t.AppendEvent(
              {0, clock_.Now(), "g-1", "s-counter", "controller", "Tick", std::to_string(k)});
        });
        if (!s.ok()) failures.fetch_add(1);
        // Reads between transactions see a committed counter.
        auto now = store_->GetSsi("s-counter");
        if (!now.ok() || now->observed_generation < 1) failures.fetch_add(1);
      }
    });
  }
  for (std::thread& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store_->GetSsi("s-counter")->observed_generation, kThreads * kTxnsPerThread);
  auto events = store_->ListEvents(Query("", "", kEpoch, 0, 10'000));
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), static_cast<size_t>(kThreads * kTxnsPerThread));
  for (size_t i = 0; i < events->size(); ++i) {
    EXPECT_EQ((*events)[i].seq, static_cast<int64_t>(i) + 1);
  }
}

}  // namespace
}  // namespace spotkeeper
