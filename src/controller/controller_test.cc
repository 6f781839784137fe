// The controller's flows on the fake cloud: launch, interruption, recycle, pause/resume,
// deallocation, import, capacity, fallbacks, health, and the planned-action limit.
#include "controller/controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "controller/cloud_preflight.h"
#include "controller/controller_harness.h"

namespace spotkeeper {
namespace {

using testing::ControllerHarness;

TEST(ControllerTest, LaunchesWithEniVolumeAndTags) {
  ControllerHarness h;
  std::string g = h.CreateAndLaunch(h.BaseSpec("db"));
  auto ssis = h.Ssis(g);
  ASSERT_EQ(ssis.size(), 1u);
  const SsiRecord& s = ssis[0];
  EXPECT_EQ(s.state, SsiState::kActive);
  EXPECT_FALSE(s.eni_id.empty());
  EXPECT_FALSE(s.private_ip.empty());
  EXPECT_EQ(s.market, "spot");
  Instance inst = h.CloudInstance(s.instance_id);
  EXPECT_EQ(inst.network_interfaces.at(0).network_interface_id, s.eni_id);
  EXPECT_EQ(inst.tags.at(kTagSsi), s.id);
  EXPECT_EQ(inst.tags.at("team"), "data");
  auto vols = h.Current(s.id, "volume");
  ASSERT_EQ(vols.size(), 2u);  // root + /dev/sdf
  for (const auto& v : vols) {
    EXPECT_EQ(h.CloudVolume(v.id).tags.at(kTagSsi), s.id);
  }
  EXPECT_EQ(ControllerHarness::ConditionReason(s, "Ready"), "Launched");
}

TEST(ControllerTest, InterruptionKeepsIpVolumeAndBootsFromNewImage) {
  ControllerHarness h;
  std::string g = h.CreateAndLaunch(h.BaseSpec("db"));
  SsiRecord before = h.Ssis(g)[0];
  auto data_before = h.Current(before.id, "volume");
  std::string data_vol;
  for (const auto& v : data_before) {
    if (v.role == "data") data_vol = v.id;
  }
  ASSERT_TRUE(h.cloud().Interrupt(before.instance_id).ok());
  ASSERT_TRUE(h.RunUntil([&] {
    SsiRecord s = h.Ssi(before.id);
    return s.state == SsiState::kActive && s.instance_id != before.instance_id;
  }));
  SsiRecord after = h.Ssi(before.id);
  EXPECT_EQ(after.private_ip, before.private_ip);
  EXPECT_EQ(after.eni_id, before.eni_id);
  Instance inst = h.CloudInstance(after.instance_id);
  EXPECT_EQ(inst.private_ip, before.private_ip);
  EXPECT_NE(inst.image_id, h.image()) << "root persistence boots from the SSI's own image";
  EXPECT_EQ(inst.image_id, after.image_id);
  bool has_data = false;
  for (const auto& bd : inst.block_devices) {
    if (bd.device_name == "/dev/sdf") {
      EXPECT_EQ(bd.volume_id, data_vol) << "reattach keeps the very same volume";
      has_data = true;
    }
  }
  EXPECT_TRUE(has_data);
  // The old instance is gone, the recovery was recorded.
  EXPECT_EQ(h.CloudInstance(before.instance_id).state, InstanceState::kTerminated);
  auto status = nlohmann::json::parse(after.status_json);
  EXPECT_EQ(status["lastRecovery"]["reason"], "Interrupted");
  EXPECT_GT(status["lastRecovery"]["totalMs"].get<int64_t>(), 0);
}

TEST(ControllerTest, OnLaunchRestoresFromFinalSnapshotAcrossAzs) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("cache", 2);
  spec.strategy.persistence = {false, true, false, BlockDevicesMode::kOnLaunch};
  std::string g = h.CreateAndLaunch(spec);
  SsiRecord before = h.Ssis(g)[0];
  std::string old_vol = h.Current(before.id, "volume").at(0).id;
  // No capacity at all in the SSI's AZ: the replacement must go to the other one.
  for (const auto& t : {"m5.large", "m5a.large"}) {
    h.cloud().SetSpotCapacity(t, before.availability_zone, 0);
  }
  h.cloud().SetOnDemandCapacity("m5.large", before.availability_zone, 0);
  ASSERT_TRUE(h.controller().RecycleSsi(before.id, "test").ok());
  ASSERT_TRUE(h.RunUntil([&] {
    SsiRecord s = h.Ssi(before.id);
    return s.state == SsiState::kActive && s.instance_id != before.instance_id;
  }));
  SsiRecord after = h.Ssi(before.id);
  EXPECT_NE(after.availability_zone, before.availability_zone);
  auto vols = h.Current(after.id, "volume");
  ASSERT_EQ(vols.size(), 1u) << h.EventLog() << vols[0].id << " " << vols[1].id << " " << old_vol;
  Volume v = h.CloudVolume(vols[0].id);
  EXPECT_EQ(v.availability_zone, after.availability_zone);
  ASSERT_FALSE(v.snapshot_id.empty());
  // It came from the final snapshot of the old volume.
  bool from_old = false;
  for (const auto& s : h.cloud().AllSnapshots()) {
    if (s.id == v.snapshot_id) from_old = s.volume_id == old_vol;
  }
  EXPECT_TRUE(from_old);
  // The old volume is retired and deleted by the reaper.
  ASSERT_TRUE(
      h.RunUntil([&] { return h.CloudVolume(old_vol).state == "deleted"; }, Duration{120'000}));
}

TEST(ControllerTest, ReattachMovesAcrossAzsThroughASnapshot) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("kafka", 2);
  spec.strategy.persistence = {false, true, false, BlockDevicesMode::kReattach};
  std::string g = h.CreateAndLaunch(spec);
  SsiRecord before = h.Ssis(g)[0];
  std::string old_vol = h.Current(before.id, "volume").at(0).id;
  for (const auto& t : {"m5.large", "m5a.large"}) {
    h.cloud().SetSpotCapacity(t, before.availability_zone, 0);
  }
  h.cloud().SetOnDemandCapacity("m5.large", before.availability_zone, 0);
  ASSERT_TRUE(h.cloud().KillInstance(before.instance_id).ok());
  ASSERT_TRUE(h.RunUntil([&] {
    SsiRecord s = h.Ssi(before.id);
    return s.state == SsiState::kActive && s.instance_id != before.instance_id;
  }));
  SsiRecord after = h.Ssi(before.id);
  EXPECT_NE(after.availability_zone, before.availability_zone);
  auto vols = h.Current(after.id, "volume");
  ASSERT_EQ(vols.size(), 1u);
  EXPECT_NE(vols[0].id, old_vol);
  Volume v = h.CloudVolume(vols[0].id);
  bool from_old = false;
  for (const auto& s : h.cloud().AllSnapshots()) {
    if (s.id == v.snapshot_id) from_old = s.volume_id == old_vol;
  }
  EXPECT_TRUE(from_old) << "the moved volume is restored from a snapshot of the old one";
}

TEST(ControllerTest, PauseKeepsEverythingAndResumeBringsItBack) {
  ControllerHarness h;
  std::string g = h.CreateAndLaunch(h.BaseSpec("db"));
  SsiRecord s = h.Ssis(g)[0];
  std::string data_vol;
  for (const auto& v : h.Current(s.id, "volume")) {
    if (v.role == "data") data_vol = v.id;
  }
  ASSERT_TRUE(h.controller().PauseSsi(s.id, "test").ok());
  ASSERT_TRUE(h.RunUntil([&] { return h.Ssi(s.id).state == SsiState::kPaused; }));
  SsiRecord paused = h.Ssi(s.id);
  EXPECT_TRUE(paused.instance_id.empty());
  EXPECT_EQ(h.CloudVolume(data_vol).state, "available");
  EXPECT_EQ(h.Current(s.id, "image").size(), 1u);
  // Paused stays paused: the capacity target does not replace it.
  h.RunFor(Duration{600'000});
  EXPECT_EQ(h.Ssis(g).size(), 1u);
  EXPECT_EQ(h.Ssi(s.id).state, SsiState::kPaused);

  ASSERT_TRUE(h.controller().ResumeSsi(s.id, "test").ok());
  ASSERT_TRUE(h.RunUntil([&] { return h.Ssi(s.id).state == SsiState::kActive; }));
  SsiRecord resumed = h.Ssi(s.id);
  EXPECT_EQ(resumed.private_ip, s.private_ip);
  EXPECT_EQ(h.CloudVolume(data_vol).attachments.at(0).instance_id, resumed.instance_id);
}

TEST(ControllerTest, PauseStopsInErrorWhenFinalSnapshotsKeepFailing) {
  ControllerHarness h;
  std::string g = h.CreateAndLaunch(h.BaseSpec("db"));
  SsiRecord s = h.Ssis(g)[0];
  std::set<std::string> volumes;
  for (const auto& v : h.Current(s.id, "volume")) volumes.insert(v.id);
  ASSERT_TRUE(h.controller().PauseSsi(s.id, "test").ok());
  // Every snapshot of the SSI's volumes vanishes while it is pending (as one that failed would).
  std::set<std::string> taken;
  bool errored = h.RunUntil([&] {
    for (const auto& snap : h.cloud().AllSnapshots()) {
      if (volumes.count(snap.volume_id) != 0 && snap.state == "pending") {
        taken.insert(snap.id);
        EXPECT_TRUE(h.cloud().DeleteSnapshot(snap.id).ok());
      }
    }
    return h.Ssi(s.id).state == SsiState::kError;
  });
  ASSERT_TRUE(errored) << h.EventLog();
  SsiRecord after = h.Ssi(s.id);
  EXPECT_EQ(ControllerHarness::ConditionReason(after, "Ready"), "SnapshotFailed");
  // Bounded: five attempts, not a snapshot per tick.
  EXPECT_GE(taken.size(), 5u);
  EXPECT_LE(taken.size(), 5u * volumes.size());
  // Nothing the user stored is deleted: every volume is still there, detached.
  for (const auto& id : volumes) EXPECT_EQ(h.CloudVolume(id).state, "available") << id;
  // The retries were spaced out, not back to back.
  std::string log = h.EventLog();
  EXPECT_NE(log.find("taking it again in 5 s"), std::string::npos) << log;
  EXPECT_NE(log.find("taking it again in 40 s"), std::string::npos) << log;
  // Once snapshots work again, a retry takes the missing ones and the pause completes with the
  // root captured in a new image.
  ASSERT_TRUE(h.controller().RetrySsi(s.id, "test").ok());
  ASSERT_TRUE(h.RunUntil([&] { return h.Ssi(s.id).state == SsiState::kPaused; })) << h.EventLog();
  auto images = h.Current(s.id, "image");
  ASSERT_EQ(images.size(), 1u);
  bool root_captured = false;
  for (const auto& snap : h.Current(s.id, "snapshot")) {
    if (snap.role == "root" && snap.cloud_state == "completed") root_captured = true;
  }
  EXPECT_TRUE(root_captured) << h.EventLog();
}

TEST(ControllerTest, DeallocateDeletesWhatTheFlagsSayAndKeepsTheRest) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("db");
  spec.capacity = {2, 0, 3};
  std::string g = h.CreateAndLaunch(spec);
  SsiRecord s = h.Ssis(g)[0];
  std::string eni = s.eni_id;
  std::string data_vol;
  for (const auto& v : h.Current(s.id, "volume")) {
    if (v.role == "data") data_vol = v.id;
  }
  DeallocationSpec flags;
  flags.should_delete_volumes = true;
  flags.should_delete_network_interfaces = false;
  ASSERT_TRUE(h.controller().DeallocateSsi(s.id, flags, "test").ok());
  ASSERT_TRUE(h.RunUntil([&] { return h.Ssi(s.id).state == SsiState::kDeallocated; }));
  ASSERT_TRUE(
      h.RunUntil([&] { return h.CloudVolume(data_vol).state == "deleted"; }, Duration{60'000}));
  bool eni_there = false;
  for (const auto& e : h.cloud().AllNetworkInterfaces()) {
    if (e.id == eni) eni_there = e.status == "available";
  }
  EXPECT_TRUE(eni_there) << "the ENI is kept when shouldDeleteNetworkInterfaces is false";
  auto rec = h.store().GetResource(eni);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->status, "released");
  // The group shrank: the other SSI stays, nothing new is launched.
  h.RunFor(Duration{300'000});
  int live = 0;
  for (const auto& x : h.Ssis(g)) live += x.state != SsiState::kDeallocated ? 1 : 0;
  EXPECT_EQ(live, 1);
}

TEST(ControllerTest, DeleteGroupDeallocatesEverything) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("db");
  spec.capacity = {2, 0, 3};
  std::string g = h.CreateAndLaunch(spec);
  DeallocationSpec all{true, true, true, true};
  ASSERT_TRUE(h.controller().DeleteGroup(g, all, "test").ok());
  ASSERT_TRUE(h.RunUntil([&] { return h.store().GetGroup(g)->status == "DELETED"; }));
  EXPECT_TRUE(h.AllIn(g, SsiState::kDeallocated));
  h.RunFor(Duration{60'000});
  for (const auto& v : h.cloud().AllVolumes()) {
    if (v.tags.count(kTagGroup)) {
      EXPECT_EQ(v.state, "deleted") << v.id;
    }
  }
}

TEST(ControllerTest, CapacityDecreasePausesAndIncreaseResumesTheSameSsi) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("db");
  spec.capacity = {2, 0, 3};
  std::string g = h.CreateAndLaunch(spec);
  spec.capacity.target = 1;
  ASSERT_TRUE(h.controller().UpdateGroup(g, spec, false, "test").ok());
  ASSERT_TRUE(h.RunUntil([&] {
    int paused = 0;
    for (const auto& s : h.Ssis(g)) paused += s.state == SsiState::kPaused ? 1 : 0;
    return paused == 1;
  }));
  std::string paused_id;
  for (const auto& s : h.Ssis(g)) {
    if (s.state == SsiState::kPaused) paused_id = s.id;
  }
  EXPECT_EQ(h.Ssi(paused_id).pause_reason, "capacity");
  // An operator cannot resume it past the target.
  EXPECT_EQ(h.controller().ResumeSsi(paused_id, "test").code(), Code::kFailedPrecondition);
  spec.capacity.target = 2;
  ASSERT_TRUE(h.controller().UpdateGroup(g, spec, false, "test").ok());
  ASSERT_TRUE(h.RunUntil([&] { return h.Ssi(paused_id).state == SsiState::kActive; }));
  EXPECT_EQ(h.Ssis(g).size(), 2u) << "the paused SSI came back; none was added";
}

TEST(ControllerTest, FallsBackToOnDemandAndRevertsToSpot) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("db");
  std::string az = h.subnets()[0].availability_zone;
  h.cloud().SetSpotCapacity("m5.large", az, 0);
  h.cloud().SetSpotCapacity("m5a.large", az, 0);
  std::string g = h.CreateAndLaunch(spec);
  SsiRecord s = h.Ssis(g)[0];
  EXPECT_EQ(s.market, "on-demand");
  EXPECT_EQ(ControllerHarness::ConditionReason(s, "Spot"), "OnDemandFallback");
  h.cloud().SetSpotCapacity("m5a.large", az, -1);
  ASSERT_TRUE(h.RunUntil(
      [&] { return h.Ssi(s.id).market == "spot" && h.Ssi(s.id).state == SsiState::kActive; },
      Duration{4 * 3'600'000}));
  EXPECT_EQ(h.Ssi(s.id).instance_type, "m5a.large");
  EXPECT_EQ(h.Ssi(s.id).private_ip, s.private_ip);
}

TEST(ControllerTest, NoFallbackWaitsForSpotWithACondition) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("db");
  spec.strategy.fallback_to_od = false;
  std::string az = h.subnets()[0].availability_zone;
  h.cloud().SetSpotCapacity("m5.large", az, 0);
  h.cloud().SetSpotCapacity("m5a.large", az, 0);
  auto g = h.controller().CreateGroup(spec, "test");
  ASSERT_TRUE(g.ok());
  h.RunFor(Duration{300'000});
  SsiRecord s = h.Ssis(g->id)[0];
  EXPECT_EQ(s.state, SsiState::kResuming);
  EXPECT_EQ(ControllerHarness::ConditionReason(s, "Capacity"), "NoCapacity");
  h.cloud().SetSpotCapacity("m5.large", az, -1);
  ASSERT_TRUE(h.RunUntil([&] { return h.Ssi(s.id).state == SsiState::kActive; }));
}

TEST(ControllerTest, PlannedRecyclesRespectMaxUnavailable) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("zk");
  spec.capacity = {3, 0, 3};
  spec.strategy.max_unavailable = 1;
  std::string g = h.CreateAndLaunch(spec);
  for (const auto& s : h.Ssis(g)) ASSERT_TRUE(h.controller().RecycleSsi(s.id, "test").ok());
  int max_running = 0;
  ASSERT_TRUE(h.RunUntil([&] {
    auto running = h.store().ListRunningWorkflows();
    int n = running.ok() ? static_cast<int>(running->size()) : 0;
    max_running = std::max(max_running, n);
    int done = 0;
    for (const auto& s : h.Ssis(g)) {
      auto wfs = h.store().ListWorkflows(s.id);
      for (const auto& w : *wfs) done += w.kind == "recycle" && w.status == "succeeded";
    }
    return done == 3;
  }));
  EXPECT_EQ(max_running, 1);
}

TEST(ControllerTest, AutohealsAnImpairedInstance) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("db");
  spec.health.grace_period_seconds = 0;
  spec.health.unhealthy_duration_seconds = 120;
  std::string g = h.CreateAndLaunch(spec);
  SsiRecord s = h.Ssis(g)[0];
  ASSERT_TRUE(h.cloud().SetImpaired(s.instance_id, true).ok());
  ASSERT_TRUE(h.RunUntil([&] {
    SsiRecord x = h.Ssi(s.id);
    return x.state == SsiState::kActive && x.instance_id != s.instance_id;
  }));
  auto status = nlohmann::json::parse(h.Ssi(s.id).status_json);
  EXPECT_EQ(status["lastRecovery"]["reason"], "Unhealthy");
}

TEST(ControllerTest, RebalanceRecommendationRecyclesProactively) {
  ControllerHarness h;
  std::string g = h.CreateAndLaunch(h.BaseSpec("db"));
  SsiRecord s = h.Ssis(g)[0];
  ASSERT_TRUE(h.cloud().RecommendRebalance(s.instance_id).ok());
  ASSERT_TRUE(h.RunUntil([&] {
    return h.Ssi(s.id).instance_id != s.instance_id && h.Ssi(s.id).state == SsiState::kActive;
  }));
  EXPECT_EQ(nlohmann::json::parse(h.Ssi(s.id).status_json)["lastRecovery"]["reason"], "Rebalance");
}

TEST(ControllerTest, SilentDeathIsFoundByTheSweep) {
  ControllerHarness h;
  std::string g = h.CreateAndLaunch(h.BaseSpec("db"));
  SsiRecord s = h.Ssis(g)[0];
  // No events at all: drain the queue so only the Describe sweep can notice.
  ASSERT_TRUE(h.cloud().KillInstance(s.instance_id).ok());
  h.clock().Advance(Duration{2000});
  h.cloud().Process();
  auto events = h.cloud().ReceiveEvents(100);
  ASSERT_TRUE(events.ok());
  std::vector<std::string> receipts;
  for (const auto& e : *events) receipts.push_back(e.receipt);
  ASSERT_TRUE(h.cloud().AckEvents(receipts).ok());
  ASSERT_TRUE(h.RunUntil([&] {
    return h.Ssi(s.id).instance_id != s.instance_id && h.Ssi(s.id).state == SsiState::kActive;
  }));
  EXPECT_EQ(nlohmann::json::parse(h.Ssi(s.id).status_json)["lastRecovery"]["reason"],
            "InstanceLost");
}

TEST(ControllerTest, IpPoolGivesEachSsiItsOwnIp) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("pool", 2);
  spec.capacity = {3, 0, 3};
  spec.compute.private_ips = {"10.0.1.40", "10.0.2.40", "10.0.1.41"};
  std::string g = h.CreateAndLaunch(spec);
  std::set<std::string> ips;
  for (const auto& s : h.Ssis(g)) {
    ips.insert(s.private_ip);
    EXPECT_EQ(h.CloudInstance(s.instance_id).private_ip, s.private_ip);
  }
  EXPECT_EQ(ips, (std::set<std::string>{"10.0.1.40", "10.0.2.40", "10.0.1.41"}));
}

TEST(ControllerTest, ImportKeepsThePrivateIp) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("imported");
  spec.capacity = {0, 0, 3};
  auto g = h.controller().CreateGroup(spec, "test");
  ASSERT_TRUE(g.ok());
  RunInstanceRequest req;
  req.image_id = h.image();
  req.instance_type = "m5.large";
  req.subnet_id = h.subnets()[0].id;
  req.block_devices = {{"/dev/sdf", 10, "", "gp3", false}};
  req.client_token = "hand-made";
  auto original = h.cloud().RunInstance(req);
  ASSERT_TRUE(original.ok());
  h.RunFor(Duration{20'000});
  std::string ip = h.CloudInstance(original->id).private_ip;
  auto ssi = h.controller().ImportInstance({g->id, original->id, true, true}, "test");
  ASSERT_TRUE(ssi.ok()) << ssi.status().ToString();
  ASSERT_TRUE(h.RunUntil([&] { return h.Ssi(ssi->id).state == SsiState::kActive; }));
  SsiRecord s = h.Ssi(ssi->id);
  EXPECT_EQ(s.private_ip, ip);
  EXPECT_EQ(h.CloudInstance(original->id).state, InstanceState::kTerminated);
  EXPECT_EQ(h.CloudInstance(s.instance_id).private_ip, ip);
  EXPECT_NE(h.CloudInstance(s.instance_id).image_id, h.image());
  // The imported SSI is one more member: the group's target went up with it.
  h.RunFor(Duration{120'000});
  EXPECT_EQ(h.Ssis(g->id).size(), 1u);
}

TEST(ControllerTest, ImportCanBeCancelledBeforeItTouchesTheSource) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("imported");
  spec.capacity = {0, 0, 3};
  auto g = h.controller().CreateGroup(spec, "test");
  ASSERT_TRUE(g.ok());
  RunInstanceRequest req;
  req.image_id = h.image();
  req.instance_type = "m5.large";
  req.subnet_id = h.subnets()[0].id;
  req.client_token = "hand-made";
  auto original = h.cloud().RunInstance(req);
  ASSERT_TRUE(original.ok());
  h.RunFor(Duration{20'000});
  auto ssi = h.controller().ImportInstance({g->id, original->id, true, true}, "test");
  ASSERT_TRUE(ssi.ok());
  ASSERT_TRUE(h.controller().CancelImport(ssi->id, "test").ok());
  ASSERT_TRUE(h.RunUntil([&] { return h.Ssi(ssi->id).state == SsiState::kDeallocated; }));
  EXPECT_EQ(h.CloudInstance(original->id).state, InstanceState::kRunning);
  EXPECT_EQ(nlohmann::json::parse(h.store().GetGroup(g->id)->spec_json)["capacity"]["target"], 0);
  EXPECT_EQ(h.controller().CancelImport(ssi->id, "test").code(), Code::kFailedPrecondition);
}

TEST(ControllerTest, ConflictingActionsAreRefused) {
  ControllerHarness h;
  std::string g = h.CreateAndLaunch(h.BaseSpec("db"));
  SsiRecord s = h.Ssis(g)[0];
  ASSERT_TRUE(h.controller().RecycleSsi(s.id, "a").ok());
  EXPECT_EQ(h.controller().RecycleSsi(s.id, "b").code(), Code::kFailedPrecondition);
  EXPECT_EQ(h.controller().PauseSsi(s.id, "b").code(), Code::kFailedPrecondition);
}

TEST(ControllerTest, MissingImageIsAnErrorAnOperatorCanRetry) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("db");
  std::string doomed = h.cloud().AddImage("short-lived", 8);
  spec.compute.launch_specification.image_id = doomed;
  auto g = h.controller().CreateGroup(spec, "test");
  ASSERT_TRUE(g.ok());
  h.cloud().WithdrawImage(doomed);  // gone between create and launch
  ASSERT_TRUE(h.RunUntil([&] { return h.AllIn(g->id, SsiState::kError); }));
  SsiRecord s = h.Ssis(g->id)[0];
  EXPECT_EQ(ControllerHarness::ConditionReason(s, "Ready"), "ImageNotFound");
  // Fix the spec, retry: it launches.
  spec.compute.launch_specification.image_id = h.image();
  ASSERT_TRUE(h.controller().UpdateGroup(g->id, spec, false, "test").ok());
  ASSERT_TRUE(h.controller().RetrySsi(s.id, "test").ok());
  ASSERT_TRUE(h.RunUntil([&] { return h.Ssi(s.id).state == SsiState::kActive; }));
}

TEST(ControllerTest, IdentityFieldsCannotChangeUnderLiveInstances) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("db");
  std::string g = h.CreateAndLaunch(spec);
  spec.strategy.persistence.block_devices_mode = BlockDevicesMode::kOnLaunch;
  auto r = h.controller().UpdateGroup(g, spec, false, "test");
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("blockDevicesMode"), std::string::npos);
}

TEST(ControllerTest, SpecsNamingWhatTheCloudDoesNotHaveAreRefusedUpFront) {
  ControllerHarness h;
  auto subnets = h.subnets();
  auto expect_refused = [&](const GroupSpec& spec, const std::string& path,
                            const std::string& what) {
    auto r = h.controller().CreateGroup(spec, "test");
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(what), std::string::npos) << r.status().message();
  };
  GroupSpec missing_subnet = h.BaseSpec("a", 1);
  missing_subnet.compute.availability_zones[0].subnet_ids.push_back("subnet-0123456789abcdef0");
  expect_refused(missing_subnet, "compute.availabilityZones[0].subnetIds[1]", "does not exist");

  GroupSpec wrong_az = h.BaseSpec("b", 1);
  wrong_az.compute.availability_zones[0].subnet_ids = {subnets[1].id};
  expect_refused(wrong_az, "compute.availabilityZones[0].subnetIds[0]",
                 "is in " + subnets[1].availability_zone);

  GroupSpec missing_image = h.BaseSpec("c", 1);
  missing_image.compute.launch_specification.image_id = "ami-0123456789abcdef0";
  expect_refused(missing_image, "compute.launchSpecification.imageId", "does not exist");

  GroupSpec ip_outside = h.BaseSpec("d", 1);
  ip_outside.compute.private_ips = {"192.168.77.7"};
  ip_outside.strategy.persistence.should_persist_private_ip = true;
  expect_refused(ip_outside, "compute.privateIps[0]", "is in none of the group's subnets");

  auto groups = h.store().ListGroups(false);
  ASSERT_TRUE(groups.ok());
  EXPECT_TRUE(groups->empty()) << "nothing is stored for a refused spec";

  // An update that changes compute is checked too; the stored spec stays as it was.
  std::string g = h.CreateAndLaunch(h.BaseSpec("e", 1));
  GroupSpec bad = h.BaseSpec("e", 1);
  bad.compute.launch_specification.image_id = "ami-0123456789abcdef0";
  auto u = h.controller().UpdateGroup(g, bad, false, "test");
  EXPECT_EQ(u.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(h.store().GetGroup(g)->generation, 1);
}

TEST(ControllerTest, Ipv4InCidr) {
  EXPECT_TRUE(Ipv4InCidr("10.0.1.9", "10.0.1.0/24"));
  EXPECT_FALSE(Ipv4InCidr("10.0.2.9", "10.0.1.0/24"));
  EXPECT_TRUE(Ipv4InCidr("10.9.9.9", "0.0.0.0/0"));
  EXPECT_FALSE(Ipv4InCidr("10.0.1.9", "10.0.1.0"));
  EXPECT_FALSE(Ipv4InCidr("10.0.1", "10.0.1.0/24"));
  EXPECT_FALSE(Ipv4InCidr("10.0.1.9", "10.0.1.0/33"));
}

TEST(ControllerTest, AMassInterruptionRecoversAtTheRateTheBucketsAllow) {
  // 120 SSIs lose their instances at once. Their recoveries wait on one another's Describe
  // calls; held back by the client-side limiter they must come back together and share
  // batched calls, or single lookups eat the describe bucket and recovery crawls (it once
  // took over an hour). RunInstances allows 5 at once then 2 per second: ~60 s of launches.
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("many", 1);
  spec.capacity = {120, 0, 120};
  spec.strategy.draining_timeout_seconds = 0;
  spec.strategy.persistence.should_persist_root_device = false;
  std::string g = h.CreateAndLaunch(spec);
  std::set<std::string> old;
  for (const auto& s : h.Ssis(g)) old.insert(s.instance_id);
  ASSERT_EQ(old.size(), 120u);
  const int64_t refused_before = h.cloud().stats().throttled;
  for (const auto& id : old) ASSERT_TRUE(h.cloud().Interrupt(id).ok());
  const Time t0 = h.clock().Now();
  ASSERT_TRUE(h.RunUntil(
      [&] {
        auto ssis = h.Ssis(g);
        return std::all_of(ssis.begin(), ssis.end(), [&](const SsiRecord& s) {
          return s.state == SsiState::kActive && !old.count(s.instance_id);
        });
      },
      Duration{15 * 60'000}))
      << "not all recovered within 15 simulated minutes";
  // Two minutes of notice, then ~60 s of launches at the bucket's rate, plus boot and attach.
  EXPECT_LT(h.clock().Now() - t0, Duration{6 * 60'000});
  EXPECT_EQ(h.cloud().stats().throttled, refused_before) << "the cloud refused calls";
}

TEST(ControllerTest, PeriodicSnapshotsKeepOnlyTheNewest) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("db", 1);
  spec.strategy.persistence = {false, true, false, BlockDevicesMode::kOnLaunch};
  spec.snapshots = {5, 2};
  std::string g = h.CreateAndLaunch(spec);
  SsiRecord s = h.Ssis(g)[0];
  h.RunFor(Duration{40 * 60'000});
  int live = 0;
  for (const auto& snap : h.cloud().AllSnapshots()) {
    bool deleted = false;
    for (const auto& d : h.cloud().deletions()) deleted |= d.id == snap.id;
    if (!deleted && snap.tags.count(kTagSsi) && snap.tags.at(kTagSsi) == s.id) ++live;
  }
  EXPECT_GE(live, 2);
  EXPECT_LE(live, 3);  // keep 2, plus at most one in flight
  EXPECT_GE(h.controller().stats().snapshots_taken, 6);
}

TEST(ControllerTest, SingleAzReattachTakesNoPeriodicDataSnapshots) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("db", 1);
  spec.strategy.persistence = {false, true, true, BlockDevicesMode::kReattach};
  h.CreateAndLaunch(spec);
  h.RunFor(Duration{30 * 60'000});
  EXPECT_EQ(h.controller().stats().snapshots_taken, 0);
}

TEST(ControllerTest, ScheduledRecycleRunsOnItsCron) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("db");
  ScheduledTask t;
  t.task_type = TaskType::kStatefulRecycle;
  t.cron_expression = "0 * * * *";  // hourly
  spec.scheduled_tasks.push_back(t);
  std::string g = h.CreateAndLaunch(spec);
  SsiRecord s = h.Ssis(g)[0];
  ASSERT_TRUE(h.RunUntil(
      [&] {
        return h.Ssi(s.id).instance_id != s.instance_id && h.Ssi(s.id).state == SsiState::kActive;
      },
      Duration{2 * 3'600'000}));
  EXPECT_EQ(nlohmann::json::parse(h.Ssi(s.id).status_json)["lastRecovery"]["reason"], "Scheduled");
}

TEST(ControllerTest, OrphansAreCollectedAfterTheGracePeriod) {
  ControllerHarness h;
  std::string g = h.CreateAndLaunch(h.BaseSpec("db"));
  SsiRecord s = h.Ssis(g)[0];
  CreateVolumeRequest req;
  req.availability_zone = s.availability_zone;
  req.size_gib = 1;
  req.tags = {{kTagGroup, g}, {kTagSsi, s.id}};
  req.client_token = "stray";
  auto stray = h.cloud().CreateVolume(req);
  ASSERT_TRUE(stray.ok());
  h.RunFor(Duration{5 * 60'000});
  EXPECT_NE(h.CloudVolume(stray->id).state, "deleted") << "not before the grace period";
  ASSERT_TRUE(h.RunUntil([&] { return h.CloudVolume(stray->id).state == "deleted"; },
                         Duration{30 * 60'000}));
  EXPECT_EQ(h.controller().stats().orphans_deleted, 1);
}

// The audit events of `kind` for one SSI.
std::vector<EventRecord> EventsOfKind(ControllerHarness& h, const std::string& ssi_id,
                                      const std::string& kind) {
  EventQuery q;
  q.ssi_id = ssi_id;
  auto events = h.store().ListEvents(q);
  std::vector<EventRecord> out;
  if (!events.ok()) return out;
  for (const auto& e : *events) {
    if (e.kind == kind) out.push_back(e);
  }
  return out;
}

TEST(ControllerTest, CapacityRebalanceOnRecordsAndRecycles) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("db");
  spec.strategy.capacity_rebalance = true;
  std::string g = h.CreateAndLaunch(spec);
  SsiRecord s = h.Ssis(g)[0];
  ASSERT_TRUE(h.cloud().RecommendRebalance(s.instance_id).ok());
  ASSERT_TRUE(h.RunUntil([&] {
    return h.Ssi(s.id).instance_id != s.instance_id && h.Ssi(s.id).state == SsiState::kActive;
  })) << h.EventLog();
  auto recorded = EventsOfKind(h, s.id, "RebalanceRecommendation");
  ASSERT_EQ(recorded.size(), 1u) << h.EventLog();
  EXPECT_NE(recorded[0].message.find("recycling it proactively"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(h.Ssi(s.id).status_json)["lastRecovery"]["reason"], "Rebalance");
}

TEST(ControllerTest, CapacityRebalanceOffRecordsOnlyAndTheNoticeStillRecovers) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("db");
  spec.strategy.capacity_rebalance = false;
  std::string g = h.CreateAndLaunch(spec);
  SsiRecord s = h.Ssis(g)[0];
  auto workflows_before = h.store().ListWorkflows(s.id);
  ASSERT_TRUE(workflows_before.ok());
  ASSERT_TRUE(h.cloud().RecommendRebalance(s.instance_id).ok());
  // Recorded (audit) as soon as the controller has read it...
  ASSERT_TRUE(h.RunUntil([&] { return !EventsOfKind(h, s.id, "RebalanceRecommendation").empty(); },
                         Duration{60'000}))
      << h.EventLog();
  EXPECT_NE(EventsOfKind(h, s.id, "RebalanceRecommendation")[0].message.find(
                "strategy.capacityRebalance is false"),
            std::string::npos);
  // ...and nothing starts: ten minutes later the same instance serves, no workflow was added
  // and no recycle waits for its turn.
  h.RunFor(Duration{600'000});
  SsiRecord still = h.Ssi(s.id);
  EXPECT_EQ(still.instance_id, s.instance_id);
  EXPECT_EQ(still.state, SsiState::kActive);
  EXPECT_FALSE(nlohmann::json::parse(still.status_json).contains("pending"));
  auto workflows_after = h.store().ListWorkflows(s.id);
  ASSERT_TRUE(workflows_after.ok());
  EXPECT_EQ(workflows_after->size(), workflows_before->size()) << h.EventLog();
  EXPECT_EQ(h.CloudInstance(s.instance_id).state, InstanceState::kRunning);
  // The interruption notice still triggers the recovery.
  ASSERT_TRUE(h.cloud().Interrupt(s.instance_id).ok());
  ASSERT_TRUE(h.RunUntil([&] {
    return h.Ssi(s.id).instance_id != s.instance_id && h.Ssi(s.id).state == SsiState::kActive;
  })) << h.EventLog();
  EXPECT_EQ(nlohmann::json::parse(h.Ssi(s.id).status_json)["lastRecovery"]["reason"],
            "Interrupted");
}

}  // namespace
}  // namespace spotkeeper

namespace spotkeeper {
namespace {

// Recoveries closer together than snapshots.frequencyMinutes (no periodic snapshot ever comes
// due) still keep only snapshots.keep final snapshots of the root: the older ones and their
// images are deleted, not left for the deallocation.
TEST(ControllerTest, RecoveriesKeepOnlySnapshotsKeepFinalSnapshots) {
  ControllerHarness h;
  GroupSpec spec = h.BaseSpec("redis");
  spec.strategy.persistence = {true, false, false, BlockDevicesMode::kReattach};
  spec.snapshots.frequency_minutes = 60;
  spec.snapshots.keep = 2;
  std::string g = h.CreateAndLaunch(spec);
  std::string id = h.Ssis(g)[0].id;
  for (int i = 0; i < 6; ++i) {
    SsiRecord before = h.Ssi(id);
    ASSERT_TRUE(h.controller().RecycleSsi(id, "test").ok());
    ASSERT_TRUE(h.RunUntil([&] {
      SsiRecord s = h.Ssi(id);
      return s.state == SsiState::kActive && s.instance_id != before.instance_id;
    })) << h.EventLog();
  }
  // The reaper deletes what was retired.
  auto live_snapshots = [&] {
    int n = 0;
    for (const auto& s : h.cloud().AllSnapshots()) n += s.state != "deleted" ? 1 : 0;
    return n;
  };
  EXPECT_TRUE(h.RunUntil([&] { return live_snapshots() <= 2; }, Duration{600'000}))
      << live_snapshots() << " snapshots\n"
      << h.EventLog();
  auto current = h.Current(id, "snapshot");
  EXPECT_LE(current.size(), 2u);
  // The image the SSI boots from still has its snapshot.
  SsiRecord s = h.Ssi(id);
  bool image_snapshot_current = false;
  for (const auto& img : h.Current(id, "image")) {
    if (img.id != s.image_id) continue;
    for (const auto& snap : current) image_snapshot_current |= snap.id == img.source_id;
  }
  EXPECT_TRUE(image_snapshot_current) << h.EventLog();
}

}  // namespace
}  // namespace spotkeeper
