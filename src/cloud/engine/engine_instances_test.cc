#include <gtest/gtest.h>

#include "cloud/engine/engine_test_util.h"

namespace spotkeeper::cloud {
namespace {

using Instances = EngineTest;

TEST_F(Instances, RunRecordsPendingAndWorkersMakeItRunning) {
  RunInstancesRequest r = Launch();
  r.block_devices = {{"/dev/sdf", 2, false, "", "", 0, 0, false, ""}};
  r.user_data = "#!/bin/sh\necho hello\n";
  r.tag_specs = {{"instance", {{"Name", "web"}}}, {"volume", {{"role", "data"}}}};
  auto res = engine_->RunInstances(r);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  ASSERT_EQ(res->instances.size(), 1u);
  const InstanceView& v = res->instances[0];
  EXPECT_EQ(v.instance.state, "pending");
  EXPECT_EQ(v.instance.az, "local-1a");
  EXPECT_EQ(v.instance.private_ip, "10.0.1.4");
  ASSERT_EQ(v.volumes.size(), 2u);
  EXPECT_EQ(v.volumes[0].attachment->device, "/dev/xvda");
  EXPECT_TRUE(v.volumes[0].attachment->delete_on_termination);
  EXPECT_EQ(v.volumes[1].attachment->device, "/dev/sdf");
  EXPECT_EQ(v.volumes[1].attachment->status, "attaching");
  EXPECT_EQ(v.volumes[1].tags.at("role"), "data");
  ASSERT_TRUE(v.eni.has_value());
  EXPECT_TRUE(v.eni->attachment->delete_on_termination);
  EXPECT_EQ(driver_.CallCount("StartInstance"), 0);  // nothing happens on the host yet

  Drain();
  auto now = engine_->FindInstance(v.instance.id);
  ASSERT_TRUE(now.has_value());
  EXPECT_EQ(now->instance.state, "running");
  EXPECT_EQ(now->volumes[1].attachment->status, "attached");
  EXPECT_EQ(now->eni->status, "in-use");
  auto host = driver_.Instances();
  ASSERT_EQ(host.count(v.instance.id), 1u);
  const auto& fi = host.at(v.instance.id);
  EXPECT_EQ(fi.config.user_data, r.user_data);
  EXPECT_EQ(fi.config.root_volume_id, v.volumes[0].id);
  EXPECT_EQ(fi.config.primary_nic.ip, "10.0.1.4");
  EXPECT_EQ(fi.config.primary_nic.gateway, "10.0.1.1");
  EXPECT_EQ(fi.config.primary_nic.prefix_len, 24);
  EXPECT_EQ(fi.config.memory_mib, 1024);
  EXPECT_EQ(fi.config.hostname, "ip-10-0-1-4");
  ASSERT_EQ(fi.mounts.count("/dev/sdf"), 1u);
  EXPECT_EQ(driver_.Nics().at(v.eni->id).location, v.instance.id);
  EXPECT_EQ(EventStates(v.instance.id), (std::vector<std::string>{"pending", "running"}));
  ExpectHostMatchesState();
}

TEST_F(Instances, RunInstancesRefusesWithEc2Codes) {
  auto code = [&](RunInstancesRequest r) { return engine_->RunInstances(r).status().cloud_code(); };
  RunInstancesRequest r = Launch();
  r.min_count = 0;
  EXPECT_EQ(code(r), "InvalidParameterValue");
  r = Launch();
  r.max_count = 0;
  EXPECT_EQ(code(r), "InvalidParameterValue");
  r = Launch();
  r.image_id = "";
  EXPECT_EQ(code(r), "MissingParameter");
  r.image_id = "img-1";
  EXPECT_EQ(code(r), "InvalidAMIID.Malformed");
  r.image_id = "ami-0123456789abcdef0";
  EXPECT_EQ(code(r), "InvalidAMIID.NotFound");
  r = Launch();
  r.instance_type = "t9.huge";
  EXPECT_EQ(code(r), "InvalidParameterValue");
  r = Launch("local-1z");
  EXPECT_EQ(code(r), "InvalidParameterValue");
  r = Launch();
  r.subnet_id = "subnet-00000000000000000";
  EXPECT_EQ(code(r), "InvalidSubnetID.NotFound");
  r = Launch();
  r.block_devices = {{"/dev/sdf", std::nullopt, true, "", "snap-0123", 0, 0, false, ""}};
  EXPECT_EQ(code(r), "InvalidSnapshot.NotFound");
  r.block_devices = {{"/dev/sdf", 1, true, "", "", 0, 0, false, ""},
                     {"/dev/sdf", 1, true, "", "", 0, 0, false, ""}};
  EXPECT_EQ(code(r), "InvalidBlockDeviceMapping");
  r.block_devices = {{"/dev/xvda", 2, true, "", "", 0, 0, false, ""}};  // smaller than 8 GiB
  EXPECT_EQ(code(r), "InvalidBlockDeviceMapping");
  r.block_devices = {{"sdf", 1, true, "", "", 0, 0, false, ""}};
  EXPECT_EQ(code(r), "InvalidBlockDeviceMapping");
  r = Launch();
  r.tag_specs = {{"snapshot", {{"a", "b"}}}};
  EXPECT_EQ(code(r), "InvalidParameterValue");
  r.tag_specs = {{"instance", {{"aws:x", "b"}}}};
  EXPECT_EQ(code(r), "InvalidParameterValue");
  r = Launch();
  r.market_type = "capacity-block";
  EXPECT_EQ(code(r), "InvalidParameterValue");
  r = Launch();
  r.network_interfaces = {{"", 1, "", "", "", {}, std::nullopt}};
  EXPECT_EQ(code(r), "UnsupportedOperation");
  // Nothing of the refused launches was recorded.
  DescribeRequest all;
  EXPECT_TRUE(engine_->DescribeInstances(all)->items.empty());
  EXPECT_TRUE(engine_->DescribeVolumes(all)->items.empty());
  EXPECT_TRUE(engine_->DescribeNetworkInterfaces(all)->items.empty());
}

TEST_F(Instances, MinMaxCountAndTheInstanceLimit) {
  RunInstancesRequest r = Launch();
  r.min_count = 2;
  r.max_count = 3;
  auto res = engine_->RunInstances(r);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  ASSERT_EQ(res->instances.size(), 3u);
  std::set<std::string> ips;
  for (const InstanceView& v : res->instances) {
    ips.insert(v.instance.private_ip);
    EXPECT_EQ(v.instance.reservation_id, res->reservation_id);
  }
  EXPECT_EQ(ips.size(), 3u);
  EXPECT_EQ(res->instances[2].instance.launch_index, 2);
  Drain();
  EXPECT_EQ(driver_.Instances().size(), 3u);
}

class LimitedInstances : public EngineTest {
  EngineOptions Options() override {
    EngineOptions o = EngineTest::Options();
    o.max_instances = 3;
    return o;
  }
};

TEST_F(LimitedInstances, LaunchesWhatFitsAndRefusesBeyondMinCount) {
  RunInstancesRequest r = Launch();
  r.max_count = 5;
  auto res = engine_->RunInstances(r);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->instances.size(), 3u);
  EXPECT_EQ(engine_->RunInstances(Launch()).status().cloud_code(), "InstanceLimitExceeded");
  ASSERT_TRUE(engine_->TerminateInstances({res->instances[0].instance.id}).ok());
  Drain();
  EXPECT_TRUE(engine_->RunInstances(Launch()).ok());  // terminated ones do not count
}

TEST_F(Instances, ClientTokenReturnsTheSameInstancesOrMismatch) {
  RunInstancesRequest r = Launch();
  r.client_token = "token-1";
  auto first = engine_->RunInstances(r);
  ASSERT_TRUE(first.ok());
  Drain();
  auto again = engine_->RunInstances(r);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->instances.size(), 1u);
  EXPECT_EQ(again->instances[0].instance.id, first->instances[0].instance.id);
  EXPECT_EQ(again->reservation_id, first->reservation_id);
  EXPECT_EQ(again->instances[0].instance.state, "running");
  DescribeRequest all;
  EXPECT_EQ(engine_->DescribeInstances(all)->items.size(), 1u);
  r.instance_type = "t3.small";
  auto other = engine_->RunInstances(r);
  EXPECT_EQ(other.status().cloud_code(), "IdempotentParameterMismatch");
  EXPECT_EQ(other.status().code(), Code::kInvalidArgument);
}

