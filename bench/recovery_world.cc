#include "recovery_world.h"

#include <httplib.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "api/log_setup.h"
#include "awsproto/credentials.h"
#include "cli/dev_example.h"
#include "cloud/engine/host_driver_factory.h"

namespace spotkeeper::bench {
namespace {

namespace fs = std::filesystem;

Result<cli::LocalPlacement> Placement(cloud::Engine& e, const std::string& region) {
  cli::LocalPlacement p;
  p.region = region;
  SK_ASSIGN_OR_RETURN(auto subnets, e.DescribeSubnets({}));
  for (const auto& s : subnets) {
    if (s.subnet.default_for_az) p.zones.push_back({s.subnet.az, s.subnet.id});
  }
  if (p.zones.empty()) return FailedPrecondition("the local cloud has no default subnet");
  std::sort(p.zones.begin(), p.zones.end(),
            [](const cli::LocalZone& a, const cli::LocalZone& b) { return a.az < b.az; });
  SK_ASSIGN_OR_RETURN(auto vpcs, e.DescribeVpcs({}));
  for (const auto& v : vpcs) {
    for (const auto& s : subnets) {
      if (s.subnet.id == p.zones.front().subnet_id && s.subnet.vpc_id == v.id) {
        p.security_group = v.default_security_group;
      }
    }
  }
  p.image_id = cloud::kBaseImageId;
  for (const auto& t : cloud::InstanceCatalog::Default().types()) {
    p.instance_types.push_back(t.name);
  }
  return p;
}

Result<std::unique_ptr<Ec2Provider>> ProviderFor(cloud::LocalCloud& c, bool with_events) {
  Ec2ProviderConfig pc;
  pc.region = c.region();
  pc.endpoint_url = c.endpoint();
  if (with_events) pc.events_queue_url = c.events_queue_url();
  pc.events_wait_seconds = 1;  // as `spotkeeper dev`
  Ec2ProviderDeps pd;
  aws::Credentials creds;
  creds.access_key_id = c.access_key().access_key_id;
  creds.secret_access_key = c.access_key().secret_access_key;
  pd.credentials = std::make_unique<aws::StaticCredentialsProvider>(creds);
  return Ec2Provider::Create(pc, std::move(pd));
}

}  // namespace

Result<std::unique_ptr<RecoveryWorld>> RecoveryWorld::Start(const std::string& log_level) {
  std::unique_ptr<RecoveryWorld> w(new RecoveryWorld());
  Status s = w->StartAll(log_level);
  if (!s.ok()) {
    w->Stop();
    return s;
  }
  return w;
}

Status RecoveryWorld::StartAll(const std::string& log_level) {
  SK_RETURN_IF_ERROR(api::SetUpLogging("text", log_level));
  char tmpl[] = "/var/tmp/sk-bench-recovery-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return Internal("mkdtemp under /var/tmp failed");
  dir_ = tmpl;
  const std::string cloud_dir = dir_ + "/cloud";
  std::error_code ec;
  fs::create_directories(cloud_dir, ec);
  if (ec) return Internal("mkdir " + cloud_dir + ": " + ec.message());
  SK_ASSIGN_OR_RETURN(driver_,
                      cloud::MakeHostDriver("linux", cloud::HostDriverOptions{cloud_dir, ""}));
  cloud::LocalCloudOptions co;
  co.data_dir = cloud_dir;
  co.port = 0;
  co.host_driver_kind = "linux";
  // Spot requests and InterruptInstances work; no interruption drawn at random mid-run.
  co.engine.market.enabled = false;
  SK_ASSIGN_OR_RETURN(cloud_, cloud::LocalCloud::Start(co, driver_.get()));
  SK_ASSIGN_OR_RETURN(provider_, ProviderFor(*cloud_, true));
  SK_ASSIGN_OR_RETURN(floor_provider_, ProviderFor(*cloud_, false));
  call_log_ = std::make_unique<CallLogProvider>(provider_.get());
  floor_call_log_ = std::make_unique<CallLogProvider>(floor_provider_.get());

  api::ServerSettings ss;
  ss.listen = "127.0.0.1:0";
  ss.host = "127.0.0.1";
  ss.port = 0;
  ss.data_dir = dir_ + "/server";
  ss.provider = "ec2";
  ss.region = cloud_->region();
  ss.endpoint_url = cloud_->endpoint();
  ss.events_queue_url = cloud_->events_queue_url();
  ss.log_level = log_level;
  api::ServerAppDeps deps;
  deps.cloud = call_log_.get();
  SK_ASSIGN_OR_RETURN(server_, api::ServerApp::Create(ss, deps));
  return server_->Start();
}

RecoveryWorld::~RecoveryWorld() { Stop(); }

void RecoveryWorld::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (server_) server_->Stop();
  server_.reset();
  call_log_.reset();
  provider_.reset();
  floor_call_log_.reset();
  floor_provider_.reset();
  std::vector<std::string> running;
  if (cloud_) {
    auto page = cloud_->engine()->DescribeInstances({});
    if (page.ok()) {
      for (const auto& v : page->items) {
        if (v.instance.state != "terminated") running.push_back(v.instance.id);
      }
    }
    cloud_->Stop();
    cloud_.reset();
  }
  if (driver_) {
    for (const auto& id : running) {
      Status s = driver_->StopInstance(id, std::chrono::seconds(5));
      if (!s.ok()) std::cerr << "stopping " << id << ": " << s.ToString() << "\n";
    }
    Status s = driver_->DestroyAll();
    if (!s.ok()) std::cerr << "removing the cloud's host objects: " << s.ToString() << "\n";
    driver_.reset();
  }
  if (!dir_.empty() && std::getenv("SK_BENCH_KEEP_DIR") == nullptr) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    if (ec) std::cerr << "removing " << dir_ << ": " << ec.message() << "\n";
  }
}

