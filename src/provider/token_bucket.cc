#include "provider/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace spotkeeper {

BucketSpec Ec2BucketFor(const std::string& action) {
  if (action == "RunInstances") return {"RunInstances", 5, 2};
  if (action == "TerminateInstances") return {"TerminateInstances", 100, 5};
  if (action == "CreateVolume" || action == "CreateSnapshot" ||
      action == "CreateNetworkInterface") {
    return {action, 100, 5};
  }
  if (action == "CreateTags") return {"CreateTags", 100, 10};
  if (action.rfind("Describe", 0) == 0 || action.rfind("Get", 0) == 0) {
    return {"non-mutating", 100, 20};
  }
  return {"mutating", 50, 5};
}

Duration Ec2RateLimiter::Acquire(const std::string& action, Time now) {
  BucketSpec spec = Ec2BucketFor(action);
  auto it = buckets_.find(spec.name);
  if (it == buckets_.end()) {
    it = buckets_.emplace(spec.name, TokenBucket(spec.capacity, spec.refill_per_second, now)).first;
  }
  if (it->second.TryTake(now)) return Duration{0};
  const Duration interval{static_cast<int64_t>(std::ceil(1000.0 / spec.refill_per_second))};
  Time slot = now + std::max(Duration{1}, it->second.TimeUntilAvailable(now));
  auto [r, fresh] = reserved_until_.emplace(spec.name, slot);
  if (!fresh) {
    slot = std::max(slot, r->second + interval);
    r->second = slot;
  }
  return slot - now;
}

}  // namespace spotkeeper
