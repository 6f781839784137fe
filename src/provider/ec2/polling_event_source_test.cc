#include "provider/ec2/polling_event_source.h"

#include <gtest/gtest.h>

namespace spotkeeper {
namespace {

// Answers only what polling asks; everything else is Unimplemented.
class StubCloud final : public CloudProvider {
 public:
  std::vector<SpotInstanceRequest> requests;
  std::vector<Instance> instances;
  Status fail;
  std::vector<Filter> instance_filters;
  int polls = 0;

  std::string Name() const override { return "stub"; }
  Result<std::vector<SpotInstanceRequest>> DescribeSpotInstanceRequests(const Filter&) override {
    ++polls;
    if (!fail.ok()) return fail;
    return requests;
  }
  Result<std::vector<Instance>> DescribeInstances(const Filter& f) override {
    instance_filters.push_back(f);
    return instances;
  }

  Result<Instance> RunInstance(const RunInstanceRequest&) override { return No(); }
  Status TerminateInstance(const std::string&) override { return No(); }
  Result<std::vector<InstanceStatus>> DescribeInstanceStatus(
      const std::vector<std::string>&) override {
    return No();
  }
  Result<Volume> CreateVolume(const CreateVolumeRequest&) override { return No(); }
  Status AttachVolume(const std::string&, const std::string&, const std::string&) override {
    return No();
  }
  Status DetachVolume(const std::string&, bool) override { return No(); }
  Status DeleteVolume(const std::string&) override { return No(); }
  Result<std::vector<Volume>> DescribeVolumes(const Filter&) override { return No(); }
  Result<Snapshot> CreateSnapshot(const CreateSnapshotRequest&) override { return No(); }
  Status DeleteSnapshot(const std::string&) override { return No(); }
  Result<std::vector<Snapshot>> DescribeSnapshots(const Filter&) override { return No(); }
  Result<Image> RegisterImage(const RegisterImageRequest&) override { return No(); }
  Result<Image> CreateImage(const CreateImageRequest&) override { return No(); }
  Status DeregisterImage(const std::string&) override { return No(); }
  Result<std::vector<Image>> DescribeImages(const Filter&) override { return No(); }
  Result<NetworkInterface> CreateNetworkInterface(const CreateNetworkInterfaceRequest&) override {
    return No();
  }
  Status DeleteNetworkInterface(const std::string&) override { return No(); }
  Result<std::vector<NetworkInterface>> DescribeNetworkInterfaces(const Filter&) override {
    return No();
  }
  Status SetNetworkInterfaceDeleteOnTermination(const std::string&, bool) override { return No(); }
  Status CreateTags(const std::vector<std::string>&, const Tags&) override { return No(); }
  Status DeleteTags(const std::vector<std::string>&, const std::vector<std::string>&) override {
    return No();
  }
  Result<std::vector<SpotPrice>> DescribeSpotPriceHistory(
      const std::vector<std::string>&, const std::vector<std::string>&) override {
    return No();
  }
  Result<std::vector<AvailabilityZone>> DescribeAvailabilityZones() override { return No(); }
  Result<std::vector<Subnet>> DescribeSubnets(const std::vector<std::string>&) override {
    return No();
  }
  Result<std::vector<CloudEvent>> ReceiveEvents(int) override { return No(); }
  Status AckEvents(const std::vector<std::string>&) override { return No(); }
  Status ProbeServing(const std::string&, const std::string&, const ServingProbe&,
                      Duration) override {
    return No();
  }

 private:
  static Status No() { return Unimplemented("stub"); }
};

Instance Inst(const std::string& id, InstanceState s) {
  Instance i;
  i.id = id;
  i.state = s;
  return i;
}

class PollingTest : public ::testing::Test {
 protected:
  PollingTest() : source_(&cloud_, &clock_, Options()) {}
  static PollingEventSourceOptions Options() {
    PollingEventSourceOptions o;
    o.poll_interval = std::chrono::seconds(10);
    o.visibility_timeout = std::chrono::seconds(30);
    return o;
  }
  std::vector<CloudEvent> Receive(int max = 10) {
    auto r = source_.Receive(max);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<CloudEvent>();
  }

