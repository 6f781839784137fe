#include "provider/rate_limited_provider.h"

namespace spotkeeper {

int64_t RateLimitedProvider::local_throttles() const {
  std::lock_guard<std::mutex> l(mu_);
  return local_throttles_;
}

Status RateLimitedProvider::Admit(const char* action) {
  if (action::IsEventQueue(action) || action::IsProbe(action)) return OkStatus();
  std::lock_guard<std::mutex> l(mu_);
  Duration wait = limiter_.Acquire(action, clock_->Now());
  if (wait.count() == 0) return OkStatus();
  ++local_throttles_;
  return Status(Code::kResourceExhausted,
                std::string(action) + " held back by the client-side rate limit", "ClientThrottled")
      .WithRetryAfter(wait);
}

}  // namespace spotkeeper
