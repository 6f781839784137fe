#include "cloud/api/ec2_fault_injector.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "awsproto/ec2_request_buckets.h"
#include "cloud/engine/ec2_error.h"
#include "common/time.h"

namespace spotkeeper::cloud {
namespace {

struct InjectableError {
  const char* code;
  const char* message;  // EC2's wording
};

constexpr InjectableError kErrors[] = {
    {"InternalError", "An internal error has occurred. Retry your request."},
    {"Unavailable", "The server is overloaded and can't handle the request."},
    {"RequestLimitExceeded", "Request limit exceeded."},
    {"InsufficientInstanceCapacity",
     "We currently do not have sufficient capacity in the Availability Zone you requested."},
};

constexpr const char* kInjected = " (fault injected by the local cloud)";

bool FilteredOrPaginated(const aws::QueryDecoder& params) {
  for (const auto& [k, v] : params.params()) {
    if (k.rfind("Filter.", 0) == 0 || k == "MaxResults" || k == "NextToken") return true;
  }
  return false;
}

// Tokens the resource bucket of `action` gives up for this call: one per instance.
double ResourceCount(const std::string& action, const aws::QueryDecoder& params) {
  if (action == "RunInstances") {
    auto max = params.GetInt("MaxCount");
    return max.ok() && max->has_value() && **max > 0 ? static_cast<double>(**max) : 1.0;
  }
  return static_cast<double>(params.GetList("InstanceId").size());
}

Status FieldError(const std::string& field, const std::string& what) {
  return InvalidArgument("faults: " + field + " " + what);
}

}  // namespace

const std::vector<std::string>& InjectableEc2ErrorCodes() {
  static const std::vector<std::string> codes = [] {
    std::vector<std::string> out;
    for (const InjectableError& e : kErrors) out.emplace_back(e.code);
    return out;
  }();
  return codes;
}

Status ValidateEc2FaultConfig(const Ec2FaultConfig& c) {
  if (!(c.error_rate >= 0 && c.error_rate <= 1)) {
    return FieldError("errorRate", "must be between 0 and 1 (0.05 fails 5% of the calls), not " +
                                       std::to_string(c.error_rate));
  }
  const auto& codes = InjectableEc2ErrorCodes();
  if (std::find(codes.begin(), codes.end(), c.error_code) == codes.end()) {
    std::string list;
    for (const auto& code : codes) list += (list.empty() ? "" : ", ") + code;
    return FieldError("errorCode", "'" + c.error_code + "' is not one of " + list);
  }
  if (c.latency.count() < 0 || c.jitter.count() < 0) {
    return FieldError("latencyMs/jitterMs", "must not be negative");
  }
  constexpr Duration kMaxDelay = std::chrono::minutes(5);
  if (c.latency + c.jitter > kMaxDelay) {
    return FieldError("latencyMs + jitterMs", "must be at most 5 minutes (300000 ms)");
  }
  if (!(c.throttle_scale > 0 && c.throttle_scale <= 1000)) {
    return FieldError("throttleScale", "must be above 0 and at most 1000 (1: EC2's buckets)");
  }
  for (const std::string& a : c.actions) {
    if (a.empty() || !std::all_of(a.begin(), a.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch));
        })) {
      return FieldError("actions", "'" + a + "' is not an EC2 action name (RunInstances, ...)");
    }
  }
  return OkStatus();
}

nlohmann::json Ec2FaultConfigToJson(const Ec2FaultConfig& c) {
  return {{"errorRate", c.error_rate},      {"errorCode", c.error_code},
          {"latencyMs", c.latency.count()}, {"jitterMs", c.jitter.count()},
          {"throttle", c.throttle},         {"throttleScale", c.throttle_scale},
          {"actions", c.actions},           {"seed", c.seed}};
}

Result<Ec2FaultConfig> Ec2FaultConfigFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return InvalidArgument("faults: expected a JSON object");
  Ec2FaultConfig c;
  for (const auto& [key, v] : j.items()) {
    if (key == "errorRate") {
      if (!v.is_number()) return FieldError(key, "must be a number");
      c.error_rate = v.get<double>();
    } else if (key == "errorCode") {
      if (!v.is_string()) return FieldError(key, "must be a string");
      c.error_code = v.get<std::string>();
    } else if (key == "latencyMs" || key == "jitterMs") {
      if (!v.is_number_integer()) return FieldError(key, "must be a whole number of milliseconds");
      (key == "latencyMs" ? c.latency : c.jitter) = Duration{v.get<int64_t>()};
    } else if (key == "throttle") {
      if (!v.is_boolean()) return FieldError(key, "must be true or false");
      c.throttle = v.get<bool>();
    } else if (key == "throttleScale") {
      if (!v.is_number()) return FieldError(key, "must be a number");
      c.throttle_scale = v.get<double>();
    } else if (key == "actions") {
      if (!v.is_array()) return FieldError(key, "must be a list of EC2 action names");
      for (const auto& a : v) {
        if (!a.is_string()) return FieldError(key, "must be a list of EC2 action names");
        c.actions.insert(a.get<std::string>());
      }
    } else if (key == "seed") {
      if (!v.is_number_unsigned()) return FieldError(key, "must be a non-negative integer");
      c.seed = v.get<uint64_t>();
    } else {
      return InvalidArgument(
          "faults: unknown key '" + key +
          "' (known: errorRate, errorCode, latencyMs, jitterMs, throttle, throttleScale, "
          "actions, seed)");
    }
  }
  SK_RETURN_IF_ERROR(ValidateEc2FaultConfig(c));
  return c;
}

