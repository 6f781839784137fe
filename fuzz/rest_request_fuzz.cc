// Fuzz target: the REST API's request handling after admission — route matching (path
// parameters), query parameters, headers and bodies (JSON and YAML group specs, deallocation
// flags, imports, actions) through the real handlers of a ServerApp on a fake cloud, with the
// controller ticked by hand between requests. The input is a raw request (raw_request.h); the
// path is decoded and the query split the way cpp-httplib does before dispatch.
// Contracts besides "never crash": no handler throws; every answer is 2xx-4xx except 503 (busy);
// every error is JSON {code, message}.
#include <httplib.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "api/route_table.h"
#include "api/server_app.h"
#include "provider/fake/fake_cloud.h"
#include "raw_request.h"

namespace {

using namespace spotkeeper;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "rest_request_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// A ServerApp on a FakeCloud in a temporary data dir, never started (no socket, no loop thread).
struct World {
  World() {
    spdlog::set_level(spdlog::level::off);
    char tmpl[] = "/tmp/spotkeeper-rest-fuzz-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) Fail("mkdtemp", tmpl);
    dir = tmpl;
    cloud = std::make_unique<FakeCloud>(&clock, 1);
    cloud->AddImage("debian-12-base", 8);
    api::ServerSettings settings;
    settings.data_dir = dir;
    settings.provider = "fake";
    settings.host = "127.0.0.1";
    settings.port = 0;
    settings.listen = "127.0.0.1:0";
    api::ServerAppDeps deps;
    deps.cloud = cloud.get();
    deps.clock = &clock;
    deps.sleep = [this](Duration d) { clock.Advance(d); };
    deps.manual_ticks = true;
    deps.seed = 3;
    auto made = api::ServerApp::Create(settings, deps);
    if (!made.ok()) Fail("ServerApp::Create", made.status().ToString());
    app = std::move(made).value();
    std::atexit([] { std::filesystem::remove_all(Get().dir); });
  }
  static World& Get() {
    static World* world = new World();
    return *world;
  }
  std::string dir;
  FakeClock clock;
  std::unique_ptr<FakeCloud> cloud;
  std::unique_ptr<api::ServerApp> app;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::RawRequest raw =
      fuzz::ParseRawRequest(std::string_view(reinterpret_cast<const char*>(data), size));
  World& world = World::Get();
  httplib::Request req;
  req.method = raw.method;
  req.target = raw.target;
  req.path = httplib::detail::decode_url(raw.Path(), false);
  httplib::detail::parse_query_text(raw.Query(), req.params);
  for (const auto& [name, value] : raw.headers) {
    size_t start = value.find_first_not_of(' ');
    req.headers.emplace(name, start == std::string::npos ? "" : value.substr(start));
  }
  req.body = raw.body;

  api::RouteTable::Match m = world.app->api().routes().Find(req.method, req.path);
  if (m.route == nullptr) return 0;
  if (m.route->path.find("stream") != std::string::npos) return 0;  // holds the connection
  api::RouteRequest rr{req, std::move(m.params), m.route->path};
  httplib::Response res;
  try {
    m.route->handler(rr, res);
  } catch (const std::exception& e) {
    Fail("handler threw", std::string(e.what()) + "\n" + req.method + " " + req.target);
  }
  if (res.status < 200 || (res.status >= 500 && res.status != 503)) {
    Fail("bad status", std::to_string(res.status) + " " + res.body);
  }
  if (res.status >= 400) {
    nlohmann::json j = nlohmann::json::parse(res.body, nullptr, false);
    if (!j.is_object() || !j.contains("code") || !j.contains("message")) {
      Fail("error without {code, message}", res.body);
    }
  }
  world.app->loop().TickOnce();
  return 0;
}
