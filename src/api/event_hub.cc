#include "api/event_hub.h"

namespace spotkeeper::api {

void EventHub::Notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++version_;
  }
  cv_.notify_all();
}

uint64_t EventHub::version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return version_;
}

uint64_t EventHub::WaitChange(uint64_t seen, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_until(lock, deadline, [&] { return shutdown_ || version_ != seen; });
  return version_;
}

void EventHub::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutdown_ = true;
  }
  cv_.notify_all();
}

bool EventHub::shutting_down() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shutdown_;
}

bool EventHub::TryOpenStream() {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutdown_ || streams_ >= max_streams_) return false;
  ++streams_;
  return true;
}

void EventHub::CloseStream() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    --streams_;
  }
  cv_.notify_all();
}

bool EventHub::WaitForStreamsAtMost(int n, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_until(lock, deadline, [&] { return streams_ <= n; });
}

int EventHub::streams() const {
  std::lock_guard<std::mutex> lock(mu_);
  return streams_;
}

}  // namespace spotkeeper::api
