// `spotkeeper dev`: the local cloud (real Linux host driver) and the controller server in one
// process, with an optional guided demo (--example redis). See AddDevCommand's help text for
// what Ctrl-C and --keep do.
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "api/log_setup.h"
#include "api/server_app.h"
#include "api/server_config.h"
#include "awsproto/credentials.h"
#include "cli/commands.h"
#include "cli/dev_example.h"
#include "cli/wait_progress.h"
#include "cloud/api/cloud_config.h"
#include "cloud/api/local_cloud.h"
#include "cloud/engine/host_driver_factory.h"
#include "provider/ec2/ec2_provider.h"
#include "provider/provider_faults.h"

#ifndef SPOTKEEPER_EXAMPLES_DIR
#define SPOTKEEPER_EXAMPLES_DIR "examples"
#endif

namespace spotkeeper::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct DevArgs {
  std::string listen = "127.0.0.1:7780";
  std::string cloud_listen = "127.0.0.1:7781";
  std::string example;
  std::string log_level = "warn";
  std::string provider_faults;
  bool keep = false;
  bool exit_after_demo = false;
  int timeout_s = 300;
  std::string interruptions = kDefaultDevInterruptions;
  double interruptions_per_hour = 0;  // parsed from `interruptions`
  std::string revert_interval;        // "" : the controller's default
  Duration revert{0};
};

// Everything one `dev` run holds; torn down in reverse order by Shutdown().
struct DevRun {
  std::string data_dir;
  std::string cloud_dir;
  std::unique_ptr<cloud::HostDriver> driver;
  std::unique_ptr<cloud::LocalCloud> cloud;
  std::unique_ptr<Ec2Provider> provider;
  std::unique_ptr<api::ServerApp> server;
  bool server_started = false;
};

int Fail(const std::string& message) {
  std::cerr << "spotkeeper dev: " << message << "\n";
  return kExitError;
}

std::string ExamplesDir() {
  const char* env = std::getenv("SPOTKEEPER_EXAMPLES_DIR");
  return env != nullptr && env[0] != '\0' ? env : SPOTKEEPER_EXAMPLES_DIR;
}

// Set by Ctrl-C: the demo's waits give up.
std::atomic<bool> g_stopping{false};

