// The routes of the v1 API, registered group by group into a RouteTable. Handlers read through
// ApiServices::store and write through ApiServices::loop (one controller call per request).
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>

#include "api/api_services.h"
#include "api/route_table.h"

namespace spotkeeper::api {

// /healthz, /readyz, /metrics, /api/v1/info, /api/v1/openapi.json (from `openapi`).
void AddSystemRoutes(RouteTable& table, ApiServices* services,
                     std::function<nlohmann::json()> openapi);
// /api/v1/group...
void AddGroupRoutes(RouteTable& table, ApiServices* services);
// /api/v1/group/{groupId}/statefulInstance... and /api/v1/statefulInstance...
void AddInstanceRoutes(RouteTable& table, ApiServices* services);
// /api/v1/import...
void AddImportRoutes(RouteTable& table, ApiServices* services);
// / and /ui/{asset}: the web dashboard's embedded files (no token: they hold no data).
void AddDashboardRoutes(RouteTable& table);

struct EventStreamOptions {
  std::chrono::milliseconds keepalive{15'000};  // SSE comment line while nothing happens
  std::chrono::seconds max_long_poll{60};
};
// /api/v1/events and /api/v1/events/stream.
void AddEventRoutes(RouteTable& table, ApiServices* services, EventStreamOptions options);

}  // namespace spotkeeper::api
