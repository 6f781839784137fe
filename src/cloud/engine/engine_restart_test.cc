// The cloud killed at any point and started again on the same state file and the same host:
// nothing leaks, nothing doubles, nothing that runs is restarted.
#include <gtest/gtest.h>

#include "cloud/engine/engine_test_util.h"

namespace spotkeeper::cloud {
namespace {

using CrashRestart = EngineTest;

TEST_F(CrashRestart, KilledAfterRunInstancesRecordedBeforeAnyHostWork) {
  RunInstancesRequest r = Launch();
  r.block_devices = {{"/dev/sdf", 1, false, "", "", 0, 0, false, ""}};
  r.client_token = "launch-1";
  auto res = engine_->RunInstances(r);
  ASSERT_TRUE(res.ok());
  std::string id = res->instances[0].instance.id;
  Restart();  // the workers never ran
  EXPECT_EQ(driver_.CallCount("Recover"), 2);
  Drain();
  EXPECT_EQ(State(id), "running");
  EXPECT_EQ(driver_.Instances().size(), 1u);
  EXPECT_EQ(driver_.Instances().at(id).starts, 1);
  EXPECT_EQ(driver_.Volumes().size(), 2u);
  // The retry of the call that "got no answer" finds the same instance.
  auto again = engine_->RunInstances(r);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->instances[0].instance.id, id);
  EXPECT_EQ(engine_->DescribeInstances({})->items.size(), 1u);
  ExpectHostMatchesState();
}

TEST_F(CrashRestart, KilledAfterTheHostStartedTheInstanceButBeforeItWasRecorded) {
  RunInstancesRequest r = Launch();
  r.block_devices = {{"/dev/sdf", 1, false, "", "", 0, 0, false, ""}};
  auto res = engine_->RunInstances(r);
  ASSERT_TRUE(res.ok());
  std::string id = res->instances[0].instance.id;
  std::string before = SnapshotDb("before.db");
  Drain();  // the host now runs it; the snapshot does not know
  ASSERT_EQ(driver_.Instances().count(id), 1u);
  Restart(before);
  // Recover removed the half-made instance (and its unrecorded volumes); the launch resumed.
  Drain();
  EXPECT_EQ(State(id), "running");
  EXPECT_EQ(driver_.Instances().size(), 1u);
  EXPECT_EQ(driver_.Instances().at(id).starts, 1);
  EXPECT_EQ(driver_.Instances().at(id).mounts.size(), 1u);
  ExpectHostMatchesState();
}

TEST_F(CrashRestart, ALostCloudDatabaseNeverDeletesAVolumeItDoesNotKnow) {
  std::string id = Running();
  CreateVolumeRequest c;
  c.availability_zone = "local-1a";
  c.size = 1;
  auto v = engine_->CreateVolume(c);
  ASSERT_TRUE(v.ok());
  Drain();
  std::string empty = (dir_ / "empty.db").string();
  Restart(empty);  // a cloud.db lost or rolled back to nothing: a new cloud on the same host
  Drain();
  // The volumes the lost database knew (the data volume, the instance's root) are moved aside,
  // not removed: nothing a user stored is lost because the cloud forgot it.
  EXPECT_EQ(driver_.QuarantinedVolumes().count(v->id), 1u);
  EXPECT_EQ(driver_.QuarantinedVolumes().size(), 2u);
  EXPECT_EQ(driver_.Volumes().count(v->id), 0u);
  (void)id;
}

TEST_F(CrashRestart, AVolumeBeingCreatedAtTheCrashKeepsItsFile) {
  CreateVolumeRequest c;
  c.availability_zone = "local-1a";
  c.size = 1;
  auto v = engine_->CreateVolume(c);
  ASSERT_TRUE(v.ok());
  std::string before = SnapshotDb("creating.db");
  Drain();  // the host made the file; the snapshot still says "creating"
  ASSERT_EQ(driver_.Volumes().count(v->id), 1u);
  Restart(before);
  EXPECT_EQ(driver_.QuarantinedVolumes().size(), 0u);
  Drain();
  EXPECT_EQ(VolumeState(v->id), "available");
  EXPECT_EQ(driver_.Volumes().count(v->id), 1u);
  ExpectHostMatchesState();
}

TEST_F(CrashRestart, ARunningInstanceIsFoundAgainNotRestarted) {
  std::string id = Running();
  int starts = driver_.CallCount("StartInstance");
  Restart();
  Drain();
  EXPECT_EQ(State(id), "running");
  EXPECT_EQ(driver_.CallCount("StartInstance"), starts);
  EXPECT_EQ(driver_.Instances().at(id).starts, 1);
  ExpectHostMatchesState();
}

TEST_F(CrashRestart, KilledMidAttachVolume) {
  std::string id = Running();
  CreateVolumeRequest c;
  c.availability_zone = "local-1a";
  c.size = 1;
  auto v = engine_->CreateVolume(c);
  Drain();
  ASSERT_TRUE(engine_->AttachVolume(v->id, id, "/dev/sdf").ok());
  std::string before = SnapshotDb("attaching.db");
  Drain();  // mounted on the host; the snapshot still says "attaching"
  ASSERT_EQ(driver_.Instances().at(id).mounts.count("/dev/sdf"), 1u);
  Restart(before);
  Drain();
  EXPECT_EQ(Volume(v->id).attachment->status, "attached");
  auto host = driver_.Instances().at(id);
  EXPECT_EQ(host.mounts.size(), 1u);
  EXPECT_EQ(host.mounts.at("/dev/sdf").volume_id, v->id);
  EXPECT_EQ(host.starts, 1);  // the instance itself was not restarted
  ExpectHostMatchesState();

  // And killed before the attach reached the host at all.
  auto w = engine_->CreateVolume(c);
  Drain();
  ASSERT_TRUE(engine_->AttachVolume(w->id, id, "/dev/sdg").ok());
  Restart();
  Drain();
  EXPECT_EQ(Volume(w->id).attachment->status, "attached");
  EXPECT_EQ(driver_.Instances().at(id).mounts.size(), 2u);
  ExpectHostMatchesState();
}

TEST_F(CrashRestart, KilledMidTermination) {
  RunInstancesRequest r = Launch();
  r.block_devices = {{"/dev/sdf", 1, false, "", "", 0, 0, false, ""}};
  std::string id = Running(r);
  ASSERT_TRUE(engine_->TerminateInstances({id}).ok());
  Restart();
  Drain();
  EXPECT_EQ(State(id), "terminated");
  EXPECT_TRUE(driver_.Instances().empty());
  EXPECT_EQ(driver_.Volumes().size(), 1u);  // the DeleteOnTermination=false volume
  EXPECT_TRUE(driver_.Nics().empty());
  ExpectHostMatchesState();
}

TEST_F(CrashRestart, KilledMidVolumeCreateAndDelete) {
  CreateVolumeRequest c;
  c.availability_zone = "local-1b";
  c.size = 4;
  auto v = engine_->CreateVolume(c);
  std::string before = SnapshotDb("creating.db");
  Drain();
  Restart(before);  // the file exists on the host; the state says "creating"
  Drain();
  EXPECT_EQ(VolumeState(v->id), "available");
  ExpectHostMatchesState();
  ASSERT_TRUE(engine_->DeleteVolume(v->id).ok());
  Restart();
  Drain();
  EXPECT_EQ(VolumeState(v->id), "InvalidVolume.NotFound");
  EXPECT_TRUE(driver_.Volumes().empty());
}

TEST_F(CrashRestart, EventsNotYetReceivedSurvive) {
  std::string id = Running();
  Restart();
  EXPECT_EQ(EventStates(id), (std::vector<std::string>{"pending", "running"}));
}

TEST_F(CrashRestart, TheDefaultVpcIsMadeOnce) {
  Drain();
  Restart();
  Drain();
  EXPECT_EQ(engine_->DescribeVpcs({})->size(), 1u);
  EXPECT_EQ(engine_->DescribeSubnets({})->size(), 2u);
  EXPECT_EQ(driver_.Vpcs().size(), 1u);
}

}  // namespace
}  // namespace spotkeeper::cloud
