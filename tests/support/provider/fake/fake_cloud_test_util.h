// Test helpers for the fake cloud's tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "provider/fake/fake_cloud.h"

namespace spotkeeper::testing_fake {

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

#define SK_ASSERT_OK(expr)                                                             \
  do {                                                                                 \
    const auto& sk_r_ = (expr);                                                        \
    ASSERT_TRUE(sk_r_.ok()) << ::spotkeeper::testing_fake::StatusOf(sk_r_).ToString(); \
  } while (0)

#define SK_EXPECT_OK(expr)                                                             \
  do {                                                                                 \
    const auto& sk_r_ = (expr);                                                        \
    EXPECT_TRUE(sk_r_.ok()) << ::spotkeeper::testing_fake::StatusOf(sk_r_).ToString(); \
  } while (0)

// Expects `expr` to fail with this canonical code and EC2 error code.
#define SK_EXPECT_ERROR(expr, want_code, want_cloud_code)                            \
  do {                                                                               \
    const auto& sk_r_ = (expr);                                                      \
    const ::spotkeeper::Status& sk_s_ = ::spotkeeper::testing_fake::StatusOf(sk_r_); \
    EXPECT_EQ(sk_s_.code(), want_code) << sk_s_.ToString();                          \
    EXPECT_EQ(sk_s_.cloud_code(), want_cloud_code) << sk_s_.ToString();              \
  } while (0)

// A cloud on a fake clock with throttling off and one public base image.
class FakeCloudTest : public ::testing::Test {
 protected:
  explicit FakeCloudTest(FakeCloudOptions options = Unthrottled(), uint64_t seed = 42)
      : cloud_(&clock_, seed, std::move(options)) {
    image_ = cloud_.AddImage("debian-12", 8);
    subnet_a_ = SubnetIn("us-east-1a");
  }

  // Every test ends with a consistent cloud.
  void TearDown() override {
    Status s = cloud_.CheckInvariants();
    EXPECT_TRUE(s.ok()) << s.ToString();
  }

  static FakeCloudOptions Unthrottled() {
    FakeCloudOptions o;
    o.throttle = false;
    return o;
  }

  std::string SubnetIn(const std::string& az) {
    for (const Subnet& s : cloud_.subnets()) {
      if (s.availability_zone == az) return s.id;
    }
    return "";
  }

  // Moves the clock forward by `d` and applies what is due.
  void Advance(Duration d) {
    clock_.Advance(d);
    cloud_.Process();
  }

  // Jumps from transition to transition until nothing is due within `horizon` from now.
  void Settle(Duration horizon = Duration{600'000}) {
    const Time deadline = clock_.Now() + horizon;
    for (Time next = cloud_.NextTransitionTime(); next <= deadline;
         next = cloud_.NextTransitionTime()) {
      if (next > clock_.Now()) clock_.Set(next);
      cloud_.Process();
    }
    clock_.Set(deadline);
    cloud_.Process();
  }

  RunInstanceRequest LaunchRequest(Market market = Market::kOnDemand,
                                   const std::string& token = "") {
    RunInstanceRequest r;
    r.image_id = image_;
    r.instance_type = "m5.large";
    r.market = market;
    r.subnet_id = subnet_a_;
    r.client_token = token;
    return r;
  }

  Instance Launch(Market market = Market::kOnDemand, const std::string& token = "") {
    Result<Instance> r = cloud_.RunInstance(LaunchRequest(market, token));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Instance{};
  }

  Instance Get(const std::string& instance_id) {
    for (const Instance& i : cloud_.AllInstances()) {
      if (i.id == instance_id) return i;
    }
    ADD_FAILURE() << "no instance " << instance_id;
    return {};
  }
  Volume GetVolume(const std::string& id) {
    for (const Volume& v : cloud_.AllVolumes()) {
      if (v.id == id) return v;
    }
    ADD_FAILURE() << "no volume " << id;
    return {};
  }
  NetworkInterface GetEni(const std::string& id) {
    for (const NetworkInterface& n : cloud_.AllNetworkInterfaces()) {
      if (n.id == id) return n;
    }
    ADD_FAILURE() << "no ENI " << id;
    return {};
  }
  Snapshot GetSnapshot(const std::string& id) {
    for (const Snapshot& s : cloud_.AllSnapshots()) {
      if (s.id == id) return s;
    }
    ADD_FAILURE() << "no snapshot " << id;
    return {};
  }
  Image GetImage(const std::string& id) {
    for (const Image& i : cloud_.AllImages()) {
      if (i.id == id) return i;
    }
    ADD_FAILURE() << "no image " << id;
    return {};
  }

  // Every event queued so far (received and acknowledged at once).
  std::vector<CloudEvent> DrainEvents() {
    std::vector<CloudEvent> all;
    for (;;) {
      Result<std::vector<CloudEvent>> got = cloud_.ReceiveEvents(10);
      EXPECT_TRUE(got.ok()) << got.status().ToString();
      if (!got.ok() || got->empty()) return all;
      std::vector<std::string> receipts;
      for (const CloudEvent& e : *got) receipts.push_back(e.receipt);
      EXPECT_TRUE(cloud_.AckEvents(receipts).ok());
      all.insert(all.end(), got->begin(), got->end());
    }
  }

  FakeClock clock_;
  FakeCloud cloud_;
  std::string image_;
  std::string subnet_a_;
};

}  // namespace spotkeeper::testing_fake