TEST_F(Instances, PrivateIpAddressIsCheckedAgainstTheSubnet) {
  RunInstancesRequest r = Launch();
  r.private_ip = "10.0.1.50";
  auto res = engine_->RunInstances(r);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->instances[0].instance.private_ip, "10.0.1.50");
  EXPECT_EQ(engine_->RunInstances(r).status().cloud_code(), "InvalidIPAddress.InUse");
  r.private_ip = "10.0.2.50";  // the other zone's subnet
  EXPECT_EQ(engine_->RunInstances(r).status().cloud_code(), "InvalidParameterValue");
  r.private_ip = "10.0.1.2";  // reserved by EC2
  EXPECT_EQ(engine_->RunInstances(r).status().cloud_code(), "InvalidParameterValue");
  r.private_ip = "10.0.1.51";
  r.max_count = 2;
  EXPECT_EQ(engine_->RunInstances(r).status().cloud_code(), "InvalidParameterCombination");
}

TEST_F(Instances, ExistingInterfaceAtDeviceIndexZeroSurvivesTermination) {
  auto subnets = engine_->DescribeSubnets({});
  ASSERT_TRUE(subnets.ok());
  std::string subnet_b;
  for (const SubnetView& s : *subnets) {
    if (s.subnet.az == "local-1b") subnet_b = s.subnet.id;
  }
  CreateNetworkInterfaceRequest c;
  c.subnet_id = subnet_b;
  c.private_ip = "10.0.2.20";
  auto eni = engine_->CreateNetworkInterface(c);
  ASSERT_TRUE(eni.ok()) << eni.status().ToString();
  EXPECT_EQ(eni->status, "pending");
  Drain();

  RunInstancesRequest r = Launch("");
  r.availability_zone.clear();
  r.network_interfaces = {{eni->id, 0, "", "", "", {}, std::nullopt}};
  auto res = engine_->RunInstances(r);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  std::string id = res->instances[0].instance.id;
  EXPECT_EQ(res->instances[0].instance.az, "local-1b");
  EXPECT_EQ(res->instances[0].instance.private_ip, "10.0.2.20");
  EXPECT_FALSE(res->instances[0].eni->attachment->delete_on_termination);
  // The interface is taken: a second launch with it is refused.
  EXPECT_EQ(engine_->RunInstances(r).status().cloud_code(), "InvalidNetworkInterface.InUse");
  EXPECT_EQ(engine_->DeleteNetworkInterface(eni->id).cloud_code(), "InvalidNetworkInterface.InUse");
  Drain();
  EXPECT_EQ(driver_.Nics().at(eni->id).location, id);

  ASSERT_TRUE(engine_->TerminateInstances({id}).ok());
  Drain();
  EXPECT_EQ(State(id), "terminated");
  DescribeRequest d;
  d.ids = {eni->id};
  auto after = engine_->DescribeNetworkInterfaces(d);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->items[0].status, "available");
  EXPECT_FALSE(after->items[0].attachment.has_value());
  EXPECT_EQ(after->items[0].mac, eni->mac);
  EXPECT_EQ(driver_.Nics().at(eni->id).location, "parked");

  // A replacement gets the same interface, address and MAC.
  auto again = engine_->RunInstances(r);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  Drain();
  auto host = driver_.Instances().at(again->instances[0].instance.id);
  EXPECT_EQ(host.config.primary_nic.mac, eni->mac);
  EXPECT_EQ(host.config.primary_nic.ip, "10.0.2.20");
  ExpectHostMatchesState();
}

