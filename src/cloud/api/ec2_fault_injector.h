// Ec2FaultInjector: chaos on the local cloud's EC2 endpoint, switchable while the cloud runs
// (the admin API's /_spotkeeper/v1/faults, `spotkeeper cloud faults`). Off by default.
//
// For each EC2 call it targets (the configured actions; none configured: every action the
// endpoint serves), in this order:
//   1. latency: the call is held `latency` plus a uniform draw from [0, jitter] before it is
//      answered (throttled and failed calls too, like a slow network);
//   2. throttling (`throttle`): EC2's token buckets (awsproto/ec2_request_buckets.h): one
//      request bucket per action (unfiltered, unpaginated describes of the documented subset
//      draw from their own smaller bucket) and, for RunInstances, TerminateInstances,
//      StartInstances and StopInstances, the resource bucket, one token per instance. An empty
//      bucket answers RequestLimitExceeded (HTTP 503). `throttle_scale` multiplies every
//      bucket's size and refill rate (0.1: a tenth of EC2's, to see throttling sooner);
//   3. errors: with probability `error_rate` the call fails with `error_code` (InternalError:
//      HTTP 500, Unavailable: 503, RequestLimitExceeded: 503, InsufficientInstanceCapacity:
//      500) in EC2's XML error shape, without reaching the engine.
// Randomness is a seeded Random (`seed` reseeds it when the faults are set; 0 keeps the
// sequence going), time comes from the Clock and sleeping goes through the injected sleeper, so
// tests run on a FakeClock without sleeping. Setting or clearing the faults refills every
// bucket, zeroes the counters and releases the calls being held for latency. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "awsproto/query_decoder.h"
#include "common/random.h"
#include "common/status.h"
#include "common/time.h"
#include "common/token_bucket.h"

namespace spotkeeper::cloud {

struct Ec2FaultConfig {
  double error_rate = 0;  // [0, 1]
  std::string error_code = "InternalError";
  Duration latency{0};
  Duration jitter{0};
  bool throttle = false;
  double throttle_scale = 1.0;    // > 0
  std::set<std::string> actions;  // empty: every EC2 action
  uint64_t seed = 0;              // 0: keep drawing from the current sequence

  // True when any fault is on.
  bool enabled() const {
    return error_rate > 0 || latency.count() > 0 || jitter.count() > 0 || throttle;
  }
  bool operator==(const Ec2FaultConfig&) const = default;
};

// What the faults did since they were last set.
struct Ec2FaultStats {
  int64_t calls = 0;  // targeted calls
  int64_t errors = 0;
  int64_t throttled = 0;
  int64_t delayed = 0;
  Duration total_delay{0};
};

// The error codes a fault may answer with, in the order the help lists them.
const std::vector<std::string>& InjectableEc2ErrorCodes();
// InvalidArgument naming the field when `config` is not usable.
Status ValidateEc2FaultConfig(const Ec2FaultConfig& config);

// JSON (the admin API): {"errorRate", "errorCode", "latencyMs", "jitterMs", "throttle",
// "throttleScale", "actions", "seed"}. FromJson: absent keys keep their defaults (off); unknown
// keys and wrong types are InvalidArgument; the result is validated.
nlohmann::json Ec2FaultConfigToJson(const Ec2FaultConfig& config);
Result<Ec2FaultConfig> Ec2FaultConfigFromJson(const nlohmann::json& j);
// {"calls", "errors", "throttled", "delayed", "totalDelayMs"}.
nlohmann::json Ec2FaultStatsToJson(const Ec2FaultStats& stats);
Ec2FaultStats Ec2FaultStatsFromJson(const nlohmann::json& j);

// What the faults do to one call.
struct Ec2FaultDecision {
  Duration delay{0};
  std::optional<Status> error;  // an EC2 error (cloud_code set) to answer instead of the call
};

class Ec2FaultInjector {
 public:
  using Sleeper = std::function<void(Duration)>;

  // `clock` must outlive the injector. An empty `sleep` really waits (on a condition variable,
  // so that Set and Clear release the calls being held).
  Ec2FaultInjector(const Clock* clock, uint64_t seed, Sleeper sleep = {});

  // Replaces the faults (InvalidArgument, and nothing changes, when `config` is not valid).
  Status Set(Ec2FaultConfig config);
  // Turns every fault off (LocalCloud::Stop calls it, so that no held call delays the stop).
  void Clear();
  Ec2FaultConfig config() const;
  Ec2FaultStats stats() const;

  // The faults for one call of `action` with `params` (its Query parameters); does not sleep.
  Ec2FaultDecision Decide(const std::string& action, const aws::QueryDecoder& params);
  // Decide, then hold the call for the delay; the error to answer, if any.
  std::optional<Status> Apply(const std::string& action, const aws::QueryDecoder& params);

 private:
  // REQUIRES: mu_ held. False when the bucket `key` (made on first use) lacks `count` tokens.
  bool Take(const std::string& key, double capacity, double refill, double count, Time now);
  // REQUIRES: mu_ held.
  Ec2FaultDecision DecideLocked(const std::string& action, const aws::QueryDecoder& params);
  // The default sleeper: waits `d` or until the faults change from `generation`.
  void Wait(Duration d, uint64_t generation);

  const Clock* clock_;
  Sleeper sleep_;  // empty: Wait
  mutable std::mutex mu_;
  std::condition_variable changed_;
  uint64_t generation_ = 0;  // bumped by Set and Clear
  Ec2FaultConfig config_;
  Ec2FaultStats stats_;
  Random random_;
  std::map<std::string, TokenBucket> buckets_;
};

}  // namespace spotkeeper::cloud
