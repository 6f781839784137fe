// ParallelFor: runs fn(state, i) for every i in [0, n) on `workers` threads, each with its own
// default-constructed State (decompression context, buffers). Items are taken in order; the
// first error stops the others from taking more and is returned.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

#include "common/status.h"

namespace spotkeeper::cloud::snapshot {

template <typename State, typename Fn>
Status ParallelFor(int workers, size_t n, const Fn& fn) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  Status first;
  auto body = [&] {
    State state;
    for (size_t i; !failed.load(std::memory_order_relaxed) && (i = next.fetch_add(1)) < n;) {
      Status s = fn(state, i);
      if (!s.ok()) {
        std::lock_guard lock(mu);
        if (first.ok()) first = std::move(s);
        failed = true;
      }
    }
  };
  const size_t count = std::min<size_t>(static_cast<size_t>(std::max(1, workers)), n);
  std::vector<std::thread> threads;
  for (size_t t = 1; t < count; ++t) threads.emplace_back(body);
  if (count > 0) body();
  for (std::thread& t : threads) t.join();
  return first;
}

}  // namespace spotkeeper::cloud::snapshot