TEST_F(Instances, TerminationDeletesOnlyDeleteOnTerminationVolumes) {
  RunInstancesRequest r = Launch();
  r.block_devices = {{"/dev/sdf", 3, false, "gp2", "", 0, 0, false, ""},
                     {"/dev/sdg", 1, true, "", "", 0, 0, false, ""}};
  std::string id = Running(r);
  auto v = engine_->FindInstance(id);
  ASSERT_EQ(v->volumes.size(), 3u);
  std::string root = v->volumes[0].id, keep = v->volumes[1].id, gone = v->volumes[2].id;
  std::string eni = v->eni->id;
  auto changes = engine_->TerminateInstances({id});
  ASSERT_TRUE(changes.ok());
  EXPECT_EQ((*changes)[0].previous_state, "running");
  EXPECT_EQ((*changes)[0].current_state, "shutting-down");
  Drain();
  EXPECT_EQ(State(id), "terminated");
  auto t = engine_->FindInstance(id);
  EXPECT_EQ(t->instance.state_reason_code, "Client.UserInitiatedShutdown");
  EXPECT_EQ(VolumeState(keep), "available");
  EXPECT_EQ(Volume(keep).size_gib, 3);
  EXPECT_EQ(VolumeState(root), "InvalidVolume.NotFound");
  EXPECT_EQ(VolumeState(gone), "InvalidVolume.NotFound");
  DescribeRequest d;
  d.ids = {eni};
  EXPECT_EQ(engine_->DescribeNetworkInterfaces(d).status().cloud_code(),
            "InvalidNetworkInterfaceID.NotFound");
  EXPECT_EQ(driver_.Volumes(), std::set<std::string>{keep});
  EXPECT_TRUE(driver_.Nics().empty());
  EXPECT_EQ(EventStates(id),
            (std::vector<std::string>{"pending", "running", "shutting-down", "terminated"}));
  // Terminating again is fine; an unknown id is not.
  auto twice = engine_->TerminateInstances({id});
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ((*twice)[0].current_state, "terminated");
  EXPECT_EQ(engine_->TerminateInstances({"i-0000000000000000a"}).status().cloud_code(),
            "InvalidInstanceID.NotFound");
  EXPECT_EQ(engine_->TerminateInstances({"x-1"}).status().cloud_code(),
            "InvalidInstanceID.Malformed");
  // Terminated instances disappear after the retention time.
  clock_.Advance(std::chrono::hours(2));
  engine_->CheckInstancesOnce();
  EXPECT_EQ(State(id), "(none)");
}

