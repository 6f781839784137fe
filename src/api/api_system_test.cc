// Auth on every route, health and readiness, the OpenAPI document against the route table,
// and /metrics.
#include <gtest/gtest.h>

#include <regex>

#include "api/api_test_util.h"

namespace spotkeeper::api::testing {
namespace {

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A concrete path for a route template.
std::string Fill(std::string path, const std::map<std::string, std::string>& ids) {
  for (const auto& [name, value] : ids) {
    std::string key = "{" + name + "}";
    for (size_t at; (at = path.find(key)) != std::string::npos;)
      path.replace(at, key.size(), value);
  }
  return path;
}

TEST(ApiSystemTest, HealthReadyAndAuthOnEveryRoute) {
  FakeWorld world;
  TempDir dir;
  TestServer server(&world, dir.path());

  Reply health = server.Call("GET", "/healthz", "", "", false);
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.json["status"], "ok");
  Reply not_ready = server.Call("GET", "/readyz", "", "", false);
  EXPECT_EQ(not_ready.status, 503) << not_ready.Dump();
  EXPECT_EQ(not_ready.json["checks"]["controller"]["ok"], false);
  EXPECT_EQ(not_ready.json["checks"]["store"]["ok"], true);
  server.app().loop().TickOnce();
  Reply ready = server.Call("GET", "/readyz", "", "", false);
  EXPECT_EQ(ready.status, 200) << ready.Dump();
  EXPECT_EQ(ready.json["status"], "ready");

