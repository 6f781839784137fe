// ListSsis over many rows: checks the result and prints how long it took (no time is asserted;
// compare release builds by hand). 100,000 rows in optimised builds, 10,000 otherwise;
// SK_STORE_SCALE_ROWS overrides the count.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "store/sqlite_store.h"
#include "store/store_test_util.h"

namespace spotkeeper {
namespace {

using store_testing::FullGroup;
using store_testing::FullSsi;
using store_testing::ScratchDir;

TEST(SqliteStoreScaleTest, ListSsisOverManyRows) {
  const char* env = std::getenv("SK_STORE_SCALE_ROWS");
#ifdef NDEBUG
  constexpr int kDefaultRows = 100'000;
#else
  constexpr int kDefaultRows = 10'000;
#endif
  const int rows = env != nullptr ? std::atoi(env) : kDefaultRows;
  ScratchDir dir;
  FakeClock clock;
  auto store = SqliteStore::Open(dir.File("scale.db"), &clock);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto start = std::chrono::steady_clock::now();
  auto txn = (*store)->Begin();
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->PutGroup(FullGroup("g-a", "a")).ok());
  ASSERT_TRUE((*txn)->PutGroup(FullGroup("g-b", "b")).ok());
  char id[32];
  for (int i = 0; i < rows; ++i) {
    std::snprintf(id, sizeof id, "ssi-%08d", i);
    SsiRecord ssi = FullSsi(id, i % 10 == 0 ? "g-b" : "g-a");
    ssi.conditions[1].message = "spot interruption notice for " + ssi.instance_id;
    ASSERT_TRUE((*txn)->PutSsi(ssi).ok());
  }
  ASSERT_TRUE((*txn)->Commit().ok());
  txn->reset();
  auto inserted = std::chrono::steady_clock::now();
  // Restart, as a controller would find its database: checkpointed, nothing left in the WAL.
  store->reset();
  store = SqliteStore::Open(dir.File("scale.db"), &clock);
  ASSERT_TRUE(store.ok()) << store.status().ToString();

  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  std::string timings;
  for (int pass = 0; pass < 3; ++pass) {
    auto before = std::chrono::steady_clock::now();
    auto all = (*store)->ListSsis("");
    auto listed = std::chrono::steady_clock::now();
    auto of_b = (*store)->ListSsis("g-b");
    auto listed_b = std::chrono::steady_clock::now();
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    ASSERT_TRUE(of_b.ok()) << of_b.status().ToString();
    ASSERT_EQ(all->size(), static_cast<size_t>(rows));
    EXPECT_EQ(of_b->size(), static_cast<size_t>((rows + 9) / 10));
    for (size_t i = 1; i < all->size(); ++i) ASSERT_LT((*all)[i - 1].id, (*all)[i].id);
    EXPECT_EQ(all->back().conditions.size(), 2u);
    char line[160];
    std::snprintf(line, sizeof line, "%s%.1f ms (one group of %zu: %.1f ms)", pass == 0 ? "" : ", ",
                  ms(listed - before), of_b->size(), ms(listed_b - listed));
    timings += line;
  }
  std::printf(
      "[ scale    ] %d SSIs, 2 plain-ASCII conditions each: inserted in one transaction "
      "in %.0f ms; ListSsis(all), 3 passes: %s\n",
      rows, ms(inserted - start), timings.c_str());
}

}  // namespace
}  // namespace spotkeeper
