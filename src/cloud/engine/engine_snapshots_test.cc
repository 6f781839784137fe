#include <gtest/gtest.h>

#include "cloud/engine/engine_test_util.h"

namespace spotkeeper::cloud {
namespace {

class Snapshots : public EngineTest {
 protected:
  std::string AvailableVolume(const std::string& az = "local-1a", int size = 3) {
    CreateVolumeRequest r;
    r.availability_zone = az;
    r.size = size;
    auto v = engine_->CreateVolume(r);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    Drain();
    return v.ok() ? v->id : "";
  }
  Result<SnapshotRecord> Snap(const std::string& volume_id, TagMap tags = {},
                              const std::string& description = "") {
    CreateSnapshotRequest r;
    r.volume_id = volume_id;
    r.description = description;
    if (!tags.empty()) r.tag_specs = {{"snapshot", tags}};
    return engine_->CreateSnapshot(r);
  }
  SnapshotRecord Describe(const std::string& id) {
    DescribeRequest d;
    d.ids = {id};
    auto page = engine_->DescribeSnapshots(d, {});
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() && !page->items.empty() ? page->items[0] : SnapshotRecord{};
  }
  std::string StateOf(const std::string& id) {
    DescribeRequest d;
    d.ids = {id};
    auto page = engine_->DescribeSnapshots(d, {});
    if (!page.ok()) return page.status().cloud_code();
    return page->items.at(0).state;
  }
  std::vector<std::string> Ids(const DescribeRequest& d, std::vector<std::string> owners = {}) {
    auto page = engine_->DescribeSnapshots(d, owners);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> out;
    if (page.ok()) {
      for (const SnapshotRecord& s : page->items) out.push_back(s.id);
    }
    return out;
  }
  // The "EBS Snapshot Notification" events in the queue: (snapshot ARN, result).
  std::vector<std::pair<std::string, std::string>> SnapshotEvents() {
    std::vector<std::pair<std::string, std::string>> out;
    for (int i = 0; i < 50; ++i) {
      auto got = sqs_->ReceiveMessage("events", 10, 3600, 0);
      if (!got.ok() || got->empty()) break;
      for (const SqsReceived& m : *got) {
        nlohmann::json j = nlohmann::json::parse(m.body);
        if (j["detail-type"] != "EBS Snapshot Notification") continue;
        EXPECT_EQ(j["detail"]["event"].is_string(), true);
        out.emplace_back(j["detail"]["snapshot_id"], j["detail"]["result"]);
      }
    }
    return out;
  }
};

TEST_F(Snapshots, CreateCapturesAtOnceThenStoresToCompleted) {
  std::string vol = AvailableVolume();
  auto s = Snap(vol, {{"Name", "nightly"}}, "before upgrade");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->id.size(), 5u + 17u);
  EXPECT_EQ(s->state, "pending");
  EXPECT_EQ(s->progress, 0);
  EXPECT_EQ(s->volume_id, vol);
  EXPECT_EQ(s->volume_size_gib, 3);
  EXPECT_EQ(s->owner_id, "000000000000");
  EXPECT_TRUE(s->host_captured);
  // The point in time was taken inside the call; storing waits for a worker.
  ASSERT_EQ(driver_.Snapshots().count(s->id), 1u);
  EXPECT_FALSE(driver_.Snapshots().at(s->id).stored);
  Drain();
  SnapshotRecord done = Describe(s->id);
  EXPECT_EQ(done.state, "completed");
  EXPECT_EQ(done.progress, 100);
  EXPECT_EQ(done.description, "before upgrade");
  EXPECT_EQ(done.tags.at("Name"), "nightly");
  EXPECT_TRUE(driver_.Snapshots().at(s->id).stored);
  auto events = SnapshotEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].first, "arn:aws:ec2:local-1::snapshot/" + s->id);
  EXPECT_EQ(events[0].second, "succeeded");
  ExpectHostMatchesState();
}

TEST_F(Snapshots, CreateRefusesWithEc2Codes) {
  auto code = [&](const std::string& vol) { return Snap(vol).status().cloud_code(); };
  EXPECT_EQ(code(""), "MissingParameter");
  EXPECT_EQ(code("vol-0000000000000000f"), "InvalidVolume.NotFound");
  EXPECT_EQ(code("volume-1"), "InvalidVolumeID.Malformed");
  CreateVolumeRequest r;
  r.availability_zone = "local-1a";
  r.size = 1;
  auto creating = engine_->CreateVolume(r);
  EXPECT_EQ(code(creating->id), "IncorrectState");
  Drain();
  CreateSnapshotRequest bad;
  bad.volume_id = creating->id;
  bad.tag_specs = {{"volume", {{"a", "b"}}}};
  EXPECT_EQ(engine_->CreateSnapshot(bad).status().cloud_code(), "InvalidParameterValue");
  EXPECT_TRUE(driver_.Snapshots().empty());
}

