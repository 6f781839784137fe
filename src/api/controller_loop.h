// ControllerLoop: runs a Controller's Tick() on its own thread and serialises operator actions
// with it (the Controller is not thread-safe: one mutex guards every call into it).
//
// After an action the loop wakes at once, so the controller acts on it without waiting for its
// next scheduled tick. Tick() returns when it next needs to run; the loop sleeps until then on
// the real clock, divided by `time_scale` when the controller runs on a faster simulated clock.
//
// Manual mode (no thread): tests on a FakeClock call TickOnce() themselves.
//
// Thread safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "common/time.h"
#include "common/timed_mutex.h"
#include "controller/controller.h"

namespace spotkeeper::api {

struct ControllerLoopOptions {
  bool run_thread = true;
  // The controller's clock runs this many times faster than real time (the sim provider).
  double time_scale = 1.0;
  // The longest the loop sleeps between ticks, whatever Tick() said.
  std::chrono::milliseconds max_sleep{30'000};
  // /readyz reports the loop stalled when no tick has finished for this long (real time).
  std::chrono::milliseconds stall_limit{120'000};
  // How long an action waits for the controller while a tick runs (a tick can be slow when the
  // cloud is: retries with backoff). Past it the action fails with Unavailable.
  std::chrono::milliseconds act_timeout{15'000};
};

// What the loop saw at its last tick, for /readyz and /metrics (copied under the lock).
struct LoopSnapshot {
  ControllerStats stats;
  int64_t ticks = 0;
  bool ticked = false;  // at least one tick finished
  bool in_tick = false;
  std::chrono::steady_clock::time_point last_tick_end;
  std::chrono::steady_clock::time_point tick_started;
  int64_t tick_errors = 0;  // ticks that threw (a bug: logged, the loop carries on)
};

class ControllerLoop {
 public:
  // `controller` and `clock` must outlive the loop.
  ControllerLoop(Controller* controller, const Clock* clock, ControllerLoopOptions options);
  ~ControllerLoop();  // Stop()

  ControllerLoop(const ControllerLoop&) = delete;
  ControllerLoop& operator=(const ControllerLoop&) = delete;

  // Called after every tick and every action, outside the lock (e.g. to wake event streams).
  // Set before Start().
  void SetOnChange(std::function<void()> f) { on_change_ = std::move(f); }
  // The thread ticks only while `gate` says true (the leader of several controllers); call
  // Wake() when it turns true. Set before Start().
  void SetTickGate(std::function<bool()> gate) { gate_ = std::move(gate); }

  void Start();  // no-op in manual mode
  // Stops the thread: a tick in progress finishes (its steps reach the journal) first.
  void Stop();

  // Runs `f(controller)` under the lock, then wakes the loop. Returns what f returns (a Status
  // or Result), or Unavailable when the lock did not come within act_timeout.
  template <typename F>
  auto Act(F&& f) -> decltype(f(std::declval<Controller&>())) {
    using R = decltype(f(std::declval<Controller&>()));
    std::unique_lock<TimedMutex> lock(mu_, std::defer_lock);
    if (!lock.try_lock_for(options_.act_timeout)) {
      return R(BusyStatus());
    }
    auto result = f(*controller_);
    controller_->MarkDirty();
    ControllerStats stats = controller_->stats();
    lock.unlock();
    {
      std::lock_guard<std::mutex> snap_lock(snap_mu_);
      snapshot_.stats = stats;
    }
    Wake();
    if (on_change_) on_change_();
    return result;
  }

  // The loop ticks now (or right after the tick in progress), e.g. because events arrived.
  // Never waits for the controller.
  void Wake();

  // One tick under the lock (manual mode; also safe next to the thread). Returns Tick()'s answer
  // (or a second from now without ticking while the gate is shut).
  Time TickOnce();

  LoopSnapshot snapshot() const;
  // Ready when a tick has finished and the loop is not stuck: the last tick ended (or the
  // current one began) less than stall_limit ago. Otherwise false with the reason in *why.
  bool Ready(std::string* why) const;

 private:
  void Run();
  Status BusyStatus() const;
  // The real-time point at which to tick again for a controller time `next`.
  std::chrono::steady_clock::time_point RealDeadline(Time next) const;

  Controller* controller_;
  const Clock* clock_;
  ControllerLoopOptions options_;
  std::function<void()> on_change_;
  std::function<bool()> gate_;

  TimedMutex mu_;  // guards the controller (not std::timed_mutex: see common/timed_mutex.h)
  // The loop sleeps on cv_ under sleep_mu_ (not mu_, so a wake-up never waits for a tick).
  std::mutex sleep_mu_;
  std::condition_variable cv_;
  bool wake_ = false;      // guarded by sleep_mu_
  bool stopping_ = false;  // guarded by sleep_mu_
  // Separate, so /readyz and /metrics never wait behind a tick.
  mutable std::mutex snap_mu_;
  LoopSnapshot snapshot_;
  std::thread thread_;
};

}  // namespace spotkeeper::api
