// LocalCloudProviderTest: an in-process local cloud (FakeHostDriver, free loopback port, worker
// threads) and spotkeeper's own Ec2Provider pointed at it through the real signed HTTP path.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "awsproto/credentials.h"
#include "cloud/api/local_cloud.h"
#include "cloud/host/fake/fake_host_driver.h"
#include "provider/ec2/ec2_provider.h"

namespace spotkeeper {

class LocalCloudProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sk_cloud_provider_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    cloud::LocalCloudOptions o;
    o.data_dir = dir_.string();
    o.port = 0;
    o.imds = false;
    o.engine.worker_threads = 2;
    o.engine.watch_interval = std::chrono::milliseconds(50);
    o.engine.stop_grace = std::chrono::seconds(1);
    auto c = cloud::LocalCloud::Start(o, &driver_);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cloud_ = std::move(c).value();

    Ec2ProviderConfig config;
    config.region = cloud_->region();
    config.endpoint_url = cloud_->endpoint();
    config.events_queue_url = cloud_->events_queue_url();
    config.events_wait_seconds = 0;
    config.max_attempts = 2;
    Ec2ProviderDeps deps;
    aws::Credentials creds;
    creds.access_key_id = cloud_->access_key().access_key_id;
    creds.secret_access_key = cloud_->access_key().secret_access_key;
    deps.credentials = std::make_unique<aws::StaticCredentialsProvider>(creds);
    deps.seed = 5;
    deps.sleep = [](Duration) {};
    auto p = Ec2Provider::Create(config, std::move(deps));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    provider_ = std::move(p).value();
  }
  void TearDown() override {
    provider_.reset();
    cloud_.reset();
    std::filesystem::remove_all(dir_);
  }

  bool Settle() { return cloud_->engine()->WaitIdle(std::chrono::seconds(10)); }

  std::filesystem::path dir_;
  cloud::FakeHostDriver driver_;
  std::unique_ptr<cloud::LocalCloud> cloud_;
  std::unique_ptr<Ec2Provider> provider_;
};

}  // namespace spotkeeper
