// `spotkeeper cloud ...`: the local cloud — serve, credentials, ps, exec, forward, destroy,
// snapshot (cloud_snapshot_command.cc), faults (cloud_chaos_command.cc).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <thread>

#include "api/server_config.h"
#include "cli/cloud_chaos_command.h"
#include "cli/cloud_snapshot_command.h"
#include "cli/commands.h"
#include "cloud/api/cloud_config.h"
#include "cloud/api/local_cloud.h"
#include "cloud/engine/cloud_db.h"
#include "cloud/engine/host_driver_factory.h"
#include "cloud/engine/records.h"

namespace spotkeeper::cli {
namespace {

using cloud::CloudDb;

std::string DefaultDataDir() {
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr && home[0] != '\0' ? home : "/root") + "/.spotkeeper/cloud";
}

int Fail(const std::string& message) {
  std::cerr << "spotkeeper cloud: " << message << "\n";
  return 1;
}

// Blocks SIGINT/SIGTERM in every thread made after this, and waits for one of them.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// `cloud serve`'s retention flags (docs/retention.md); "" = not given (the config file's value
// or the default stays).
struct RetentionFlags {
  std::string terminated, spot_requests, costs, client_tokens;
};

Status ApplyRetentionFlags(const RetentionFlags& f, cloud::EngineOptions* e) {
  const std::pair<const char*, std::pair<const std::string*, Duration*>> flags[] = {
      {"--terminated-retention", {&f.terminated, &e->terminated_retention}},
      {"--spot-request-retention", {&f.spot_requests, &e->spot_request_retention}},
      {"--cost-retention", {&f.costs, &e->cost_retention}},
      {"--client-token-retention", {&f.client_tokens, &e->client_token_retention}},
  };
  for (const auto& [name, value] : flags) {
    if (value.first->empty()) continue;
    Result<Duration> d = api::ParseRetentionAge(*value.first);
    if (!d.ok() || *d <= Duration{0}) {
      return InvalidArgument(std::string(name) + ": '" + *value.first +
                             "' is not a retention: give a whole number more than 0 with a unit "
                             "s, m, h or d, e.g. 4h or 31d (the local cloud always forgets, like "
                             "EC2)");
    }
    *value.second = *d;
  }
  return OkStatus();
}

int Serve(const std::string& data_dir, const std::string& listen, const std::string& config,
          const std::string& driver_kind, bool allow_remote, const RetentionFlags& retention) {
  cloud::LocalCloudOptions o;
  o.data_dir = data_dir;
  if (!config.empty()) {
    Status s = cloud::ApplyCloudConfigFile(config, &o);
    if (!s.ok()) return Fail(s.ToString());
  }
  if (Status s = ApplyRetentionFlags(retention, &o.engine); !s.ok()) return Fail(s.message());
  if (!listen.empty()) {
    Status s = cloud::ApplyListen(listen, &o);
    if (!s.ok()) return Fail(s.ToString());
  }
  if (!api::IsLoopbackHost(o.listen_host) && !allow_remote) {
    return Fail("the endpoint would listen on " + o.listen_host +
                ", which is not a loopback address: anything that reaches it can run instances "
                "on this host once it has the access key. Listen on 127.0.0.1 (or [::1]), or "
                "pass --allow-remote if that is what you want");
  }
  o.host_driver_kind = driver_kind;
  if (driver_kind == "fake") {
    // Nothing runs with the fake driver and no VPC namespace exists, so there is no IMDS.
    o.imds = false;
  }
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  auto driver = cloud::MakeHostDriver(driver_kind, cloud::HostDriverOptions{data_dir, ""});
  if (!driver.ok()) return Fail(driver.status().ToString());
  sigset_t signals = BlockStopSignals();
  auto started = cloud::LocalCloud::Start(o, driver->get());
  if (!started.ok()) return Fail(started.status().ToString());
  std::unique_ptr<cloud::LocalCloud> c = std::move(started).value();
  std::cout << "spotkeeper local cloud (" << driver_kind << " host driver) serving EC2 and SQS on "
            << c->endpoint() << "\n"
            << "  region " << c->region() << ", events queue " << c->events_queue_url() << "\n"
            << "  data dir " << data_dir << "; credentials: spotkeeper cloud credentials"
            << (data_dir == DefaultDataDir() ? "" : " --data-dir " + data_dir) << "\n"
            << std::flush;
  int sig = 0;
  sigwait(&signals, &sig);
  std::cout << "spotkeeper cloud: stopping (" << (sig == SIGINT ? "SIGINT" : "SIGTERM")
            << "); instances keep running\n"
            << std::flush;
  c->Stop();
  return 0;
}

int Credentials(const std::string& data_dir) {
  auto key = cloud::LoadAccessKey(data_dir);
  if (!key.ok()) return Fail(key.status().ToString());
  auto info = cloud::ReadServedCloudInfo(data_dir);
  std::cout << "[spotkeeper-local]\n"
            << "aws_access_key_id = " << key->access_key_id << "\n"
            << "aws_secret_access_key = " << key->secret_access_key << "\n";
  if (info.ok()) {
    std::cout << "region = " << info->region << "\n"
              << "endpoint_url = " << info->endpoint << "\n"
              << "# events queue: " << info->events_queue_url << "\n";
  }
  return 0;
}

struct Snapshot {
  std::map<std::string, cloud::InstanceRecord> instances;
  std::map<std::string, cloud::VolumeRecord> volumes;
  std::map<std::string, cloud::EniRecord> enis;
};

Result<Snapshot> ReadState(const std::string& data_dir) {
  if (!std::filesystem::exists(cloud::CloudDbPath(data_dir))) {
    return NotFound("no cloud state in " + data_dir);
  }
  SK_ASSIGN_OR_RETURN(auto db, CloudDb::Open(cloud::CloudDbPath(data_dir), /*read_only=*/true));
  Snapshot s;
  Status parse;
  SK_RETURN_IF_ERROR(db->LoadResources(
      [&](const std::string& kind, const std::string& id, const std::string& data) {
        nlohmann::json j = nlohmann::json::parse(data, nullptr, false);
        if (j.is_discarded()) return;
        try {
          if (kind == "instance") s.instances[id] = j.get<cloud::InstanceRecord>();
          if (kind == "volume") s.volumes[id] = j.get<cloud::VolumeRecord>();
          if (kind == "eni") s.enis[id] = j.get<cloud::EniRecord>();
        } catch (const nlohmann::json::exception& e) {
          parse = Internal(id + ": " + e.what());
        }
      }));
  SK_RETURN_IF_ERROR(parse);
  return s;
}

int Ps(const std::string& data_dir, bool all) {
  auto state = ReadState(data_dir);
  if (!state.ok()) return Fail(state.status().ToString());
  std::cout << std::left << std::setw(22) << "INSTANCE" << std::setw(14) << "STATE" << std::setw(11)
            << "TYPE" << std::setw(10) << "AZ" << std::setw(16) << "IP" << std::setw(23) << "ENI"
            << "VOLUMES\n";
  for (const auto& [id, r] : state->instances) {
    if (!all && r.state == "terminated") continue;
    std::string vols;
    for (const auto& [vid, v] : state->volumes) {
      if (v.attachment && v.attachment->instance_id == id) {
        std::string dev = v.attachment->device.substr(v.attachment->device.rfind('/') + 1);
        vols += (vols.empty() ? "" : " ") + dev + "=" + vid +
                (v.attachment->status == "attached" ? "" : "(" + v.attachment->status + ")");
      }
    }
    std::cout << std::setw(22) << id << std::setw(14) << r.state << std::setw(11) << r.instance_type
              << std::setw(10) << r.az << std::setw(16) << r.private_ip << std::setw(23)
              << r.primary_eni_id << vols << "\n";
  }
  int free_volumes = 0;
  for (const auto& [vid, v] : state->volumes) {
    if (!v.attachment) {
      if (free_volumes++ == 0) std::cout << "\nVOLUMES NOT ATTACHED\n";
      std::cout << "  " << vid << "  " << v.state << "  " << v.az << "  " << v.size_gib << " GiB\n";
    }
  }
  return 0;
}

Result<std::unique_ptr<cloud::HostDriver>> DriverFor(const std::string& data_dir,
                                                     const std::string& override_kind) {
  std::string kind = override_kind;
  if (kind.empty()) {
    auto info = cloud::ReadServedCloudInfo(data_dir);
    kind = info.ok() && !info->host_driver.empty() ? info->host_driver : "linux";
  }
  return cloud::MakeHostDriver(kind, cloud::HostDriverOptions{data_dir, ""});
}

int Exec(const std::string& data_dir, const std::string& instance,
         const std::vector<std::string>& argv) {
  if (argv.empty()) return Fail("exec: give a command after --");
  auto state = ReadState(data_dir);
  if (!state.ok()) return Fail(state.status().ToString());
  auto it = state->instances.find(instance);
  if (it == state->instances.end()) return Fail("exec: no instance " + instance);
  if (it->second.state != "running") {
    return Fail("exec: " + instance + " is " + it->second.state + ", not running");
  }
  auto driver = DriverFor(data_dir, "");
  if (!driver.ok()) return Fail(driver.status().ToString());
  auto code = (*driver)->Exec(instance, argv, isatty(STDIN_FILENO) != 0);
  if (!code.ok()) return Fail(code.status().ToString());
  return *code;
}

// Copies bytes both ways between two sockets until either side closes (or `stop`).
void Pump(int a, int b, const std::atomic<bool>* stop) {
  char buf[16384];
  pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  while (!stop->load()) {
    int n = poll(fds, 2, 200);  // wakes to check `stop`
    if (n < 0) break;
    bool done = false;
    for (int i = 0; i < 2 && !done; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got <= 0) {
        done = true;
        break;
      }
      for (ssize_t off = 0; off < got;) {
        ssize_t w = write(fds[1 - i].fd, buf + off, static_cast<size_t>(got - off));
        if (w <= 0) {
          done = true;
          break;
        }
        off += w;
      }
    }
    if (done) break;
  }
  close(a);
  close(b);
}

