// ScaledClock: a clock that runs `scale` times faster than another (real time by default),
// starting from that clock's time. The sim provider uses it so a recycle that takes a minute
// of simulated time is over in a second.
#pragma once

#include "common/time.h"

namespace spotkeeper::api {

class ScaledClock final : public Clock {
 public:
  // `base` must outlive this clock.
  explicit ScaledClock(double scale, const Clock* base = SystemClock::Default())
      : scale_(scale), base_(base), start_(base->Now()) {}

  Time Now() const override {
    auto real = base_->Now() - start_;
    return start_ + Duration{static_cast<int64_t>(static_cast<double>(real.count()) * scale_)};
  }
  double scale() const { return scale_; }

 private:
  double scale_;
  const Clock* base_;
  Time start_;
};

}  // namespace spotkeeper::api
