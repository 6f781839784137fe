// CountingProvider: counts every call the controller makes to its cloud, by EC2 action, with
// the throttled ones (refused by the client-side buckets, "ClientThrottled", or by the cloud,
// "RequestLimitExceeded") and the failed ones by error code. Feeds /metrics.
//
// Thread-safe (as the CloudProvider contract requires).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "provider/provider_decorator.h"

namespace spotkeeper::api {

struct ActionCounts {
  int64_t calls = 0;
  int64_t client_throttles = 0;           // refused before reaching the cloud
  int64_t cloud_throttles = 0;            // the cloud said RequestLimitExceeded (or the like)
  std::map<std::string, int64_t> errors;  // other failures by Status code name
};

class CountingProvider final : public ProviderDecorator {
 public:
  // `inner` must outlive this object.
  explicit CountingProvider(CloudProvider* inner) : ProviderDecorator(inner) {}

  // Counts so far, by EC2/SQS action name ("RunInstances", "ReceiveMessage", ...).
  std::map<std::string, ActionCounts> counts() const;

 protected:
  Status Observe(const char* action, const Status& status) override;

 private:
  mutable std::mutex mu_;
  std::map<std::string, ActionCounts> counts_;
};

}  // namespace spotkeeper::api
