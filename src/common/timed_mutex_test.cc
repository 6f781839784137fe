#include "common/timed_mutex.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace spotkeeper {
namespace {

using namespace std::chrono_literals;

TEST(TimedMutexTest, TryLockFailsWhileHeldAndSucceedsAfterUnlock) {
  TimedMutex m;
  ASSERT_TRUE(m.try_lock());
  EXPECT_FALSE(m.try_lock());
  m.unlock();
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}

TEST(TimedMutexTest, TryLockForGivesUpAtTheDeadlineWhileHeld) {
  TimedMutex m;
  std::unique_lock<TimedMutex> held(m);
  bool got = true;
  std::thread other([&] { got = m.try_lock_for(20ms); });
  other.join();
  EXPECT_FALSE(got);
  EXPECT_TRUE(held.owns_lock());
}

TEST(TimedMutexTest, AWaiterGetsTheLockWhenTheHolderReleasesIt) {
  TimedMutex m;
  m.lock();
  std::atomic<bool> waiting{false};
  bool got = false;
  std::thread other([&] {
    waiting = true;
    got = m.try_lock_for(60s);  // far beyond the unlock below
    if (got) m.unlock();
  });
  while (!waiting) std::this_thread::yield();
  m.unlock();
  other.join();
  EXPECT_TRUE(got);
}

TEST(TimedMutexTest, ExcludesEveryOtherHolder) {
  TimedMutex m;
  int count = 0;  // guarded by m: a data race here would make ThreadSanitizer fail the test
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if ((i + t) % 2 == 0) {
          std::lock_guard<TimedMutex> l(m);
          ++count;
        } else {
          std::unique_lock<TimedMutex> l(m, std::defer_lock);
          while (!l.try_lock_for(10ms)) {
          }
          ++count;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(count, 4 * 2000);
}

}  // namespace
}  // namespace spotkeeper
