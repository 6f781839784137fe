#include <gtest/gtest.h>

#include "cloud/engine/engine_test_util.h"

namespace spotkeeper::cloud {
namespace {

class Images : public EngineTest {
 protected:
  // A running instance with a 2 GiB data volume at /dev/sdf (kept at termination).
  std::string InstanceWithData() {
    RunInstancesRequest r = Launch();
    r.block_devices = {{"/dev/sdf", 2, false, "", "", 0, 0, false, ""}};
    return Running(r);
  }
  Result<ImageRecord> Image(const std::string& instance_id, const std::string& name) {
    CreateImageRequest r;
    r.instance_id = instance_id;
    r.name = name;
    r.description = "root and data of " + instance_id;
    r.no_reboot = true;
    r.tag_specs = {{"image", {{"kind", "image"}}}, {"snapshot", {{"kind", "snap"}}}};
    return engine_->CreateImage(r);
  }
  ImageRecord Describe(const std::string& id) {
    DescribeRequest d;
    d.ids = {id};
    auto page = engine_->DescribeImages(d, {});
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() && !page->items.empty() ? page->items[0] : ImageRecord{};
  }
  std::string SnapshotState(const std::string& id) {
    DescribeRequest d;
    d.ids = {id};
    auto page = engine_->DescribeSnapshots(d, {});
    return page.ok() ? page->items.at(0).state : page.status().cloud_code();
  }
  // A completed snapshot of a new volume of `size` GiB.
  std::string CompletedSnapshot(int size) {
    CreateVolumeRequest v;
    v.availability_zone = "local-1a";
    v.size = size;
    auto vol = engine_->CreateVolume(v);
    Drain();
    CreateSnapshotRequest s;
    s.volume_id = vol->id;
    auto snap = engine_->CreateSnapshot(s);
    EXPECT_TRUE(snap.ok()) << snap.status().ToString();
    Drain();
    return snap->id;
  }
  RegisterImageRequest Registration(const std::string& name, const std::string& root_snapshot) {
    RegisterImageRequest r;
    r.name = name;
    r.root_device_name = "/dev/xvda";
    r.architecture = "x86_64";
    r.virtualization_type = "hvm";
    BlockDeviceRequest root;
    root.device_name = "/dev/xvda";
    root.snapshot_id = root_snapshot;
    r.block_devices = {root};
    return r;
  }
};

TEST_F(Images, CreateImageSnapshotsRootAndDataVolumesThenIsAvailable) {
  std::string id = InstanceWithData();
  auto img = Image(id, "db-1 (2026-01-01)");
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->state, "pending");
  EXPECT_EQ(img->source_instance_id, id);
  ASSERT_EQ(img->data_devices.size(), 1u);
  EXPECT_EQ(img->data_devices[0].device_name, "/dev/sdf");
  EXPECT_EQ(img->data_devices[0].volume_size_gib, 2);
  EXPECT_FALSE(img->data_devices[0].delete_on_termination);
  // Both volumes were captured inside the call.
  EXPECT_EQ(driver_.Snapshots().size(), 2u);
  EXPECT_EQ(State(id), "running");  // never rebooted
  Drain();
  ImageRecord done = Describe(img->id);
  EXPECT_EQ(done.state, "available");
  EXPECT_EQ(done.tags.at("kind"), "image");
  EXPECT_EQ(done.rootfs, "/fake/images/" + std::string(kBaseImageId) + "/rootfs");
  EXPECT_EQ(done.root_size_gib, 8);
  EXPECT_EQ(SnapshotState(done.root_snapshot_id), "completed");
  DescribeRequest d;
  d.ids = {done.root_snapshot_id};
  auto root_snap = engine_->DescribeSnapshots(d, {})->items.at(0);
  EXPECT_EQ(root_snap.tags.at("kind"), "snap");
  EXPECT_EQ(root_snap.volume_id, engine_->FindInstance(id)->instance.root_volume_id);
  EXPECT_NE(root_snap.description.find("Created by CreateImage(" + id + ")"), std::string::npos);
}

TEST_F(Images, CreateImageRefusesWithEc2Codes) {
  std::string id = Running();
  ASSERT_TRUE(Image(id, "taken").ok());
  auto code = [&](const std::string& inst, const std::string& name) {
    return Image(inst, name).status().cloud_code();
  };
  EXPECT_EQ(code(id, "taken"), "InvalidAMIName.Duplicate");
  EXPECT_EQ(code(id, ""), "MissingParameter");
  EXPECT_EQ(code(id, "x"), "InvalidAMIName.Malformed");
  EXPECT_EQ(code(id, "bad*name"), "InvalidAMIName.Malformed");
  EXPECT_EQ(code("", "n1n"), "MissingParameter");
  EXPECT_EQ(code("i-0000000000000000f", "n1n"), "InvalidInstanceID.NotFound");
  auto pending = engine_->RunInstances(Launch());
  EXPECT_EQ(code(pending->instances[0].instance.id, "n2n"), "IncorrectInstanceState");
  CreateImageRequest r;
  r.instance_id = id;
  r.name = "n3n";
  r.tag_specs = {{"instance", {{"a", "b"}}}};
  EXPECT_EQ(engine_->CreateImage(r).status().cloud_code(), "InvalidParameterValue");
}

TEST_F(Images, AnInstanceFromTheImageGetsItsVolumesRestored) {
  std::string source = InstanceWithData();
  auto img = Image(source, "golden");
  Drain();
  ImageRecord golden = Describe(img->id);
  RunInstancesRequest r = Launch("local-1b");  // any zone
  r.image_id = golden.id;
  r.block_devices = {{"/dev/xvda", 12, true, "", "", 0, 0, false, ""}};
  std::string id = Running(r);
  auto view = engine_->FindInstance(id);
  ASSERT_EQ(view->volumes.size(), 2u);
  const VolumeRecord& root = view->volumes[0];
  EXPECT_EQ(root.snapshot_id, golden.root_snapshot_id);
  EXPECT_EQ(root.size_gib, 12);
  EXPECT_EQ(driver_.RestoredFrom(root.id), golden.root_snapshot_id);
  EXPECT_EQ(driver_.VolumeSize(root.id), 12);
  const VolumeRecord& data = view->volumes[1];
  EXPECT_EQ(data.attachment->device, "/dev/sdf");
  EXPECT_EQ(data.snapshot_id, golden.data_devices[0].snapshot_id);
  EXPECT_FALSE(data.attachment->delete_on_termination);
  EXPECT_EQ(driver_.RestoredFrom(data.id), golden.data_devices[0].snapshot_id);
  EXPECT_EQ(driver_.Instances().at(id).config.image_rootfs, golden.rootfs);
  EXPECT_EQ(driver_.Instances().at(id).mounts.at("/dev/sdf").volume_id, data.id);

  // Mappings: a device of the image left out, a new device from a snapshot, sizes checked.
  std::string extra = CompletedSnapshot(3);
  RunInstancesRequest m = Launch();
  m.image_id = golden.id;
  BlockDeviceRequest none;
  none.device_name = "/dev/sdf";
  none.no_device = true;
  BlockDeviceRequest from_snap;
  from_snap.device_name = "/dev/sdg";
  from_snap.snapshot_id = extra;
  from_snap.delete_on_termination = true;
  m.block_devices = {none, from_snap};
  std::string second = Running(m);
  auto v2 = engine_->FindInstance(second);
  ASSERT_EQ(v2->volumes.size(), 2u);
  EXPECT_EQ(v2->volumes[1].attachment->device, "/dev/sdg");
  EXPECT_EQ(v2->volumes[1].size_gib, 3);
  EXPECT_EQ(driver_.RestoredFrom(v2->volumes[1].id), extra);

  auto code = [&](RunInstancesRequest req) {
    return engine_->RunInstances(req).status().cloud_code();
  };
  RunInstancesRequest bad = m;
  bad.block_devices = {{"/dev/sdg", 1, true, "", extra, 0, 0, false, ""}};
  EXPECT_EQ(code(bad), "InvalidBlockDeviceMapping");  // smaller than the snapshot
  bad.block_devices = {{"/dev/xvda", 4, true, "", "", 0, 0, false, ""}};
  EXPECT_EQ(code(bad), "InvalidBlockDeviceMapping");  // smaller than the image's root
  bad.block_devices = {
      {"/dev/sdh", std::nullopt, true, "", "snap-0000000000000000f", 0, 0, false, ""}};
  EXPECT_EQ(code(bad), "InvalidSnapshot.NotFound");
  ExpectHostMatchesState();
}

TEST_F(Images, RegisterImageFromASnapshot) {
  std::string snap = CompletedSnapshot(10);
  RegisterImageRequest r = Registration("registered", snap);
  BlockDeviceRequest data;
  data.device_name = "/dev/sdf";
  data.volume_size = 4;
  data.delete_on_termination = false;
  r.block_devices.push_back(data);
  r.block_devices[0].volume_size = 16;
  r.tag_specs = {{"image", {{"spotkeeper:ssi", "ssi-1"}}}};
  auto img = engine_->RegisterImage(r);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->state, "available");  // the snapshot is completed
  EXPECT_EQ(img->root_snapshot_id, snap);
  EXPECT_EQ(img->root_size_gib, 16);
  EXPECT_EQ(img->rootfs, Describe(kBaseImageId).rootfs);
  EXPECT_EQ(img->tags.at("spotkeeper:ssi"), "ssi-1");
  RunInstancesRequest launch = Launch();
  launch.image_id = img->id;
  std::string id = Running(launch);
  auto view = engine_->FindInstance(id);
  ASSERT_EQ(view->volumes.size(), 2u);
  EXPECT_EQ(driver_.RestoredFrom(view->volumes[0].id), snap);
  EXPECT_EQ(view->volumes[0].size_gib, 16);
  EXPECT_EQ(driver_.RestoredFrom(view->volumes[1].id), "");  // an empty volume
  EXPECT_EQ(view->volumes[1].size_gib, 4);

