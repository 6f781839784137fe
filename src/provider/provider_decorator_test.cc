#include "provider/provider_decorator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "provider/fake/fake_cloud.h"
#include "provider/forwarding_provider.h"

namespace spotkeeper {
namespace {

// Records what goes through the hooks; refuses or replaces what it is told to.
class RecordingDecorator final : public ProviderDecorator {
 public:
  explicit RecordingDecorator(CloudProvider* inner) : ProviderDecorator(inner) {}

  std::vector<std::string> admitted, observed;
  std::string refuse;   // Admit refuses this action
  std::string replace;  // Observe turns this action's result into an error

 protected:
  Status Admit(const char* action) override {
    admitted.push_back(action);
    if (refuse == action) return Status(Code::kResourceExhausted, "refused", "ClientThrottled");
    return OkStatus();
  }
  Status Observe(const char* action, const Status& status) override {
    observed.push_back(action);
    if (replace == action) return Status(Code::kUnavailable, "replaced", "RequestTimeout");
    return status;
  }
};

FakeCloudOptions Unthrottled() {
  FakeCloudOptions o;
  o.throttle = false;
  return o;
}

// Calls every CloudProvider method once, in CloudProvider's order.
void CallEveryMethod(CloudProvider& p) {
  RunInstanceRequest run;
  run.image_id = "ami-00000000000000000";
  run.instance_type = "m5.large";
  (void)p.RunInstance(run);
  (void)p.TerminateInstance("i-0");
  (void)p.DescribeInstances({});
  (void)p.DescribeInstanceStatus({});
  (void)p.CreateVolume(CreateVolumeRequest{"us-east-1a", 1, "", "gp3", {}, "t"});
  (void)p.AttachVolume("vol-0", "i-0", "/dev/sdf");
  (void)p.DetachVolume("vol-0", false);
  (void)p.DeleteVolume("vol-0");
  (void)p.DescribeVolumes({});
  (void)p.CreateSnapshot(CreateSnapshotRequest{"vol-0", "", {}, ""});
  (void)p.DeleteSnapshot("snap-0");
  (void)p.DescribeSnapshots({});
  (void)p.RegisterImage(RegisterImageRequest{});
  (void)p.CreateImage(CreateImageRequest{});
  (void)p.DeregisterImage("ami-0");
  (void)p.DescribeImages({});
  (void)p.CreateNetworkInterface(CreateNetworkInterfaceRequest{});
  (void)p.DeleteNetworkInterface("eni-0");
  (void)p.DescribeNetworkInterfaces({});
  (void)p.SetNetworkInterfaceDeleteOnTermination("eni-0", true);
  (void)p.CreateTags({"vol-0"}, {{"a", "b"}});
  (void)p.DeleteTags({"vol-0"}, {"a"});
  (void)p.DescribeSpotInstanceRequests({});
  (void)p.DescribeSpotPriceHistory({"m5.large"}, {"us-east-1a"});
  (void)p.DescribeAvailabilityZones();
  (void)p.DescribeSubnets({});
  (void)p.ReceiveEvents(10);
  (void)p.AckEvents({});
  ServingProbe probe;
  probe.port = 2379;
  (void)p.ProbeServing("i-0", "10.0.1.5", probe, Duration{1000});
}

TEST(ProviderDecoratorTest, EveryMethodGoesThroughBothHooksUnderItsEc2ActionName) {
  FakeClock clock;
  FakeCloud cloud(&clock, 1, Unthrottled());
  RecordingDecorator d(&cloud);
  CallEveryMethod(d);
  EXPECT_EQ(d.admitted, action::All());
  EXPECT_EQ(d.observed, action::All());
  // The fake cloud names its calls the same way: every action reached it once.
  auto calls = cloud.stats().calls;
  std::vector<std::string> reached;
  for (const auto& [name, n] : calls) {
    EXPECT_EQ(n, 1) << name;
    reached.push_back(name);
  }
  std::vector<std::string> all = action::All();
  std::sort(all.begin(), all.end());
  EXPECT_EQ(reached, all);
  EXPECT_EQ(d.Name(), "fake");
}

TEST(ProviderDecoratorTest, ARefusedCallIsNotMadeAndNotObserved) {
  FakeClock clock;
  FakeCloud cloud(&clock, 1, Unthrottled());
  RecordingDecorator d(&cloud);
  d.refuse = action::kDescribeVolumes;
  auto r = d.DescribeVolumes({});
  EXPECT_EQ(r.status().cloud_code(), "ClientThrottled");
  EXPECT_EQ(cloud.stats().calls.count("DescribeVolumes"), 0u);
  EXPECT_TRUE(d.observed.empty());
  Status s = d.DeleteVolume("vol-0");  // other actions go through
  EXPECT_EQ(s.code(), Code::kNotFound) << s.ToString();
  EXPECT_EQ(d.observed, std::vector<std::string>{"DeleteVolume"});
}

TEST(ProviderDecoratorTest, ObserveReplacesASuccessButKeepsAFailuresOwnError) {
  FakeClock clock;
  FakeCloud cloud(&clock, 1, Unthrottled());
  RecordingDecorator d(&cloud);
  d.replace = action::kCreateVolume;
  auto v = d.CreateVolume(CreateVolumeRequest{"us-east-1a", 1, "", "gp3", {}, "tok"});
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().cloud_code(), "RequestTimeout");
  EXPECT_EQ(cloud.AllVolumes().size(), 1u) << "the call was made";

