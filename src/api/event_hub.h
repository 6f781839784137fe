// EventHub: wakes the HTTP requests that wait for new audit events (the SSE stream and the
// long poll). The controller writes events to the store; the loop calls Notify() after every
// tick and action, and waiters look at the store again.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace spotkeeper::api {

class EventHub {
 public:
  explicit EventHub(int max_streams = 16) : max_streams_(max_streams) {}

  // Something may have changed.
  void Notify();
  // The number of Notify() calls so far.
  uint64_t version() const;
  // Waits until version() differs from `seen`, the deadline passes or Shutdown() is called.
  // Returns version().
  uint64_t WaitChange(uint64_t seen, std::chrono::steady_clock::time_point deadline);

  // Wakes every waiter for good; streams end.
  void Shutdown();
  bool shutting_down() const;

  // Live streams hold a server thread each, so there are at most max_streams of them.
  bool TryOpenStream();
  void CloseStream();
  int streams() const;
  // Waits until at most `n` streams are open; false when the deadline passed first.
  bool WaitForStreamsAtMost(int n, std::chrono::steady_clock::time_point deadline);
  int max_streams() const { return max_streams_; }

 private:
  const int max_streams_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t version_ = 0;
  bool shutdown_ = false;
  int streams_ = 0;
};

}  // namespace spotkeeper::api