TEST_F(Instances, TerminateWhilePendingNeverStartsIt) {
  auto res = engine_->RunInstances(Launch());
  ASSERT_TRUE(res.ok());
  std::string id = res->instances[0].instance.id;
  ASSERT_TRUE(engine_->TerminateInstances({id}).ok());
  Drain();
  EXPECT_EQ(State(id), "terminated");
  EXPECT_EQ(driver_.CallCount("StartInstance"), 0);
  ExpectHostMatchesState();
  EXPECT_TRUE(driver_.Volumes().empty());
}

TEST_F(Instances, StopAndStartKeepVolumesAndAddress) {
  RunInstancesRequest r = Launch();
  r.block_devices = {{"/dev/sdf", 1, true, "", "", 0, 0, false, ""}};
  std::string id = Running(r);
  std::string ip = engine_->FindInstance(id)->instance.private_ip;
  auto changes = engine_->StopInstances({id}, false);
  ASSERT_TRUE(changes.ok());
  EXPECT_EQ((*changes)[0].current_state, "stopping");
  Drain();
  EXPECT_EQ(State(id), "stopped");
  EXPECT_TRUE(driver_.Instances().empty());
  auto v = engine_->FindInstance(id);
  EXPECT_EQ(v->volumes.size(), 2u);
  EXPECT_EQ(v->eni->status, "in-use");
  EXPECT_EQ(engine_->StopInstances({id}, false)->at(0).current_state, "stopped");
  ASSERT_TRUE(engine_->StartInstances({id}).ok());
  EXPECT_EQ(State(id), "pending");
  Drain();
  EXPECT_EQ(State(id), "running");
  EXPECT_EQ(engine_->FindInstance(id)->instance.private_ip, ip);
  EXPECT_EQ(driver_.Instances().at(id).mounts.count("/dev/sdf"), 1u);
  EXPECT_EQ(driver_.CallCount("StartInstance"), 2);
  EXPECT_EQ(EventStates(id), (std::vector<std::string>{"pending", "running", "stopping", "stopped",
                                                       "pending", "running"}));
  // Wrong states.
  auto pending = engine_->RunInstances(Launch());
  EXPECT_EQ(
      engine_->StopInstances({pending->instances[0].instance.id}, false).status().cloud_code(),
      "IncorrectInstanceState");
  ASSERT_TRUE(engine_->TerminateInstances({id}).ok());
  EXPECT_EQ(engine_->StartInstances({id}).status().cloud_code(), "IncorrectInstanceState");
}

