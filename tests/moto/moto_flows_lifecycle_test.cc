// The controller's pause/resume and deallocate flows through the ec2 provider against
// moto_server.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "moto/moto_flow_fixture.h"

namespace spotkeeper {
namespace {

TEST_F(MotoFlowTest, PauseKeepsEverythingAndResumeBringsItBack) {
  StartController();
  std::string g = h_->CreateAndLaunch(h_->BaseSpec("db"));
  ASSERT_FALSE(g.empty());
  SsiRecord s = h_->Ssis(g)[0];
  std::string data = DataVolume(s.id);
  ASSERT_FALSE(data.empty());

  ASSERT_TRUE(h_->controller().PauseSsi(s.id, "test").ok());
  ASSERT_TRUE(h_->RunUntil([&] { return h_->Ssi(s.id).state == SsiState::kPaused; }))
      << h_->EventLog();
  SsiRecord paused = h_->Ssi(s.id);
  EXPECT_TRUE(paused.instance_id.empty());
  EXPECT_EQ(paused.eni_id, s.eni_id);
  auto old_inst = h_->CloudInstance(s.instance_id);
  ASSERT_TRUE(old_inst.has_value());
  EXPECT_EQ(old_inst->state, InstanceState::kTerminated);
  auto vol = h_->CloudVolume(data);
  ASSERT_TRUE(vol.has_value());
  EXPECT_EQ(vol->state, "available");
  EXPECT_TRUE(vol->attachments.empty());
  // The root lives on in an image registered from its final snapshot.
  auto images = h_->Current(s.id, "image");
  ASSERT_EQ(images.size(), 1u);
  EXPECT_EQ(paused.image_id, images[0].id);
  auto image = h_->CloudImage(images[0].id);
  ASSERT_TRUE(image.has_value());
  EXPECT_EQ(image->state, "available");
  // The ENI keeps its address while paused.
  auto eni = h_->CloudEni(s.eni_id);
  ASSERT_TRUE(eni.has_value());
  EXPECT_EQ(eni->private_ip, s.private_ip);
  // Paused stays paused: several sweeps and reconcile passes launch nothing.
  EXPECT_FALSE(h_->RunUntil(
      [&] { return h_->Ssi(s.id).state != SsiState::kPaused || h_->Ssis(g).size() != 1; },
      std::chrono::milliseconds(1500)));
  EXPECT_EQ(h_->Ssis(g).size(), 1u);
  EXPECT_EQ(h_->Ssi(s.id).state, SsiState::kPaused);

  ASSERT_TRUE(h_->controller().ResumeSsi(s.id, "test").ok());
  ASSERT_TRUE(h_->RunUntil([&] { return h_->Ssi(s.id).state == SsiState::kActive; }))
      << h_->EventLog();
  SsiRecord resumed = h_->Ssi(s.id);
  EXPECT_NE(resumed.instance_id, s.instance_id);
  EXPECT_EQ(resumed.private_ip, s.private_ip);
  EXPECT_EQ(resumed.eni_id, s.eni_id);
  EXPECT_EQ(DataVolume(resumed.id), data);
  auto inst = h_->CloudInstance(resumed.instance_id);
  ASSERT_TRUE(inst.has_value());
  EXPECT_EQ(inst->state, InstanceState::kRunning);
  EXPECT_EQ(inst->image_id, paused.image_id) << "resume boots from the paused root's image";
  EXPECT_EQ(inst->private_ip, s.private_ip);
  EXPECT_EQ(VolumeAt(*inst, "/dev/sdf"), data);
}

// What an SSI owns, by kind, once a recycle has given it an image and a root snapshot.
struct Owned {
  std::string image, snapshot, eni;
  std::vector<std::string> volumes;
};

TEST_F(MotoFlowTest, DeallocateDeletesWhatEachFlagSaysAndKeepsTheRest) {
  StartController();
  GroupSpec spec = h_->BaseSpec("db");
  spec.capacity = {2, 0, 3};
  std::string g = h_->CreateAndLaunch(spec);
  ASSERT_FALSE(g.empty());
  std::vector<SsiRecord> ssis = h_->Ssis(g);
  ASSERT_EQ(ssis.size(), 2u);
  // A recycle registers each SSI's image from a root snapshot: every kind a flag names exists.
  for (const SsiRecord& s : ssis) ASSERT_TRUE(h_->controller().RecycleSsi(s.id, "test").ok());
  ASSERT_TRUE(h_->RunUntil([&] {
    for (const SsiRecord& s : ssis) {
      SsiRecord now = h_->Ssi(s.id);
      if (now.state != SsiState::kActive || now.instance_id == s.instance_id) return false;
    }
    return true;
  })) << h_->EventLog();
  std::vector<Owned> owned;
  for (const SsiRecord& s : ssis) {
    Owned o;
    auto images = h_->Current(s.id, "image");
    auto snaps = h_->Current(s.id, "snapshot");
    ASSERT_EQ(images.size(), 1u);
    ASSERT_EQ(snaps.size(), 1u);
    o.image = images[0].id;
    o.snapshot = snaps[0].id;
    o.eni = h_->Ssi(s.id).eni_id;
    for (const ResourceRecord& v : h_->Current(s.id, "volume")) o.volumes.push_back(v.id);
    ASSERT_EQ(o.volumes.size(), 2u) << "root and /dev/sdf";
    owned.push_back(o);
  }

  // Every flag is on for one SSI and off for the other.
  DeallocationSpec first;
  first.should_delete_images = true;
  first.should_delete_snapshots = true;
  first.should_delete_network_interfaces = true;
  DeallocationSpec second;
  second.should_delete_volumes = true;
  ASSERT_TRUE(h_->controller().DeallocateSsi(ssis[0].id, first, "test").ok());
  ASSERT_TRUE(h_->controller().DeallocateSsi(ssis[1].id, second, "test").ok());
  ASSERT_TRUE(h_->RunUntil([&] {
    return h_->Ssi(ssis[0].id).state == SsiState::kDeallocated &&
           h_->Ssi(ssis[1].id).state == SsiState::kDeallocated;
  })) << h_->EventLog();

  auto status = [&](const std::string& id) {
    auto r = h_->Resource(id);
    return r.has_value() ? r->status : std::string("(no record)");
  };
  for (const SsiRecord& s : ssis) EXPECT_TRUE(h_->Ssi(s.id).instance_id.empty()) << s.id;
  // First SSI: image, snapshot and ENI deleted; its volumes kept, detached.
  const Owned& a = owned[0];
  auto img = h_->CloudImage(a.image);
  EXPECT_TRUE(!img.has_value() || img->state == "deregistered") << a.image;
  EXPECT_EQ(status(a.image), "deleted");
  EXPECT_FALSE(h_->CloudSnapshot(a.snapshot).has_value()) << a.snapshot;
  EXPECT_EQ(status(a.snapshot), "deleted");
  EXPECT_FALSE(h_->CloudEni(a.eni).has_value()) << a.eni;
  EXPECT_EQ(status(a.eni), "deleted");
  for (const std::string& v : a.volumes) {
    auto vol = h_->CloudVolume(v);
    ASSERT_TRUE(vol.has_value()) << v;
    EXPECT_EQ(vol->state, "available") << v;
    EXPECT_EQ(status(v), "released") << v;
  }
  // Second SSI: its volumes deleted; image, snapshot and ENI kept.
  const Owned& b = owned[1];
  img = h_->CloudImage(b.image);
  ASSERT_TRUE(img.has_value()) << b.image;
  EXPECT_EQ(img->state, "available");
  EXPECT_EQ(status(b.image), "released");
  EXPECT_TRUE(h_->CloudSnapshot(b.snapshot).has_value()) << b.snapshot;
  EXPECT_EQ(status(b.snapshot), "released");
  auto eni = h_->CloudEni(b.eni);
  ASSERT_TRUE(eni.has_value()) << b.eni;
  EXPECT_EQ(eni->private_ip, ssis[1].private_ip);
  EXPECT_EQ(status(b.eni), "released");
  for (const std::string& v : b.volumes) {
    auto vol = h_->CloudVolume(v);
    EXPECT_TRUE(!vol.has_value() || vol->state == "deleted") << v;
    EXPECT_EQ(status(v), "deleted") << v;
  }
  // The group shrank by both: nothing new is launched.
  auto group = h_->store().GetGroup(g);
  ASSERT_TRUE(group.ok());
  EXPECT_EQ(nlohmann::json::parse(group->spec_json)["capacity"]["target"], 0);
  EXPECT_EQ(h_->Ssis(g).size(), 2u);
}

}  // namespace
}  // namespace spotkeeper
