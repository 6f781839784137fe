// ApiServices: what the route handlers work with. Reads go to the store directly (it is
// thread-safe); every write is one call into the controller through the loop (ControllerLoop::Act),
// so it is serialised with Tick() and all-or-nothing.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "api/controller_loop.h"
#include "api/counting_provider.h"
#include "api/event_hub.h"
#include "api/ha_status.h"
#include "api/metrics.h"
#include "common/time.h"
#include "provider/cloud_provider.h"
#include "store/store.h"

namespace spotkeeper::api {

// The actor recorded in the audit log for API calls.
inline constexpr const char* kApiActor = "operator";

struct ApiServices {
  ControllerLoop* loop = nullptr;
  Store* store = nullptr;
  // The controller's provider (thread-safe); handlers only describe through it.
  CloudProvider* cloud = nullptr;
  CountingProvider* counting = nullptr;  // may be null (no provider metrics)
  const Clock* clock = nullptr;
  Metrics* metrics = nullptr;
  EventHub* events = nullptr;
  std::string provider_name;
  // Set when the store is shared (etcd): the election's view. Null: a single controller.
  std::function<HaStatus()> ha;
  // Extra facts for GET /api/v1/info (the sim banner's ids, ...).
  nlohmann::json info = nlohmann::json::object();
};

}  // namespace spotkeeper::api
