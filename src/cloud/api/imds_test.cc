#include <gtest/gtest.h>
#include <httplib.h>

#include "cloud/api/api_test_util.h"
#include "cloud/api/imds_handler.h"
#include "common/http_body_guard.h"
#include "common/raw_http_test_util.h"

namespace spotkeeper::cloud {
namespace {

class ImdsTest : public CloudApiTest {
 protected:
  std::string Launch() {
    RunInstancesRequest r;
    r.image_id = kBaseImageId;
    r.instance_type = "t3.small";
    r.min_count = r.max_count = 1;
    r.availability_zone = "local-1b";
    r.user_data = "#!/bin/sh\necho hi\n";
    r.block_devices = {{"/dev/sdf", 1, true, "", "", 0, 0, false, ""}};
    r.tag_specs = {{"instance", {{"Name", "db-1"}, {"team", "data"}}}};
    auto res = cloud_->engine()->RunInstances(r);
    EXPECT_TRUE(res.ok());
    EXPECT_TRUE(cloud_->engine()->WaitIdle(std::chrono::seconds(10)));
    ip_ = res->instances[0].instance.private_ip;
    vpc_ = res->instances[0].instance.vpc_id;
    return res->instances[0].instance.id;
  }
  ApiReply Get(const std::string& path, aws::HeaderList headers = {}) {
    return cloud_->imds_handler()->Handle(vpc_, ip_, "GET", path, headers);
  }
  std::string ip_, vpc_;
};

TEST_F(ImdsTest, Version1AnswersTheCallersMetadata) {
  std::string id = Launch();
  EXPECT_EQ(Get("/latest/meta-data/instance-id").body, id);
  EXPECT_EQ(Get("/latest/meta-data/local-ipv4").body, ip_);
  EXPECT_EQ(Get("/latest/meta-data/instance-type").body, "t3.small");
  EXPECT_EQ(Get("/latest/meta-data/placement/availability-zone").body, "local-1b");
  EXPECT_EQ(Get("/latest/meta-data/mac").body, cloud_->engine()->FindInstance(id)->eni->mac);
  EXPECT_EQ(Get("/latest/meta-data/block-device-mapping/").body, "ami\nebs1\nroot");
  EXPECT_EQ(Get("/latest/meta-data/block-device-mapping/ebs1").body, "sdf");
  EXPECT_EQ(Get("/latest/meta-data/block-device-mapping/root").body, "/dev/xvda");
  EXPECT_EQ(Get("/latest/meta-data/tags/instance/").body, "Name\nteam");
  EXPECT_EQ(Get("/latest/meta-data/tags/instance/Name").body, "db-1");
  EXPECT_EQ(Get("/latest/meta-data/hostname").body,
            "ip-" + std::string("10-0-2-4") + ".local-1.compute.internal");
  EXPECT_EQ(Get("/latest/user-data").body, "#!/bin/sh\necho hi\n");
  EXPECT_NE(Get("/latest/dynamic/instance-identity/document").body.find(id), std::string::npos);
  // The spot market's paths: nothing pending.
  EXPECT_EQ(Get("/latest/meta-data/spot/instance-action").status, 404);
  EXPECT_EQ(Get("/latest/meta-data/events/recommendations/rebalance").status, 404);
  EXPECT_EQ(Get("/latest/meta-data/nonsense").status, 404);
  // Another address in the VPC is no instance.
  EXPECT_EQ(cloud_->imds_handler()
                ->Handle(vpc_, "10.0.2.99", "GET", "/latest/meta-data/instance-id", {})
                .status,
            404);
}

TEST_F(ImdsTest, Version2TokensAndTheSpotHook) {
  std::string id = Launch();
  ImdsHandler* h = cloud_->imds_handler();
  EXPECT_EQ(h->Handle(vpc_, ip_, "PUT", "/latest/api/token", {}).status, 400);  // no TTL
  EXPECT_EQ(h->Handle(vpc_, ip_, "PUT", "/latest/api/token",
                      {{"X-aws-ec2-metadata-token-ttl-seconds", "21601"}})
                .status,
            400);
  ApiReply token = h->Handle(vpc_, ip_, "PUT", "/latest/api/token",
                             {{"X-aws-ec2-metadata-token-ttl-seconds", "60"}});
  ASSERT_EQ(token.status, 200);
  EXPECT_EQ(Get("/latest/meta-data/instance-id", {{"X-aws-ec2-metadata-token", token.body}}).body,
            id);
  EXPECT_EQ(Get("/latest/meta-data/instance-id", {{"X-aws-ec2-metadata-token", "bogus"}}).status,
            401);
  h->SetExtraPaths(
      [&](const std::string& instance, const std::string& path) -> std::optional<std::string> {
        if (instance == id && path == "spot/instance-action") {
          return R"({"action":"terminate","time":"2026-01-01T00:02:00Z"})";
        }
        return std::nullopt;
      });
  EXPECT_EQ(Get("/latest/meta-data/spot/instance-action").status, 200);
  EXPECT_EQ(Get("/latest/meta-data/events/recommendations/rebalance").status, 404);
}

TEST_F(ImdsTest, LiveTokensAreCapped) {
  std::string id = Launch();
  ImdsHandler* h = cloud_->imds_handler();
  const aws::HeaderList ttl = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
  std::string first;
  for (size_t i = 0; i < kMaxImdsTokens; ++i) {
    ApiReply r = h->Handle(vpc_, ip_, "PUT", "/latest/api/token", ttl);
    ASSERT_EQ(r.status, 200) << i;
    if (i == 0) first = r.body;
  }
  EXPECT_EQ(h->Handle(vpc_, ip_, "PUT", "/latest/api/token", ttl).status, 429);
  // The tokens handed out still work; a near miss of one does not.
  EXPECT_EQ(Get("/latest/meta-data/instance-id", {{"X-aws-ec2-metadata-token", first}}).body, id);
  std::string near = first;
  near.back() = near.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(Get("/latest/meta-data/instance-id", {{"X-aws-ec2-metadata-token", near}}).status, 401);
}

TEST_F(ImdsTest, ServedPerVpcOverHttp) {
  std::string id = Launch();
  int port = cloud_->imds()->PortFor(vpc_);
  ASSERT_GT(port, 0);  // started when the default VPC became available
  imds_source_ = ip_;  // loopback stands in for the instance's address in tests
  httplib::Client client("127.0.0.1", port);
  auto token = client.Put("/latest/api/token",
                          httplib::Headers{{"X-aws-ec2-metadata-token-ttl-seconds", "30"}}, "",
                          "text/plain");
  ASSERT_TRUE(token);
  ASSERT_EQ(token->status, 200);
  auto r = client.Get("/latest/meta-data/instance-id",
                      httplib::Headers{{"X-aws-ec2-metadata-token", token->body}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, id);
  EXPECT_EQ(client.Get("/latest/meta-data/spot/instance-action")->status, 404);
}

TEST_F(ImdsTest, TooManyHeadersOrQueryParametersAreRefused) {
  Launch();
  int port = cloud_->imds()->PortFor(vpc_);
  ASSERT_GT(port, 0);
  imds_source_ = ip_;
  std::string pad;
  for (size_t i = 0; i + 1 < http::kMaxRequestHeaders; ++i) {
    pad += "X-Pad-" + std::to_string(i) + ": v\r\n";
  }
  std::string get = "GET /latest/meta-data/instance-id HTTP/1.1\r\nHost: 169.254.169.254\r\n";
  EXPECT_EQ(testing::SendRaw(port, get + pad + "\r\n", 0, false).status(), 200);
  auto r = testing::SendRaw(port, get + pad + "X-One: more\r\n\r\n", 0, false);
  EXPECT_EQ(r.status(), 431) << r.response;
  std::string query = "GET /latest/meta-data/instance-id?a0=1";
  for (int i = 1; i <= 16; ++i) query += "&a" + std::to_string(i) + "=1";
  r = testing::SendRaw(port, query + " HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n", 0, false);
  EXPECT_EQ(r.status(), 400) << r.response;
}

TEST_F(ImdsTest, BodiesAreCappedAtAFewKiB) {
  Launch();
  int port = cloud_->imds()->PortFor(vpc_);
  ASSERT_GT(port, 0);
  imds_source_ = ip_;
  std::string head =
      "PUT /latest/api/token HTTP/1.1\r\nHost: 169.254.169.254\r\n"
      "X-aws-ec2-metadata-token-ttl-seconds: 30\r\n";
  auto r = testing::SendRaw(port, head + "Content-Length: 67108864\r\n\r\n", 64 << 20, false);
  EXPECT_EQ(r.status(), 413) << r.response;
  EXPECT_LT(r.body_sent, size_t{16} << 20);
  r = testing::SendRaw(port, head + "Transfer-Encoding: chunked\r\n\r\n", 64 << 20, true);
  EXPECT_EQ(r.status(), 413) << r.response;
  EXPECT_LT(r.body_sent, size_t{16} << 20);
  EXPECT_TRUE(r.closed);
  // `curl -X PUT` sends no Content-Length: a token at once (httplib 0.11 alone would wait for
  // the body until its read timeout).
  r = testing::SendRaw(port, head + "Connection: close\r\n\r\n", 0, false);
  EXPECT_EQ(r.status(), 200) << r.response;
  EXPECT_FALSE(r.body().empty());
}

}  // namespace
}  // namespace spotkeeper::cloud
