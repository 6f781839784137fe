#include "common/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace spotkeeper {

void TokenBucket::Refill(Time now) {
  if (now <= last_) return;
  double elapsed = static_cast<double>((now - last_).count()) / 1000.0;
  tokens_ = std::min(capacity_, tokens_ + elapsed * rate_);
  last_ = now;
}

bool TokenBucket::TryTake(Time now, double count) {
  Refill(now);
  // A hair of tolerance so that float rounding never turns "exactly enough" into a wait.
  if (tokens_ >= count - 1e-9) {
    tokens_ -= count;
    return true;
  }
  return false;
}

Duration TokenBucket::TimeUntilAvailable(Time now) {
  Refill(now);
  if (tokens_ >= 1.0 - 1e-9) return Duration{0};
  double missing = 1.0 - tokens_;
  return Duration{static_cast<int64_t>(std::ceil(missing / rate_ * 1000.0))};
}

}  // namespace spotkeeper
