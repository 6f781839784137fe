// Volumes and snapshots.
#include <gtest/gtest.h>

#include "provider/fake/fake_cloud_test_util.h"

namespace spotkeeper::testing_fake {
namespace {

class FakeStorageTest : public FakeCloudTest {
 protected:
  Volume MakeVolume(const std::string& az = "us-east-1a", int size = 10,
                    const std::string& token = "") {
    Result<Volume> v = cloud_.CreateVolume({az, size, "", "gp3", {{"k", "v"}}, token});
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : Volume{};
  }
  // A running instance in us-east-1a.
  Instance Running() {
    Instance i = Launch();
    Settle(Duration{10'000});
    return Get(i.id);
  }
};

TEST_F(FakeStorageTest, CreateVolumeIsCreatingThenAvailable) {
  const Time t0 = clock_.Now();
  Volume v = MakeVolume("us-east-1b", 10, "vt-1");
  EXPECT_EQ(v.id.rfind("vol-", 0), 0u);
  EXPECT_EQ(v.state, "creating");
  EXPECT_EQ(v.size_gib, 10);
  EXPECT_EQ(v.availability_zone, "us-east-1b");
  EXPECT_EQ(v.create_time, t0);
  EXPECT_EQ(v.tags, (Tags{{"k", "v"}, {kTagToken, "vt-1"}}));
  Advance(Duration{999});
  EXPECT_EQ(GetVolume(v.id).state, "creating");
  Advance(Duration{2001});  // 1..3 s
  EXPECT_EQ(GetVolume(v.id).state, "available");
}

TEST_F(FakeStorageTest, CreateVolumeErrors) {
  SK_EXPECT_ERROR(cloud_.CreateVolume({"us-west-2a", 10, "", "gp3", {}, ""}),
                  Code::kInvalidArgument, "InvalidParameterValue");
  SK_EXPECT_ERROR(cloud_.CreateVolume({"us-east-1a", 0, "", "gp3", {}, ""}), Code::kInvalidArgument,
                  "MissingParameter");
  SK_EXPECT_ERROR(cloud_.CreateVolume({"us-east-1a", 20000, "", "gp3", {}, ""}),
                  Code::kInvalidArgument, "InvalidParameterValue");
  SK_EXPECT_ERROR(cloud_.CreateVolume({"us-east-1a", 10, "", "ssd", {}, ""}),
                  Code::kInvalidArgument, "InvalidParameterValue");
  SK_EXPECT_ERROR(cloud_.CreateVolume({"us-east-1a", 0, "snap-00000000000000000", "gp3", {}, ""}),
                  Code::kNotFound, "InvalidSnapshot.NotFound");
  SK_EXPECT_ERROR(cloud_.CreateVolume({"us-east-1a", 10, "", "gp3", {{"aws:x", "1"}}, ""}),
                  Code::kInvalidArgument, "InvalidParameterValue");
  EXPECT_TRUE(cloud_.AllVolumes().empty());
}

TEST_F(FakeStorageTest, CreateVolumeFromSnapshot) {
  Volume src = MakeVolume("us-east-1a", 12);
  Settle(Duration{5000});
  Result<Snapshot> snap = cloud_.CreateSnapshot({src.id, "", {}, ""});
  SK_ASSERT_OK(snap);
  SK_EXPECT_ERROR(cloud_.CreateVolume({"us-east-1c", 0, snap->id, "gp3", {}, ""}),
                  Code::kFailedPrecondition, "IncorrectState");
  Settle();
  SK_EXPECT_ERROR(cloud_.CreateVolume({"us-east-1c", 11, snap->id, "gp3", {}, ""}),
                  Code::kInvalidArgument, "InvalidParameterValue");
  Result<Volume> v = cloud_.CreateVolume({"us-east-1c", 0, snap->id, "gp3", {}, ""});
  SK_ASSERT_OK(v);
  EXPECT_EQ(v->size_gib, 12);  // the snapshot's size
  EXPECT_EQ(v->snapshot_id, snap->id);
  EXPECT_EQ(v->availability_zone, "us-east-1c");  // snapshots are regional
  Result<Volume> bigger = cloud_.CreateVolume({"us-east-1a", 30, snap->id, "gp3", {}, ""});
  SK_ASSERT_OK(bigger);
  EXPECT_EQ(bigger->size_gib, 30);
}

TEST_F(FakeStorageTest, CreateVolumeClientToken) {
  Volume a = MakeVolume("us-east-1a", 10, "vt");
  Volume b = MakeVolume("us-east-1a", 10, "vt");
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(cloud_.AllVolumes().size(), 1u);
  SK_EXPECT_ERROR(cloud_.CreateVolume({"us-east-1a", 11, "", "gp3", {{"k", "v"}}, "vt"}),
                  Code::kInvalidArgument, "IdempotentParameterMismatch");
  Settle(Duration{5000});
  EXPECT_EQ(MakeVolume("us-east-1a", 10, "vt").state, "available");  // its current state
}

TEST_F(FakeStorageTest, AttachAndDetach) {
  Instance inst = Running();
  Volume v = MakeVolume();
  // Not available yet.
  SK_EXPECT_ERROR(cloud_.AttachVolume(v.id, inst.id, "/dev/sdf"), Code::kFailedPrecondition,
                  "IncorrectState");
  Settle(Duration{5000});
  SK_ASSERT_OK(cloud_.AttachVolume(v.id, inst.id, "/dev/sdf"));
  Volume att = GetVolume(v.id);
  EXPECT_EQ(att.state, "in-use");
  ASSERT_EQ(att.attachments.size(), 1u);
  EXPECT_EQ(att.attachments[0].state, "attaching");
  EXPECT_EQ(att.attachments[0].device, "/dev/sdf");
  EXPECT_FALSE(att.attachments[0].delete_on_termination);
  Advance(Duration{2000});  // 1..2 s
  EXPECT_EQ(GetVolume(v.id).attachments[0].state, "attached");
  Instance with = Get(inst.id);
  ASSERT_EQ(with.block_devices.size(), 2u);
  EXPECT_EQ(with.block_devices[1].volume_id, v.id);
  EXPECT_EQ(with.block_devices[1].status, "attached");

  // Attached: a second attach is refused, as is a delete.
  SK_EXPECT_ERROR(cloud_.AttachVolume(v.id, inst.id, "/dev/sdg"), Code::kFailedPrecondition,
                  "VolumeInUse");
  SK_EXPECT_ERROR(cloud_.DeleteVolume(v.id), Code::kFailedPrecondition, "VolumeInUse");

  SK_ASSERT_OK(cloud_.DetachVolume(v.id, false));
  EXPECT_EQ(GetVolume(v.id).attachments[0].state, "detaching");
  EXPECT_EQ(Get(inst.id).block_devices[1].status, "detaching");
  SK_EXPECT_OK(cloud_.DetachVolume(v.id, true));  // already on its way
  Advance(Duration{2000});
  Volume free = GetVolume(v.id);
  EXPECT_EQ(free.state, "available");
  EXPECT_TRUE(free.attachments.empty());
  EXPECT_EQ(Get(inst.id).block_devices.size(), 1u);
  SK_EXPECT_ERROR(cloud_.DetachVolume(v.id, false), Code::kFailedPrecondition, "IncorrectState");
  // The device name is free again.
  SK_EXPECT_OK(cloud_.AttachVolume(v.id, inst.id, "/dev/sdf"));
}

TEST_F(FakeStorageTest, AttachVolumeErrors) {
  Instance inst = Running();
  Volume other_az = MakeVolume("us-east-1b");
  Volume v = MakeVolume();
  Volume w = MakeVolume();
  Settle(Duration{5000});
  SK_EXPECT_ERROR(cloud_.AttachVolume(other_az.id, inst.id, "/dev/sdf"), Code::kInvalidArgument,
                  "InvalidVolume.ZoneMismatch");
  SK_EXPECT_ERROR(cloud_.AttachVolume(v.id, inst.id, "/dev/xvda"), Code::kInvalidArgument,
                  "InvalidParameterValue");  // the root's attachment point
  SK_EXPECT_ERROR(cloud_.AttachVolume(v.id, inst.id, "sdf"), Code::kInvalidArgument,
                  "InvalidParameterValue");
  SK_EXPECT_ERROR(cloud_.AttachVolume("vol-00000000000000000", inst.id, "/dev/sdf"),
                  Code::kNotFound, "InvalidVolume.NotFound");
  SK_EXPECT_ERROR(cloud_.AttachVolume(v.id, "i-00000000000000000", "/dev/sdf"), Code::kNotFound,
                  "InvalidInstanceID.NotFound");
  SK_ASSERT_OK(cloud_.AttachVolume(v.id, inst.id, "/dev/sdf"));
  SK_EXPECT_ERROR(cloud_.AttachVolume(w.id, inst.id, "/dev/sdf"), Code::kInvalidArgument,
                  "InvalidParameterValue");  // attachment point in use (while attaching)
  // Pending instance.
  Instance pending = Launch();
  SK_EXPECT_ERROR(cloud_.AttachVolume(w.id, pending.id, "/dev/sdf"), Code::kFailedPrecondition,
                  "IncorrectState");
  // Root volumes of running instances cannot be detached.
  SK_EXPECT_ERROR(cloud_.DetachVolume(inst.block_devices[0].volume_id, true),
                  Code::kFailedPrecondition, "IncorrectState");
}

TEST_F(FakeStorageTest, DeleteVolume) {
  Volume v = MakeVolume();
  SK_EXPECT_ERROR(cloud_.DeleteVolume(v.id), Code::kFailedPrecondition, "IncorrectState");
  Settle(Duration{5000});
  const Time t0 = clock_.Now();
  SK_ASSERT_OK(cloud_.DeleteVolume(v.id));
  Result<std::vector<Volume>> during = cloud_.DescribeVolumes({{v.id}, {}, {}, ""});
  SK_ASSERT_OK(during);
  EXPECT_EQ((*during)[0].state, "deleting");
  SK_EXPECT_OK(cloud_.DeleteVolume(v.id));  // deleting already
  Settle(Duration{5000});
  SK_EXPECT_ERROR(cloud_.DescribeVolumes({{v.id}, {}, {}, ""}), Code::kNotFound,
                  "InvalidVolume.NotFound");
  SK_EXPECT_ERROR(cloud_.DeleteVolume(v.id), Code::kNotFound, "InvalidVolume.NotFound");
  EXPECT_EQ(GetVolume(v.id).state, "deleted");
  std::vector<FakeCloud::Deletion> d = cloud_.deletions();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].id, v.id);
  EXPECT_EQ(d[0].kind, "volume");
  EXPECT_EQ(d[0].cause, "api");
  EXPECT_GE(d[0].at, t0 + Duration{500});
  EXPECT_LE(d[0].at, t0 + Duration{1000});
}

TEST_F(FakeStorageTest, DescribeVolumesFilters) {
  Volume a = MakeVolume("us-east-1a");
  Volume b = MakeVolume("us-east-1b");
  SK_ASSERT_OK(cloud_.CreateTags({b.id}, {{kTagSsi, "s1"}}));
  Settle(Duration{5000});
  Volume c = MakeVolume("us-east-1a");
  auto count = [&](const Filter& f) {
    Result<std::vector<Volume>> got = cloud_.DescribeVolumes(f);
    EXPECT_TRUE(got.ok());
    return got.ok() ? got->size() : 0;
  };
  EXPECT_EQ(count({}), 3u);
  EXPECT_EQ(count({{}, {}, {"available"}, ""}), 2u);
  EXPECT_EQ(count({{}, {}, {"creating"}, "us-east-1a"}), 1u);
  EXPECT_EQ(count({{}, {{kTagSsi, "s1"}}, {}, ""}), 1u);
  EXPECT_EQ(count({{}, {{"k", "v"}}, {}, "us-east-1a"}), 2u);
  EXPECT_EQ(count({{a.id, c.id}, {}, {}, ""}), 2u);
  SK_EXPECT_ERROR(cloud_.DescribeVolumes({{"volume-1"}, {}, {}, ""}), Code::kInvalidArgument,
                  "InvalidVolumeID.Malformed");
}

TEST_F(FakeStorageTest, SnapshotTimelineAndProgress) {
  FakeCloudOptions o = Unthrottled();
  o.snapshot_base = {Duration{10'000}, Duration{10'000}};
  o.snapshot_per_gib = Duration{1000};
  o.snapshot_incremental_fraction = 0.1;
  FakeClock clock;
  FakeCloud cloud(&clock, 3, o);
  Result<Volume> v = cloud.CreateVolume({"us-east-1a", 10, "", "gp3", {}, ""});
  SK_ASSERT_OK(v);
  clock.Advance(Duration{5000});
  const Time t0 = clock.Now();
  Result<Snapshot> full = cloud.CreateSnapshot({v->id, "first", {{"n", "1"}}, "st"});
  SK_ASSERT_OK(full);
  EXPECT_EQ(full->state, "pending");
  EXPECT_EQ(full->progress, "0%");
  EXPECT_EQ(full->start_time, t0);  // the point in time
  EXPECT_EQ(full->volume_id, v->id);
  EXPECT_EQ(full->volume_size_gib, 10);
  EXPECT_EQ(full->description, "first");
  EXPECT_EQ(full->tags, (Tags{{"n", "1"}, {kTagToken, "st"}}));
  // Full copy: 10 s + 10 GiB * 1 s = 20 s.
  clock.Advance(Duration{10'000});
  Result<std::vector<Snapshot>> mid = cloud.DescribeSnapshots({{full->id}, {}, {}, ""});
  SK_ASSERT_OK(mid);
  EXPECT_EQ((*mid)[0].progress, "50%");
  clock.Advance(Duration{9'999});
  EXPECT_EQ((*cloud.DescribeSnapshots({{full->id}, {}, {}, ""}))[0].state, "pending");
  clock.Advance(Duration{1});
  Result<std::vector<Snapshot>> done = cloud.DescribeSnapshots({{full->id}, {}, {}, ""});
  SK_ASSERT_OK(done);
  EXPECT_EQ((*done)[0].state, "completed");
  EXPECT_EQ((*done)[0].progress, "100%");
  // Incremental: 10 s + 10 GiB * 0.1 s = 11 s.
  const Time t1 = clock.Now();
  Result<Snapshot> incr = cloud.CreateSnapshot({v->id, "second", {}, ""});
  SK_ASSERT_OK(incr);
  EXPECT_EQ(cloud.NextTransitionTime(), t1 + Duration{11'000});
  // The same (same seed, same calls) happens for a second, identical cloud: no hidden state.
  FakeClock clock2;
  FakeCloud cloud2(&clock2, 3, o);
  SK_ASSERT_OK(cloud2.CreateVolume({"us-east-1a", 10, "", "gp3", {}, ""}));
  clock2.Advance(Duration{5000});
  Result<Snapshot> again = cloud2.CreateSnapshot({v->id, "first", {{"n", "1"}}, "st"});
  SK_ASSERT_OK(again);
  EXPECT_EQ(again->id, full->id);
}

TEST_F(FakeStorageTest, SnapshotOfAnyUsableVolume) {
  Volume v = MakeVolume();
  SK_EXPECT_ERROR(cloud_.CreateSnapshot({v.id, "", {}, ""}), Code::kFailedPrecondition,
                  "IncorrectState");  // still creating
  SK_EXPECT_ERROR(cloud_.CreateSnapshot({"vol-00000000000000000", "", {}, ""}), Code::kNotFound,
                  "InvalidVolume.NotFound");
  Instance inst = Running();
  SK_EXPECT_OK(cloud_.CreateSnapshot({inst.block_devices[0].volume_id, "in-use", {}, ""}));
  Settle(Duration{5000});
  SK_EXPECT_OK(cloud_.CreateSnapshot({v.id, "available", {}, ""}));
}

TEST_F(FakeStorageTest, DeleteSnapshot) {
  Volume v = MakeVolume();
  Settle(Duration{5000});
  Result<Snapshot> s = cloud_.CreateSnapshot({v.id, "", {{kTagSsi, "x"}}, ""});
  SK_ASSERT_OK(s);
  SK_ASSERT_OK(cloud_.DeleteSnapshot(s->id));  // pending snapshots can be deleted
  SK_EXPECT_ERROR(cloud_.DeleteSnapshot(s->id), Code::kNotFound, "InvalidSnapshot.NotFound");
  SK_EXPECT_ERROR(cloud_.DescribeSnapshots({{s->id}, {}, {}, ""}), Code::kNotFound,
                  "InvalidSnapshot.NotFound");
  Result<std::vector<Snapshot>> by_tag = cloud_.DescribeSnapshots({{}, {{kTagSsi, "x"}}, {}, ""});
  SK_ASSERT_OK(by_tag);
  EXPECT_TRUE(by_tag->empty());
  EXPECT_EQ(GetSnapshot(s->id).state, "deleted");
  Settle();
  EXPECT_EQ(GetSnapshot(s->id).state, "deleted");  // never completes
  std::vector<FakeCloud::Deletion> d = cloud_.deletions();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].kind, "snapshot");
  EXPECT_EQ(d[0].cause, "api");
}

}  // namespace
}  // namespace spotkeeper::testing_fake
