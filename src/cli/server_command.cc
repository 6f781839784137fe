// `spotkeeper server`: runs the controller daemon with the REST API (api/server_app.h) until
// SIGTERM or SIGINT, then shuts down gracefully and exits 0. A second signal while shutting
// down exits at once (what is committed stays committed; unfinished steps run again later).
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "api/log_setup.h"
#include "api/server_app.h"
#include "cli/commands.h"

namespace spotkeeper::cli {
namespace {

struct ServerArgs {
  std::string config, listen, provider, region, endpoint_url, events_queue_url, profile, log_format,
      log_level, provider_faults, store, lease_ttl, events_max_age, events_max_count,
      journal_max_age, journal_max_workflows, recovery_history;
  bool allow_remote = false;
  double sim_speed = 1;
};

std::optional<std::string> Given(CLI::App* cmd, const char* name, const std::string& v) {
  if (cmd->count(name) == 0) return std::nullopt;
  return v;
}

int Run(CLI::App* cmd, const ClientOptions& client, const ServerArgs& a) {
  // Signals go to one thread that waits for them; every other thread (created below) inherits
  // the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  api::ServerFlags f;
  f.config = Given(cmd, "--config", a.config);
  f.listen = Given(cmd, "--listen", a.listen);
  f.provider = Given(cmd, "--provider", a.provider);
  f.region = Given(cmd, "--region", a.region);
  f.endpoint_url = Given(cmd, "--endpoint-url", a.endpoint_url);
  f.events_queue_url = Given(cmd, "--events-queue-url", a.events_queue_url);
  f.profile = Given(cmd, "--profile", a.profile);
  f.log_format = Given(cmd, "--log-format", a.log_format);
  f.log_level = Given(cmd, "--log-level", a.log_level);
  f.provider_faults = Given(cmd, "--provider-faults", a.provider_faults);
  f.store = Given(cmd, "--store", a.store);
  f.lease_ttl = Given(cmd, "--lease-ttl", a.lease_ttl);
  f.events_max_age = Given(cmd, "--events-max-age", a.events_max_age);
  f.events_max_count = Given(cmd, "--events-max-count", a.events_max_count);
  f.journal_max_age = Given(cmd, "--journal-max-age", a.journal_max_age);
  f.journal_max_workflows = Given(cmd, "--journal-max-workflows", a.journal_max_workflows);
  f.recovery_history = Given(cmd, "--recovery-history", a.recovery_history);
  if (cmd->count("--allow-remote") > 0) f.allow_remote = a.allow_remote;
  if (cmd->count("--sim-speed") > 0) f.sim_speed = a.sim_speed;
  if (!client.data_dir.empty()) f.data_dir = client.data_dir;

  auto settings = api::ResolveServerSettings(f, api::ProcessEnvLookup());
  if (!settings.ok()) {
    std::cerr << "error: " << settings.status().message() << "\n";
    return kExitUsage;
  }
  Status logging = api::SetUpLogging(settings->log_format, settings->log_level);
  if (!logging.ok()) {
    std::cerr << "error: " << logging.message() << "\n";
    return kExitUsage;
  }
  for (const auto& [key, source] : settings->sources) {
    spdlog::debug("setting {} from {}", key, source);
  }
  auto app = api::ServerApp::Create(*settings);
  if (!app.ok()) {
    spdlog::error("cannot start: {}", app.status().message());
    return kExitError;
  }
  if (!(*app)->banner().empty()) {
    if (settings->log_format == "json") {
      api::LogWithFields(spdlog::level::warn,
                         "SIMULATED CLOUD (--provider sim): nothing real is launched",
                         {{"banner", (*app)->banner()}});
    } else {
      std::cerr << (*app)->banner() << "\n" << std::flush;
    }
  }
  Status started = (*app)->Start();
  if (!started.ok()) {
    spdlog::error("cannot start: {}", started.message());
    return kExitError;
  }

  // Shared with the signal thread, which lives until the process exits: never freed.
  struct SignalState {
    sigset_t set;
    std::mutex mu;
    std::condition_variable cv;
    int received = 0;
  };
  auto* st = new SignalState;
  st->set = set;
  std::thread([st] {
    while (true) {
      int sig = 0;
      if (sigwait(&st->set, &sig) != 0) continue;
      std::lock_guard<std::mutex> lock(st->mu);
      if (++st->received > 1) {
        spdlog::warn("second {}: exiting now", strsignal(sig));
        spdlog::default_logger()->flush();
        std::_Exit(kExitError);
      }
      spdlog::info(
          "{}: shutting down (stop accepting requests, finish the tick in progress, "
          "close the store)",
          strsignal(sig));
      st->cv.notify_all();
    }
  }).detach();
  {
    std::unique_lock<std::mutex> lock(st->mu);
    st->cv.wait(lock, [st] { return st->received > 0; });
  }
  (*app)->Stop();
  app->reset();
  spdlog::info("stopped");
  spdlog::default_logger()->flush();
  return kExitOk;
}

}  // namespace

void AddServerCommand(CLI::App& app, const ClientOptions* client, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "server",
      "Run the controller daemon, its REST API and the web dashboard (at / of the API's "
      "address; docs/dashboard.md). Every option can also be set by a "
      "SPOTKEEPER_* environment variable (SPOTKEEPER_LISTEN, ...) or in the --config file "
      "(camelCase keys: listen, dataDir, ...); a flag beats the environment, which beats the "
      "file. See docs/cli.md.");
  auto a = std::make_shared<ServerArgs>();
  cmd->add_option("--config", a->config, "YAML config file (SPOTKEEPER_CONFIG)");
  cmd->add_option("--listen", a->listen,
                  "Address to serve the API on (default 127.0.0.1:7780; port 0: any free port, "
                  "written to <data-dir>/address)");
  cmd->add_flag("--allow-remote", a->allow_remote,
                "Allow a non-loopback --listen (plain HTTP and one token: put TLS or a firewall "
                "in front)");
  cmd->add_option("--provider", a->provider,
                  "Cloud: ec2 (AWS or an EC2-compatible endpoint) or sim (in memory, nothing "
                  "real is launched); default ec2")
      ->check(CLI::IsMember({"sim", "ec2"}));
  cmd->add_option("--region", a->region, "ec2: region (default AWS_REGION, us-east-1)");
  cmd->add_option("--endpoint-url", a->endpoint_url,
                  "ec2: one endpoint for EC2 and SQS (moto, the local cloud)");
  cmd->add_option("--events-queue-url", a->events_queue_url,
                  "ec2: SQS queue of the EventBridge rule for EC2 events (default: poll)");
  cmd->add_option("--profile", a->profile, "ec2: shared credentials profile");
  cmd->add_option("--log-format", a->log_format, "text (default) or json (one object a line)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--log-level", a->log_level,
                  "trace, debug, info (default), warn, error, critical, off");
  cmd->add_option("--sim-speed", a->sim_speed,
                  "sim: run simulated time this many times faster than real time");
  cmd->add_option("--provider-faults", a->provider_faults, kProviderFaultsHelp);
  cmd->add_option("--store", a->store,
                  "sqlite (default: <data-dir>/spotkeeper.db) or etcd://host:port,host:port,... "
                  "(several controllers share it; one leads, the others serve reads; docs/ha.md)");
  cmd->add_option("--lease-ttl", a->lease_ttl,
                  "etcd: seconds the leader's lease lasts without renewal (default 5); a new "
                  "leader takes over about this long after the old one dies");
  cmd->add_option("--events-max-age", a->events_max_age,
                  "Retention: delete audit events older than this (default 30d; 0: keep; "
                  "units s, m, h, d; docs/retention.md)");
  cmd->add_option("--events-max-count", a->events_max_count,
                  "Retention: keep at most this many audit events (default 100000; 0: no limit)");
  cmd->add_option("--journal-max-age", a->journal_max_age,
                  "Retention: delete finished workflows with their journal, and the records of "
                  "deleted cloud resources, older than this (default 7d; 0: keep)");
  cmd->add_option("--journal-max-workflows", a->journal_max_workflows,
                  "Retention: keep at most this many finished workflows (default 10000; 0: no "
                  "limit); running and failed ones and each instance's latest always stay");
  cmd->add_option("--recovery-history", a->recovery_history,
                  "Retention: recoveries kept per stateful instance in its history (default "
                  "50, 0-1000)");
  cmd->callback([cmd, client, a, exit_code] { *exit_code = Run(cmd, *client, *a); });
}

}  // namespace spotkeeper::cli
