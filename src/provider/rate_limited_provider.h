// RateLimitedProvider: wraps any CloudProvider with client-side copies of EC2's request buckets.
// A call with no token left is not sent: it fails at once with ResourceExhausted
// (cloud_code "ClientThrottled") and retry_after set to when the token will be there, so the
// controller schedules the step for then instead of burning a request on RequestLimitExceeded.
// The event queue's calls (ReceiveMessage, DeleteMessageBatch) are not limited: SQS's own limits
// are far above our polling rate.
#pragma once

#include <memory>
#include <mutex>

#include "provider/provider_decorator.h"
#include "provider/token_bucket.h"

namespace spotkeeper {

class RateLimitedProvider final : public ProviderDecorator {
 public:
  // `clock` must outlive this object.
  RateLimitedProvider(std::unique_ptr<CloudProvider> inner, const Clock* clock)
      : ProviderDecorator(std::move(inner)), clock_(clock) {}

  // Calls refused locally so far (they never reached the cloud).
  int64_t local_throttles() const;

 protected:
  // OK if a token was taken for `action`, else the ClientThrottled status.
  Status Admit(const char* action) override;

 private:
  const Clock* clock_;
  mutable std::mutex mu_;
  Ec2RateLimiter limiter_;
  int64_t local_throttles_ = 0;
};

}  // namespace spotkeeper