  int checked = 0;
  for (const Route& r : server.app().api().routes().routes()) {
    std::string path = Fill(
        r.path, {{"groupId", "sig-1"}, {"statefulInstanceId", "ssi-1"}, {"importId", "ssi-1"}});
    Reply none = server.Call(r.method, path, "{}", "application/json", false);
    Reply wrong = server.Call(r.method, path, "{}", "application/json", true,
                              std::string(server.token().size(), 'x'));
    if (!r.auth) {
      EXPECT_NE(none.status, 401) << r.method << " " << r.path;
      continue;
    }
    ++checked;
    EXPECT_EQ(none.status, 401) << r.method << " " << r.path << ": " << none.Dump();
    EXPECT_EQ(none.json["code"], "Unauthenticated") << none.Dump();
    EXPECT_EQ(none.Header("WWW-Authenticate"), "Bearer realm=\"spotkeeper\"");
    EXPECT_EQ(wrong.status, 401) << r.method << " " << r.path;
    EXPECT_NE(wrong.json["message"].get<std::string>().find("wrong"), std::string::npos);
  }
  EXPECT_GT(checked, 25);
  // Unknown routes are not revealed without the token either.
  EXPECT_EQ(server.Call("GET", "/api/v1/nothing", "", "", false).status, 401);
  // The scheme is case-insensitive; a prefix of the token is not the token.
  EXPECT_EQ(server
                .Call("GET", "/api/v1/group", "", "", false, "",
                      {{"Authorization", "bearer " + server.token()}})
                .status,
            200);
  EXPECT_EQ(server
                .Call("GET", "/api/v1/group", "", "", false, "",
                      {{"Authorization", "Bearer " + server.token().substr(1)}})
                .status,
            401);
}

TEST(ApiSystemTest, TokensEqualIsExact) {
  EXPECT_TRUE(TokensEqual("abc", "abc"));
  EXPECT_FALSE(TokensEqual("abc", "abd"));
  EXPECT_FALSE(TokensEqual("abc", "abcd"));
  EXPECT_FALSE(TokensEqual("", "a"));
  EXPECT_TRUE(TokensEqual("", ""));
}

TEST(ApiSystemTest, OpenApiDocumentsEveryRouteAndEveryDocumentedRouteAnswers) {
  FakeWorld world;
  TempDir dir;
  TestServer server(&world, dir.path());
  std::string group = server.CreateAndLaunch(world.Spec("db"));
  std::string ssi = server.FirstSsi(group)["id"];
  // An import, for the import routes: a foreign instance brought under a new group.
  RunInstanceRequest run;
  run.image_id = world.image;
  run.instance_type = "m5.large";
  run.subnet_id = world.subnets[0].id;
  run.client_token = "foreign";
  auto foreign = world.cloud->RunInstance(run);
  ASSERT_TRUE(foreign.ok()) << foreign.status().ToString();
  Reply imp = server.Post("/api/v1/import",
                          {{"originalInstanceId", foreign->id}, {"newGroupName", "imported"}});
  ASSERT_EQ(imp.status, 202) << imp.Dump();

  Reply doc = server.Get("/api/v1/openapi.json");
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(doc.json["openapi"], "3.0.3");
  const nlohmann::json& paths = doc.json["paths"];
  const auto& routes = server.app().api().routes().routes();
  for (const Route& r : routes) {
    ASSERT_TRUE(paths.contains(r.path)) << r.path;
    EXPECT_TRUE(paths[r.path].contains(Lower(r.method))) << r.method << " " << r.path;
    // Every schema the route names exists.
    const nlohmann::json& op = paths[r.path][Lower(r.method)];
    std::string dumped = op.dump();
    std::smatch m;
    std::regex ref("#/components/schemas/([A-Za-z]+)");
    for (auto it = std::sregex_iterator(dumped.begin(), dumped.end(), ref);
         it != std::sregex_iterator(); ++it) {
      EXPECT_TRUE(doc.json["components"]["schemas"].contains((*it)[1].str())) << (*it)[1];
    }
  }
  size_t documented = 0;
  std::vector<std::pair<std::string, std::string>> ops;
  for (const auto& [path, methods] : paths.items()) {
    for (const auto& [method, op] : methods.items()) ops.emplace_back(method, path);
  }
  // Destructive calls last.
  std::stable_partition(ops.begin(), ops.end(), [](const auto& o) { return o.first != "delete"; });
  std::map<std::string, std::string> ids = {
      {"groupId", group}, {"statefulInstanceId", ssi}, {"importId", imp.json["id"]}};
  for (const auto& [method, path] : ops) {
    ++documented;
    std::string url = Fill(path, ids);
    std::string upper = method;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (path == "/api/v1/events/stream") {
      httplib::Client c("127.0.0.1", server.port());
      int status = 0;
      auto res = c.Get((url + "?tail=1").c_str(), {{"Authorization", "Bearer " + server.token()}},
                       [&](const httplib::Response& r) {
                         status = r.status;
                         return false;  // headers are enough
                       },
                       [](const char*, size_t) { return false; });
      EXPECT_EQ(status, 200) << url;
      continue;
    }
    std::string body =
        upper == "POST" && path == "/api/v1/group" ? ToJson(world.Spec("x", 0)).dump() : "{}";
    Reply r = server.Call(upper, url, upper == "GET" ? "" : body);
    EXPECT_NE(r.status, 405) << upper << " " << url << ": " << r.Dump();
    EXPECT_NE(r.status, 0) << upper << " " << url;
    if (r.status == 404) {
      EXPECT_EQ(r.json["message"].get<std::string>().find("no route"), std::string::npos)
          << upper << " " << url;
    }
  }
  EXPECT_EQ(documented, routes.size());
}

TEST(ApiSystemTest, MetricsAfterARecycle) {
  FakeWorld world;
  TempDir dir;
  TestServer server(&world, dir.path());
  std::string group = server.CreateAndLaunch(world.Spec("db"));
  std::string ssi = server.FirstSsi(group)["id"];
  ASSERT_EQ(server.Put("/api/v1/statefulInstance/" + ssi + "/recycle").status, 202);
  ASSERT_TRUE(server.RunUntil([&] {
    auto wfs = server.app().store().ListWorkflows(ssi);
    return wfs.ok() && !wfs->empty() && wfs->front().kind == "recycle" &&
           wfs->front().status == "succeeded";
  }));
  // Periodic snapshots (every 5 simulated minutes) complete.
  world.clock.Advance(Duration{6 * 60'000});
  server.RunUntil([] { return false; }, Duration{3 * 60'000});

  Reply m = server.Get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.Header("Content-Type").find("text/plain"), std::string::npos);
  const std::string& t = m.body;
  auto has = [&](const std::string& s) { return t.find(s) != std::string::npos; };
  EXPECT_TRUE(has("spotkeeper_recoveries_total{reason=\"Recycle\"} 1\n")) << t;
  EXPECT_TRUE(has("spotkeeper_recovery_duration_seconds_bucket{reason=\"Recycle\",le=\"+Inf\"} 1"));
  EXPECT_TRUE(has("spotkeeper_recovery_duration_seconds_count{reason=\"Recycle\"} 1"));
  EXPECT_TRUE(has("spotkeeper_recovery_downtime_seconds_sum{reason=\"Recycle\"}"));
  EXPECT_TRUE(has("spotkeeper_stateful_instances{group=\"" + group +
                  "\",group_name=\"db\",state=\"ACTIVE\"} 1\n"));
  EXPECT_TRUE(has("spotkeeper_stateful_instances{group=\"" + group +
                  "\",group_name=\"db\",state=\"ERROR\"} 0\n"));
  EXPECT_TRUE(
      has("spotkeeper_group_capacity_target{group=\"" + group + "\",group_name=\"db\"} 1\n"));
  EXPECT_TRUE(has("spotkeeper_snapshot_age_seconds{group=\"" + group + "\",ssi=\"" + ssi +
                  "\",device=\"/dev/xvda\"}"))
      << t;
  EXPECT_TRUE(has("spotkeeper_workflow_step_failures_total 0\n"));
  EXPECT_TRUE(has("spotkeeper_workflow_step_retries_total"));
  EXPECT_TRUE(has("spotkeeper_workflows_finished_total{result=\"succeeded\"} 2\n")) << t;
  EXPECT_TRUE(has("spotkeeper_provider_throttles_total{action=\"RunInstances\",by=\"client\"}"));
  EXPECT_TRUE(
      has("spotkeeper_http_requests_total{method=\"PUT\",route=\"/api/v1/"
          "statefulInstance/{statefulInstanceId}/recycle\",status=\"202\"} 1\n"))
      << t;
  std::smatch calls;
  ASSERT_TRUE(std::regex_search(
      t, calls, std::regex("spotkeeper_provider_calls_total\\{action=\"RunInstances\"\\} (\\d+)")));
  EXPECT_GE(std::stoi(calls[1]), 2);
  // Every line is a comment or `name{labels} value`.
  std::regex sample(R"(^[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? (-?[0-9.e+]+|\+Inf|NaN)$)");
  std::istringstream lines(t);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# ", 0) == 0) continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
    EXPECT_EQ(line.rfind("spotkeeper_", 0), 0u) << line;
  }

  Reply info = server.Get("/api/v1/info");
  EXPECT_EQ(info.json["provider"], "fake");
  EXPECT_EQ(info.json["now"], FormatTime(world.clock.Now()));
}

// The server's provider chain with injected faults (as --provider-faults makes it): the
// controller still converges, and /metrics counts what was injected.
TEST(ApiSystemTest, ConvergesUnderInjectedProviderFaults) {
  FakeWorld world;
  TempDir dir;
  auto faults = ParseProviderFaults("error=0.1,lost=0.05,latency=2s,seed=11");
  ASSERT_TRUE(faults.ok()) << faults.status().ToString();
  TestServer server(&world, dir.path(), 7, 16, *faults);
  ASSERT_NE(server.app().fault_injection(), nullptr);
  std::string group = server.CreateAndLaunch(world.Spec("db"));
  ASSERT_FALSE(group.empty());
  nlohmann::json before = server.FirstSsi(group);
  std::string ssi = before["id"];
  ASSERT_EQ(server.Put("/api/v1/statefulInstance/" + ssi + "/recycle").status, 202);
  ASSERT_TRUE(server.RunUntil([&] {
    nlohmann::json s = server.FirstSsi(group);
    return s["state"] == "ACTIVE" && s["instanceId"] != before["instanceId"] &&
           s.contains("workflow") && s["workflow"]["status"] == "succeeded";
  }));
  nlohmann::json after = server.FirstSsi(group);
  EXPECT_EQ(after["privateIp"], before["privateIp"]);
  EXPECT_EQ(after["networkInterfaceId"], before["networkInterfaceId"]);

  auto st = server.app().fault_injection()->stats();
  EXPECT_GT(st.errors, 0);
  EXPECT_GT(st.lost_responses, 0);
  EXPECT_GT(st.latency, Duration{0});
  Reply m = server.Get("/metrics");
  ASSERT_EQ(m.status, 200);
  std::smatch errors;
  int64_t counted = 0;
  std::regex unavailable(
      "spotkeeper_provider_errors_total\\{action=\"[A-Za-z]+\",code=\"Unavailable\"\\} (\\d+)");
  for (auto it = std::sregex_iterator(m.body.begin(), m.body.end(), unavailable);
       it != std::sregex_iterator(); ++it) {
    counted += std::stoll((*it)[1]);
  }
  EXPECT_GT(counted, 0) << m.body;
}

}  // namespace
}  // namespace spotkeeper::api::testing
