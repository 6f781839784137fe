// The admin API's workload probe (/_spotkeeper/v1/probe) on a running LocalCloud (fake host
// driver): what it answers, and Ec2Provider::ProbeServing, which the controller's health.serving
// check calls, going through it.
#include <gtest/gtest.h>

#include "cloud/api/admin_api.h"
#include "cloud/api/api_test_util.h"
#include "provider/ec2/ec2_provider.h"

namespace spotkeeper::cloud {
namespace {

using std::chrono::seconds;

ServingProbe Tcp(int port) {
  ServingProbe p;
  p.port = port;
  return p;
}

class AdminProbeApiTest : public CloudApiTest {
 protected:
  // A running on-demand t3.micro; its private IP in *ip.
  std::string Launch(std::string* ip) {
    RunInstancesRequest r;
    r.image_id = kBaseImageId;
    r.instance_type = "t3.micro";
    r.min_count = r.max_count = 1;
    r.availability_zone = "local-1a";
    auto res = cloud_->engine()->RunInstances(r);
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    if (!res.ok()) return "";
    std::string id = res->instances.at(0).instance.id;
    EXPECT_TRUE(cloud_->engine()->WaitIdle(seconds(10)));
    auto v = cloud_->engine()->FindInstance(id);
    EXPECT_TRUE(v.has_value());
    if (v) *ip = v->instance.private_ip;
    return id;
  }
  aws::HttpResponse Probe(const std::string& body) {
    aws::HttpRequest req;
    req.method = "POST";
    req.url = cloud_->endpoint() + "/_spotkeeper/v1/probe";
    req.headers = {{"Content-Type", "application/json"}};
    req.body = body;
    aws::Sigv4Signer signer("local-1", AdminApi::kSigningService);
    EXPECT_TRUE(signer.Sign(req, creds_, SystemClock::Default()->Now()).ok());
    auto res = http_.Send(req);
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    return res.ok() ? *res : aws::HttpResponse{};
  }
  std::unique_ptr<Ec2Provider> Provider() {
    Ec2ProviderConfig pc;
    pc.region = cloud_->region();
    pc.endpoint_url = cloud_->endpoint();
    pc.events_queue_url = cloud_->events_queue_url();
    Ec2ProviderDeps deps;
    deps.credentials = std::make_unique<aws::StaticCredentialsProvider>(creds_);
    auto p = Ec2Provider::Create(pc, std::move(deps));
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(*p) : nullptr;
  }
};

TEST_F(AdminProbeApiTest, AnswersServingOrWhyNot) {
  std::string ip;
  std::string id = Launch(&ip);
  ASSERT_FALSE(id.empty());
  const std::string body = R"({"instanceId": ")" + id + R"(", "port": 2379, "timeoutMs": 500})";
  auto r = Probe(body);
  EXPECT_EQ(r.status, 200) << r.body;
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["serving"], false);
  EXPECT_EQ(j["code"], "ConnectionRefused");

  driver_.SetListening(ip, 2379, true);
  r = Probe(body);
  EXPECT_EQ(nlohmann::json::parse(r.body)["serving"], true) << r.body;
  // The probe went through the host driver, inside the instance's VPC.
  EXPECT_GE(driver_.CallCount("ProbeServing"), 2);

