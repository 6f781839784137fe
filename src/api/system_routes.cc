// /healthz (alive), /readyz (store open and controller loop ticking), /metrics (Prometheus),
// /api/v1/info and /api/v1/openapi.json.
#include <httplib.h>

#include "api/api_routes.h"
#include "api/http_util.h"

namespace spotkeeper::api {
namespace {

void Ready(ApiServices* s, httplib::Response& res) {
  nlohmann::json checks = nlohmann::json::object();
  bool ok = true;
  auto version = s->store->SchemaVersion();
  checks["store"] = {{"ok", version.ok()},
                     {"message", version.ok() ? "schema version " + std::to_string(*version)
                                              : version.status().ToString()}};
  ok &= version.ok();
  std::string why;
  std::optional<HaStatus> ha;
  if (s->ha) ha = s->ha();
  if (ha && !ha->leader) {
    // A follower runs no ticks; it is ready to serve reads.
    checks["controller"] = {{"ok", true}, {"message", "follower: ticks run on the leader"}};
  } else {
    bool loop_ok = s->loop->Ready(&why);
    checks["controller"] = {{"ok", loop_ok}, {"message", why}};
    ok &= loop_ok;
  }
  if (ha) {
    checks["role"] = {{"ok", true},
                      {"message", ha->leader ? "leader" : "follower"},
                      {"leader", ha->leader_name}};
  }
  bool stopping = s->events->shutting_down();
  if (stopping) {
    checks["server"] = {{"ok", false}, {"message", "shutting down"}};
    ok = false;
  }
  nlohmann::json body = {{"status", ok ? "ready" : "not ready"}, {"checks", checks}};
  if (ha) body["role"] = ha->leader ? "leader" : "follower";
  SendJson(res, ok ? 200 : 503, body);
}

void ServeMetrics(ApiServices* s, httplib::Response& res) {
  MetricsInputs in;
  in.store = s->store;
  in.loop = s->loop->snapshot();
  if (s->counting != nullptr) in.provider_calls = s->counting->counts();
  in.provider_name = s->provider_name;
  in.event_streams = s->events->streams();
  in.now = s->clock->Now();
  if (s->ha) in.ha = s->ha();
  res.status = 200;
  res.set_content(s->metrics->Render(in), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace

void AddSystemRoutes(RouteTable& t, ApiServices* s, std::function<nlohmann::json()> openapi) {
  auto started = s->clock->Now();
  t.Add({"GET",
         "/healthz",
         false,
         {"healthz",
          "Liveness: the server answers",
          "No token needed.",
          "system",
          {},
          "",
          false,
          {},
          {{200, "Alive", "Health", "application/json"}}},
         [](const RouteRequest&, httplib::Response& res) {
           SendJson(res, 200, {{"status", "ok"}});
         }});
  t.Add({"GET",
         "/readyz",
         false,
         {"readyz",
          "Readiness: store open and controller loop ticking",
          "No token needed.",
          "system",
          {},
          "",
          false,
          {},
          {{200, "Ready", "Ready", "application/json"},
           {503, "Not ready (see checks)", "Ready", "application/json"}}},
         [s](const RouteRequest&, httplib::Response& res) { Ready(s, res); }});
  t.Add({"GET",
         "/metrics",
         true,
         {"metrics",
          "Prometheus metrics (text format 0.0.4), names prefixed spotkeeper_",
          "",
          "system",
          {},
          "",
          false,
          {},
          {{200, "The metrics", "", "text/plain"}}},
         [s](const RouteRequest&, httplib::Response& res) { ServeMetrics(s, res); }});
  t.Add({"GET",
         "/api/v1/info",
         true,
         {"info",
          "Server version, provider and clock",
          "",
          "system",
          {},
          "",
          false,
          {},
          {{200, "About this server", "Info", "application/json"}}},
         [s, started](const RouteRequest&, httplib::Response& res) {
           nlohmann::json j = s->info;
           j["version"] = "0.1.0";
           j["provider"] = s->provider_name;
           j["now"] = FormatTime(s->clock->Now());
           j["startedAt"] = FormatTime(started);
           SendJson(res, 200, j);
         }});
  t.Add(
      {"GET",
       "/api/v1/openapi.json",
       true,
       {"openapi",
        "This API's OpenAPI 3.0 document",
        "",
        "system",
        {},
        "",
        false,
        {},
        {{200, "The document", "OpenApiDocument", "application/json"}}},
       [openapi](const RouteRequest&, httplib::Response& res) { SendJson(res, 200, openapi()); }});
}

}  // namespace spotkeeper::api
