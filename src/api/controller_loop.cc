#include "api/controller_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

namespace spotkeeper::api {

ControllerLoop::ControllerLoop(Controller* controller, const Clock* clock,
                               ControllerLoopOptions options)
    : controller_(controller), clock_(clock), options_(options) {
  if (options_.time_scale <= 0) options_.time_scale = 1;
}

ControllerLoop::~ControllerLoop() { Stop(); }

void ControllerLoop::Start() {
  if (!options_.run_thread || thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(sleep_mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void ControllerLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(sleep_mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ControllerLoop::Wake() {
  {
    std::lock_guard<std::mutex> lock(sleep_mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

Time ControllerLoop::TickOnce() {
  if (gate_ && !gate_()) return clock_->Now() + std::chrono::seconds(1);  // not the leader
  Time next;
  ControllerStats stats;
  {
    std::lock_guard<std::mutex> snap_lock(snap_mu_);
    snapshot_.in_tick = true;
    snapshot_.tick_started = std::chrono::steady_clock::now();
  }
  bool failed = false;
  {
    {
      std::lock_guard<std::mutex> sleep_lock(sleep_mu_);
      wake_ = false;  // what woke the loop is seen by this tick
    }
    std::unique_lock<TimedMutex> lock(mu_);
    try {
      next = controller_->Tick();
    } catch (const std::exception& e) {
      // Not expected (the controller returns errors as values); keep the daemon alive.
      failed = true;
      spdlog::error("controller tick failed: {}", e.what());
      next = clock_->Now() + Duration{1000};
    }
    stats = controller_->stats();
  }
  {
    std::lock_guard<std::mutex> snap_lock(snap_mu_);
    snapshot_.in_tick = false;
    snapshot_.ticked = true;
    snapshot_.last_tick_end = std::chrono::steady_clock::now();
    snapshot_.stats = stats;
    snapshot_.ticks = stats.ticks;
    if (failed) ++snapshot_.tick_errors;
  }
  if (on_change_) on_change_();
  return next;
}

std::chrono::steady_clock::time_point ControllerLoop::RealDeadline(Time next) const {
  auto now = std::chrono::steady_clock::now();
  if (next == kNever) return now + options_.max_sleep;
  Duration ahead = next - clock_->Now();
  if (ahead <= Duration{0}) return now;
  auto real = std::chrono::milliseconds(
      static_cast<int64_t>(static_cast<double>(ahead.count()) / options_.time_scale));
  return now + std::min<std::chrono::milliseconds>(real, options_.max_sleep);
}

void ControllerLoop::Run() {
  int immediate = 0;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(sleep_mu_);
      if (stopping_) return;
    }
    if (gate_ && !gate_()) {  // not the leader: wait to be woken (or look again in a second)
      std::unique_lock<std::mutex> lock(sleep_mu_);
      cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_ || wake_; });
      wake_ = false;
      continue;
    }
    Time next = TickOnce();
    auto deadline = RealDeadline(next);
    // A controller that keeps asking to run at once (a busy reconcile) still leaves the CPU
    // and the lock to others now and then.
    if (deadline <= std::chrono::steady_clock::now()) {
      if (++immediate >= 50) {
        deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
        immediate = 0;
      }
    } else {
      immediate = 0;
    }
    std::unique_lock<std::mutex> lock(sleep_mu_);
    cv_.wait_until(lock, deadline, [this] { return stopping_ || wake_; });
  }
}

LoopSnapshot ControllerLoop::snapshot() const {
  std::lock_guard<std::mutex> lock(snap_mu_);
  return snapshot_;
}

}  // namespace spotkeeper::api

namespace spotkeeper::api {

Status ControllerLoop::BusyStatus() const {
  LoopSnapshot s = snapshot();
  std::string held;
  if (s.in_tick) {
    held = " (a controller tick has been running for " +
           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::steady_clock::now() - s.tick_started)
                              .count()) +
           " s, probably waiting for slow cloud calls)";
  }
  return Status(Code::kUnavailable, "the controller is busy" + held +
                                        "; nothing was changed, "
                                        "try again")
      .WithRetryAfter(std::chrono::seconds(5));
}

bool ControllerLoop::Ready(std::string* why) const {
  LoopSnapshot s = snapshot();
  auto now = std::chrono::steady_clock::now();
  auto secs = [](std::chrono::steady_clock::duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
  };
  if (s.in_tick && now - s.tick_started > options_.stall_limit) {
    *why = "a controller tick has been running for " + secs(now - s.tick_started);
    return false;
  }
  if (!s.ticked) {
    *why = "the controller loop has not finished its first tick yet";
    return false;
  }
  if (!s.in_tick && now - s.last_tick_end > options_.stall_limit) {
    *why = "the controller loop last ticked " + secs(now - s.last_tick_end) + " ago";
    return false;
  }
  *why = "last tick " + secs(now - s.last_tick_end) + " ago, " + std::to_string(s.ticks) + " ticks";
  return true;
}

}  // namespace spotkeeper::api
