// FaultInjectingProvider: adds errors, latency and lost responses (ProviderFaults) to the calls
// of the provider it wraps -- the real ec2 provider against moto or the local cloud, or any
// other -- the way the fake cloud injects them into its own calls.
//
// Each action draws from its own Random, seeded from ProviderFaults::seed and the action's name,
// the same draws for every call (latency, error, which error, terminal error; after the call:
// lost response), so the n-th call of an action sees the same faults in every run with that
// seed, however many calls of other actions (event polls on the real clock, say) came between.
// Latency waits through the Sleeper (tests pass one that advances a FakeClock). An injected error means the call was not made; a lost response
// means it was made (and took effect) but the caller sees Unavailable (RequestTimeout).
//
// Sits under RateLimitedProvider (a call the client-side limiter holds back never reaches the
// network, so it cannot fail there) and under CountingProvider (metrics count injected errors).
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/random.h"
#include "provider/provider_decorator.h"
#include "provider/provider_faults.h"

namespace spotkeeper {

class FaultInjectingProvider final : public ProviderDecorator {
 public:
  struct Stats {
    int64_t calls = 0;
    int64_t errors = 0;           // retryable errors injected
    int64_t terminal_errors = 0;  // terminal errors injected
    int64_t lost_responses = 0;
    Duration latency{0};          // total latency added
    std::map<std::string, int64_t> faults_by_action;  // errors + terminal + lost
  };

  // `sleep` null: really sleep.
  FaultInjectingProvider(std::unique_ptr<CloudProvider> inner, ProviderFaults faults,
                         Sleeper sleep = nullptr);
  // Does not own `inner`, which must outlive this object.
  FaultInjectingProvider(CloudProvider* inner, ProviderFaults faults, Sleeper sleep = nullptr);

  // Replaces the faults (e.g. none, for a calm phase); the draws go on from where they are.
  void SetFaults(ProviderFaults faults);
  Stats stats() const;

 protected:
  Status Admit(const char* action) override;
  Status Observe(const char* action, const Status& status) override;

 private:
  mutable std::mutex mu_;
  // The action's draws (created on its first call).
  Random& StreamFor(const char* action);

  ProviderFaults faults_;
  std::map<std::string, Random> streams_;
  Sleeper sleep_;
  Stats stats_;
};

}  // namespace spotkeeper
