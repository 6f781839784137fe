#include "provider/fault_injecting_provider.h"

#include <spdlog/spdlog.h>

namespace spotkeeper {
namespace {

Status RetryableError(const char* action, uint64_t kind) {
  const std::string what = std::string(" (injected into ") + action + ")";
  switch (kind) {
    case 0:
      return Status(Code::kResourceExhausted, "Request limit exceeded" + what,
                    action::IsEventQueue(action) ? "RequestThrottled" : "RequestLimitExceeded");
    case 1:
      return Status(Code::kUnavailable, "An internal error has occurred" + what, "InternalError");
    default:
      return Status(Code::kUnavailable, "The service is unavailable. Please try again shortly" + what,
                    "Unavailable");
  }
}

}  // namespace

FaultInjectingProvider::FaultInjectingProvider(std::unique_ptr<CloudProvider> inner,
                                               ProviderFaults faults, Sleeper sleep)
    : ProviderDecorator(std::move(inner)),
      faults_(std::move(faults)),
      sleep_(sleep ? std::move(sleep) : RealSleeper()) {}

FaultInjectingProvider::FaultInjectingProvider(CloudProvider* inner, ProviderFaults faults,
                                               Sleeper sleep)
    : ProviderDecorator(inner),
      faults_(std::move(faults)),
      sleep_(sleep ? std::move(sleep) : RealSleeper()) {}

void FaultInjectingProvider::SetFaults(ProviderFaults faults) {
  std::lock_guard<std::mutex> l(mu_);
  faults_ = std::move(faults);
}

FaultInjectingProvider::Stats FaultInjectingProvider::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

Random& FaultInjectingProvider::StreamFor(const char* action) {
  auto it = streams_.find(action);
  if (it != streams_.end()) return it->second;
  uint64_t h = 1469598103934665603ULL;  // FNV-1a of the name, mixed with the seed
  for (const char* c = action; *c != '\0'; ++c) {
    h = (h ^ static_cast<unsigned char>(*c)) * 1099511628211ULL;
  }
  return streams_.emplace(action, Random(h ^ (faults_.seed * 0x9E3779B97F4A7C15ULL))).first->second;
}

Status FaultInjectingProvider::Admit(const char* action) {
  Duration wait{0};
  Status injected;
  {
    std::lock_guard<std::mutex> l(mu_);
    ++stats_.calls;
    const FaultRates& r = faults_.For(action);
    Random& random = StreamFor(action);
    if (r.latency.count() > 0) {
      wait = Duration{random.Range(0, r.latency.count())};
      stats_.latency += wait;
    }
    // Every draw is made whatever the outcome, so a stream's use depends on nothing else.
    const bool error = random.NextDouble() < r.error;
    const uint64_t kind = random.Uniform(3);
    const bool terminal = random.NextDouble() < r.terminal;
    if (error) {
      ++stats_.errors;
      ++stats_.faults_by_action[action];
      injected = RetryableError(action, kind);
    } else if (terminal) {
      ++stats_.terminal_errors;
      ++stats_.faults_by_action[action];
      injected = Status(Code::kPermissionDenied,
                        std::string("You are not authorized to perform this operation (injected "
                                    "into ") +
                            action + ")",
                        "UnauthorizedOperation");
    }
  }
  if (wait.count() > 0) sleep_(wait);
  if (!injected.ok()) spdlog::debug("fault injection: {} fails: {}", action, injected.ToString());
  return injected;
}

Status FaultInjectingProvider::Observe(const char* action, const Status& status) {
  {
    std::lock_guard<std::mutex> l(mu_);
    const bool lost = StreamFor(action).NextDouble() < faults_.For(action).lost;
    // A failed call keeps its own error: there is no effect to hide.
    if (!lost || !status.ok()) return status;
    ++stats_.lost_responses;
    ++stats_.faults_by_action[action];
  }
  spdlog::debug("fault injection: the response to {} is lost", action);
  return Status(Code::kUnavailable,
                std::string("RequestTimeout: no response to ") + action +
                    " (injected; it may have taken effect)",
                "RequestTimeout");
}

}  // namespace spotkeeper
