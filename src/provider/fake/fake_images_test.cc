// Images: base images, RegisterImage, CreateImage, DeregisterImage.
#include <gtest/gtest.h>

#include "provider/fake/fake_cloud_test_util.h"

namespace spotkeeper::testing_fake {
namespace {

class FakeImagesTest : public FakeCloudTest {
 protected:
  // A completed snapshot of a fresh 8 GiB volume.
  Snapshot CompletedSnapshot() {
    Result<Volume> v = cloud_.CreateVolume({"us-east-1a", 8, "", "gp3", {}, ""});
    EXPECT_TRUE(v.ok());
    Settle(Duration{5000});
    Result<Snapshot> s = cloud_.CreateSnapshot({v->id, "", {}, ""});
    EXPECT_TRUE(s.ok());
    Settle();
    return GetSnapshot(s->id);
  }
};

TEST_F(FakeImagesTest, BaseImagesArePublicAndAvailable) {
  Image base = GetImage(image_);
  EXPECT_EQ(base.id.rfind("ami-", 0), 0u);
  EXPECT_EQ(base.name, "debian-12");
  EXPECT_EQ(base.state, "available");
  EXPECT_EQ(base.root_device_name, "/dev/xvda");
  ASSERT_EQ(base.block_devices.size(), 1u);
  EXPECT_EQ(base.block_devices[0].snapshot_id, "");
  EXPECT_EQ(base.block_devices[0].volume_size_gib, 8);
  EXPECT_TRUE(base.tags.empty());
  SK_EXPECT_ERROR(cloud_.DeregisterImage(image_), Code::kPermissionDenied, "UnauthorizedOperation");
}

TEST_F(FakeImagesTest, RegisterImageIsPendingUntilItsSnapshotsComplete) {
  Result<Volume> v = cloud_.CreateVolume({"us-east-1a", 8, "", "gp3", {}, ""});
  SK_ASSERT_OK(v);
  Settle(Duration{5000});
  Result<Snapshot> s = cloud_.CreateSnapshot({v->id, "", {}, ""});
  SK_ASSERT_OK(s);
  Result<Image> img = cloud_.RegisterImage(
      {"ssi-root-1", "/dev/xvda", {{"/dev/xvda", s->id, 0, true}}, {{kTagSsi, "1"}}, "it"});
  SK_ASSERT_OK(img);
  EXPECT_EQ(img->state, "pending");
  EXPECT_EQ(img->block_devices[0].volume_size_gib, 8);
  EXPECT_EQ(img->tags, (Tags{{kTagSsi, "1"}, {kTagToken, "it"}}));
  // Pending while the snapshot is; available 1..3 s after it completes.
  Time snap_done = kNever;
  for (int i = 0; i < 400 && GetSnapshot(s->id).state != "completed"; ++i) {
    Advance(Duration{100});
    snap_done = clock_.Now();
  }
  EXPECT_EQ(GetImage(img->id).state, "pending");
  Advance(Duration{3000});
  EXPECT_EQ(GetImage(img->id).state, "available");
  EXPECT_LT(snap_done, clock_.Now());
  // The snapshot is in use while the image is registered.
  SK_EXPECT_ERROR(cloud_.DeleteSnapshot(s->id), Code::kFailedPrecondition, "InvalidSnapshot.InUse");

  // Launch from it: the root volume is restored from the snapshot.
  RunInstanceRequest r = LaunchRequest();
  r.image_id = img->id;
  Result<Instance> inst = cloud_.RunInstance(r);
  SK_ASSERT_OK(inst);
  EXPECT_EQ(GetVolume(inst->block_devices[0].volume_id).snapshot_id, s->id);

  // Deregistered: gone from Describe, snapshot deletable, repeat is fine.
  SK_ASSERT_OK(cloud_.DeregisterImage(img->id));
  SK_EXPECT_OK(cloud_.DeregisterImage(img->id));
  SK_EXPECT_ERROR(cloud_.DescribeImages({{img->id}, {}, {}, ""}), Code::kNotFound,
                  "InvalidAMIID.NotFound");
  EXPECT_EQ(GetImage(img->id).state, "deregistered");
  SK_EXPECT_ERROR(cloud_.RunInstance(r), Code::kNotFound, "InvalidAMIID.NotFound");
  SK_EXPECT_OK(cloud_.DeleteSnapshot(s->id));
  SK_EXPECT_ERROR(cloud_.DeregisterImage("ami-00000000000000000"), Code::kNotFound,
                  "InvalidAMIID.NotFound");
}

TEST_F(FakeImagesTest, RegisterImageErrors) {
  Snapshot s = CompletedSnapshot();
  SK_EXPECT_ERROR(cloud_.RegisterImage({"x", "/dev/xvda", {{"/dev/xvda", s.id, 0, true}}, {}, ""}),
                  Code::kInvalidArgument, "InvalidAMIName.Malformed");
  SK_EXPECT_ERROR(
      cloud_.RegisterImage(
          {"img", "/dev/xvda", {{"/dev/xvda", "snap-00000000000000000", 0, true}}, {}, ""}),
      Code::kNotFound, "InvalidSnapshot.NotFound");
  SK_EXPECT_ERROR(cloud_.RegisterImage({"img", "/dev/xvda", {{"/dev/sdf", s.id, 0, true}}, {}, ""}),
                  Code::kInvalidArgument, "InvalidBlockDeviceMapping");
  SK_EXPECT_ERROR(cloud_.RegisterImage({"img", "/dev/xvda", {{"/dev/xvda", "", 8, true}}, {}, ""}),
                  Code::kInvalidArgument, "InvalidBlockDeviceMapping");
  SK_EXPECT_ERROR(
      cloud_.RegisterImage({"img", "/dev/xvda", {{"/dev/xvda", s.id, 4, true}}, {}, ""}),
      Code::kInvalidArgument, "InvalidParameterValue");
  SK_EXPECT_ERROR(cloud_.RegisterImage({"img", "", {{"/dev/xvda", s.id, 0, true}}, {}, ""}),
                  Code::kInvalidArgument, "MissingParameter");
  SK_ASSERT_OK(cloud_.RegisterImage({"img", "/dev/xvda", {{"/dev/xvda", s.id, 0, true}}, {}, ""}));
  SK_EXPECT_ERROR(
      cloud_.RegisterImage({"img", "/dev/xvda", {{"/dev/xvda", s.id, 0, true}}, {}, ""}),
      Code::kAlreadyExists, "InvalidAMIName.Duplicate");
  // An image on completed snapshots only waits the short registration delay.
  Settle(Duration{3000});
  Result<std::vector<Image>> imgs = cloud_.DescribeImages({{}, {}, {"available"}, ""});
  SK_ASSERT_OK(imgs);
  EXPECT_EQ(imgs->size(), 2u);  // the base image and "img"
}

TEST_F(FakeImagesTest, CreateImageSnapshotsEveryVolume) {
  RunInstanceRequest r = LaunchRequest();
  r.block_devices = {{"/dev/sdf", 20, "", "gp3", false}};
  Result<Instance> inst = cloud_.RunInstance(r);
  SK_ASSERT_OK(inst);
  SK_EXPECT_ERROR(cloud_.CreateImage({inst->id, "img-1", true, {}, ""}), Code::kFailedPrecondition,
                  "IncorrectInstanceState");  // pending
  Settle(Duration{10'000});
  const Time t0 = clock_.Now();
  Result<Image> img = cloud_.CreateImage({inst->id, "img-1", true, {{kTagSsi, "9"}}, "ci"});
  SK_ASSERT_OK(img);
  EXPECT_EQ(img->state, "pending");
  EXPECT_EQ(img->root_device_name, "/dev/xvda");
  ASSERT_EQ(img->block_devices.size(), 2u);
  EXPECT_TRUE(img->block_devices[0].delete_on_termination);
  EXPECT_EQ(img->block_devices[1].device_name, "/dev/sdf");
  EXPECT_EQ(img->block_devices[1].volume_size_gib, 20);
  EXPECT_FALSE(img->block_devices[1].delete_on_termination);
  for (const ImageBlockDevice& d : img->block_devices) {
    Snapshot s = GetSnapshot(d.snapshot_id);
    EXPECT_EQ(s.start_time, t0);
    EXPECT_EQ(s.tags.at(kTagToken), "ci");
    EXPECT_EQ(s.tags.at(kTagSsi), "9");
  }
  Settle();
  EXPECT_EQ(GetImage(img->id).state, "available");
  // A launch from it gets both volumes back from the snapshots.
  RunInstanceRequest again = LaunchRequest();
  again.image_id = img->id;
  Result<Instance> copy = cloud_.RunInstance(again);
  SK_ASSERT_OK(copy);
  ASSERT_EQ(copy->block_devices.size(), 2u);
  EXPECT_EQ(GetVolume(copy->block_devices[1].volume_id).snapshot_id,
            img->block_devices[1].snapshot_id);
  EXPECT_EQ(GetVolume(copy->block_devices[1].volume_id).size_gib, 20);
}

TEST_F(FakeImagesTest, DescribeImagesByTag) {
  Snapshot s = CompletedSnapshot();
  SK_ASSERT_OK(cloud_.RegisterImage(
      {"a-img", "/dev/xvda", {{"/dev/xvda", s.id, 0, true}}, {{kTagSsi, "a"}}, ""}));
  Result<Image> b = cloud_.RegisterImage(
      {"b-img", "/dev/xvda", {{"/dev/xvda", s.id, 0, true}}, {{kTagSsi, "b"}}, ""});
  SK_ASSERT_OK(b);
  Result<std::vector<Image>> got = cloud_.DescribeImages({{}, {{kTagSsi, "b"}}, {}, ""});
  SK_ASSERT_OK(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].id, b->id);
}

}  // namespace
}  // namespace spotkeeper::testing_fake