TEST_F(Instances, SpotInstancesAreRecordedAndCannotBeStopped) {
  RunInstancesRequest r = Launch();
  r.market_type = "spot";
  std::string id = Running(r);
  EXPECT_EQ(engine_->FindInstance(id)->instance.lifecycle, "spot");
  EXPECT_EQ(engine_->StopInstances({id}, false).status().cloud_code(), "UnsupportedOperation");
  DescribeRequest d;
  d.filters = {{"instance-lifecycle", {"spot"}}};
  EXPECT_EQ(engine_->DescribeInstances(d)->items.size(), 1u);
}

TEST_F(Instances, ShutdownFromInsideStopsOrTerminates) {
  std::string stop = Running();
  RunInstancesRequest r = Launch();
  r.shutdown_behavior = "terminate";
  std::string term = Running(r);
  driver_.ExitInstance(stop);
  driver_.ExitInstance(term);
  engine_->CheckInstancesOnce();
  EXPECT_EQ(State(stop), "stopping");
  EXPECT_EQ(State(term), "shutting-down");
  Drain();
  EXPECT_EQ(State(stop), "stopped");
  EXPECT_EQ(State(term), "terminated");
  EXPECT_EQ(engine_->FindInstance(stop)->instance.state_reason_code,
            "Client.InstanceInitiatedShutdown");
  ExpectHostMatchesState();
}

TEST_F(Instances, ALaunchThatKeepsFailingEndsTerminated) {
  driver_.FailAlways("StartInstance", Unavailable("runc is broken"));
  auto res = engine_->RunInstances(Launch());
  ASSERT_TRUE(res.ok());
  Drain();
  std::string id = res->instances[0].instance.id;
  EXPECT_EQ(State(id), "terminated");
  EXPECT_EQ(engine_->FindInstance(id)->instance.state_reason_code, "Server.InternalError");
  EXPECT_EQ(driver_.CallCount("StartInstance"), 3);
  ExpectHostMatchesState();
  EXPECT_TRUE(driver_.Volumes().empty());
  EXPECT_TRUE(driver_.Nics().empty());
}

TEST_F(Instances, ATransientDriverFailureIsRetried) {
  driver_.FailNext("StartInstance", Unavailable("busy"));
  std::string id = Running();
  EXPECT_EQ(driver_.CallCount("StartInstance"), 2);
  EXPECT_EQ(driver_.Instances().at(id).starts, 1);
}

TEST_F(Instances, DescribeFiltersAndPages) {
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    RunInstancesRequest r = Launch(i % 2 == 0 ? "local-1a" : "local-1b");
    r.tag_specs = {{"instance", {{"group", i < 5 ? "g1" : "g2"}}}};
    ids.push_back(Running(r));
  }
  DescribeRequest d;
  d.filters = {{"tag:group", {"g1"}}};
  EXPECT_EQ(engine_->DescribeInstances(d)->items.size(), 5u);
  d.filters = {{"tag:group", {"g*"}}, {"availability-zone", {"local-1b"}}};
  EXPECT_EQ(engine_->DescribeInstances(d)->items.size(), 3u);
  d.filters = {{"tag-key", {"group"}}, {"instance-state-name", {"running", "pending"}}};
  EXPECT_EQ(engine_->DescribeInstances(d)->items.size(), 7u);
  auto one = engine_->FindInstance(ids[3]);
  d.filters = {{"network-interface.network-interface-id", {one->eni->id}}};
  auto found = engine_->DescribeInstances(d);
  ASSERT_EQ(found->items.size(), 1u);
  EXPECT_EQ(found->items[0].instance.id, ids[3]);
  d.filters = {{"subnet-id", {one->instance.subnet_id}}, {"instance-id", {ids[3], ids[0]}}};
  EXPECT_EQ(engine_->DescribeInstances(d)->items.size(), 1u);
  d.filters = {{"no-such-filter", {"x"}}};
  EXPECT_EQ(engine_->DescribeInstances(d).status().cloud_code(), "InvalidParameterValue");

  DescribeRequest page;
  page.max_results = 5;
  auto p1 = engine_->DescribeInstances(page);
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(p1->items.size(), 5u);
  ASSERT_FALSE(p1->next_token.empty());
  page.next_token = p1->next_token;
  auto p2 = engine_->DescribeInstances(page);
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(p2->items.size(), 2u);
  EXPECT_TRUE(p2->next_token.empty());
  std::set<std::string> seen;
  for (const auto& v : p1->items) seen.insert(v.instance.id);
  for (const auto& v : p2->items) seen.insert(v.instance.id);
  EXPECT_EQ(seen, std::set<std::string>(ids.begin(), ids.end()));
  page.max_results = 4;
  page.next_token.clear();
  EXPECT_EQ(engine_->DescribeInstances(page).status().cloud_code(), "InvalidParameterValue");
  page.max_results = 5;
  page.ids = {ids[0]};
  EXPECT_EQ(engine_->DescribeInstances(page).status().cloud_code(), "InvalidParameterCombination");
  DescribeRequest missing;
  missing.ids = {ids[0], "i-00000000000000001"};
  EXPECT_EQ(engine_->DescribeInstances(missing).status().cloud_code(),
            "InvalidInstanceID.NotFound");
}