Result<std::string> RecoveryWorld::ExampleSpec(const std::string& example_yaml) {
  SK_ASSIGN_OR_RETURN(auto placement, Placement(*cloud_->engine(), cloud_->region()));
  return cli::MapExampleToLocalCloud(example_yaml, placement);
}

Result<nlohmann::json> RecoveryWorld::Rest(const std::string& method, const std::string& path,
                                           const std::string& body,
                                           const std::string& content_type) {
  httplib::Client c("127.0.0.1", server_->port());
  c.set_connection_timeout(5);
  c.set_read_timeout(30);
  httplib::Headers h = {{"Authorization", "Bearer " + server_->token()}};
  httplib::Result r = method == "GET"    ? c.Get(path, h)
                      : method == "PUT"  ? c.Put(path, h, body, content_type)
                      : method == "POST" ? c.Post(path, h, body, content_type)
                                         : c.Delete(path, h);
  if (!r) return Unavailable(method + " " + path + ": " + httplib::to_string(r.error()));
  if (r->status / 100 != 2) {
    return Unavailable(method + " " + path + ": HTTP " + std::to_string(r->status) + " " + r->body);
  }
  if (r->body.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded()) return Internal(method + " " + path + ": not JSON: " + r->body);
  return j;
}

Result<std::string> RecoveryWorld::CreateGroup(const std::string& yaml) {
  SK_ASSIGN_OR_RETURN(auto j, Rest("POST", "/api/v1/group", yaml, "application/yaml"));
  std::string id = j.value("id", "");
  if (id.empty()) return Internal("POST /api/v1/group answered no id: " + j.dump());
  return id;
}

Status RecoveryWorld::DeleteGroup(const std::string& group_id) {
  return Rest("DELETE", "/api/v1/group/" + group_id, "", "").status();
}

Result<SsiView> RecoveryWorld::FirstSsi(const std::string& group_id) {
  SK_ASSIGN_OR_RETURN(auto j,
                      Rest("GET", "/api/v1/group/" + group_id + "/statefulInstance", "", ""));
  if (!j.contains("items") || j["items"].empty()) return NotFound("no SSI yet");
  const auto& s = j["items"][0];
  SsiView v;
  v.id = s.value("id", "");
  v.state = s.value("state", "");
  v.instance_id = s.value("instanceId", "");
  v.private_ip = s.value("privateIp", "");
  if (s.contains("workflow") && s["workflow"].is_object()) {
    v.workflow_status = s["workflow"].value("status", "");
  }
  v.raw = s;
  return v;
}

Status RecoveryWorld::Recycle(const std::string& ssi_id) {
  return Rest("PUT", "/api/v1/statefulInstance/" + ssi_id + "/recycle", "", "application/json")
      .status();
}

Result<nlohmann::json> RecoveryWorld::Recoveries(const std::string& ssi_id) {
  return Rest("GET", "/api/v1/statefulInstance/" + ssi_id + "/recoveries", "", "");
}

Result<std::vector<std::string>> RecoveryWorld::Redis(
    const std::string& vpc_id, const std::string& ip,
    const std::vector<std::vector<std::string>>& cmds) {
  return cli::RedisCommands(*driver_, vpc_id, ip, 6379, cmds);
}

}  // namespace spotkeeper::bench
