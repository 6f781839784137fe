// The admin API on a running LocalCloud (fake host driver): who may use it, and faults set
// through it acting on the EC2 endpoint.
#include "cloud/api/admin_api.h"

#include <gtest/gtest.h>

#include <mutex>

#include "cloud/api/api_test_util.h"
#include "cloud/api/cloud_admin_client.h"

namespace spotkeeper::cloud {
namespace {

using aws::QueryParams;

class AdminApiTest : public CloudApiTest {
 protected:
  void Customize(LocalCloudOptions& o) override {
    o.fault_sleeper = [this](Duration d) {
      std::lock_guard<std::mutex> lock(mu_);
      slept_.push_back(d);
    };
  }
  CloudAdminClient Client() {
    auto target = CloudAdminClient::FindCloud(dir_.string());
    EXPECT_TRUE(target.ok()) << target.status().ToString();
    return CloudAdminClient(&http_, target.ok() ? *target : AdminTarget{});
  }
  aws::HttpResponse Unsigned(const std::string& method, const std::string& body = "") {
    aws::HttpRequest req;
    req.method = method;
    req.url = cloud_->endpoint() + "/_spotkeeper/v1/faults";
    if (!body.empty()) req.headers = {{"Content-Type", "application/json"}};
    req.body = body;
    auto r = http_.Send(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : aws::HttpResponse{};
  }
  aws::HttpResponse Signed(const std::string& method, const std::string& path,
                           const std::string& body = "", const aws::Credentials* creds = nullptr,
                           const std::string& service = AdminApi::kSigningService) {
    aws::HttpRequest req;
    req.method = method;
    req.url = cloud_->endpoint() + path;
    if (!body.empty()) req.headers = {{"Content-Type", "application/json"}};
    req.body = body;
    return Send(req, creds, service);
  }
  static nlohmann::json Json(const aws::HttpResponse& r) {
    return nlohmann::json::parse(r.body, nullptr, false);
  }
  std::vector<Duration> Slept() {
    std::lock_guard<std::mutex> lock(mu_);
    return slept_;
  }

  std::mutex mu_;
  std::vector<Duration> slept_;
};

TEST_F(AdminApiTest, UnsignedRequestsAre403WithAClearMessage) {
  for (const char* method : {"GET", "PUT", "DELETE"}) {
    auto r = Unsigned(method, std::string(method) == "PUT" ? R"({"ec2":{"errorRate":1}})" : "");
    EXPECT_EQ(r.status, 403) << method << " " << r.body;
    auto j = Json(r);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_EQ(j["code"], "MissingAuthenticationToken");
    std::string message = j["message"];
    EXPECT_NE(message.find("signed with SigV4"), std::string::npos) << message;
    EXPECT_NE(message.find("spotkeeper cloud credentials"), std::string::npos) << message;
  }
  EXPECT_FALSE(cloud_->faults()->config().enabled());
  // EC2 calls still work unharmed.
  EXPECT_EQ(Ec2(QueryParams("DescribeVpcs", "2016-11-15")).status, 200);
}

TEST_F(AdminApiTest, BadSignaturesAre403AndChangeNothing) {
  const std::string body = R"({"ec2":{"errorRate":1}})";
  aws::Credentials wrong = creds_;
  wrong.secret_access_key = "not-the-secret";
  auto r = Signed("PUT", "/_spotkeeper/v1/faults", body, &wrong);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(Json(r)["code"], "SignatureDoesNotMatch");
  EXPECT_EQ(r.body.find(creds_.secret_access_key), std::string::npos);
  aws::Credentials unknown{"AKIAUNKNOWNKEY000000", "whatever", "", kNever, ""};
  r = Signed("PUT", "/_spotkeeper/v1/faults", body, &unknown);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Json(r)["code"], "AuthFailure");
  // The right key, but signed for EC2: an EC2 signature is not an admin one.
  r = Signed("PUT", "/_spotkeeper/v1/faults", body, nullptr, "ec2");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(Json(r)["message"].get<std::string>().find("\"spotkeeper\""), std::string::npos);
  EXPECT_FALSE(cloud_->faults()->config().enabled());
  // Signed properly, it works.
  r = Signed("PUT", "/_spotkeeper/v1/faults", body);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r)["ec2"]["errorRate"], 1.0);
}

