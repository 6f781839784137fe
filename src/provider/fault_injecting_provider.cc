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
      random_(faults_.seed),
      sleep_(sleep ? std::move(sleep) : RealSleeper()) {}

FaultInjectingProvider::FaultInjectingProvider(CloudProvider* inner, ProviderFaults faults,
                                               Sleeper sleep)
    : ProviderDecorator(inner),
      faults_(std::move(faults)),
      random_(faults_.seed),
      sleep_(sleep ? std::move(sleep) : RealSleeper()) {}

void FaultInjectingProvider::SetFaults(ProviderFaults faults) {
  std::lock_guard<std::mutex> l(mu_);
  faults_ = std::move(faults);
}

FaultInjectingProvider::Stats FaultInjectingProvider::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

Status FaultInjectingProvider::Admit(const char* action) {
  Duration wait{0};
  Status injected;
  {
    std::lock_guard<std::mutex> l(mu_);
    ++stats_.calls;
    const FaultRates& r = faults_.For(action);
    if (r.latency.count() > 0) {
      wait = Duration{random_.Range(0, r.latency.count())};
      stats_.latency += wait;
    }
    if (random_.Bernoulli(r.error)) {
      ++stats_.errors;
      ++stats_.faults_by_action[action];
      injected = RetryableError(action, random_.Uniform(3));
    } else if (random_.Bernoulli(r.terminal)) {
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
  if (!status.ok()) return status;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!random_.Bernoulli(faults_.For(action).lost)) return status;
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