  // Another address than the instance's is refused: the probe reaches nothing else.
  r = Probe(R"({"instanceId": ")" + id + R"(", "privateIp": "10.9.9.9", "port": 2379})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("is not " + id + "'s"), std::string::npos) << r.body;
  r = Probe(R"({"instanceId": "i-0123456789abcdef0", "port": 2379})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("InvalidInstanceID.NotFound"), std::string::npos) << r.body;
  r = Probe(R"({"instanceId": ")" + id + R"(", "port": 70000})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = Probe(R"({"port": 2379})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("instanceId"), std::string::npos) << r.body;
}

TEST_F(AdminProbeApiTest, Ec2ProviderProbesThroughTheCloud) {
  std::string ip;
  std::string id = Launch(&ip);
  ASSERT_FALSE(id.empty());
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  Status s = provider->ProbeServing(id, ip, Tcp(6379), seconds(1));
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.ToString();
  EXPECT_EQ(s.cloud_code(), "ConnectionRefused") << s.ToString();
  driver_.SetListening(ip, 6379, true);
  s = provider->ProbeServing(id, ip, Tcp(6379), seconds(1));
  EXPECT_TRUE(s.ok()) << s.ToString();

  ASSERT_TRUE(cloud_->engine()->TerminateInstances({id}).ok());
  ASSERT_TRUE(cloud_->engine()->WaitIdle(seconds(10)));
  s = provider->ProbeServing(id, ip, Tcp(6379), seconds(1));
  EXPECT_EQ(s.cloud_code(), "NotRunning") << s.ToString();
}

// The richer kinds travel through the route to the host driver with every field; a request
// without "kind" stays the plain connect older clients send.
TEST_F(AdminProbeApiTest, CarriesTheCheckKindToTheHostDriver) {
  std::string ip;
  std::string id = Launch(&ip);
  ASSERT_FALSE(id.empty());
  auto r = Probe(R"({"instanceId": ")" + id +
                 R"(", "port": 2379, "kind": "http", "path": "/health", "expectStatus": 204,
                     "expect": "\"health\":\"true\""})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["kind"], "http") << r.body;
  ServingProbe got = driver_.last_probe();
  EXPECT_EQ(got.kind, ServingProbe::Kind::kHttp);
  EXPECT_EQ(got.port, 2379);
  EXPECT_EQ(got.path, "/health");
  EXPECT_EQ(got.expect_status, 204);
  EXPECT_EQ(got.expect, R"("health":"true")");

  r = Probe(R"({"instanceId": ")" + id +
            R"(", "port": 2181, "kind": "tcp", "send": "srvr\n", "expect": "Mode: "})");
  EXPECT_EQ(r.status, 200) << r.body;
  got = driver_.last_probe();
  EXPECT_EQ(got.kind, ServingProbe::Kind::kTcp);
  EXPECT_EQ(got.send, "srvr\n");
  EXPECT_EQ(got.expect, "Mode: ");

  r = Probe(R"({"instanceId": ")" + id + R"(", "port": 6379})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(driver_.last_probe(), Tcp(6379));

  r = Probe(R"({"instanceId": ")" + id + R"(", "port": 6379, "kind": "udp"})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("write tcp or http"), std::string::npos) << r.body;
  r = Probe(R"({"instanceId": ")" + id + R"(", "port": 6379, "kind": "http", "path": "health"})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = Probe(R"({"instanceId": ")" + id + R"(", "port": 6379, "path": "/health"})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = Probe(R"({"instanceId": ")" + id + R"(", "port": 6379, "kind": "tcp", "send": 5})");
  EXPECT_EQ(r.status, 400) << r.body;

  // Ec2Provider sends the same fields.
  auto provider = Provider();
  ASSERT_NE(provider, nullptr);
  ServingProbe etcd;
  etcd.kind = ServingProbe::Kind::kHttp;
  etcd.port = 2379;
  etcd.path = "/health";
  etcd.expect = R"("health":"true")";
  Status s = provider->ProbeServing(id, ip, etcd, seconds(1));
  EXPECT_EQ(s.cloud_code(), "ConnectionRefused") << s.ToString();
  EXPECT_EQ(driver_.last_probe(), etcd);
  ServingProbe zk = Tcp(2181);
  zk.send = "srvr\n";
  zk.expect = "Mode: ";
  driver_.SetListening(ip, 2181, true);
  EXPECT_TRUE(provider->ProbeServing(id, ip, zk, seconds(1)).ok());
  EXPECT_EQ(driver_.last_probe(), zk);
}

}  // namespace
}  // namespace spotkeeper::cloud