TEST_F(Snapshots, AFailingStoreEndsInErrorWithAFailedEvent) {
  std::string vol = AvailableVolume();
  driver_.FailAlways("StoreSnapshot", Unavailable("chunk store full"));
  auto s = Snap(vol);
  ASSERT_TRUE(s.ok());
  Drain();
  SnapshotRecord r = Describe(s->id);
  EXPECT_EQ(r.state, "error");
  EXPECT_NE(r.state_message.find("chunk store full"), std::string::npos);
  EXPECT_EQ(driver_.CallCount("StoreSnapshot"), 3);  // driver_attempts
  auto events = SnapshotEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].second, "failed");
  driver_.FailAlways("StoreSnapshot", OkStatus());
  ASSERT_TRUE(engine_->DeleteSnapshot(s->id).ok());
  Drain();
  EXPECT_TRUE(driver_.Snapshots().empty());
}

TEST_F(Snapshots, DescribeFiltersOwnersAndPages) {
  std::string a = AvailableVolume("local-1a", 2);
  std::string b = AvailableVolume("local-1b", 5);
  std::vector<std::string> of_a;
  for (int i = 0; i < 5; ++i) {
    of_a.push_back(Snap(a, {{"k", "v" + std::to_string(i)}}, "daily " + std::to_string(i))->id);
  }
  std::string of_b = Snap(b, {}, "weekly")->id;
  Drain();
  std::string pending = Snap(b)->id;  // not stored yet
  std::sort(of_a.begin(), of_a.end());
  auto filter = [&](const std::string& name, std::vector<std::string> values) {
    DescribeRequest d;
    d.filters = {{name, std::move(values)}};
    return Ids(d);
  };
  EXPECT_EQ(filter("volume-id", {a}), of_a);
  EXPECT_EQ(filter("volume-size", {"5"}).size(), 2u);
  EXPECT_EQ(filter("status", {"pending"}), std::vector<std::string>{pending});
  EXPECT_EQ(filter("progress", {"100%"}).size(), 6u);
  EXPECT_EQ(filter("description", {"week*"}), std::vector<std::string>{of_b});
  EXPECT_EQ(filter("tag:k", {"v1", "v2"}).size(), 2u);
  EXPECT_EQ(filter("tag-key", {"k"}).size(), 5u);
  EXPECT_EQ(filter("owner-id", {"000000000000"}).size(), 7u);
  EXPECT_EQ(filter("snapshot-id", {of_b}), std::vector<std::string>{of_b});
  EXPECT_EQ(filter("start-time", {"2026-01-01T*"}).size(), 7u);
  DescribeRequest all;
  EXPECT_EQ(Ids(all, {"self"}).size(), 7u);
  EXPECT_EQ(Ids(all, {"000000000000"}).size(), 7u);
  EXPECT_TRUE(Ids(all, {"amazon"}).empty());
  // Pages of 5.
  DescribeRequest page;
  page.max_results = 5;
  auto first = engine_->DescribeSnapshots(page, {"self"});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->items.size(), 5u);
  ASSERT_FALSE(first->next_token.empty());
  page.next_token = first->next_token;
  auto second = engine_->DescribeSnapshots(page, {"self"});
  EXPECT_EQ(second->items.size(), 2u);
  EXPECT_TRUE(second->next_token.empty());
  // Errors.
  auto code = [&](DescribeRequest d) {
    return engine_->DescribeSnapshots(d, {}).status().cloud_code();
  };
  DescribeRequest d;
  d.ids = {"snap-0000000000000000f"};
  EXPECT_EQ(code(d), "InvalidSnapshot.NotFound");
  d.ids = {"snapshot-1"};
  EXPECT_EQ(code(d), "InvalidSnapshotID.Malformed");
  d.ids = {of_b};
  d.max_results = 5;
  EXPECT_EQ(code(d), "InvalidParameterCombination");
  DescribeRequest f;
  f.filters = {{"bogus", {"x"}}};
  EXPECT_EQ(code(f), "InvalidParameterValue");
  DescribeRequest small;
  small.max_results = 4;
  EXPECT_EQ(code(small), "InvalidParameterValue");
}

