// CallLogProvider: records, with steady-clock times, every call the controller makes to its
// cloud, for bench/recovery: the mutating calls (what was asked, of which resource, when the
// call started and returned) and the Describe and event calls (counted, to show the polling).
//
// Thread-safe (as the CloudProvider contract requires).
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "provider/provider_decorator.h"

namespace spotkeeper::bench {

using Steady = std::chrono::steady_clock;

struct LoggedCall {
  std::string action;  // EC2 action: "RunInstances", "DescribeVolumes", "ReceiveMessage", ...
  std::string target;  // the resource asked about or acted on (ProviderCall::target)
  std::string result;  // the id a create returned (instance, snapshot, image)
  bool ok = false;
  bool mutating = false;  // changes the cloud (not a Describe, not the event queue)
  int events = 0;         // ReceiveMessage: how many events it returned
  Steady::time_point start, end;
};

class CallLogProvider final : public ProviderDecorator {
 public:
  // `inner` must outlive this object.
  explicit CallLogProvider(CloudProvider* inner) : ProviderDecorator(inner) {
    set_logs_calls(true);
  }

  // The calls that started at or after `from`, in start order.
  std::vector<LoggedCall> Since(Steady::time_point from) const;
  // Forgets calls that started before `before` (keeps the log small over many runs).
  void Trim(Steady::time_point before);

 protected:
  void Logged(const ProviderCall& call) override;

 private:
  mutable std::mutex mu_;
  std::vector<LoggedCall> calls_;
};

}  // namespace spotkeeper::bench
