#include "api/counting_provider.h"

namespace spotkeeper::api {

Status CountingProvider::Observe(const char* action, const Status& s) {
  std::lock_guard<std::mutex> lock(mu_);
  ActionCounts& c = counts_[action];
  ++c.calls;
  if (s.ok()) return s;
  const std::string& cc = s.cloud_code();
  if (cc == "ClientThrottled") {
    ++c.client_throttles;
  } else if (cc == "RequestLimitExceeded" || cc == "Throttling" || cc == "ThrottlingException" ||
             cc == "RequestThrottled" || cc == "SlowDown") {
    ++c.cloud_throttles;
  } else {
    ++c.errors[CodeName(s.code())];
  }
  return s;
}

std::map<std::string, ActionCounts> CountingProvider::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

}  // namespace spotkeeper::api
