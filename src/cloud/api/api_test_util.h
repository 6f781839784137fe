// CloudApiTest: a LocalCloud on a FakeHostDriver, listening on a free loopback port, with a
// signed HTTP client (libcurl + awsproto's SigV4 signer) for EC2 Query and SQS calls.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "awsproto/ec2_xml.h"
#include "awsproto/query_params.h"
#include "awsproto/sigv4.h"
#include "cloud/api/local_cloud.h"
#include "cloud/host/fake/fake_host_driver.h"
#include "provider/ec2/curl_http_client.h"

namespace spotkeeper::cloud {

class CloudApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sk_cloud_api_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    LocalCloudOptions o;
    o.data_dir = dir_.string();
    o.port = 0;
    o.engine.worker_threads = 2;
    o.engine.watch_interval = std::chrono::milliseconds(50);
    o.engine.stop_grace = std::chrono::seconds(1);
    o.engine.seed = 11;
    o.imds_options.bind_host = "127.0.0.1";
    o.imds_options.port = 0;
    o.imds_options.source_of = [this](const std::string&, const std::string&) {
      return imds_source_;
    };
    Customize(o);
    auto c = LocalCloud::Start(o, &driver_);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cloud_ = std::move(c).value();
    creds_.access_key_id = cloud_->access_key().access_key_id;
    creds_.secret_access_key = cloud_->access_key().secret_access_key;
  }
  void TearDown() override {
    cloud_.reset();
    std::filesystem::remove_all(dir_);
  }
  virtual void Customize(LocalCloudOptions&) {}

  // A signed EC2 Query call (POST form body).
  aws::HttpResponse Ec2(const aws::QueryParams& params, const aws::Credentials* creds = nullptr,
                        const std::string& service = "ec2") {
    aws::HttpRequest req;
    req.method = "POST";
    req.url = cloud_->endpoint() + "/";
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    req.body = params.Encode();
    return Send(req, creds, service);
  }
  aws::HttpResponse Sqs(const std::string& action, const nlohmann::json& body,
                        const aws::Credentials* creds = nullptr) {
    aws::HttpRequest req;
    req.method = "POST";
    req.url = cloud_->endpoint() + "/";
    req.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                   {"X-Amz-Target", "AmazonSQS." + action}};
    req.body = body.dump();
    req.timeout = std::chrono::seconds(30);
    return Send(req, creds, "sqs");
  }
  aws::HttpResponse Send(aws::HttpRequest req, const aws::Credentials* creds,
                         const std::string& service) {
    aws::Sigv4Signer signer("local-1", service);
    EXPECT_TRUE(
        signer.Sign(req, creds != nullptr ? *creds : creds_, SystemClock::Default()->Now()).ok());
    auto res = http_.Send(req);
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    return res.ok() ? *res : aws::HttpResponse{};
  }
  // The parsed body; the document lives as long as the test, so nodes taken from it stay valid.
  std::shared_ptr<pugi::xml_document> Xml(const aws::HttpResponse& r) {
    auto doc = aws::ParseXml(r.body);
    EXPECT_TRUE(doc.ok()) << r.body;
    kept_.push_back(doc.ok() ? *doc : std::make_shared<pugi::xml_document>());
    return kept_.back();
  }
  std::string ErrorCode(const aws::HttpResponse& r) {
    return aws::XmlText(Xml(r)->document_element(), "Errors/Error/Code");
  }

  std::filesystem::path dir_;
  FakeHostDriver driver_;
  std::unique_ptr<LocalCloud> cloud_;
  aws::Credentials creds_;
  CurlHttpClient http_;
  std::string imds_source_;
  std::vector<std::shared_ptr<pugi::xml_document>> kept_;
};

}  // namespace spotkeeper::cloud
