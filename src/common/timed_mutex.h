// TimedMutex: a mutex with try_lock_for (the TimedLockable requirements, so std::unique_lock and
// std::lock_guard work with it), built from std::mutex and std::condition_variable.
//
// Why not std::timed_mutex: libstdc++ implements its try_lock_for with
// pthread_mutex_clocklock, which ThreadSanitizer (GCC 12's libtsan) does not intercept, so
// every unlock after a timed lock is reported as "unlock of an unlocked mutex" and the lock's
// happens-before edges are lost, hiding real races behind it (scripts/tsan.sh,
// docs/hardening.md). This one is made only of what every sanitizer understands.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace spotkeeper {

class TimedMutex {
 public:
  TimedMutex() = default;
  TimedMutex(const TimedMutex&) = delete;
  TimedMutex& operator=(const TimedMutex&) = delete;

  void lock() {
    std::unique_lock<std::mutex> l(m_);
    cv_.wait(l, [this] { return !held_; });
    held_ = true;
  }

  bool try_lock() {
    std::lock_guard<std::mutex> l(m_);
    if (held_) return false;
    held_ = true;
    return true;
  }

  template <typename Rep, typename Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& timeout) {
    return try_lock_until(std::chrono::steady_clock::now() + timeout);
  }

  template <typename Clock, typename Duration>
  bool try_lock_until(const std::chrono::time_point<Clock, Duration>& deadline) {
    std::unique_lock<std::mutex> l(m_);
    if (!cv_.wait_until(l, deadline, [this] { return !held_; })) return false;
    held_ = true;
    return true;
  }

  void unlock() {
    {
      std::lock_guard<std::mutex> l(m_);
      held_ = false;
    }
    cv_.notify_one();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool held_ = false;  // guarded by m_
};

}  // namespace spotkeeper