  auto code = [&](RegisterImageRequest req) {
    return engine_->RegisterImage(req).status().cloud_code();
  };
  EXPECT_EQ(code(Registration("registered", snap)), "InvalidAMIName.Duplicate");
  EXPECT_EQ(code(Registration("", snap)), "MissingParameter");
  EXPECT_EQ(code(Registration("other", "snap-0000000000000000f")), "InvalidSnapshot.NotFound");
  RegisterImageRequest bad = Registration("other", snap);
  bad.architecture = "arm64";
  EXPECT_EQ(code(bad), "InvalidParameterValue");
  bad = Registration("other", snap);
  bad.block_devices[0].volume_size = 2;
  EXPECT_EQ(code(bad), "InvalidBlockDeviceMapping");
  bad = Registration("other", "");
  EXPECT_EQ(code(bad), "InvalidBlockDeviceMapping");
  bad = Registration("other", snap);
  bad.root_device_name = "";
  EXPECT_EQ(code(bad), "MissingParameter");
  bad = Registration("other", snap);
  bad.root_device_name = "/dev/sda1";
  EXPECT_EQ(code(bad), "InvalidBlockDeviceMapping");  // no mapping for the root device
}

TEST_F(Images, RegisteredFromAPendingSnapshotTheImageWaitsForIt) {
  CreateVolumeRequest v;
  v.availability_zone = "local-1a";
  v.size = 1;
  auto vol = engine_->CreateVolume(v);
  Drain();
  CreateSnapshotRequest s;
  s.volume_id = vol->id;
  auto snap = engine_->CreateSnapshot(s);
  auto img = engine_->RegisterImage(Registration("waits", snap->id));
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->state, "pending");
  RunInstancesRequest launch = Launch();
  launch.image_id = img->id;
  EXPECT_EQ(engine_->RunInstances(launch).status().cloud_code(), "InvalidAMIID.Unavailable");
  Drain();
  EXPECT_EQ(Describe(img->id).state, "available");
}

