// The table of EC2's request-rate buckets as the provider layer uses them (TokenBucket itself is
// in common/token_bucket.h). Used twice: the fake provider throttles callers with it as EC2 does
// (RequestLimitExceeded), and RateLimitedProvider keeps a client-side copy so the controller
// waits instead of being throttled. Not thread-safe; callers lock.
#pragma once

#include <map>
#include <string>

#include "common/time.h"
#include "common/token_bucket.h"

namespace spotkeeper {

struct BucketSpec {
  std::string name;  // the bucket's name: "RunInstances", "mutating", "non-mutating", ...
  double capacity;
  double refill_per_second;
};

// The bucket an EC2 action draws from, per EC2's published request throttling: RunInstances
// 5/2 per s; TerminateInstances 100/5; CreateVolume, CreateSnapshot, CreateNetworkInterface
// 100/5; CreateTags 100/10; other mutating actions 50/5; Describe* and other non-mutating
// actions 100/20.
BucketSpec Ec2BucketFor(const std::string& action);

// A set of buckets keyed by bucket name, created on first use.
class Ec2RateLimiter {
 public:
  // Takes a token for `action`; if none, returns how long to wait (and takes nothing). Callers
  // that are told to wait queue up: each gets a later slot, one refill interval after the
  // previous one, so that waiters come back at the rate the bucket refills instead of all at
  // the moment the next token appears.
  Duration Acquire(const std::string& action, Time now);
  // Lets every bucket start full at `now` (used when the clock jumps in tests).
  void Reset() { buckets_.clear(); }

 private:
  std::map<std::string, TokenBucket> buckets_;
  std::map<std::string, Time> reserved_until_;  // the last slot handed to a waiter
};

}  // namespace spotkeeper
