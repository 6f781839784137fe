// Random sequences of calls, chaos and time, with the cloud's invariants checked after every
// step and every error required to carry an EC2 error code.
#include <gtest/gtest.h>

#include <tuple>

#include "common/random.h"
#include "provider/fake/fake_cloud_test_util.h"

namespace spotkeeper::testing_fake {
namespace {

class Soak {
 public:
  explicit Soak(uint64_t seed) : rng_(seed), cloud_(&clock_, seed, Options()) {
    image_ = cloud_.AddImage("base");
    for (const Subnet& s : cloud_.subnets()) subnets_.push_back(s.id);
  }

  static FakeCloudOptions Options() {
    FakeCloudOptions o;
    o.throttle = false;
    return o;
  }

  // One random step; returns a description for failure messages.
  std::string Step() {
    switch (rng_.Uniform(16)) {
      case 0:
      case 1:
        return Launch();
      case 2:
        return Call("terminate", cloud_.TerminateInstance(Pick(Instances())));
      case 3:
        return Chaos("interrupt", cloud_.Interrupt(Pick(Instances())));
      case 4:
        return Chaos("kill", cloud_.KillInstance(Pick(Instances())));
      case 5: {
        const char* az[] = {"us-east-1a", "us-east-1b", "us-east-1c"};
        return Call("create volume", cloud_.CreateVolume({az[rng_.Uniform(3)],
                                                          1 + static_cast<int>(rng_.Uniform(20)),
                                                          "",
                                                          "gp3",
                                                          {},
                                                          Token()}));
      }
      case 6: {
        const char* dev[] = {"/dev/sdf", "/dev/sdg", "/dev/sdh"};
        std::string volume = Pick(Volumes()), instance = Pick(Instances());
        if (rng_.Bernoulli(0.8)) {  // mostly a pair that can work: available, running, same AZ
          std::vector<std::pair<std::string, std::string>> pairs;
          std::vector<Instance> running;
          for (const Instance& i : cloud_.AllInstances()) {
            if (i.state == InstanceState::kRunning) running.push_back(i);
          }
          for (const Volume& v : cloud_.AllVolumes()) {
            for (const Instance& i : running) {
              if (v.state == "available" && v.availability_zone == i.availability_zone) {
                pairs.emplace_back(v.id, i.id);
              }
            }
          }
          if (!pairs.empty()) std::tie(volume, instance) = pairs[rng_.Uniform(pairs.size())];
        }
        return Call("attach", cloud_.AttachVolume(volume, instance, dev[rng_.Uniform(3)]));
      }
      case 7:
        return Call("detach", cloud_.DetachVolume(Pick(Volumes()), rng_.Bernoulli(0.5)));
      case 8:
        return Call("delete volume", cloud_.DeleteVolume(Pick(Volumes())));
      case 9:
        return Call("snapshot", cloud_.CreateSnapshot({Pick(Volumes()), "", {}, ""}));
      case 10:
        return Call("delete snapshot", cloud_.DeleteSnapshot(Pick(Snapshots())));
      case 11: {
        std::string snap = Pick(Snapshots());
        return Call("register", cloud_.RegisterImage({"img-" + std::to_string(rng_.Next() % 1000),
                                                      "/dev/xvda",
                                                      {{"/dev/xvda", snap, 0, true}},
                                                      {},
                                                      ""}));
      }
      case 12:
        return Call("deregister", cloud_.DeregisterImage(Pick(Images())));
      case 13: {
        if (rng_.Bernoulli(0.5)) {
          return Call("create eni",
                      cloud_.CreateNetworkInterface({Pick(subnets_), "", "", {}, {}, Token()}));
        }
        return Call("delete eni", cloud_.DeleteNetworkInterface(Pick(Enis())));
      }
      case 14: {
        cloud_.SetSpotCapacity("m5.large", "us-east-1a", static_cast<int>(rng_.Uniform(6)) - 1);
        return "capacity";
      }
      default: {
        clock_.Advance(Duration{static_cast<int64_t>(rng_.Uniform(20'000))});
        Result<std::vector<CloudEvent>> got = cloud_.ReceiveEvents(10);
        std::vector<std::string> receipts;
        if (got.ok()) {
          for (const CloudEvent& e : *got) receipts.push_back(e.receipt);
        }
        if (!receipts.empty() && rng_.Bernoulli(0.8)) {
          EXPECT_TRUE(cloud_.AckEvents(receipts).ok());
        }
        return "time";
      }
    }
  }

  FakeCloud& cloud() { return cloud_; }
  int errors() const { return errors_; }

 private:
  std::string Launch() {
    RunInstanceRequest r;
    r.image_id = image_;
    r.instance_type = "m5.large";
    r.market = rng_.Bernoulli(0.7) ? Market::kSpot : Market::kOnDemand;
    std::vector<std::string> free_enis;
    for (const NetworkInterface& e : cloud_.AllNetworkInterfaces()) {
      if (e.status == "available") free_enis.push_back(e.id);
    }
    if (!free_enis.empty() && rng_.Bernoulli(0.5)) {
      r.network_interface_id = Pick(free_enis);
    } else {
      r.subnet_id = Pick(subnets_);
    }
    r.block_devices = {{"/dev/xvda", 0, "", "gp3", rng_.Bernoulli(0.5)}};
    if (rng_.Bernoulli(0.5)) r.block_devices.push_back({"/dev/sdf", 5, "", "gp3", false});
    r.client_token = Token();
    return Call("launch", cloud_.RunInstance(r));
  }

  std::string Token() {
    // Sometimes reuse a token to exercise idempotency.
    if (!tokens_.empty() && rng_.Bernoulli(0.1)) return Pick(tokens_);
    tokens_.push_back("tok-" + std::to_string(tokens_.size()));
    return tokens_.back();
  }

  template <typename T>
  std::string Call(const std::string& what, const T& result) {
    const Status& s = StatusOf(result);
    if (!s.ok()) {
      ++errors_;
      EXPECT_FALSE(s.cloud_code().empty()) << what << ": " << s.ToString();
      EXPECT_NE(s.code(), Code::kInternal) << what << ": " << s.ToString();
    }
    return what + " " + s.ToString();
  }
  std::string Chaos(const std::string& what, const Status& s) {
    EXPECT_NE(s.code(), Code::kInternal) << what << ": " << s.ToString();
    return what + " " + s.ToString();
  }

  std::string Pick(const std::vector<std::string>& v) {
    return v.empty() ? "x-none" : v[rng_.Uniform(v.size())];
  }
  std::vector<std::string> Instances() {
    std::vector<std::string> ids;
    for (const Instance& i : cloud_.AllInstances()) ids.push_back(i.id);
    return ids;
  }
  std::vector<std::string> Volumes() {
    std::vector<std::string> ids;
    for (const Volume& v : cloud_.AllVolumes()) ids.push_back(v.id);
    return ids;
  }
  std::vector<std::string> Snapshots() {
    std::vector<std::string> ids;
    for (const Snapshot& s : cloud_.AllSnapshots()) ids.push_back(s.id);
    return ids;
  }
  std::vector<std::string> Images() {
    std::vector<std::string> ids;
    for (const Image& i : cloud_.AllImages()) ids.push_back(i.id);
    return ids;
  }
  std::vector<std::string> Enis() {
    std::vector<std::string> ids;
    for (const NetworkInterface& n : cloud_.AllNetworkInterfaces()) ids.push_back(n.id);
    return ids;
  }

  Random rng_;
  FakeClock clock_;
  FakeCloud cloud_;
  std::string image_;
  std::vector<std::string> subnets_;
  std::vector<std::string> tokens_;
  int errors_ = 0;
};

TEST(FakeSoakTest, InvariantsHoldUnderRandomCalls) {
  int errors = 0, instances = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    Soak soak(seed);
    for (int step = 0; step < 400; ++step) {
      std::string what = soak.Step();
      Status s = soak.cloud().CheckInvariants();
      ASSERT_TRUE(s.ok()) << "seed " << seed << " step " << step << " (" << what
                          << "): " << s.ToString();
    }
    errors += soak.errors();
    instances += static_cast<int>(soak.cloud().AllInstances().size());
  }
  // The walk did real work and met real refusals.
  EXPECT_GT(instances, 100);
  EXPECT_GT(errors, 100);
}

}  // namespace

// Breaks the cloud's state behind its back.
class FakeCloudTestPeer {
 public:
  static void SetEniStatus(FakeCloud& c, const std::string& id, const std::string& status) {
    c.enis_.at(id).eni.status = status;
  }
  static void SetVolumeState(FakeCloud& c, const std::string& id, const std::string& state) {
    c.volumes_.at(id).volume.state = state;
  }
  static void DropFromPool(FakeCloud& c, const Instance& i) {
    c.PoolFor(i.market, i.instance_type, i.availability_zone).live.erase(i.id);
  }
  static void SetSpotRequestState(FakeCloud& c, const std::string& id, const std::string& s) {
    c.spot_requests_.at(id).request.state = s;
  }
};

namespace {

class FakeInvariantsTest : public FakeCloudTest {
 protected:
  void ExpectBroken(const std::string& what) {
    Status s = cloud_.CheckInvariants();
    EXPECT_EQ(s.code(), Code::kInternal);
    EXPECT_NE(s.message().find(what), std::string::npos) << s.ToString();
  }
};

TEST_F(FakeInvariantsTest, NoticesAnAvailableButAttachedInterface) {
  Instance i = Launch();
  SK_ASSERT_OK(cloud_.CheckInvariants());
  FakeCloudTestPeer::SetEniStatus(cloud_, i.network_interfaces[0].network_interface_id,
                                  "available");
  ExpectBroken("available but attached");
  FakeCloudTestPeer::SetEniStatus(cloud_, i.network_interfaces[0].network_interface_id, "in-use");
}

TEST_F(FakeInvariantsTest, NoticesAVolumeStateThatContradictsItsAttachment) {
  Instance i = Launch();
  FakeCloudTestPeer::SetVolumeState(cloud_, i.block_devices[0].volume_id, "available");
  ExpectBroken("but attached");
  FakeCloudTestPeer::SetVolumeState(cloud_, i.block_devices[0].volume_id, "in-use");
}

TEST_F(FakeInvariantsTest, NoticesPoolAndSpotRequestDrift) {
  Instance i = Launch(Market::kSpot);
  FakeCloudTestPeer::DropFromPool(cloud_, i);
  ExpectBroken("pool membership");
  SK_ASSERT_OK(cloud_.TerminateInstance(i.id));
  Settle(Duration{10'000});
  SK_ASSERT_OK(cloud_.CheckInvariants());  // terminated: out of the pool anyway
  FakeCloudTestPeer::SetSpotRequestState(cloud_, i.spot_request_id, "active");
  ExpectBroken(i.spot_request_id);
  FakeCloudTestPeer::SetSpotRequestState(cloud_, i.spot_request_id, "closed");
}

}  // namespace
}  // namespace spotkeeper::testing_fake
