#include "api/event_pump.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace spotkeeper::api {
namespace {
constexpr size_t kMaxInbox = 100;
constexpr std::chrono::milliseconds kMinGap{500};
}  // namespace

EventPump::EventPump(CloudProvider* cloud, EventInbox* inbox, std::function<void()> on_events)
    : cloud_(cloud), inbox_(inbox), on_events_(std::move(on_events)) {}

EventPump::~EventPump() { Stop(); }

void EventPump::Start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void EventPump::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

EventPumpStats EventPump::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void EventPump::Run() {
  std::chrono::milliseconds backoff{0};
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (backoff.count() > 0) {
        cv_.wait_for(lock, backoff, [this] { return stopping_; });
      }
      if (stopping_) return;
    }
    if (inbox_->size() >= kMaxInbox) {
      // The controller has not caught up: leave the rest on the queue for now.
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; });
      continue;
    }
    auto started = std::chrono::steady_clock::now();
    auto events = cloud_->ReceiveEvents(10);
    if (!events.ok()) {
      // The queue is unreachable: try again, backing off to 30 s (the sweep is the safety net).
      backoff = std::clamp(backoff * 2, std::chrono::milliseconds(500),
                           std::chrono::milliseconds(30'000));
      std::lock_guard<std::mutex> lock(mu_);
      if (stats_.errors++ == 0 || stats_.last_error != events.status().ToString()) {
        spdlog::warn("events: receive failed: {} (retrying in {} ms)", events.status().ToString(),
                     backoff.count());
      }
      stats_.last_error = events.status().ToString();
      continue;
    }
    backoff = std::chrono::milliseconds(0);
    if (events->empty()) {
      // A source that answers at once (events synthesised from Describe calls) is asked at
      // most every kMinGap; a long poll that waited is asked again at once.
      if (std::chrono::steady_clock::now() - started < kMinGap) backoff = kMinGap;
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.received += static_cast<int64_t>(events->size());
    }
    inbox_->Push(std::move(events).value());
    if (on_events_) on_events_();
  }
}

}  // namespace spotkeeper::api