int Forward(const std::string& data_dir, const std::string& instance, int port,
            const std::string& local) {
  auto state = ReadState(data_dir);
  if (!state.ok()) return Fail(state.status().ToString());
  auto it = state->instances.find(instance);
  if (it == state->instances.end()) return Fail("forward: no instance " + instance);
  auto info = cloud::ReadServedCloudInfo(data_dir);
  if (info.ok() && info->host_driver == "fake") {
    return Fail("forward: the cloud runs on the fake host driver; nothing listens inside it");
  }
  auto driver = DriverFor(data_dir, "");
  if (!driver.ok()) return Fail(driver.status().ToString());
  cloud::LocalCloudOptions lo;
  Status ls = cloud::ApplyListen(local.empty() ? "127.0.0.1:0" : local, &lo);
  if (!ls.ok()) return Fail(ls.ToString());
  in_addr local_addr{};
  if (inet_pton(AF_INET, lo.listen_host.c_str(), &local_addr) != 1 ||
      (ntohl(local_addr.s_addr) >> 24) != 127) {
    return Fail("forward: --local must be a loopback address (127.x.x.x)");
  }
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr = local_addr;
  addr.sin_port = htons(static_cast<uint16_t>(lo.port));
  socklen_t len = sizeof addr;
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listener, 16) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(listener);
    return Fail("forward: cannot listen on " + lo.listen_host + ":" + std::to_string(lo.port));
  }
  std::string vpc = it->second.vpc_id;
  std::string ip = it->second.private_ip;
  std::cout << "forwarding " << lo.listen_host << ":" << ntohs(addr.sin_port) << " -> " << instance
            << " " << ip << ":" << port << " (Ctrl-C stops)\n"
            << std::flush;
  sigset_t signals = BlockStopSignals();
  std::atomic<bool> stop{false};
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    stop = true;
  });
  constexpr int kMaxConnections = 64;
  std::vector<std::thread> pumps;
  while (!stop.load()) {
    pollfd p{listener, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;  // wakes to check `stop`
    int client = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    if (static_cast<int>(pumps.size()) >= kMaxConnections) {
      close(client);
      continue;
    }
    // The upstream socket is made inside the VPC's namespace; it works from any thread after.
    int upstream = -1;
    auto t = (*driver)->RunInVpc(vpc, [&] {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in to{};
      to.sin_family = AF_INET;
      to.sin_port = htons(static_cast<uint16_t>(port));
      inet_pton(AF_INET, ip.c_str(), &to.sin_addr);
      if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) {
        upstream = fd;
      } else if (fd >= 0) {
        close(fd);
      }
    });
    if (t.ok()) t->reset();  // joins
    if (upstream < 0) {
      std::cerr << "forward: cannot connect to " << ip << ":" << port << "\n";
      close(client);
      continue;
    }
    pumps.emplace_back(Pump, client, upstream, &stop);
  }
  close(listener);
  for (std::thread& t : pumps) t.join();
  waiter.join();
  return 0;
}