TEST_F(Images, AFailedSnapshotFailsTheImage) {
  std::string id = Running();
  driver_.FailAlways("StoreSnapshot", Unavailable("chunk store full"));
  auto img = Image(id, "doomed");
  ASSERT_TRUE(img.ok());
  Drain();
  ImageRecord r = Describe(img->id);
  EXPECT_EQ(r.state, "failed");
  EXPECT_NE(r.state_reason.find(r.root_snapshot_id), std::string::npos);
}

TEST_F(Images, DeregisterKeepsTheSnapshotsUnlessAskedAndHidesTheImage) {
  std::string id = InstanceWithData();
  auto kept = Image(id, "kept");
  auto dropped = Image(id, "dropped");
  Drain();
  ImageRecord k = Describe(kept->id);
  ImageRecord d = Describe(dropped->id);
  ASSERT_TRUE(engine_->DeregisterImage(k.id, false).ok());
  EXPECT_EQ(SnapshotState(k.root_snapshot_id), "completed");
  EXPECT_EQ(SnapshotState(k.data_devices[0].snapshot_id), "completed");
  DescribeRequest by_id;
  by_id.ids = {k.id};
  EXPECT_EQ(engine_->DescribeImages(by_id, {}).status().cloud_code(), "InvalidAMIID.NotFound");
  EXPECT_EQ(engine_->DeregisterImage(k.id, false).cloud_code(), "InvalidAMIID.NotFound");
  RunInstancesRequest launch = Launch();
  launch.image_id = k.id;
  EXPECT_EQ(engine_->RunInstances(launch).status().cloud_code(), "InvalidAMIID.NotFound");
  ASSERT_TRUE(Image(id, "kept").ok());  // the name is free again
  ASSERT_TRUE(engine_->DeregisterImage(d.id, /*delete_snapshots=*/true).ok());
  EXPECT_EQ(SnapshotState(d.root_snapshot_id), "InvalidSnapshot.NotFound");
  Drain();
  EXPECT_EQ(driver_.Snapshots().count(d.root_snapshot_id), 0u);
  EXPECT_EQ(engine_->DeregisterImage(kBaseImageId, false).cloud_code(), "OperationNotPermitted");
  EXPECT_EQ(engine_->DeregisterImage("", false).cloud_code(), "MissingParameter");
}

