// MotoTest: a fixture with one moto_server per test binary run (ctest runs each test in its own
// process, so each gets a fresh server on its own port) and a fresh Ec2Provider per test, talking
// to it through the real signed HTTP path (libcurl, SigV4).
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "awsproto/credentials.h"
#include "moto/moto_server.h"
#include "provider/ec2/ec2_provider.h"

namespace spotkeeper {

class MotoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new MotoServer();
    start_status_ = new Status(server_->Start());
  }
  static void TearDownTestSuite() {
    delete server_;  // stops the server
    server_ = nullptr;
    delete start_status_;
    start_status_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(start_status_->ok()) << start_status_->ToString();
    ASSERT_TRUE(server_->Reset().ok());
    provider_ = MakeProvider(BaseConfig());
  }

  static Ec2ProviderConfig BaseConfig() {
    Ec2ProviderConfig c;
    c.region = "us-east-1";
    c.endpoint_url = server_->endpoint();
    c.max_attempts = 2;
    c.events_wait_seconds = 0;
    c.poll_interval = Duration{0};
    return c;
  }

  static std::unique_ptr<Ec2Provider> MakeProvider(Ec2ProviderConfig config) {
    Ec2ProviderDeps deps;
    aws::Credentials c;
    c.access_key_id = "AKIAMOTOTESTING00001";
    c.secret_access_key = "moto-test-secret-do-not-log";
    deps.credentials = std::make_unique<aws::StaticCredentialsProvider>(c);
    deps.seed = 7;
    deps.sleep = [](Duration) {};
    auto p = Ec2Provider::Create(std::move(config), std::move(deps));
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(p).value() : nullptr;
  }

  // A subnet in `az` of moto's default VPC.
  Subnet SubnetIn(const std::string& az) {
    auto subnets = provider_->DescribeSubnets({});
    EXPECT_TRUE(subnets.ok()) << subnets.status().ToString();
    if (subnets.ok()) {
      for (const Subnet& s : *subnets) {
        if (s.availability_zone == az) return s;
      }
    }
    ADD_FAILURE() << "no subnet in " << az;
    return Subnet{};
  }

  // A bootable image of our own: volume -> snapshot -> RegisterImage. "" on failure.
  std::string MakeImage(const std::string& az = "us-east-1a") {
    CreateVolumeRequest v;
    v.availability_zone = az;
    v.size_gib = 8;
    auto vol = provider_->CreateVolume(v);
    EXPECT_TRUE(vol.ok()) << vol.status().ToString();
    if (!vol.ok()) return "";
    auto snap = provider_->CreateSnapshot(CreateSnapshotRequest{vol->id, "base", {}, ""});
    EXPECT_TRUE(snap.ok()) << snap.status().ToString();
    if (!snap.ok()) return "";
    RegisterImageRequest r;
    r.name = "spotkeeper-base";
    r.root_device_name = "/dev/xvda";
    r.block_devices = {{"/dev/xvda", snap->id, 8, true}};
    auto img = provider_->RegisterImage(r);
    EXPECT_TRUE(img.ok()) << img.status().ToString();
    return img.ok() ? img->id : "";
  }

  static MotoServer* server_;
  static Status* start_status_;
  std::unique_ptr<Ec2Provider> provider_;
};

}  // namespace spotkeeper