nlohmann::json Ec2FaultStatsToJson(const Ec2FaultStats& s) {
  return {{"calls", s.calls},
          {"errors", s.errors},
          {"throttled", s.throttled},
          {"delayed", s.delayed},
          {"totalDelayMs", s.total_delay.count()}};
}

Ec2FaultStats Ec2FaultStatsFromJson(const nlohmann::json& j) {
  Ec2FaultStats s;
  if (!j.is_object()) return s;
  s.calls = j.value("calls", int64_t{0});
  s.errors = j.value("errors", int64_t{0});
  s.throttled = j.value("throttled", int64_t{0});
  s.delayed = j.value("delayed", int64_t{0});
  s.total_delay = Duration{j.value("totalDelayMs", int64_t{0})};
  return s;
}

Ec2FaultInjector::Ec2FaultInjector(const Clock* clock, uint64_t seed, Sleeper sleep)
    : clock_(clock), sleep_(std::move(sleep)), random_(seed) {}

void Ec2FaultInjector::Wait(Duration d, uint64_t generation) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_for(lock, d, [&] { return generation_ != generation; });
}

Status Ec2FaultInjector::Set(Ec2FaultConfig config) {
  SK_RETURN_IF_ERROR(ValidateEc2FaultConfig(config));
  std::lock_guard<std::mutex> lock(mu_);
  if (config.seed != 0) random_ = Random(config.seed);
  config_ = std::move(config);
  stats_ = {};
  buckets_.clear();
  ++generation_;
  changed_.notify_all();
  return OkStatus();
}

void Ec2FaultInjector::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  config_ = {};
  stats_ = {};
  buckets_.clear();
  ++generation_;
  changed_.notify_all();
}

Ec2FaultConfig Ec2FaultInjector::config() const {
  std::lock_guard<std::mutex> lock(mu_);
  return config_;
}

Ec2FaultStats Ec2FaultInjector::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

bool Ec2FaultInjector::Take(const std::string& key, double capacity, double refill, double count,
                            Time now) {
  double scale = config_.throttle_scale;
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    // Never below one token, so that a scaled-down bucket still lets single calls through.
    it = buckets_.emplace(key, TokenBucket(std::max(1.0, capacity * scale), refill * scale, now))
             .first;
  }
  return it->second.TryTake(now, count);
}

Ec2FaultDecision Ec2FaultInjector::Decide(const std::string& action,
                                          const aws::QueryDecoder& params) {
  std::lock_guard<std::mutex> lock(mu_);
  return DecideLocked(action, params);
}

Ec2FaultDecision Ec2FaultInjector::DecideLocked(const std::string& action,
                                                const aws::QueryDecoder& params) {
  Ec2FaultDecision d;
  if (!config_.enabled()) return d;
  if (!config_.actions.empty() && config_.actions.count(action) == 0) return d;
  ++stats_.calls;
  d.delay = config_.latency;
  if (config_.jitter.count() > 0) {
    d.delay += Duration{static_cast<int64_t>(random_.Uniform(config_.jitter.count() + 1))};
  }
  if (d.delay.count() > 0) {
    ++stats_.delayed;
    stats_.total_delay += d.delay;
  }
  if (config_.throttle) {
    Time now = clock_->Now();
    aws::Ec2Bucket request = aws::Ec2RequestBucketFor(action, FilteredOrPaginated(params));
    std::optional<aws::Ec2Bucket> resource = aws::Ec2ResourceBucketFor(action);
    bool ok = Take(request.key, request.capacity, request.refill_per_second, 1, now);
    // A request refused for its resources has still spent its request token, as on EC2, where
    // each bucket is evaluated on its own.
    if (ok && resource) {
      ok = Take(resource->key, resource->capacity, resource->refill_per_second,
                ResourceCount(action, params), now);
    }
    if (!ok) {
      ++stats_.throttled;
      d.error =
          Ec2Error("RequestLimitExceeded", std::string("Request limit exceeded.") + kInjected);
      return d;
    }
  }
  if (config_.error_rate > 0 && random_.Bernoulli(config_.error_rate)) {
    ++stats_.errors;
    for (const InjectableError& e : kErrors) {
      if (config_.error_code == e.code)
        d.error = Ec2Error(e.code, e.message + std::string(kInjected));
    }
  }
  return d;
}

std::optional<Status> Ec2FaultInjector::Apply(const std::string& action,
                                              const aws::QueryDecoder& params) {
  Ec2FaultDecision d;
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    d = DecideLocked(action, params);
    generation = generation_;
  }
  if (d.delay.count() > 0) {
    if (sleep_) {
      sleep_(d.delay);
    } else {
      Wait(d.delay, generation);
    }
  }
  return d.error;
}

}  // namespace spotkeeper::cloud