  StubCloud cloud_;
  FakeClock clock_;
  PollingEventSource source_;
};

TEST_F(PollingTest, FirstSightingOnlyRecordsThenChangesAreEvents) {
  cloud_.instances = {Inst("i-1", InstanceState::kRunning), Inst("i-2", InstanceState::kPending)};
  EXPECT_TRUE(Receive().empty());
  ASSERT_EQ(cloud_.instance_filters.size(), 1u);
  EXPECT_EQ(cloud_.instance_filters[0].tags, (Tags{{kTagGroup, ""}}));

  cloud_.instances = {Inst("i-1", InstanceState::kShuttingDown),
                      Inst("i-2", InstanceState::kPending)};
  clock_.Advance(std::chrono::seconds(10));
  std::vector<CloudEvent> events = Receive();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, CloudEventKind::kInstanceStateChange);
  EXPECT_EQ(events[0].instance_id, "i-1");
  EXPECT_EQ(events[0].state, "shutting-down");
  EXPECT_EQ(events[0].time, clock_.Now());
  EXPECT_EQ(events[0].receipt, events[0].id);
}

TEST_F(PollingTest, PollsAtMostOncePerInterval) {
  Receive();
  Receive();
  EXPECT_EQ(cloud_.polls, 1);
  clock_.Advance(std::chrono::seconds(9));
  Receive();
  EXPECT_EQ(cloud_.polls, 1);
  clock_.Advance(std::chrono::seconds(1));
  Receive();
  EXPECT_EQ(cloud_.polls, 2);
}

TEST_F(PollingTest, SpotStatusCodesBecomeInterruptionWarningsOnce) {
  SpotInstanceRequest r;
  r.id = "sir-1";
  r.instance_id = "i-1";
  r.state = "active";
  r.status_code = "fulfilled";
  cloud_.requests = {r};
  EXPECT_TRUE(Receive().empty());
  clock_.Advance(std::chrono::seconds(10));
  cloud_.requests[0].status_code = "marked-for-termination";
  std::vector<CloudEvent> events = Receive();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, CloudEventKind::kSpotInterruptionWarning);
  EXPECT_EQ(events[0].instance_id, "i-1");
  EXPECT_EQ(events[0].instance_action, "terminate");
  EXPECT_EQ(events[0].action_time, clock_.Now() + std::chrono::minutes(2));
  ASSERT_TRUE(source_.Ack({events[0].receipt}).ok());
  clock_.Advance(std::chrono::seconds(10));
  EXPECT_TRUE(Receive().empty());  // the same status is not reported twice
  cloud_.requests[0].status_code = "marked-for-stop";
  clock_.Advance(std::chrono::seconds(10));
  events = Receive();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].instance_action, "stop");
}

TEST_F(PollingTest, UnackedEventsComeBackAfterTheVisibilityTimeout) {
  cloud_.instances = {Inst("i-1", InstanceState::kRunning)};
  Receive();
  cloud_.instances = {Inst("i-1", InstanceState::kTerminated)};
  clock_.Advance(std::chrono::seconds(10));
  std::vector<CloudEvent> first = Receive();
  ASSERT_EQ(first.size(), 1u);
  clock_.Advance(std::chrono::seconds(29));
  EXPECT_TRUE(Receive().empty());
  clock_.Advance(std::chrono::seconds(1));
  std::vector<CloudEvent> again = Receive();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, first[0].id);
  ASSERT_TRUE(source_.Ack({again[0].receipt, "unknown-receipt"}).ok());
  clock_.Advance(std::chrono::seconds(60));
  EXPECT_TRUE(Receive().empty());
}

TEST_F(PollingTest, MaxLimitsDelivery) {
  cloud_.instances = {Inst("a", InstanceState::kRunning), Inst("b", InstanceState::kRunning),
                      Inst("c", InstanceState::kRunning)};
  Receive();
  for (auto& i : cloud_.instances) i.state = InstanceState::kStopping;
  clock_.Advance(std::chrono::seconds(10));
  EXPECT_EQ(Receive(2).size(), 2u);
  EXPECT_EQ(Receive(2).size(), 1u);
  EXPECT_TRUE(Receive(2).empty());
}

TEST_F(PollingTest, ErrorsPropagate) {
  cloud_.fail = Status(Code::kResourceExhausted, "slow down", "RequestLimitExceeded");
  auto r = source_.Receive(10);
  EXPECT_EQ(r.status().cloud_code(), "RequestLimitExceeded");
}

}  // namespace
}  // namespace spotkeeper