TEST_F(AdminApiTest, SignedPutFaultsFailsTheNextEc2CallAsConfiguredAndClearEndsIt) {
  CloudAdminClient client = Client();
  Ec2FaultConfig c;
  c.error_rate = 1;
  c.error_code = "Unavailable";
  c.actions = {"DescribeVpcs"};
  auto set = client.SetFaults(c);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->config, c);
  EXPECT_EQ(cloud_->faults()->config(), c);

  auto r = Ec2(QueryParams("DescribeVpcs", "2016-11-15"));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(ErrorCode(r), "Unavailable");
  EXPECT_FALSE(aws::XmlText(Xml(r)->document_element(), "RequestID").empty());
  // Other actions, and SQS, are not targeted.
  EXPECT_EQ(Ec2(QueryParams("DescribeAvailabilityZones", "2016-11-15")).status, 200);
  EXPECT_EQ(Sqs("ListQueues", nlohmann::json::object()).status, 200);
  auto got = client.GetFaults();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->stats.calls, 1);
  EXPECT_EQ(got->stats.errors, 1);
  EXPECT_EQ(cloud_->server()->Stats()["DescribeVpcs"].errors, 1);

  auto cleared = client.ClearFaults();
  ASSERT_TRUE(cleared.ok()) << cleared.status().ToString();
  EXPECT_FALSE(cleared->config.enabled());
  EXPECT_EQ(Ec2(QueryParams("DescribeVpcs", "2016-11-15")).status, 200);
}

TEST_F(AdminApiTest, LatencyIsWaitedOutThroughTheSleeper) {
  CloudAdminClient client = Client();
  Ec2FaultConfig c;
  c.latency = Duration{120};
  ASSERT_TRUE(client.SetFaults(c).ok());
  EXPECT_EQ(Ec2(QueryParams("DescribeVpcs", "2016-11-15")).status, 200);
  EXPECT_EQ(Slept(), std::vector<Duration>{Duration{120}});
  // Admin calls are never delayed.
  ASSERT_TRUE(client.GetFaults().ok());
  EXPECT_EQ(Slept().size(), 1u);
}

TEST_F(AdminApiTest, ThrottlingAnswersRequestLimitExceeded) {
  CloudAdminClient client = Client();
  Ec2FaultConfig c;
  c.throttle = true;
  c.throttle_scale = 0.01;  // RunInstances: one token, one more every 50 s
  ASSERT_TRUE(client.SetFaults(c).ok());
  QueryParams run("RunInstances", "2016-11-15");
  run.Set("ImageId", "ami-00000000000000001").Set("MinCount", 1).Set("MaxCount", 1);
  run.Set("DryRun", true);
  auto first = Ec2(run);
  EXPECT_EQ(first.status, 412) << first.body;
  EXPECT_EQ(ErrorCode(first), "DryRunOperation");
  auto second = Ec2(run);
  EXPECT_EQ(second.status, 503) << second.body;
  EXPECT_EQ(ErrorCode(second), "RequestLimitExceeded");
  EXPECT_EQ(client.GetFaults()->stats.throttled, 1);
}

TEST_F(AdminApiTest, BadBodiesRoutesAndMethodsSayWhatIsWrong) {
  CloudAdminClient client = Client();
  auto bad =
      client.Call("PUT", "/_spotkeeper/v1/faults", nlohmann::json{{"ec2", {{"errorRate", 2}}}});
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("errorRate"), std::string::npos);
  bad = client.Call("PUT", "/_spotkeeper/v1/faults",
                    nlohmann::json{{"sqs", nlohmann::json::object()}});
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("sqs"), std::string::npos);
  auto r = Signed("PUT", "/_spotkeeper/v1/faults", "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json(r)["code"], "InvalidArgument");
  auto missing = client.Call("GET", "/_spotkeeper/v1/nope");
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find("/_spotkeeper/v1/faults"), std::string::npos);
  r = Signed("POST", "/_spotkeeper/v1/faults", "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Json(r)["code"], "MethodNotAllowed");
  auto allow = aws::FindHeader(r.headers, "Allow");
  ASSERT_TRUE(allow.has_value());
  EXPECT_EQ(*allow, "DELETE, GET, PUT");
  EXPECT_FALSE(cloud_->faults()->config().enabled());
}

TEST_F(AdminApiTest, TheClientSaysWhenNoCloudServes) {
  auto none = CloudAdminClient::FindCloud((dir_ / "no-cloud-here").string());
  EXPECT_EQ(none.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(none.status().message().find("spotkeeper cloud serve --data-dir"), std::string::npos)
      << none.status().message();
  // cloud.json names an endpoint where nothing listens (the cloud stopped): Unavailable.
  auto target = CloudAdminClient::FindCloud(dir_.string());
  ASSERT_TRUE(target.ok());
  target->endpoint = "http://127.0.0.1:1";
  CloudAdminClient client(&http_, *target);
  auto r = client.GetFaults();
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("no cloud answers at http://127.0.0.1:1"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("is `spotkeeper cloud serve"), std::string::npos);
}

}  // namespace
}  // namespace spotkeeper::cloud
