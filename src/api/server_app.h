// ServerApp: everything `spotkeeper server` runs, put together from ServerSettings: the data
// directory (lock, token, address), the store, the provider (sim or ec2) wrapped in
// FaultInjectingProvider (only with settings.provider_faults), RateLimitedProvider and
// CountingProvider, the Controller on its loop thread, and the API.
//
// Start() serves; Stop() shuts down gracefully: the API stops accepting and finishes requests
// in flight (event streams end), the loop lets a tick in progress finish so its steps reach
// the journal, and the store is closed. The destructor calls Stop().
//
// Tests inject a provider they own and a FakeClock (ServerAppDeps) and tick by hand.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "api/api_server.h"
#include "api/controller_loop.h"
#include "api/counting_provider.h"
#include "api/data_dir.h"
#include "api/event_hub.h"
#include "api/event_pump.h"
#include "api/metrics.h"
#include "api/scaled_clock.h"
#include "api/server_config.h"
#include "api/sim_world.h"
#include "controller/controller.h"
#include "controller/serving_prober.h"
#include "provider/fault_injecting_provider.h"
#include "provider/rate_limited_provider.h"
#include "store/etcd/etcd_store.h"
#include "store/etcd/leader_election.h"
#include "store/sqlite_store.h"

namespace spotkeeper::api {

struct ServerAppDeps {
  // Not owned; used instead of settings.provider (the store is then the data dir's file).
  CloudProvider* cloud = nullptr;
  const Clock* clock = nullptr;  // default: the system clock (sim: scaled by simSpeed)
  Sleeper sleep;                 // how injected latency waits (provider_faults); null: sleeps
  bool manual_ticks = false;     // no loop thread; the caller runs loop().TickOnce()
  uint64_t seed = 0;             // ids of groups, SSIs, workflows; 0: from entropy
  ControllerOptions controller;  // on_recovery is set by the app
  int max_streams = 16;
  EventStreamOptions streams;
};

class ServerApp {
 public:
  static Result<std::unique_ptr<ServerApp>> Create(const ServerSettings& settings,
                                                   ServerAppDeps deps = {});
  ~ServerApp();

  ServerApp(const ServerApp&) = delete;
  ServerApp& operator=(const ServerApp&) = delete;

  // Starts the loop and the API; writes <data dir>/address.
  Status Start();
  // Graceful shutdown (idempotent).
  void Stop();

  int port() const { return api_->port(); }
  // "http://127.0.0.1:7780".
  std::string url() const;
  const std::string& token() const { return token_; }
  // The sim banner ("" for other providers).
  const std::string& banner() const { return banner_; }

  ControllerLoop& loop() { return *loop_; }
  Store& store() { return *store_; }
  // The election among controllers sharing an etcd store (null with SQLite).
  LeaderElection* election() { return election_.get(); }
  ApiServer& api() { return *api_; }
  const Clock& clock() const { return *clock_; }
  EventHub& events() { return *hub_; }
  // The fault injection under the rate limiter (null without settings.provider_faults).
  FaultInjectingProvider* fault_injection() { return faults_.get(); }
  // The sim provider's cloud (null for other providers).
  FakeCloud* sim_cloud() { return sim_ ? sim_->cloud.get() : nullptr; }

 private:
  ServerApp() = default;
  // --store etcd://...: the store, fenced by a (not yet started) election.
  Status OpenEtcdStore(bool sim);

  ServerSettings settings_;
  std::string token_;
  std::string banner_;
  bool stopped_ = false;

  std::unique_ptr<DataDir> data_dir_;
  std::unique_ptr<ScaledClock> scaled_clock_;
  const Clock* clock_ = nullptr;
  std::unique_ptr<Store> store_;
  // --store etcd://...: the store's HTTP client, the store and the election.
  std::unique_ptr<aws::HttpClient> etcd_http_;
  EtcdStore* etcd_store_ = nullptr;  // store_, when it is on etcd
  std::unique_ptr<LeaderElection> election_;
  std::unique_ptr<SimWorld> sim_;
  std::unique_ptr<CloudProvider> owned_cloud_;
  std::unique_ptr<FaultInjectingProvider> faults_;
  std::unique_ptr<RateLimitedProvider> rate_limited_;
  std::unique_ptr<CountingProvider> counting_;
  std::unique_ptr<ServingProber> prober_;         // ec2 only: health.serving probes off the loop
  std::unique_ptr<ServingProber> leader_prober_;  // ec2 only: health.leader probes off the loop
  Metrics metrics_;
  std::unique_ptr<EventHub> hub_;
  std::unique_ptr<EventInbox> inbox_;  // with pump_: ec2 only
  std::unique_ptr<Controller> controller_;
  std::unique_ptr<ControllerLoop> loop_;
  std::unique_ptr<EventPump> pump_;
  std::unique_ptr<ApiServer> api_;
  std::thread probe_;  // the ec2 reachability check at start
};

}  // namespace spotkeeper::api