// Polls `probe` every 200 ms until it returns true, `timeout` passes or Ctrl-C.
bool WaitFor(std::chrono::seconds timeout, const std::function<bool()>& probe) {
  const auto end = Clock::now() + timeout;
  while (true) {  // bounded by the deadline
    if (probe()) return true;
    if (Clock::now() >= end || g_stopping.load()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string Fixed(double v, int digits = 1) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(digits);
  s << v;
  return s.str();
}

// Stops the server and the cloud; without `keep`, removes every instance, namespace, volume
// and interface the cloud made and both state databases, so the next `dev` starts afresh.
void Shutdown(DevRun& run, bool keep) {
  if (run.server) run.server->Stop();
  run.server.reset();
  run.provider.reset();
  if (run.cloud) run.cloud->Stop();
  // Only a cloud that started (and so holds the data dir's lock) is removed.
  if (keep || !run.cloud) {
    run.cloud.reset();
    if (keep && run.server_started) {
      std::cout << "kept: instances keep running; `spotkeeper dev --data-dir " << run.data_dir
                << "` picks them up again, `spotkeeper cloud destroy --data-dir " << run.cloud_dir
                << "` removes them\n";
    }
    return;
  }
  std::vector<std::string> running;
  auto page = run.cloud->engine()->DescribeInstances({});
  if (page.ok()) {
    for (const auto& v : page->items) {
      if (v.instance.state != "terminated") running.push_back(v.instance.id);
    }
  }
  run.cloud.reset();
  for (const auto& id : running) {
    Status s = run.driver->StopInstance(id, std::chrono::seconds(10));
    if (!s.ok()) std::cerr << "stopping " << id << ": " << s.ToString() << "\n";
  }
  Status s = run.driver->DestroyAll();
  if (!s.ok()) std::cerr << "removing the cloud's host objects: " << s.ToString() << "\n";
  std::error_code ec;
  for (const char* f : {"cloud.db", "cloud.db-wal", "cloud.db-shm", "cloud.json"}) {
    fs::remove(run.cloud_dir + "/" + f, ec);
  }
  for (const char* f : {"spotkeeper.db", "spotkeeper.db-wal", "spotkeeper.db-shm", "dev"}) {
    fs::remove(run.data_dir + "/" + f, ec);
  }
  std::cout << "removed the local cloud's " << running.size()
            << " instance(s), volumes and networks (use --keep to keep them)\n";
}

// <data dir>/dev: marks state made by `spotkeeper dev`, which it may remove on exit.
std::string DevMarker(const DevRun& run) { return run.data_dir + "/dev"; }

// Without --keep, dev removes its state on exit: it refuses a data dir whose state someone
// else made (`spotkeeper server` against AWS, `spotkeeper cloud serve`).
Status CheckDataDir(const DevArgs& a, const DevRun& run) {
  std::error_code ec;
  if (a.keep || fs::exists(DevMarker(run), ec)) return OkStatus();
  for (const std::string& f : {run.data_dir + "/spotkeeper.db", run.cloud_dir + "/cloud.db"}) {
    if (fs::exists(f, ec)) {
      return FailedPrecondition(
          f +
          " was not made by `spotkeeper dev`, which removes its state on exit: give dev "
          "another --data-dir (or pass --keep to use this state and leave it in place)");
    }
  }
  return OkStatus();
}

Status StartAll(const DevArgs& a, DevRun& run) {
  auto faults = ParseProviderFaults(a.provider_faults);
  if (!faults.ok()) return InvalidArgument("--provider-faults: " + faults.status().message());
  SK_RETURN_IF_ERROR(CheckDataDir(a, run));
  std::error_code ec;
  fs::create_directories(run.cloud_dir, ec);
  if (ec) return Internal("mkdir " + run.cloud_dir + ": " + ec.message());
  {
    std::ofstream marker(DevMarker(run));
    marker << "state made by `spotkeeper dev`; removed when it exits without --keep\n";
  }
  SK_ASSIGN_OR_RETURN(run.driver,
                      cloud::MakeHostDriver("linux", cloud::HostDriverOptions{run.cloud_dir, ""}));
  cloud::LocalCloudOptions co;
  co.data_dir = run.cloud_dir;
  co.host_driver_kind = "linux";
  // The market moves prices and interrupts each running spot instance at the --interruptions
  // rate (a Poisson process per instance); "off" leaves only interruptions on demand.
  co.engine.market.interruptions_per_hour = a.interruptions_per_hour;
  if (a.interruptions_per_hour == 0) co.engine.market.time_scale = 0;
  SK_RETURN_IF_ERROR(cloud::ApplyListen(a.cloud_listen, &co));
  SK_ASSIGN_OR_RETURN(run.cloud, cloud::LocalCloud::Start(co, run.driver.get()));

  Ec2ProviderConfig pc;
  pc.region = run.cloud->region();
  pc.endpoint_url = run.cloud->endpoint();
  pc.events_queue_url = run.cloud->events_queue_url();
  pc.events_wait_seconds = 1;  // operator actions never wait behind a long poll
  Ec2ProviderDeps pd;
  aws::Credentials creds;
  creds.access_key_id = run.cloud->access_key().access_key_id;
  creds.secret_access_key = run.cloud->access_key().secret_access_key;
  pd.credentials = std::make_unique<aws::StaticCredentialsProvider>(creds);
  SK_ASSIGN_OR_RETURN(run.provider, Ec2Provider::Create(pc, std::move(pd)));

  api::ServerSettings ss;
  ss.listen = a.listen;
  SK_RETURN_IF_ERROR(api::ParseListen(a.listen, &ss.host, &ss.port));
  if (!api::IsLoopbackHost(ss.host)) {
    return InvalidArgument("--listen must be a loopback address (the API is plain HTTP)");
  }
  ss.data_dir = run.data_dir;
  ss.provider = "ec2";
  ss.region = pc.region;
  ss.endpoint_url = pc.endpoint_url;
  ss.events_queue_url = pc.events_queue_url;
  ss.log_level = a.log_level;
  ss.provider_faults = *faults;
  api::ServerAppDeps deps;
  deps.cloud = run.provider.get();
  if (a.revert.count() > 0) deps.controller.revert_to_spot_interval = a.revert;
  SK_ASSIGN_OR_RETURN(run.server, api::ServerApp::Create(ss, deps));
  SK_RETURN_IF_ERROR(run.server->Start());
  run.server_started = true;
  return OkStatus();
}

void PrintWhere(const DevArgs& a, const DevRun& run) {
  const std::string dd = " --data-dir " + run.data_dir;
  const std::string cd = " --data-dir " + run.cloud_dir;
  std::cout << "spotkeeper dev: the local cloud and the controller are running\n"
            << "  controller API   " << run.server->url() << "  (token in " << run.data_dir
            << "/token)\n"
            << "                   spotkeeper" << dd << " group list\n"
            << "  dashboard        " << run.server->url() << "/  (log in with the token)\n"
            << "  local cloud      " << run.cloud->endpoint() << "  region " << run.cloud->region()
            << "  (EC2 + SQS; events queue " << run.cloud->events_queue_url() << "; access key in "
            << run.cloud_dir << "/credentials.json)\n"
            << "                   spotkeeper cloud credentials" << cd
            << " > creds; AWS_SHARED_CREDENTIALS_FILE=creds aws --profile spotkeeper-local "
               "--endpoint-url "
            << run.cloud->endpoint() << " ec2 describe-instances\n"
            << "  spot market      "
            << (a.interruptions_per_hour > 0
                    ? "interrupts each running spot instance " + a.interruptions +
                          " on average (--interruptions)"
                    : std::string("interrupts only on demand (--interruptions off)"))
            << "\n"
            << "                   spotkeeper cloud interrupt" << cd
            << " INSTANCE; spotkeeper cloud capacity" << cd << "; spotkeeper cloud cost" << cd
            << "\n"
            << "  instances        spotkeeper cloud ps" << cd << "\n"
            << "                   spotkeeper cloud exec" << cd << " INSTANCE -- sh\n"
            << std::flush;
}

// --- the redis demo

struct Ssi {
  std::string id, state, instance_id, private_ip;
  nlohmann::json raw;
};

Result<Ssi> FirstSsi(ApiClient& client, const std::string& group_id) {
  ApiResponse r = client.Get("/api/v1/group/" + group_id + "/statefulInstance");
  if (!r.ok()) return Unavailable("list SSIs: HTTP " + std::to_string(r.status) + " " + r.text);
  if (!r.body.contains("items") || r.body["items"].empty()) return NotFound("no SSI yet");
  const auto& j = r.body["items"][0];
  Ssi s;
  s.id = j.value("id", "");
  s.state = j.value("state", "");
  s.instance_id = j.value("instanceId", "");
  s.private_ip = j.value("privateIp", "");
  s.raw = j;
  return s;
}

Result<std::string> VpcOfInstance(cloud::LocalCloud& c, const std::string& instance_id) {
  cloud::DescribeRequest req;
  req.ids = {instance_id};
  SK_ASSIGN_OR_RETURN(auto page, c.engine()->DescribeInstances(req));
  if (page.items.empty()) return NotFound("no instance " + instance_id);
  return page.items.front().instance.vpc_id;
}

Result<std::string> GroupIdByName(ApiClient& client, const std::string& name) {
  ApiResponse r = client.Get("/api/v1/group");
  if (!r.ok()) return Unavailable("list groups: HTTP " + std::to_string(r.status));
  for (const auto& g : r.body.value("items", nlohmann::json::array())) {
    if (g.value("name", "") == name) return g.value("id", "");
  }
  return NotFound("no group " + name);
}

Result<cli::LocalPlacement> Placement(cloud::LocalCloud& c) {
  cli::LocalPlacement p;
  p.region = c.region();
  SK_ASSIGN_OR_RETURN(auto subnets, c.engine()->DescribeSubnets({}));
  for (const auto& s : subnets) {
    if (s.subnet.default_for_az) p.zones.push_back({s.subnet.az, s.subnet.id, s.subnet.cidr});
  }
  if (p.zones.empty()) return FailedPrecondition("the local cloud has no default subnet");
  std::sort(p.zones.begin(), p.zones.end(),
            [](const cli::LocalZone& a, const cli::LocalZone& b) { return a.az < b.az; });
  SK_ASSIGN_OR_RETURN(auto vpcs, c.engine()->DescribeVpcs({}));
  for (const auto& v : vpcs) {
    for (const auto& s : subnets) {
      if (s.subnet.id == p.zones.front().subnet_id && s.subnet.vpc_id == v.id) {
        p.security_group = v.default_security_group;
      }
    }
  }
  p.image_id = cloud::kBaseImageId;
  for (const auto& t : cloud::InstanceCatalog::Default().types())
    p.instance_types.push_back(t.name);
  return p;
}

// Waits until Redis answers PING at ip inside vpc.
bool WaitRedis(DevRun& run, const std::string& vpc, const std::string& ip, int timeout_s) {
  return WaitFor(std::chrono::seconds(timeout_s), [&] {
    auto r = RedisCommands(*run.driver, vpc, ip, 6379, {{"PING"}});
    return r.ok() && r->size() == 1 && (*r)[0] == "PONG";
  });
}

// What the example's persistence keeps, in words: "root volume through an image, ...".
std::string WhatIsKept(const YAML::Node& spec) {
  YAML::Node p = spec["strategy"]["persistence"];
  std::vector<std::string> kept;
  auto on = [&](const char* key) { return p[key] && p[key].as<bool>(false); };
  if (on("shouldPersistRootDevice")) kept.push_back("the root volume (snapshot -> image)");
  if (on("shouldPersistBlockDevices")) {
    std::string mode = p["blockDevicesMode"] ? p["blockDevicesMode"].as<std::string>("") : "";
    kept.push_back(mode == "onLaunch" ? "the data volumes (restored from their latest snapshots)"
                                      : "the data volumes (detached and reattached)");
  }
  if (on("shouldPersistPrivateIp")) kept.push_back("the private IP (the same interface)");
  std::string out;
  for (size_t i = 0; i < kept.size(); ++i) out += (i == 0 ? "" : ", ") + kept[i];
  return out.empty() ? "nothing (a stateless group)" : out;
}

bool IsRedisExample(const std::string& name) { return name.rfind("redis", 0) == 0; }

// The demo of an example that is not Redis's (postgres, etcd, zookeeper): every SSI of the group
// ACTIVE, where each runs and how to reach it. tests/workloads interrupts them.
int GroupDemo(const DevArgs& a, DevRun& run, ApiClient& client, const std::string& group_id,
              const YAML::Node& mapped, Clock::time_point t0) {
  const size_t target = mapped["capacity"]["target"].as<size_t>(1);
  nlohmann::json items;
  if (!WaitFor(std::chrono::seconds(a.timeout_s), [&] {
        ApiResponse r = client.Get("/api/v1/group/" + group_id + "/statefulInstance");
        if (!r.ok()) return false;
        items = r.body.value("items", nlohmann::json::array());
        size_t active = 0;
        for (const auto& j : items) {
          active += j.value("state", "") == "ACTIVE" && !j.value("instanceId", "").empty();
        }
        return active == target;
      })) {
    return Fail("not every SSI became ACTIVE within " + std::to_string(a.timeout_s) +
                " s; the SSIs now: " + items.dump());
  }
  std::cout << "2. " << items.size() << " SSI(s) ACTIVE (" << Fixed(SecondsSince(t0)) << " s):\n";
  for (const auto& j : items) {
    std::cout << "     " << j.value("id", "") << " on " << j.value("instanceId", "") << " at "
              << j.value("privateIp", "") << "\n";
  }
  std::cout << "3. reach one from this host: spotkeeper cloud forward --data-dir " << run.cloud_dir
            << " INSTANCE PORT\n"
            << "   interrupt them again and again: tests/workloads/workload_run.py, "
               "bench/workloads\n"
            << "demo: OK\n"
            << std::flush;
  return kExitOk;
}

int RedisDemo(const DevArgs& a, DevRun& run) {
  const auto t0 = Clock::now();
  const std::string file = ExamplesDir() + "/" + a.example + ".yaml";
  std::ifstream in(file);
  if (!in) return Fail("cannot read " + file + " (set SPOTKEEPER_EXAMPLES_DIR)");
  std::stringstream text;
  text << in.rdbuf();
  auto placement = Placement(*run.cloud);
  if (!placement.ok()) return Fail(placement.status().ToString());
  auto spec = MapExampleToLocalCloud(text.str(), *placement);
  if (!spec.ok()) return Fail(spec.status().ToString());
  YAML::Node mapped;
  try {
    mapped = YAML::Load(*spec);
  } catch (const YAML::Exception& e) {
    return Fail(std::string("example spec: ") + e.what());
  }
  const std::string name = mapped["name"] ? mapped["name"].as<std::string>("") : "";
  std::string zones;
  for (const auto& z : mapped["compute"]["availabilityZones"]) {
    zones += (zones.empty() ? "" : ", ") + z["name"].as<std::string>("");
  }
  ApiClient client(run.server->url(), run.server->token());

  std::cout << "\n== demo: "
            << (IsRedisExample(a.example) ? "Redis on a stateful spot instance"
                                          : "a stateful group")
            << " (examples/" << a.example << ".yaml) ==\n";
  std::string group_id;
  auto existing = GroupIdByName(client, name);
  if (existing.ok()) {
    group_id = *existing;
    std::cout << "1. group '" << name << "' exists already (" << group_id << "): using it\n";
  } else {
    std::cout << "1. creating group '" << name << "' in " << zones << " (image "
              << placement->image_id << "); a replacement keeps " << WhatIsKept(mapped) << "\n"
              << std::flush;
    ApiResponse r = client.Send("POST", "/api/v1/group", *spec, "application/yaml");
    if (!r.ok()) return Fail("creating the group: HTTP " + std::to_string(r.status) + " " + r.text);
    group_id = r.body.value("id", "");
  }
  if (!IsRedisExample(a.example)) return GroupDemo(a, run, client, group_id, mapped, t0);
  const int timeout = a.timeout_s;
  Ssi first;
  nlohmann::json first_seen;
  if (!WaitFor(std::chrono::seconds(timeout), [&] {
        auto s = FirstSsi(client, group_id);
        if (s.ok()) first_seen = s->raw;
        if (s.ok() && s->state == "ACTIVE" && !s->instance_id.empty()) first = *s;
        return s.ok() && s->state == "ACTIVE" && !s->instance_id.empty();
      })) {
    return Fail("the SSI did not become ACTIVE within " + std::to_string(timeout) +
                " s; the SSI now: " + first_seen.dump());
  }
  auto vpc = VpcOfInstance(*run.cloud, first.instance_id);
  if (!vpc.ok()) return Fail(vpc.status().ToString());
  std::cout << "2. SSI " << first.id << " is ACTIVE on " << first.instance_id << " at "
            << first.private_ip << " (" << Fixed(SecondsSince(t0)) << " s)\n"
            << std::flush;
  if (!WaitRedis(run, *vpc, first.private_ip, timeout)) {
    return Fail("Redis did not answer at " + first.private_ip + ":6379");
  }
  const std::vector<std::pair<std::string, std::string>> keys = {
      {"demo:greeting", "hello from " + first.instance_id},
      {"demo:written-at", std::to_string(std::time(nullptr))},
      {"demo:counter", "42"}};
  std::vector<std::vector<std::string>> sets;
  for (const auto& [k, v] : keys) sets.push_back({"SET", k, v});
  auto wrote = RedisCommands(*run.driver, *vpc, first.private_ip, 6379, sets);
  if (!wrote.ok()) return Fail("writing keys: " + wrote.status().ToString());
  std::cout << "3. wrote " << keys.size() << " keys to Redis at " << first.private_ip
            << ":6379 (append-only file, fsync'd before each answer):\n";
  for (const auto& [k, v] : keys) std::cout << "     " << k << " = " << v << "\n";

  // The spot market interrupts the instance as AWS would (the rebalance recommendation, then
  // the two-minute notice): the demo asks for it rather than waiting for a random one, so that
  // it always shows the same story. An interruption the market started on its own (the
  // --interruptions rate) keeps its own timeline.
  std::optional<cloud::ScheduledInterruption> scheduled;
  auto interrupted = run.cloud->engine()->InterruptInstances({first.instance_id}, {});
  if (interrupted.ok() && !interrupted->empty()) {
    scheduled = interrupted->front();
    const auto& i = *scheduled;
    std::cout << "4. the spot market interrupts " << first.instance_id
              << " (as AWS would; `spotkeeper cloud interrupt` does the same): a rebalance "
                 "recommendation now, the interruption notice in "
              << FormatDuration(i.notice_time - i.rebalance_time) << ", " << i.action << " in "
              << FormatDuration(i.action_time - i.rebalance_time) << " (at "
              << FormatTime(i.action_time) << ").\n"
              << "   spotkeeper replaces it at the recommendation, keeping " << WhatIsKept(mapped)
              << " ...\n"
              << std::flush;
  } else {
    auto inst = run.cloud->engine()->FindInstance(first.instance_id);
    if (inst && inst->instance.state == "running" && inst->instance.lifecycle != "spot") {
      // On-demand (no spot capacity at launch): nothing to interrupt; recycle it instead.
      ApiResponse rec = client.Send("PUT", "/api/v1/statefulInstance/" + first.id + "/recycle", "");
      if (!rec.ok()) return Fail("recycle: HTTP " + std::to_string(rec.status) + " " + rec.text);
      std::cout << "4. " << first.instance_id << " runs on-demand: recycling it, keeping ";
    } else {
      std::cout << "4. " << first.instance_id << " is already on its way out ("
                << interrupted.status().message() << "); spotkeeper replaces it, keeping ";
    }
    std::cout << WhatIsKept(mapped) << " ...\n" << std::flush;
  }
  Ssi second;
  nlohmann::json last;
  if (!WaitFor(std::chrono::seconds(timeout), [&] {
        auto s = FirstSsi(client, group_id);
        if (s.ok()) last = s->raw;
        bool done = s.ok() && s->state == "ACTIVE" && !s->instance_id.empty() &&
                    s->instance_id != first.instance_id &&
                    (s->raw["workflow"].is_null() ||
                     s->raw["workflow"].value("status", "") == "succeeded") &&
                    s->raw["lastRecovery"].is_object();
        if (done) second = *s;
        return done;
      })) {
    return Fail("the replacement did not become ACTIVE within " + std::to_string(timeout) +
                " s; the SSI now: " + last.dump());
  }
  const auto t_up = Clock::now();
  if (!WaitRedis(run, *vpc, second.private_ip, timeout)) {
    return Fail("Redis did not answer on the replacement at " + second.private_ip);
  }
  const double redis_wait = SecondsSince(t_up);
  std::vector<std::vector<std::string>> gets;
  for (const auto& kv : keys) gets.push_back({"GET", kv.first});
  auto read = RedisCommands(*run.driver, *vpc, second.private_ip, 6379, gets);
  if (!read.ok()) return Fail("reading keys: " + read.status().ToString());
  const nlohmann::json rec_json = second.raw["lastRecovery"];
  std::cout << "5. the replacement " << second.instance_id << " is ACTIVE at " << second.private_ip
            << "; recovery " << rec_json.value("reason", "?") << " took "
            << Fixed(rec_json.value("totalMs", 0) / 1000.0, 2) << " s ("
            << Fixed(rec_json.value("downtimeMs", 0) / 1000.0, 2)
            << " s without an instance), Redis answered " << Fixed(redis_wait, 2)
            << " s after that\n";
  auto replacement = run.cloud->engine()->FindInstance(second.instance_id);
  if (scheduled && replacement) {
    const Time launched = FromMillis(replacement->instance.launch_ms);
    const Duration ahead = scheduled->action_time - launched;
    std::cout << "   the replacement was launched "
              << (ahead.count() >= 0 ? FormatDuration(ahead) + " before "
                                     : FormatDuration(-ahead) + " after ")
              << first.instance_id << " was due to be reclaimed\n";
  }
  const nlohmann::json phases = rec_json.value("phasesMs", nlohmann::json::object());
  if (!phases.empty()) {
    std::cout << "   phases from the start:";
    for (const char* p : {"terminated", "released", "running", "attached", "active"}) {
      if (phases.contains(p)) std::cout << " " << p << " " << phases[p].get<int64_t>() << " ms";
    }
    std::cout << "\n";
  }
  bool same_keys = true;
  for (size_t i = 0; i < keys.size(); ++i) {
    bool same = (*read)[i] == keys[i].second;
    same_keys = same_keys && same;
    std::cout << "     " << keys[i].first << " = " << (*read)[i]
              << (same ? "   (same)" : "   (LOST)") << "\n";
  }
  YAML::Node persistence = mapped["strategy"]["persistence"];
  const bool keeps_ip = persistence["shouldPersistPrivateIp"] &&
                        persistence["shouldPersistPrivateIp"].as<bool>(false);
  const bool same_ip = second.private_ip == first.private_ip;
  const bool ip_ok = same_ip || !keeps_ip;
  std::cout << "6. "
            << (same_ip    ? "same IP "
                : keeps_ip ? "DIFFERENT IP "
                           : "new IP (not kept) ")
            << first.private_ip << " -> " << second.private_ip << ", "
            << (same_keys ? "same keys" : "keys LOST") << ", new instance " << first.instance_id
            << " -> " << second.instance_id << " (demo " << Fixed(SecondsSince(t0)) << " s)\n"
            << (ip_ok && same_keys ? "demo: OK\n" : "demo: FAILED\n") << std::flush;
  return ip_ok && same_keys ? kExitOk : kExitError;
}

int Run(const ClientOptions& client, DevArgs a) {
  auto rate = ParseInterruptionRate(a.interruptions);
  if (!rate.ok()) {
    std::cerr << "spotkeeper dev: " << rate.status().message() << "\n";
    return kExitUsage;
  }
  a.interruptions_per_hour = *rate;
  if (!a.revert_interval.empty() && !ParseTimeout(a.revert_interval, &a.revert)) {
    std::cerr << "spotkeeper dev: --revert-to-spot-interval '" << a.revert_interval
              << "' is not a duration above zero (30s, 5m)\n";
    return kExitUsage;
  }
  if (geteuid() != 0) {
    return Fail(
        "the local cloud runs real instances (namespaces, loop devices, runc): run as root");
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  Status logging = api::SetUpLogging("text", a.log_level);
  if (!logging.ok()) return Fail(logging.message());

  DevRun run;
  run.data_dir = ResolveDataDir(client);
  run.cloud_dir = run.data_dir + "/cloud";
  Status started = StartAll(a, run);
  if (!started.ok()) {
    Shutdown(run, a.keep);
    return Fail("cannot start: " + started.ToString());
  }
  PrintWhere(a, run);

  // The demo runs on its own thread so that Ctrl-C stays answered while it waits.
  std::atomic<int> demo_code{-1};
  std::thread demo;
  if (!a.example.empty()) {
    demo = std::thread([&] {
      demo_code = RedisDemo(a, run);
      if (a.exit_after_demo) kill(getpid(), SIGTERM);  // wakes sigwait below
    });
  }
  if (a.exit_after_demo && a.example.empty()) {
    std::cout << "--exit-after-demo without --example: stopping\n";
  } else {
    std::cout << "Ctrl-C stops "
              << (a.keep ? "(and keeps the cloud's instances)"
                         : "(and removes "
                           "the cloud's instances; --keep keeps them)")
              << "\n"
              << std::flush;
    int sig = 0;
    sigwait(&set, &sig);
  }
  g_stopping = true;
  if (demo.joinable()) {
    if (demo_code < 0) std::cout << "stopping: waiting for the demo's current step\n";
    demo.join();
  }
  Shutdown(run, a.keep);
  if (a.exit_after_demo && !a.example.empty()) return demo_code == kExitOk ? kExitOk : kExitError;
  return kExitOk;
}

}  // namespace

void AddDevCommand(CLI::App& app, const ClientOptions* client, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "dev",
      "Run the local cloud (real instances on this Linux host; root) and the controller "
      "with its API and web dashboard in one process. Data: the global --data-dir (default "
      "~/.spotkeeper), the "
      "cloud's under DIR/cloud. --example NAME then creates the group of examples/NAME.yaml "
      "(mapped to the local cloud's region, zones, subnets and base image; every persistence "
      "mode as written), writes keys to Redis, has the spot market interrupt the instance (a "
      "rebalance recommendation, then the notice) and shows the same keys (and IP, where the "
      "example keeps it) on the replacement. The spot market also interrupts each running spot "
      "instance on its own at the --interruptions rate (default 12/h: one every 5 minutes on "
      "average), and the controller recovers. Ctrl-C stops the controller and "
      "the cloud "
      "and, unless --keep, removes every instance, volume and network the cloud made and "
      "both state databases (the next run starts afresh), and so it refuses a data dir whose "
      "state it did not make; with --keep the instances keep running and the next "
      "`spotkeeper dev` on the same data dir picks them up.");
  auto a = std::make_shared<DevArgs>();
  cmd->add_option("--listen", a->listen, "Loopback HOST:PORT of the controller API")
      ->capture_default_str();
  cmd->add_option("--cloud-listen", a->cloud_listen,
                  "Loopback HOST:PORT of the local cloud's EC2/SQS endpoint")
      ->capture_default_str();
  cmd->add_option("--example", a->example,
                  "Run a demo: redis (reattach + private IP + root), redis-onlaunch (data from "
                  "snapshots, two zones), redis-root (root volume only); postgres, etcd and "
                  "zookeeper (3 members each) only create the group and show its SSIs ACTIVE")
      ->check(CLI::IsMember(
          {"redis", "redis-onlaunch", "redis-root", "postgres", "etcd", "zookeeper"}));
  cmd->add_flag("--keep", a->keep, "On exit, keep the cloud's instances, volumes and state");
  cmd->add_flag("--exit-after-demo", a->exit_after_demo,
                "Exit when the demo ends (exit 0 only if it showed the same IP and keys)");
  cmd->add_option("--timeout", a->timeout_s, "Seconds each demo step may take")
      ->capture_default_str();
  cmd->add_option("--log-level", a->log_level, "Log level of the cloud and the controller")
      ->capture_default_str();
  cmd->add_option("--interruptions", a->interruptions,
                  "How often the spot market interrupts each running spot instance on its own: "
                  "a mean rate per instance, N/h, N/m or N/d (12/h: one every 5 minutes on "
                  "average, a Poisson process per instance), or off (only `spotkeeper cloud "
                  "interrupt` and shrinking pools interrupt)")
      ->capture_default_str();
  cmd->add_option("--revert-to-spot-interval", a->revert_interval,
                  "How long an SSI that fell back to on-demand waits before each try to return "
                  "to spot (revertToSpot; doubled after each failed try, up to 16x). Default: "
                  "the controller's, 30m");
  cmd->add_option("--provider-faults", a->provider_faults, kProviderFaultsHelp);
  cmd->callback([client, a, exit_code] { *exit_code = Run(*client, *a); });
}

}  // namespace spotkeeper::cli
