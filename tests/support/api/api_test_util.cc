#include "api/api_test_util.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace spotkeeper::api::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/spotkeeper-test-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  char* made = ::mkdtemp(buf.data());
  EXPECT_NE(made, nullptr) << "mkdtemp " << tmpl;
  path_ = made != nullptr ? made : tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

FakeWorld::FakeWorld(uint64_t seed) {
  cloud = std::make_unique<FakeCloud>(&clock, seed);
  image = cloud->AddImage("debian-12-base", 8);
  subnets = cloud->subnets();
  std::sort(subnets.begin(), subnets.end(), [](const Subnet& a, const Subnet& b) {
    return a.availability_zone < b.availability_zone;
  });
}

GroupSpec FakeWorld::Spec(const std::string& name, int target) const {
  GroupSpec s;
  s.name = name;
  s.region = "us-east-1";
  s.compute.availability_zones = {{subnets[0].availability_zone, {subnets[0].id}}};
  s.compute.instance_types.spot = {"m5.large", "m5a.large"};
  s.compute.instance_types.ondemand = "m5.large";
  s.compute.launch_specification.image_id = image;
  s.compute.launch_specification.block_device_mappings = {{"/dev/sdf", 10, "gp3", false}};
  s.compute.launch_specification.tags = {{"team", "data"}};
  s.strategy.persistence = {true, true, true, BlockDevicesMode::kReattach};
  s.strategy.draining_timeout_seconds = 30;
  s.capacity = {target, 0, std::max(3, target)};
  return s;
}

TestServer::TestServer(FakeWorld* world, const std::string& dir, uint64_t seed, int max_streams,
                       ProviderFaults faults, const std::string& store)
    : world_(world) {
  ServerSettings settings;
  settings.store = store;
  settings.lease_ttl_seconds = 2;
  settings.provider_faults = std::move(faults);
  settings.data_dir = dir;
  settings.provider = "fake";
  settings.host = "127.0.0.1";
  settings.port = 0;
  settings.listen = "127.0.0.1:0";
  ServerAppDeps deps;
  deps.cloud = world->cloud.get();
  deps.clock = &world->clock;
  deps.sleep = [world](Duration d) { world->clock.Advance(d); };
  deps.manual_ticks = true;
  deps.seed = seed;
  deps.controller.orphan_grace = Duration{600'000};
  deps.controller.orphan_interval = Duration{120'000};
  deps.streams.keepalive = std::chrono::milliseconds(200);
  deps.max_streams = max_streams;
  auto app = ServerApp::Create(settings, deps);
  if (!app.ok()) {
    ADD_FAILURE() << "ServerApp::Create: " << app.status().ToString();
    std::abort();
  }
  app_ = std::move(app).value();
  Status s = app_->Start();
  if (!s.ok()) {
    ADD_FAILURE() << "Start: " << s.ToString();
    std::abort();
  }
}

TestServer::~TestServer() = default;

Reply TestServer::Call(const std::string& method, const std::string& path, const std::string& body,
                       const std::string& content_type, bool auth, const std::string& token,
                       const httplib::Headers& headers) {
  httplib::Client c("127.0.0.1", port());
  c.set_read_timeout(60, 0);
  httplib::Headers h = headers;
  if (auth) h.emplace("Authorization", "Bearer " + (token.empty() ? app_->token() : token));
  auto call = [&]() -> httplib::Result {
    if (method == "POST") return c.Post(path.c_str(), h, body, content_type.c_str());
    if (method == "PUT") return c.Put(path.c_str(), h, body, content_type.c_str());
    if (method == "PATCH") return c.Patch(path.c_str(), h, body, content_type.c_str());
    if (method == "DELETE") return c.Delete(path.c_str(), h, body, content_type.c_str());
    if (method == "OPTIONS") return c.Options(path.c_str(), h);
    return c.Get(path.c_str(), h);
  };
  httplib::Result r = call();
  Reply out;
  if (!r) return out;
  out.status = r->status;
  out.body = r->body;
  out.headers = r->headers;
  out.json = nlohmann::json::parse(r->body, nullptr, false);
  if (out.json.is_discarded()) out.json = nullptr;
  return out;
}

bool TestServer::RunUntil(const std::function<bool()>& done, Duration limit) {
  FakeClock& clock = world_->clock;
  const Time end = clock.Now() + limit;
  int same = 0;
  while (clock.Now() <= end) {
    Time next = app_->loop().TickOnce();
    if (done()) return true;
    Time wake = std::min(next, world_->cloud->NextTransitionTime());
    if (wake <= clock.Now()) {
      if (++same > 100) {
        wake = clock.Now() + Duration{100};
        same = 0;
      }
    }
    if (wake > clock.Now()) clock.Set(std::min(wake, end + Duration{1}));
  }
  return done();
}

std::string TestServer::CreateAndLaunch(const GroupSpec& spec) {
  Reply r = Post("/api/v1/group", ToJson(spec));
  EXPECT_EQ(r.status, 201) << r.Dump();
  if (r.status != 201) return "";
  std::string id = r.json["id"].get<std::string>();
  bool ok = RunUntil([&] {
    Reply g = Get("/api/v1/group/" + id);
    return g.status == 200 && g.json["status"]["capacity"]["active"] == spec.capacity.target;
  });
  EXPECT_TRUE(ok) << "group " << id << " did not become ACTIVE";
  return id;
}

std::string TestServer::SsiState(const std::string& ssi_id) {
  auto s = app_->store().GetSsi(ssi_id);
  return s.ok() ? SsiStateName(s->state) : s.status().ToString();
}

nlohmann::json TestServer::FirstSsi(const std::string& group_id) {
  Reply r = Get("/api/v1/group/" + group_id + "/statefulInstance");
  EXPECT_EQ(r.status, 200) << r.Dump();
  if (r.status != 200 || r.json["items"].empty()) return nullptr;
  return r.json["items"][0];
}

}  // namespace spotkeeper::api::testing
