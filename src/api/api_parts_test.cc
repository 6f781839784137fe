// Unit tests of the API's parts: route matching, the error mapping, Prometheus text, the
// MIGRATE_* mapping, the import spec builder, the counting provider and the JSON log format.
#include <gtest/gtest.h>
#include <httplib.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "api/api_error.h"
#include "api/counting_provider.h"
#include "api/import_spec_builder.h"
#include "api/import_status.h"
#include "api/log_setup.h"
#include "api/prometheus_writer.h"
#include "api/route_table.h"
#include "provider/fake/fake_cloud.h"
#include "provider/forwarding_provider.h"
#include "provider/rate_limited_provider.h"

namespace spotkeeper::api {
namespace {

Route R(const std::string& method, const std::string& path) {
  Route r;
  r.method = method;
  r.path = path;
  r.handler = [](const RouteRequest&, httplib::Response&) {};
  return r;
}

TEST(RouteTableTest, MatchesTemplatesAndReportsAllowedMethods) {
  RouteTable t;
  t.Add(R("GET", "/api/v1/group"));
  t.Add(R("POST", "/api/v1/group"));
  t.Add(R("GET", "/api/v1/group/{groupId}"));
  t.Add(R("GET", "/api/v1/events/{id}"));
  t.Add(R("GET", "/api/v1/events/stream"));
  auto m = t.Find("GET", "/api/v1/group/sig-1");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params["groupId"], "sig-1");
  auto literal = t.Find("GET", "/api/v1/events/stream");
  ASSERT_NE(literal.route, nullptr);
  EXPECT_EQ(literal.route->path, "/api/v1/events/stream");
  auto wrong = t.Find("DELETE", "/api/v1/group");
  EXPECT_EQ(wrong.route, nullptr);
  EXPECT_EQ(wrong.allowed, (std::vector<std::string>{"GET", "POST"}));
  auto none = t.Find("GET", "/api/v1/nothing");
  EXPECT_EQ(none.route, nullptr);
  EXPECT_TRUE(none.allowed.empty());
  EXPECT_EQ(t.Find("GET", "/api/v1/group/").route->path, "/api/v1/group");
  EXPECT_EQ(t.Find("HEAD", "/api/v1/group").route->method, "GET");
}

TEST(ApiErrorTest, OneMappingFromCodesToHttp) {
  EXPECT_EQ(HttpStatusFor(Code::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(Code::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(Code::kFailedPrecondition), 409);
  EXPECT_EQ(HttpStatusFor(Code::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusFor(Code::kAborted), 409);
  EXPECT_EQ(HttpStatusFor(Code::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(Code::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(Code::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(Code::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(Code::kInternal), 500);
  ApiError e = FromStatus(Status(Code::kResourceExhausted, "slow down", "RequestLimitExceeded")
                              .WithRetryAfter(std::chrono::milliseconds(1500)));
  EXPECT_EQ(e.http_status, 429);
  EXPECT_EQ(e.ToJson()["code"], "ResourceExhausted");
  EXPECT_EQ(e.details["cloudCode"], "RequestLimitExceeded");
  EXPECT_EQ(e.details["retryAfterMs"], 1500);
  ApiError v = InvalidSpec({{"capacity.maximum", "must be >= 1"}});
  EXPECT_EQ(v.http_status, 422);
  EXPECT_EQ(v.details["fieldErrors"][0]["path"], "capacity.maximum");
}

TEST(PrometheusWriterTest, EscapesLabelsAndWritesCumulativeBuckets) {
  PrometheusWriter w;
  w.Family("spotkeeper_x", "gauge", "An x.");
  w.Sample("spotkeeper_x", {{"name", "a\"b\\c\nd"}}, 1.5);
  Histogram h({1, 10});
  h.Observe(0.5);
  h.Observe(5);
  h.Observe(50);
  h.Write(w, "spotkeeper_h", {{"reason", "r"}});
  EXPECT_EQ(w.text(),
            "# HELP spotkeeper_x An x.\n# TYPE spotkeeper_x gauge\n"
            "spotkeeper_x{name=\"a\\\"b\\\\c\\nd\"} 1.5\n"
            "spotkeeper_h_bucket{reason=\"r\",le=\"1\"} 1\n"
            "spotkeeper_h_bucket{reason=\"r\",le=\"10\"} 2\n"
            "spotkeeper_h_bucket{reason=\"r\",le=\"+Inf\"} 3\n"
            "spotkeeper_h_sum{reason=\"r\"} 55.5\n"
            "spotkeeper_h_count{reason=\"r\"} 3\n");
}

TEST(ImportStatusTest, StepsMapToMigrateStates) {
  WorkflowRecord wf;
  wf.kind = "import";
  auto at = [&](const std::string& step) {
    wf.step_name = step;
    return ImportState(wf);
  };
  EXPECT_EQ(at("describe_source"), "MIGRATE_PREPARING");
  EXPECT_EQ(at("protect_eni"), "MIGRATE_PREPARING");
  EXPECT_EQ(at("wait_source_snapshots"), "MIGRATE_SNAPSHOTTING");
  EXPECT_EQ(at("terminate_source"), "MIGRATE_STOPPING_SOURCE");
  EXPECT_EQ(at("register_image"), "MIGRATE_IMAGING");
  EXPECT_EQ(at("run_instance"), "MIGRATE_LAUNCHING");
  EXPECT_EQ(at("mark_active"), "MIGRATE_LAUNCHING");
  wf.step_name = "snapshot_source";
  EXPECT_TRUE(ImportCancellable(wf));
  wf.step_name = "terminate_source";
  EXPECT_FALSE(ImportCancellable(wf));
  wf.status = "failed";
  EXPECT_EQ(ImportState(wf), "MIGRATE_FAILED");
  wf.step_name = "wait_source_snapshots";
  EXPECT_TRUE(ImportCancellable(wf));
  wf.status = "succeeded";
  EXPECT_EQ(ImportState(wf), "MIGRATE_SUCCEEDED");
  EXPECT_FALSE(ImportCancellable(wf));
  wf.status = "cancelled";
  EXPECT_EQ(ImportState(wf), "MIGRATE_CANCELLED");
}

TEST(ImportSpecBuilderTest, BuildsAValidSpecFromAnInstance) {
  FakeClock clock;
  FakeCloud cloud(&clock, 3);
  std::string image = cloud.AddImage("base", 8);
  RunInstanceRequest run;
  run.image_id = image;
  run.instance_type = "r5.xlarge";
  run.subnet_id = cloud.subnets()[0].id;
  run.block_devices = {{"/dev/sdg", 50, "", "io1", false}, {"/dev/sdf", 20, "", "gp3", true}};
  run.tags = {{"Name", "legacy"}};
  run.client_token = "t";
  auto inst = cloud.RunInstance(run);
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  auto out = BuildImportSpec(cloud, "legacy", inst->id, true);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->errors.empty()) << out->errors.front().ToString();
  const GroupSpec& s = out->spec;
  EXPECT_EQ(s.region, "us-east-1");
  EXPECT_EQ(s.capacity.target, 0);
  EXPECT_EQ(s.compute.availability_zones[0].name, inst->availability_zone);
  EXPECT_EQ(s.compute.availability_zones[0].subnet_ids[0], inst->subnet_id);
  EXPECT_EQ(s.compute.instance_types.spot, std::vector<std::string>{"r5.xlarge"});
  EXPECT_EQ(s.compute.launch_specification.image_id, image);
  ASSERT_EQ(s.compute.launch_specification.block_device_mappings.size(), 2u);
  EXPECT_EQ(s.compute.launch_specification.block_device_mappings[0].device_name, "/dev/sdf");
  EXPECT_EQ(s.compute.launch_specification.block_device_mappings[1].volume_size_gib, 50);
  EXPECT_EQ(s.compute.launch_specification.block_device_mappings[1].volume_type, "io1");
  EXPECT_EQ(s.compute.launch_specification.tags.count("Name"), 1u);
  EXPECT_EQ(s.compute.launch_specification.tags.count(kTagToken), 0u);  // spotkeeper's own
  EXPECT_TRUE(s.strategy.persistence.should_persist_root_device);
  EXPECT_TRUE(s.strategy.persistence.should_persist_block_devices);
  EXPECT_TRUE(s.strategy.persistence.should_persist_private_ip);

  EXPECT_EQ(BuildImportSpec(cloud, "x", "i-00000000000000000", false).status().code(),
            Code::kNotFound);
  EXPECT_EQ(RegionOfZone("eu-west-3c"), "eu-west-3");
  EXPECT_EQ(RegionOfZone("local-1a"), "local-1");
}

TEST(CountingProviderTest, CountsCallsThrottlesAndErrorsByAction) {
  FakeClock clock;
  FakeCloud cloud(&clock, 3);
  RateLimitedProvider limited(std::make_unique<ForwardingProvider>(&cloud), &clock);
  CountingProvider counting(&limited);
  // The client-side bucket for RunInstances holds 5: the 6th call at the same instant is
  // refused before it reaches the cloud.
  RunInstanceRequest run;
  run.image_id = "ami-00000000000000000";
  run.instance_type = "m5.large";
  for (int i = 0; i < 6; ++i) {
    run.client_token = "t" + std::to_string(i);
    (void)counting.RunInstance(run);
  }
  (void)counting.DescribeInstances({});
  auto c = counting.counts();
  EXPECT_EQ(c["RunInstances"].calls, 6);
  EXPECT_EQ(c["RunInstances"].client_throttles, 1);
  EXPECT_EQ(c["RunInstances"].errors["InvalidArgument"] + c["RunInstances"].errors["NotFound"],
            5);  // no such image
  EXPECT_EQ(c["DescribeInstances"].calls, 1);
  EXPECT_EQ(counting.Name(), "fake");
}

TEST(LogSetupTest, JsonLinesCarryFields) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  auto logger = std::make_shared<spdlog::logger>("json-test", sink);
  logger->set_formatter(MakeJsonFormatter());
  auto before = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  LogWithFields(spdlog::level::info, "GET /x 200", {{"status", 200}, {"path", "/x \"q\""}});
  spdlog::info("plain {}", 1);
  spdlog::set_default_logger(before);
  std::istringstream lines(out.str());
  std::string first, second;
  std::getline(lines, first);
  std::getline(lines, second);
  auto a = nlohmann::json::parse(first);
  EXPECT_EQ(a["msg"], "GET /x 200");
  EXPECT_EQ(a["level"], "info");
  EXPECT_EQ(a["status"], 200);
  EXPECT_EQ(a["path"], "/x \"q\"");
  EXPECT_EQ(a["ts"].get<std::string>().back(), 'Z');
  auto b = nlohmann::json::parse(second);
  EXPECT_EQ(b["msg"], "plain 1");
  EXPECT_FALSE(b.contains("status"));
}

}  // namespace
}  // namespace spotkeeper::api