TEST_F(Images, AnInstanceStartsAgainAfterItsImageWasDeregistered) {
  std::string source = Running();
  auto img = Image(source, "short-lived");
  Drain();
  RunInstancesRequest launch = Launch();
  launch.image_id = img->id;
  std::string id = Running(launch);
  ASSERT_TRUE(engine_->DeregisterImage(img->id, false).ok());
  ASSERT_TRUE(engine_->StopInstances({id}, false).ok());
  Drain();
  ASSERT_TRUE(engine_->StartInstances({id}).ok());
  Drain();
  EXPECT_EQ(State(id), "running");
}

TEST_F(Images, DescribeImagesFiltersAndOwners) {
  std::string id = InstanceWithData();
  auto img = Image(id, "web-2026");
  Drain();
  ImageRecord r = Describe(img->id);
  auto ids = [&](std::vector<Ec2Filter> filters, std::vector<std::string> owners = {}) {
    DescribeRequest d;
    d.filters = std::move(filters);
    std::vector<std::string> out;
    auto page = engine_->DescribeImages(d, owners);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (page.ok()) {
      for (const ImageRecord& i : page->items) out.push_back(i.id);
    }
    return out;
  };
  std::vector<std::string> just = {r.id};
  EXPECT_EQ(ids({{"block-device-mapping.snapshot-id", {r.data_devices[0].snapshot_id}}}), just);
  EXPECT_EQ(ids({{"name", {"web-*"}}}), just);
  EXPECT_EQ(ids({{"tag:kind", {"image"}}}), just);
  EXPECT_EQ(ids({{"state", {"available"}}}).size(), 2u);  // with the base image
  EXPECT_EQ(ids({{"block-device-mapping.device-name", {"/dev/sdf"}}}), just);
  EXPECT_EQ(ids({}, {"self"}).size(), 2u);
  EXPECT_TRUE(ids({}, {"amazon"}).empty());
}

TEST_F(Images, KilledMidCreateImageFinishesAfterRestart) {
  std::string id = InstanceWithData();
  driver_.FailNext("CaptureSnapshot", Unavailable("killed"));
  auto img = Image(id, "crashy");
  ASSERT_TRUE(img.ok());
  Restart();
  Drain();
  ImageRecord r = Describe(img->id);
  EXPECT_EQ(r.state, "available");
  EXPECT_EQ(SnapshotState(r.root_snapshot_id), "completed");
  EXPECT_EQ(driver_.Snapshots().size(), 2u);
  ExpectHostMatchesState();
}

TEST_F(Images, ALaunchFromAnImageWhoseSnapshotIsGoneFails) {
  std::string id = Running();
  auto img = Image(id, "orphan");
  Drain();
  ImageRecord r = Describe(img->id);
  // Only possible behind the API's back (DeleteSnapshot refuses while the image exists): a
  // state file that lost the snapshot.
  ASSERT_TRUE(db_->DeleteResource(r.root_snapshot_id).ok());
  Restart();
  RunInstancesRequest launch = Launch();
  launch.image_id = r.id;
  EXPECT_EQ(engine_->RunInstances(launch).status().cloud_code(), "InvalidSnapshot.NotFound");
}

}  // namespace
}  // namespace spotkeeper::cloud