TEST_F(Snapshots, CopyOfACompletedSnapshotInThisRegion) {
  std::string vol = AvailableVolume("local-1a", 4);
  std::string src = Snap(vol)->id;
  CopySnapshotRequest c;
  c.source_region = "local-1";
  c.source_snapshot_id = src;
  c.tag_specs = {{"snapshot", {{"copy", "yes"}}}};
  EXPECT_EQ(engine_->CopySnapshot(c).status().cloud_code(), "IncorrectState");  // still pending
  Drain();
  auto copy = engine_->CopySnapshot(c);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_NE(copy->id, src);
  EXPECT_EQ(copy->state, "pending");
  EXPECT_EQ(copy->description, "[Copied " + src + " from local-1]");
  EXPECT_EQ(copy->volume_size_gib, 4);
  Drain();
  SnapshotRecord r = Describe(copy->id);
  EXPECT_EQ(r.state, "completed");
  EXPECT_EQ(r.tags.at("copy"), "yes");
  EXPECT_TRUE(driver_.Snapshots().at(copy->id).stored);
  auto code = [&](CopySnapshotRequest req) {
    return engine_->CopySnapshot(req).status().cloud_code();
  };
  CopySnapshotRequest bad = c;
  bad.source_region = "us-east-1";
  EXPECT_EQ(code(bad), "InvalidParameterValue");
  bad.source_region = "";
  EXPECT_EQ(code(bad), "MissingParameter");
  bad = c;
  bad.source_snapshot_id = "snap-0000000000000000f";
  EXPECT_EQ(code(bad), "InvalidSnapshot.NotFound");
  // The copy stands on its own once the source is gone.
  ASSERT_TRUE(engine_->DeleteSnapshot(src).ok());
  Drain();
  CreateVolumeRequest v;
  v.availability_zone = "local-1b";
  v.snapshot_id = copy->id;
  auto restored = engine_->CreateVolume(v);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  Drain();
  EXPECT_EQ(VolumeState(restored->id), "available");
}

TEST_F(Snapshots, DeleteRemovesItAndRefusesWhileAnImageUsesIt) {
  std::string vol = AvailableVolume();
  std::string id = Snap(vol)->id;
  Drain();
  RegisterImageRequest reg;
  reg.name = "from-snap";
  reg.root_device_name = "/dev/xvda";
  BlockDeviceRequest root;
  root.device_name = "/dev/xvda";
  root.snapshot_id = id;
  reg.block_devices = {root};
  auto img = engine_->RegisterImage(reg);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  Status in_use = engine_->DeleteSnapshot(id);
  EXPECT_EQ(in_use.cloud_code(), "InvalidSnapshot.InUse");
  EXPECT_EQ(in_use.message(), "The snapshot " + id + " is currently in use by " + img->id);
  ASSERT_TRUE(engine_->DeregisterImage(img->id, false).ok());
  EXPECT_EQ(StateOf(id), "completed");  // deregistering keeps the snapshot
  ASSERT_TRUE(engine_->DeleteSnapshot(id).ok());
  EXPECT_EQ(StateOf(id), "InvalidSnapshot.NotFound");  // gone at once for callers
  EXPECT_EQ(engine_->DeleteSnapshot(id).cloud_code(), "InvalidSnapshot.NotFound");
  Drain();
  EXPECT_TRUE(driver_.Snapshots().empty());
  EXPECT_EQ(engine_->DeleteSnapshot("").cloud_code(), "MissingParameter");
}

TEST_F(Snapshots, VolumeFromASnapshotInAnyZone) {
  std::string vol = AvailableVolume("local-1a", 6);
  std::string id = Snap(vol)->id;
  CreateVolumeRequest r;
  r.availability_zone = "local-1b";
  r.snapshot_id = id;
  EXPECT_EQ(engine_->CreateVolume(r).status().cloud_code(), "IncorrectState");  // pending
  Drain();
  r.size = 5;
  Status small = engine_->CreateVolume(r).status();
  EXPECT_EQ(small.cloud_code(), "InvalidParameterValue");
  EXPECT_EQ(small.message(),
            "Volume of size 5GB is smaller than snapshot '" + id + "', expect size >= 6GB");
  r.size.reset();
  r.client_token = "restore-1";
  auto v = engine_->CreateVolume(r);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->size_gib, 6);
  EXPECT_EQ(v->snapshot_id, id);
  EXPECT_EQ(engine_->CreateVolume(r)->id, v->id);  // idempotent
  Drain();
  EXPECT_EQ(VolumeState(v->id), "available");
  EXPECT_EQ(driver_.RestoredFrom(v->id), id);
  r.size = 9;
  r.client_token = "";
  auto bigger = engine_->CreateVolume(r);
  ASSERT_TRUE(bigger.ok());
  Drain();
  EXPECT_EQ(driver_.VolumeSize(bigger->id), 9);
  DescribeRequest d;
  d.filters = {{"snapshot-id", {id}}};
  EXPECT_EQ(engine_->DescribeVolumes(d)->items.size(), 2u);
  ExpectHostMatchesState();
}

