// Time values and the Clock seam. Controller and provider logic read time only through a Clock,
// so tests and the simulation run on a FakeClock that moves only when told to.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "common/status.h"

namespace spotkeeper {

using Duration = std::chrono::milliseconds;
using Time = std::chrono::sys_time<std::chrono::milliseconds>;

inline constexpr Time kNever = Time::max();
inline constexpr Time kEpoch = Time{};

inline int64_t ToMillis(Time t) { return t.time_since_epoch().count(); }
inline Time FromMillis(int64_t ms) { return Time{Duration{ms}}; }

// "2026-11-26T14:36:42.123Z" (UTC, milliseconds).
std::string FormatTime(Time t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fff]Z" and "+00:00" offsets.
Result<Time> ParseTime(const std::string& text);
// "1h02m", "3.5s", "120ms": for people.
std::string FormatDuration(Duration d);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Time Now() const override;
  static SystemClock* Default();
};

// Waiting for a while: code that waits (retry backoff, injected latency) takes a Sleeper, so tests
// pass one that advances a FakeClock instead of sleeping.
using Sleeper = std::function<void(Duration)>;
// Really sleeps (std::this_thread::sleep_for).
Sleeper RealSleeper();

// Thread-safe; time moves only through Set/Advance.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Time start = FromMillis(1'767'225'600'000));  // 2026-01-01T00:00:00Z
  Time Now() const override;
  void Set(Time t);
  void Advance(Duration d);

 private:
  mutable std::mutex mu_;
  Time now_;
};

}  // namespace spotkeeper
