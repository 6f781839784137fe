#include "recovery_call_log.h"

#include <algorithm>

#include "provider/provider_actions.h"

namespace spotkeeper::bench {

void CallLogProvider::Logged(const ProviderCall& call) {
  LoggedCall c;
  c.action = call.action;
  c.target = call.target;
  c.result = call.result;
  c.ok = call.status.ok();
  c.mutating = c.action.rfind("Describe", 0) != 0 && !action::IsEventQueue(c.action) &&
               !action::IsProbe(c.action);
  c.events = call.events;
  c.start = call.start;
  c.end = call.end;
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back(std::move(c));
}

std::vector<LoggedCall> CallLogProvider::Since(Steady::time_point from) const {
  std::vector<LoggedCall> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& c : calls_) {
      if (c.start >= from) out.push_back(c);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const LoggedCall& a, const LoggedCall& b) { return a.start < b.start; });
  return out;
}

void CallLogProvider::Trim(Steady::time_point before) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.erase(std::remove_if(calls_.begin(), calls_.end(),
                              [&](const LoggedCall& c) { return c.start < before; }),
               calls_.end());
}

}  // namespace spotkeeper::bench
