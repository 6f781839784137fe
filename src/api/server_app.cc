#include "api/server_app.h"

#include <spdlog/spdlog.h>

#include "common/random.h"
#include "provider/ec2/curl_http_client.h"
#include "provider/ec2/register_ec2_provider.h"
#include "provider/forwarding_provider.h"
#include "provider/provider_registry.h"

namespace spotkeeper::api {
namespace {

// The ec2 provider's config: providerConfig from the file, with the dedicated settings on top.
// The SQS long poll is cut to 1 s (unless configured) so operator actions, which wait for the
// controller's lock, never wait behind a 20 s poll.
nlohmann::json Ec2Config(const ServerSettings& s) {
  nlohmann::json c = s.provider_config.is_object() ? s.provider_config : nlohmann::json::object();
  if (!s.region.empty()) c["region"] = s.region;
  if (!s.endpoint_url.empty()) c["endpointUrl"] = s.endpoint_url;
  if (!s.events_queue_url.empty()) c["eventsQueueUrl"] = s.events_queue_url;
  if (!s.profile.empty()) c["profile"] = s.profile;
  if (!c.contains("eventsWaitSeconds")) c["eventsWaitSeconds"] = 1;
  return c;
}

std::string HostForUrl(const std::string& host) {
  if (host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "[::1]";
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

Result<std::unique_ptr<ServerApp>> ServerApp::Create(const ServerSettings& settings,
                                                     ServerAppDeps deps) {
  std::unique_ptr<ServerApp> app(new ServerApp());
  app->settings_ = settings;
  SK_ASSIGN_OR_RETURN(app->data_dir_, DataDir::Open(settings.data_dir));
  SK_ASSIGN_OR_RETURN(app->token_, app->data_dir_->LoadOrCreateToken());

  const bool sim = deps.cloud == nullptr && settings.provider == "sim";
  if (deps.clock != nullptr) {
    app->clock_ = deps.clock;
  } else if (sim && settings.sim_speed != 1) {
    app->scaled_clock_ = std::make_unique<ScaledClock>(settings.sim_speed);
    app->clock_ = app->scaled_clock_.get();
  } else {
    app->clock_ = SystemClock::Default();
  }
  uint64_t seed = deps.seed != 0 ? deps.seed : Random::FromEntropy().Next();

  // The sim cloud lives in memory, so its store does too: a file store would outlive the cloud
  // (and could mix simulated groups into a real data directory's store).
  if (settings.store == "sqlite") {
    std::string store_path = sim ? ":memory:" : app->data_dir_->StorePath();
    SK_ASSIGN_OR_RETURN(app->store_, SqliteStore::Open(store_path, app->clock_));
  } else {
    SK_RETURN_IF_ERROR(app->OpenEtcdStore(sim));
  }

  CloudProvider* base = deps.cloud;
  std::string provider_name = deps.cloud != nullptr ? deps.cloud->Name() : settings.provider;
  if (sim) {
    SK_ASSIGN_OR_RETURN(SimWorld world, CreateSimWorld(app->clock_, 1, app->data_dir_->path()));
    app->sim_ = std::make_unique<SimWorld>(std::move(world));
    base = app->sim_->cloud.get();
    app->banner_ = SimBanner(*app->sim_, settings.sim_speed);
    for (const char* k : {"region", "endpointUrl", "eventsQueueUrl", "profile"}) {
      auto it = settings.sources.find(k);
      if (it != settings.sources.end() && it->second != "default") {
        spdlog::warn("{} (from {}) does not apply to the sim provider; ignored", k, it->second);
      }
    }
  } else if (base == nullptr) {
    ProviderRegistry registry;
    SK_RETURN_IF_ERROR(RegisterEc2Provider(registry));
    ProviderOptions po;
    po.config = Ec2Config(settings);
    po.clock = app->clock_;
    po.seed = seed;
    auto created = registry.Create("ec2", po);
    if (!created.ok()) return created.status().Annotate("ec2 provider");
    app->owned_cloud_ = std::move(created).value();
    base = app->owned_cloud_.get();
  }
  if (!settings.provider_faults.empty()) {
    spdlog::warn("injecting faults into every {} call: {}", provider_name,
                 FormatProviderFaults(settings.provider_faults));
    app->faults_ =
        std::make_unique<FaultInjectingProvider>(base, settings.provider_faults, deps.sleep);
    base = app->faults_.get();
  }
  app->rate_limited_ = std::make_unique<RateLimitedProvider>(
      std::make_unique<ForwardingProvider>(base), app->clock_);
  app->counting_ = std::make_unique<CountingProvider>(app->rate_limited_.get());

  ControllerDeps cd;
  cd.store = app->store_.get();
  cd.cloud = app->counting_.get();
  cd.clock = app->clock_;
  cd.seed = seed;
  if (provider_name == "ec2" && !deps.manual_ticks) {
    // The ec2 provider long-polls its queue: received on a thread of its own (see EventPump).
    app->inbox_ = std::make_unique<EventInbox>();
    cd.inbox = app->inbox_.get();
    // Its workload probes may take their whole timeout: on workers, never on the loop. A probe
    // that ends wakes the loop (created below, before any tick can start a probe).
    ServerApp* self = app.get();
    app->prober_ = std::make_unique<ServingProber>(app->counting_.get(), 2, [self] {
      if (self->loop_) self->loop_->Wake();
    });
    cd.prober = app->prober_.get();
    // health.leader's probes: one worker of their own; an answer wakes the loop to reconcile.
    app->leader_prober_ = std::make_unique<ServingProber>(app->counting_.get(), 1, [self] {
      if (self->loop_) self->loop_->Wake();
    });
    cd.leader_prober = app->leader_prober_.get();
  }
  ControllerOptions co = deps.controller;
  co.retention.events_max_age = settings.retention.events_max_age;
  co.retention.events_max_count = settings.retention.events_max_count;
  co.retention.journal_max_age = settings.retention.journal_max_age;
  co.retention.journal_max_workflows = settings.retention.journal_max_workflows;
  co.retention.recovery_history = settings.retention.recovery_history;
  Metrics* metrics = &app->metrics_;
  co.on_recovery = [metrics](const RecoveryTimes& r) {
    metrics->ObserveRecovery(r);
    spdlog::info("recovery ({}, {}) done in {} with {} without an instance", r.kind, r.reason,
                 FormatDuration(r.total), FormatDuration(r.downtime));
  };

  app->controller_ = std::make_unique<Controller>(cd, co);

  app->hub_ = std::make_unique<EventHub>(deps.max_streams);
  ControllerLoopOptions lo;
  lo.run_thread = !deps.manual_ticks;
  lo.time_scale = app->scaled_clock_ ? settings.sim_speed : 1.0;
  app->loop_ = std::make_unique<ControllerLoop>(app->controller_.get(), app->clock_, lo);
  EventHub* hub = app->hub_.get();
  app->loop_->SetOnChange([hub] { hub->Notify(); });
  if (app->election_) {
    LeaderElection* election = app->election_.get();
    app->loop_->SetTickGate([election] { return election->role() == Role::kLeader; });
  }
  if (app->inbox_) {
    ControllerLoop* loop = app->loop_.get();
    app->pump_ = std::make_unique<EventPump>(app->counting_.get(), app->inbox_.get(),
                                             [loop] { loop->Wake(); });
  }

  ApiServices services;
  services.loop = app->loop_.get();
  services.store = app->store_.get();
  services.cloud = app->counting_.get();
  services.counting = app->counting_.get();
  services.clock = app->clock_;
  services.metrics = &app->metrics_;
  services.events = app->hub_.get();
  services.provider_name = provider_name;
  if (app->sim_) services.info = app->sim_->info;
  if (app->election_) {
    LeaderElection* election = app->election_.get();
    services.ha = [election] {
      return HaStatus{election->role() == Role::kLeader, election->leader()};
    };
  }
  ApiServerOptions ao;
  ao.host = settings.host;
  ao.port = settings.port;
  ao.token = app->token_;
  ao.threads = deps.max_streams + 8;
  ao.streams = deps.streams;
  app->api_ = std::make_unique<ApiServer>(ao, services);
  return app;
}

Status ServerApp::OpenEtcdStore(bool sim) {
  SK_ASSIGN_OR_RETURN(std::vector<std::string> endpoints, ParseEtcdUrl(settings_.store));
  CurlHttpClientOptions ho;
  ho.connect_timeout = std::chrono::seconds(1);
  // Below the lease: a leader stuck on one unresponsive member tries the next one in time.
  ho.request_timeout = std::chrono::seconds(std::max<int64_t>(1, settings_.lease_ttl_seconds / 3));
  auto http = std::make_unique<CurlHttpClient>(ho);
  CurlHttpClient* stream = http.get();  // the election watches the campaign key over it
  etcd_http_ = std::move(http);
  EtcdStoreOptions so;
  so.endpoints = endpoints;
  so.http = etcd_http_.get();
  so.clock = clock_;
  auto opened = EtcdStore::Open(so);
  if (!opened.ok()) return opened.status().Annotate("store " + settings_.store);
  etcd_store_ = opened->get();
  store_ = std::move(opened).value();
  if (sim) {
    spdlog::warn(
        "--store etcd with --provider sim: each controller has its own simulated cloud, so a "
        "new leader finds none of the old leader's instances");
  }
  LeaderElectionOptions eo;
  eo.ttl_seconds = settings_.lease_ttl_seconds;
  eo.watch = stream;
  election_ = std::make_unique<LeaderElection>(etcd_store_, eo);
  return OkStatus();
}

ServerApp::~ServerApp() { Stop(); }

std::string ServerApp::url() const {
  return "http://" + HostForUrl(settings_.host) + ":" + std::to_string(api_->port());
}

Status ServerApp::Start() {
  if (settings_.provider == "ec2" && owned_cloud_) {
    // A first call tells people at once whether credentials and endpoint work. On its own
    // thread: an unreachable endpoint (retries, timeouts) must not delay serving.
    CountingProvider* cloud = counting_.get();
    probe_ = std::thread([cloud] {
      auto zones = cloud->DescribeAvailabilityZones();
      if (zones.ok()) {
        spdlog::info("ec2: reachable, {} availability zones", zones->size());
      } else {
        spdlog::warn(
            "ec2: DescribeAvailabilityZones failed: {} (check credentials, region "
            "and endpoint; the controller keeps retrying)",
            zones.status().ToString());
      }
    });
  }
  loop_->Start();
  if (pump_ && !election_) pump_->Start();  // with an election: only while leading
  Status s = api_->Start();
  if (!s.ok()) {
    if (pump_) pump_->Stop();
    loop_->Stop();
    return s;
  }
  if (election_) {
    // Others see this controller by its API URL (in the campaign key): followers name it.
    election_->SetName(url());
    ControllerLoop* loop = loop_.get();
    EventPump* pump = pump_.get();
    EventHub* hub = hub_.get();
    election_->SetOnChange([loop, pump, hub](Role role) {
      if (pump != nullptr) {
        if (role == Role::kLeader) {
          pump->Start();
        } else {
          pump->Stop();
        }
      }
      loop->Wake();
      hub->Notify();
    });
    election_->Start();
  }
  Status w = data_dir_->WriteAddress(url());
  if (!w.ok()) spdlog::warn("{}", w.ToString());
  spdlog::info("spotkeeper server listening on {} (provider {}, data dir {}; dashboard at {}/)",
               url(), settings_.provider, data_dir_->path(), url());
  return OkStatus();
}

void ServerApp::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (api_) api_->Stop();
  if (election_) election_->Stop();  // resigns: another controller takes over at once
  if (pump_) pump_->Stop();
  if (loop_) loop_->Stop();
  prober_.reset();  // waits for probes in flight (each bounded by its timeout)
  leader_prober_.reset();
  if (probe_.joinable()) probe_.join();
  loop_.reset();
  controller_.reset();
  election_.reset();
  store_.reset();  // closes the database
}

}  // namespace spotkeeper::api