int Destroy(const std::string& data_dir, const std::string& driver_kind) {
  if (!std::filesystem::exists(data_dir)) return Fail("no cloud in " + data_dir);
  // The serve process holds this lock: refuse while a cloud runs here.
  int fd = open(cloud::CloudLockPath(data_dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (fd >= 0) close(fd);
    return Fail("destroy: a cloud is serving from " + data_dir + "; stop it first");
  }
  auto driver = DriverFor(data_dir, driver_kind);
  if (!driver.ok()) {
    close(fd);
    return Fail(driver.status().ToString());
  }
  auto state = ReadState(data_dir);
  int stopped = 0;
  if (state.ok()) {
    for (const auto& [id, r] : state->instances) {
      if (r.state == "terminated") continue;
      Status s = (*driver)->StopInstance(id, std::chrono::seconds(10));
      if (!s.ok()) std::cerr << "destroy: stopping " << id << ": " << s.ToString() << "\n";
      ++stopped;
    }
  }
  Status s = (*driver)->DestroyAll();
  if (!s.ok()) {
    close(fd);
    return Fail("destroy: " + s.ToString());
  }
  for (const char* f : {"cloud.db", "cloud.db-wal", "cloud.db-shm", "cloud.json"}) {
    std::error_code ec;
    std::filesystem::remove(data_dir + "/" + f, ec);
  }
  close(fd);
  std::cout << "destroyed the cloud in " << data_dir << " (" << stopped
            << " instances stopped; volumes, interfaces and VPCs removed; the access key in "
            << cloud::AccessKeyPath(data_dir) << " is kept)\n";
  return 0;
}

}  // namespace

void AddCloudCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "cloud",
      "The local cloud: an EC2-compatible cloud on this Linux host (EC2 Query API, SQS, "
      "IMDS; instances are runc containers).");
  cmd->require_subcommand(1);
  auto data_dir = std::make_shared<std::string>(DefaultDataDir());

  auto* serve = cmd->add_subcommand("serve",
                                    "Run the cloud's EC2/SQS endpoint in the foreground "
                                    "(Ctrl-C stops it; instances keep running).");
  auto listen = std::make_shared<std::string>();
  auto config = std::make_shared<std::string>();
  auto driver = std::make_shared<std::string>("linux");
  serve->add_option("--data-dir", *data_dir, "The cloud's data directory")->capture_default_str();
  serve->add_option("--listen", *listen, "HOST:PORT of the EC2/SQS endpoint (127.0.0.1:7781)");
  serve->add_option("--config", *config, "Cloud configuration file (YAML or JSON)");
  serve
      ->add_option("--host-driver", *driver,
                   "linux: real instances (root, runc, namespaces, loop devices); fake: nothing "
                   "runs, state only - for tests without root")
      ->check(CLI::IsMember({"linux", "fake"}))
      ->capture_default_str();
  auto allow_remote = std::make_shared<bool>(false);
  serve->add_flag("--allow-remote", *allow_remote,
                  "Allow a --listen address that is not loopback (the endpoint is plain HTTP "
                  "with SigV4; put TLS in front of it)");
  auto retention = std::make_shared<RetentionFlags>();
  serve->add_option("--terminated-retention", retention->terminated,
                    "Retention: how long a terminated instance stays listed (default 1h, as on "
                    "EC2; units s, m, h, d; overrides the config file; docs/retention.md)");
  serve->add_option("--spot-request-retention", retention->spot_requests,
                    "Retention: how long a closed, cancelled or failed spot request stays "
                    "listed (default 4h, as on EC2)");
  serve->add_option("--cost-retention", retention->costs,
                    "Retention: how long an ended instance's cost record stays in the cost "
                    "report (default 31d)");
  serve->add_option("--client-token-retention", retention->client_tokens,
                    "Retention: how long a client (idempotency) token is honoured, at least; it "
                    "is kept while anything it made exists (default 24h)");
  serve->callback(
      [=] { *exit_code = Serve(*data_dir, *listen, *config, *driver, *allow_remote, *retention); });

  auto* creds =
      cmd->add_subcommand("credentials",
                          "Print the cloud's access key as an AWS shared-credentials profile, with "
                          "the endpoint, region and events queue URL.");
  creds->add_option("--data-dir", *data_dir, "The cloud's data directory")->capture_default_str();
  creds->callback([=] { *exit_code = Credentials(*data_dir); });

  auto* ps = cmd->add_subcommand("ps",
                                 "List instances: state, type, zone, IP, interface and "
                                 "volumes (from the cloud's state).");
  auto all = std::make_shared<bool>(false);
  ps->add_option("--data-dir", *data_dir, "The cloud's data directory")->capture_default_str();
  ps->add_flag("-a,--all", *all, "Include terminated instances");
  ps->callback([=] { *exit_code = Ps(*data_dir, *all); });

  auto* exec = cmd->add_subcommand("exec",
                                   "Run a command inside an instance: "
                                   "spotkeeper cloud exec i-... -- sh");
  auto instance = std::make_shared<std::string>();
  auto argv = std::make_shared<std::vector<std::string>>();
  exec->add_option("--data-dir", *data_dir, "The cloud's data directory")->capture_default_str();
  exec->add_option("INSTANCE", *instance, "Instance id")->required();
  exec->add_option("CMD", *argv, "Command and arguments (after --)");
  exec->callback([=] { *exit_code = Exec(*data_dir, *instance, *argv); });

  auto* fwd = cmd->add_subcommand("forward",
                                  "Forward a loopback port to a port of an instance "
                                  "inside its VPC (Ctrl-C stops).");
  auto port = std::make_shared<int>(0);
  auto local = std::make_shared<std::string>();
  fwd->add_option("--data-dir", *data_dir, "The cloud's data directory")->capture_default_str();
  fwd->add_option("INSTANCE", *instance, "Instance id")->required();
  fwd->add_option("PORT", *port, "Port inside the instance")
      ->required()
      ->check(CLI::Range(1, 65535));
  fwd->add_option("--local", *local, "Loopback HOST:PORT to listen on (default 127.0.0.1:any)");
  fwd->callback([=] { *exit_code = Forward(*data_dir, *instance, *port, *local); });

  auto* destroy = cmd->add_subcommand("destroy",
                                      "Stop every instance and remove everything the "
                                      "cloud made (namespaces, volumes, containers, "
                                      "state); keeps the access key.");
  auto destroy_driver = std::make_shared<std::string>();
  destroy->add_option("--data-dir", *data_dir, "The cloud's data directory")->capture_default_str();
  destroy->add_option("--host-driver", *destroy_driver,
                      "Override the driver recorded by `cloud serve` (linux | fake)");
  destroy->callback([=] { *exit_code = Destroy(*data_dir, *destroy_driver); });

  AddCloudSnapshotCommand(*cmd, data_dir, exit_code);
  AddCloudChaosCommands(*cmd, data_dir, exit_code);
}

}  // namespace spotkeeper::cli
