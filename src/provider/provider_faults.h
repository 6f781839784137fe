// ProviderFaults: the faults FaultInjectingProvider adds to a provider's calls, and their text
// form (--provider-faults, providerFaults in the server's config file):
//
//   error=0.05,lost=0.01,latency=20ms,seed=7,RunInstances.error=0.3,AttachVolume.lost=0.2
//
//   error=P     each call fails with a retryable error before it is made, with probability P:
//               RequestLimitExceeded (ResourceExhausted), InternalError or Unavailable
//               (Unavailable); the controller backs off and retries
//   terminal=P  each call fails with a terminal error (UnauthorizedOperation, PermissionDenied)
//               before it is made; the controller puts the SSI in ERROR. Default 0
//   lost=P      a call that succeeded has its response lost: it took effect, the caller sees
//               Unavailable (RequestTimeout)
//   latency=D   each call first waits a uniform [0, D] (D: 20ms, 1.5s, 1m; at most 1m)
//   seed=N      the seed of the draws (default 1): a run with the same calls draws the same
//   ACTION.KEY  KEY (error, terminal, lost, latency) for one action only, over the global one;
//               ACTION is an EC2 action name (RunInstances, DescribeInstances, ...) or
//               ReceiveMessage / DeleteMessageBatch for the event queue
//
// Rates are in [0, 1]; error + terminal at most 1.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/status.h"
#include "common/time.h"

namespace spotkeeper {

struct FaultRates {
  double error = 0;
  double terminal = 0;
  double lost = 0;
  Duration latency{0};

  bool any() const { return error > 0 || terminal > 0 || lost > 0 || latency.count() > 0; }
  bool operator==(const FaultRates&) const = default;
};

struct ProviderFaults {
  FaultRates all;
  // Actions with their own rates (the global ones with the action's keys on top).
  std::map<std::string, FaultRates> actions;
  uint64_t seed = 1;

  const FaultRates& For(const std::string& action) const;
  // True when no call gets a fault.
  bool empty() const;
  bool operator==(const ProviderFaults&) const = default;
};

// InvalidArgument naming the bad item ("item 'eror=0.1': unknown key ..."); callers say where
// the text came from.
// An empty text is no faults.
Result<ProviderFaults> ParseProviderFaults(const std::string& text);
// The text form; ParseProviderFaults(FormatProviderFaults(f)) == f.
std::string FormatProviderFaults(const ProviderFaults& faults);

}  // namespace spotkeeper