TEST_F(Instances, DescribeInstanceStatusListsRunningUnlessAll) {
  std::string running = Running();
  auto pending = engine_->RunInstances(Launch());
  DescribeRequest d;
  auto status = engine_->DescribeInstanceStatus(d, false);
  ASSERT_TRUE(status.ok());
  ASSERT_EQ(status->items.size(), 1u);
  EXPECT_EQ(status->items[0].instance.id, running);
  EXPECT_EQ(engine_->DescribeInstanceStatus(d, true)->items.size(), 2u);
}

TEST_F(Instances, ConsoleOutputComesFromTheHost) {
  std::string id = Running();
  driver_.AppendConsole(id, "hello from user data\n");
  auto out = engine_->GetConsoleOutput(id);
  ASSERT_TRUE(out.ok());
  EXPECT_NE(out->output.find("hello from user data"), std::string::npos);
  EXPECT_EQ(engine_->GetConsoleOutput("i-00000000000000001").status().cloud_code(),
            "InvalidInstanceID.NotFound");
}

// With the watch thread on and a period far longer than the test: only the host driver's exit
// report can make the engine act.
class WatchedInstances : public EngineTest {
 protected:
  EngineOptions Options() override {
    EngineOptions o = EngineTest::Options();
    o.watch_interval = std::chrono::hours(1);
    return o;
  }
  // Waits (SQS long polls, at most ~40 s) for the state-change event of `instance_id` to
  // `state`.
  bool WaitForStateEvent(const std::string& instance_id, const std::string& state) {
    for (int i = 0; i < 2; ++i) {
      for (;;) {
        auto got = sqs_->ReceiveMessage("events", 10, 3600, 20);
        if (!got.ok() || got->empty()) break;  // a whole long poll without news
        for (const SqsReceived& m : *got) {
          nlohmann::json j = nlohmann::json::parse(m.body);
          if (j["detail"]["instance-id"] == instance_id && j["detail"]["state"] == state) {
            return true;
          }
        }
      }
    }
    return false;
  }
};

TEST_F(WatchedInstances, AnInitExitIsActedOnWithoutWaitingForThePeriod) {
  std::string quiet = Running();
  std::string exits = Running();
  driver_.ExitInstance(exits);
  ASSERT_TRUE(WaitForStateEvent(exits, "stopping"));
  EXPECT_EQ(State(exits), "stopping");
  EXPECT_EQ(engine_->FindInstance(exits)->instance.state_reason_code,
            "Client.InstanceInitiatedShutdown");
  EXPECT_EQ(State(quiet), "running");
  Drain();
  EXPECT_EQ(State(exits), "stopped");
  ExpectHostMatchesState();
}

TEST_F(WatchedInstances, AnExitTheDriverDidNotReportWaitsForThePass) {
  std::string id = Running();
  driver_.ExitInstance(id, /*tell=*/false);
  // Another instance's report wakes the watch, which looks at that one only.
  std::string other = Running();
  driver_.ExitInstance(other);
  ASSERT_TRUE(WaitForStateEvent(other, "stopping"));
  EXPECT_EQ(State(id), "running");
  engine_->CheckInstancesOnce();  // the periodic pass: the safety net
  EXPECT_EQ(State(id), "stopping");
}

TEST_F(WatchedInstances, ShutdownDropsTheListener) {
  std::string id = Running();
  Close();
  driver_.ExitInstance(id);  // nobody listens: no call into the engine that is gone
  Open();
  EXPECT_EQ(State(id), "running");
  engine_->CheckInstancesOnce();
  EXPECT_EQ(State(id), "stopping");
}

}  // namespace
}  // namespace spotkeeper::cloud
