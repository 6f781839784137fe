// TokenBucket: a bucket of `capacity` tokens refilled continuously at `refill_per_second`, on
// time read from the caller (a Clock's Now()), so it runs on a FakeClock in tests. Used for
// EC2's request-rate buckets: the fake provider and the local cloud throttle with it as EC2 does
// (RequestLimitExceeded), and RateLimitedProvider keeps a client-side copy. Not thread-safe;
// callers lock.
#pragma once

#include "common/time.h"

namespace spotkeeper {

class TokenBucket {
 public:
  TokenBucket(double capacity, double refill_per_second, Time now)
      : capacity_(capacity), rate_(refill_per_second), tokens_(capacity), last_(now) {}

  // Takes `count` tokens if there are that many. Otherwise returns false and leaves the bucket
  // unchanged.
  bool TryTake(Time now, double count = 1);
  // How long until a token will be there (0 if one is there now).
  Duration TimeUntilAvailable(Time now);
  double tokens(Time now) {
    Refill(now);
    return tokens_;
  }
  double capacity() const { return capacity_; }
  double rate() const { return rate_; }

 private:
  void Refill(Time now);

  double capacity_;
  double rate_;
  double tokens_;
  Time last_;
};

}  // namespace spotkeeper
