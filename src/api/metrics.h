// Metrics: what /metrics serves (Prometheus text, every name prefixed spotkeeper_).
//
// Kept here: recoveries (counter and duration histograms by reason, and the time to each phase
// by trigger and phase, fed by the controller's on_recovery hook) and HTTP requests. Read at scrape time: SSIs by state per group, snapshot
// ages and running workflows (from the store), controller counters (the loop's snapshot),
// provider calls and throttles (CountingProvider), open event streams.
//
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "api/controller_loop.h"
#include "api/counting_provider.h"
#include "api/ha_status.h"
#include "api/prometheus_writer.h"
#include "store/store.h"

namespace spotkeeper::api {

struct MetricsInputs {
  Store* store = nullptr;
  LoopSnapshot loop;
  std::map<std::string, ActionCounts> provider_calls;
  std::string provider_name;
  int event_streams = 0;
  Time now;
  std::optional<HaStatus> ha;  // set when the store is shared (etcd)
};

class Metrics {
 public:
  Metrics();

  // A recovery's whole time, downtime and phases (see RecoveryTimes), by its reason.
  void ObserveRecovery(const RecoveryTimes& r);
  // route: the matched path template ("unmatched" when none), so label values stay few.
  void ObserveRequest(const std::string& method, const std::string& route, int status);

  // The whole exposition. Store errors leave their families out (and are counted).
  std::string Render(const MetricsInputs& in) const;

 private:
  struct Recovery {
    int64_t count = 0;
    Histogram total;
    Histogram downtime;
  };

  mutable std::mutex mu_;
  std::map<std::string, Recovery> recoveries_;  // by reason
  // spotkeeper_recovery_seconds: by (trigger = reason, phase)
  std::map<std::pair<std::string, std::string>, Histogram> phases_;
  std::map<std::tuple<std::string, std::string, int>, int64_t> requests_;
  mutable int64_t scrape_errors_ = 0;
};

}  // namespace spotkeeper::api