TEST_F(Snapshots, TagsThroughCreateTagsAndDescribeTags) {
  std::string id = Snap(AvailableVolume())->id;
  ASSERT_TRUE(engine_->CreateTags({id}, {{"team", "db"}}).ok());
  DescribeRequest d;
  d.filters = {{"resource-type", {"snapshot"}}};
  auto tags = engine_->DescribeTags(d);
  ASSERT_EQ(tags->items.size(), 1u);
  EXPECT_EQ(tags->items[0].resource_id, id);
  ASSERT_TRUE(engine_->DeleteTags({id}, {{"team", std::nullopt}}).ok());
  EXPECT_TRUE(Describe(id).tags.empty());
  EXPECT_EQ(engine_->CreateTags({"snap-0000000000000000f"}, {{"a", "b"}}).cloud_code(),
            "InvalidSnapshot.NotFound");
}

// --- crashes: the cloud killed at each point of a snapshot and started again.

TEST_F(Snapshots, KilledBeforeTheCaptureResumesWithTheRestartAsPointInTime) {
  std::string vol = AvailableVolume();
  driver_.FailNext("CaptureSnapshot", Unavailable("killed"));  // as if it died before the call
  auto s = Snap(vol);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->host_captured);
  Restart();
  Drain();
  EXPECT_EQ(Describe(s->id).state, "completed");
  EXPECT_TRUE(driver_.Snapshots().at(s->id).stored);
  ExpectHostMatchesState();
}

TEST_F(Snapshots, KilledAfterTheCaptureBeforeItWasRecorded) {
  std::string vol = AvailableVolume();
  driver_.FailNext("CaptureSnapshot", Unavailable("killed"), /*after_effect=*/true);
  auto s = Snap(vol);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->host_captured);
  Restart();  // Recover keeps the capture: the snapshot is recorded
  EXPECT_EQ(driver_.Snapshots().count(s->id), 1u);
  Drain();
  EXPECT_EQ(Describe(s->id).state, "completed");
  EXPECT_EQ(driver_.Snapshots().size(), 1u);
}

TEST_F(Snapshots, KilledAfterTheStoreBeforeCompletedWasRecorded) {
  std::string vol = AvailableVolume();
  auto s = Snap(vol);
  std::string before = SnapshotDb("captured.db");
  Drain();
  ASSERT_TRUE(driver_.Snapshots().at(s->id).stored);
  Restart(before);
  EXPECT_EQ(Describe(s->id).state, "pending");
  int stores = driver_.CallCount("StoreSnapshot");
  Drain();
  EXPECT_EQ(Describe(s->id).state, "completed");
  EXPECT_EQ(driver_.CallCount("StoreSnapshot"), stores + 1);  // idempotent on the host
  EXPECT_EQ(driver_.Snapshots().size(), 1u);
}

TEST_F(Snapshots, ACaptureTheCloudNeverRecordedIsDroppedAtRestart) {
  std::string vol = AvailableVolume();
  ASSERT_TRUE(driver_.CaptureSnapshot("snap-0000000000000000a", vol).ok());
  Restart();
  EXPECT_TRUE(driver_.Snapshots().empty());
}

TEST_F(Snapshots, AStoreThatFindsItsCaptureGoneCapturesAgain) {
  std::string vol = AvailableVolume();
  auto s = Snap(vol);
  ASSERT_TRUE(driver_.DeleteSnapshot(s->id).ok());  // the host lost it
  Drain();
  EXPECT_EQ(Describe(s->id).state, "completed");
  EXPECT_EQ(driver_.CallCount("CaptureSnapshot"), 2);
}

TEST_F(Snapshots, AVolumeDeletedBeforeItsSnapshotWasCapturedIsCapturedFirst) {
  std::string vol = AvailableVolume();
  driver_.FailNext("CaptureSnapshot", Unavailable("freeze timed out"));
  auto s = Snap(vol);
  ASSERT_TRUE(engine_->DeleteVolume(vol).ok());
  Drain();
  EXPECT_EQ(Describe(s->id).state, "completed");
  EXPECT_EQ(VolumeState(vol), "InvalidVolume.NotFound");
  EXPECT_EQ(driver_.VolumeSize(vol), 0);
}

}  // namespace
}  // namespace spotkeeper::cloud
