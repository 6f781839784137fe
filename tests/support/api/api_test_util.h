// Test helpers for the API: a temporary directory, a fake world (FakeClock + FakeCloud with a
// base image) and an in-process server on it (port 0, manual ticks), with an HTTP client and
// a RunUntil that ticks the controller and moves the fake clock like ControllerHarness does.
#pragma once

#include <httplib.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "api/server_app.h"
#include "provider/fake/fake_cloud.h"
#include "spec/group_spec.h"

namespace spotkeeper::api::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The cloud side of a test: outlives servers so a "restarted" server finds the same cloud.
struct FakeWorld {
  explicit FakeWorld(uint64_t seed = 1);
  FakeClock clock;
  std::unique_ptr<FakeCloud> cloud;
  std::string image;
  std::vector<Subnet> subnets;  // by zone

  // A valid spec: one zone, /dev/sdf 10 GiB reattach, root and IP persisted, m5.large spot.
  GroupSpec Spec(const std::string& name, int target = 1) const;
};

struct Reply {
  int status = 0;       // 0: no answer (connection failed)
  nlohmann::json json;  // parsed body (null when not JSON)
  std::string body;
  httplib::Headers headers;
  std::string Dump() const { return std::to_string(status) + " " + body; }
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class TestServer {
 public:
  // A server on `world` with its data in `dir`, on 127.0.0.1 port 0, ticked by hand; `faults`
  // are injected into its provider calls (latency advances the world's clock).
  // `store`: "sqlite" (in the data dir) or an etcd:// URL (lease TTL 2 s).
  TestServer(FakeWorld* world, const std::string& dir, uint64_t seed = 7, int max_streams = 16,
             ProviderFaults faults = {}, const std::string& store = "sqlite");
  ~TestServer();

  ServerApp& app() { return *app_; }
  int port() const { return app_->port(); }
  const std::string& token() const { return app_->token(); }

  // One request. `auth`: send the right token; `token` overrides it when not empty.
  Reply Call(const std::string& method, const std::string& path, const std::string& body = "",
             const std::string& content_type = "application/json", bool auth = true,
             const std::string& token = "", const httplib::Headers& headers = {});
  Reply Get(const std::string& path) { return Call("GET", path); }
  Reply Post(const std::string& path, const nlohmann::json& body) {
    return Call("POST", path, body.dump());
  }
  Reply Put(const std::string& path, const nlohmann::json& body = nlohmann::json()) {
    return Call("PUT", path, body.is_null() ? "" : body.dump());
  }

  // Ticks and moves the clock to the next thing that happens until `done` or `limit` of
  // simulated time passes.
  bool RunUntil(const std::function<bool()>& done, Duration limit = Duration{3'600'000});
  // Creates a group through the API and runs until all its SSIs are ACTIVE; returns its id.
  std::string CreateAndLaunch(const GroupSpec& spec);
  std::string SsiState(const std::string& ssi_id);
  // The first SSI of a group.
  nlohmann::json FirstSsi(const std::string& group_id);

 private:
  FakeWorld* world_;
  std::unique_ptr<ServerApp> app_;
};

}  // namespace spotkeeper::api::testing