  // A decorator whose Observe returns OK for a failed call does not make it succeed.
  class Forgiving final : public ProviderDecorator {
   public:
    using ProviderDecorator::ProviderDecorator;

   protected:
    Status Observe(const char*, const Status&) override { return OkStatus(); }
  } forgiving(&cloud);
  auto bad = forgiving.DescribeVolumes(Filter{{"vol-nope"}, {}, {}, ""});
  auto direct = cloud.DescribeVolumes(Filter{{"vol-nope"}, {}, {}, ""});
  EXPECT_EQ(bad.ok(), direct.ok());
  EXPECT_EQ(bad.status().code(), direct.status().code());
  Status del = forgiving.DeleteVolume("vol-nope");
  EXPECT_EQ(del.code(), Code::kNotFound) << del.ToString();
}

// Keeps what Logged sees.
class LoggingDecorator final : public ProviderDecorator {
 public:
  LoggingDecorator(CloudProvider* inner, bool on) : ProviderDecorator(inner) { set_logs_calls(on); }
  std::vector<ProviderCall> calls;

 protected:
  void Logged(const ProviderCall& call) override { calls.push_back(call); }
};

TEST(ProviderDecoratorTest, LoggedSeesTargetResultAndTimesOfMadeCallsOnlyWhenAskedFor) {
  FakeClock clock;
  FakeCloud cloud(&clock, 1, Unthrottled());
  LoggingDecorator off(&cloud, false);
  (void)off.DescribeVolumes({});
  EXPECT_TRUE(off.calls.empty());

  LoggingDecorator d(&cloud, true);
  auto v = d.CreateVolume(CreateVolumeRequest{"us-east-1a", 1, "", "gp3", {}, "tok"});
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  Status gone = d.DeleteVolume("vol-nope");
  EXPECT_FALSE(gone.ok());
  ASSERT_TRUE(d.CreateTags({v->id}, {{"k", "v"}}).ok());
  RunInstanceRequest run;
  run.image_id = cloud.AddImage("debian-12", 8);
  run.instance_type = "m5.large";
  run.subnet_id = cloud.subnets().front().id;
  auto inst = cloud.RunInstance(run);
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  ASSERT_TRUE(cloud.KillInstance(inst->id).ok());  // a state-change event
  auto events = d.ReceiveEvents(10);
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(d.calls.size(), 4u);
  EXPECT_STREQ(d.calls[0].action, "CreateVolume");
  EXPECT_EQ(d.calls[0].result, v->id);
  EXPECT_TRUE(d.calls[0].status.ok());
  EXPECT_LE(d.calls[0].start, d.calls[0].end);
  EXPECT_STREQ(d.calls[1].action, "DeleteVolume");
  EXPECT_EQ(d.calls[1].target, "vol-nope");
  EXPECT_EQ(d.calls[1].status.code(), gone.code());
  EXPECT_STREQ(d.calls[2].action, "CreateTags");
  EXPECT_EQ(d.calls[2].target, v->id);
  EXPECT_TRUE(d.calls[2].result.empty());
  EXPECT_STREQ(d.calls[3].action, "ReceiveMessage");
  EXPECT_GT(d.calls[3].events, 0);
  EXPECT_EQ(d.calls[3].events, static_cast<int>(events->size()));
}

TEST(ProviderDecoratorTest, OwningAndForwardingDecoratorsStack) {
  FakeClock clock;
  FakeCloud cloud(&clock, 1, Unthrottled());
  auto forwarding = std::make_unique<ForwardingProvider>(&cloud);
  CloudProvider* inner = forwarding.get();
  class Owning final : public ProviderDecorator {
   public:
    using ProviderDecorator::ProviderDecorator;
  } owning(std::move(forwarding));
  EXPECT_EQ(owning.inner(), inner);
  auto zones = owning.DescribeAvailabilityZones();
  ASSERT_TRUE(zones.ok()) << zones.status().ToString();
  EXPECT_EQ(zones->size(), 3u);
}

}  // namespace
}  // namespace spotkeeper
