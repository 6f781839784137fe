// The controller's import and event flows through the ec2 provider against moto_server: an
// instance launched with boto3 is imported keeping its private IP, and an EventBridge-shaped spot
// interruption warning on the SQS queue makes the controller recycle the SSI.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>

#include "moto/moto_flow_fixture.h"

namespace spotkeeper {
namespace {

struct Launched {
  std::string instance_id;
  std::string private_ip;
};

// Runs tests/moto/boto3_run_instance.py against moto (the same python moto_server runs on).
std::optional<Launched> RunWithBoto3(const std::string& endpoint, const std::string& subnet,
                                     const std::string& image) {
  const char* python = std::getenv("SPOTKEEPER_PYTHON");
  std::string cmd = std::string(python != nullptr && *python != '\0' ? python : "python3") + " " +
                    SK_MOTO_TESTS_DIR "/boto3_run_instance.py " + endpoint + " " + subnet + " " +
                    image + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    ADD_FAILURE() << "popen " << cmd;
    return std::nullopt;
  }
  std::string out;
  std::array<char, 512> buf{};
  while (fgets(buf.data(), static_cast<int>(buf.size()), p) != nullptr) out += buf.data();
  int rc = pclose(p);
  if (rc != 0) {
    ADD_FAILURE() << cmd << " exited " << rc << ":\n" << out;
    return std::nullopt;
  }
  Launched l;
  std::istringstream in(out);
  in >> l.instance_id >> l.private_ip;
  if (l.instance_id.rfind("i-", 0) != 0 || l.private_ip.empty()) {
    ADD_FAILURE() << "unexpected output of " << cmd << ":\n" << out;
    return std::nullopt;
  }
  return l;
}

// Exactly what an EventBridge rule puts on an SQS queue for a spot interruption warning.
std::string InterruptionWarning(const std::string& id, const std::string& instance_id) {
  return R"({"version":"0","id":")" + id +
         R"(","detail-type":"EC2 Spot Instance Interruption Warning","source":"aws.ec2",)"
         R"("account":"123456789012","time":"2026-03-01T10:00:00Z","region":"us-east-1",)"
         R"("resources":["arn:aws:ec2:us-east-1:123456789012:instance/)" +
         instance_id + R"("],"detail":{"instance-id":")" + instance_id +
         R"(","instance-action":"terminate"}})";
}

TEST_F(MotoFlowTest, ImportOfABoto3InstanceKeepsItsPrivateIp) {
  StartController();
  GroupSpec spec = h_->BaseSpec("imported");
  spec.capacity = {0, 0, 3};
  auto g = h_->controller().CreateGroup(spec, "test");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  auto original = RunWithBoto3(server_->endpoint(), h_->subnets()[0].id, h_->image());
  ASSERT_TRUE(original.has_value());
  auto src = h_->CloudInstance(original->instance_id);
  ASSERT_TRUE(src.has_value());
  ASSERT_EQ(src->private_ip, original->private_ip);
  std::string src_data = VolumeAt(*src, "/dev/sdf");
  ASSERT_FALSE(src_data.empty());
  std::string src_root = VolumeAt(*src, src->root_device_name);
  ASSERT_FALSE(src_root.empty());

  auto ssi = h_->controller().ImportInstance({g->id, original->instance_id, true, true}, "test");
  ASSERT_TRUE(ssi.ok()) << ssi.status().ToString();
  ASSERT_TRUE(h_->RunUntil([&] { return h_->Ssi(ssi->id).state == SsiState::kActive; }))
      << h_->EventLog();
  SsiRecord s = h_->Ssi(ssi->id);
  EXPECT_EQ(s.private_ip, original->private_ip);
  auto old_inst = h_->CloudInstance(original->instance_id);
  ASSERT_TRUE(old_inst.has_value());
  EXPECT_EQ(old_inst->state, InstanceState::kTerminated);
  auto inst = h_->CloudInstance(s.instance_id);
  ASSERT_TRUE(inst.has_value());
  EXPECT_EQ(inst->state, InstanceState::kRunning);
  EXPECT_EQ(inst->private_ip, original->private_ip);
  EXPECT_NE(inst->image_id, h_->image()) << "the import boots from the source root's image";
  EXPECT_EQ(inst->image_id, s.image_id);
  ASSERT_EQ(inst->network_interfaces.size(), 1u);
  EXPECT_EQ(inst->network_interfaces[0].network_interface_id, s.eni_id);
  EXPECT_EQ(inst->network_interfaces[0].device_index, 0);
  EXPECT_EQ(inst->tags.count(kTagSsi) ? inst->tags.at(kTagSsi) : "", s.id);
  // The image was registered from the import's snapshot of the source's root volume.
  auto image = h_->Resource(s.image_id);
  ASSERT_TRUE(image.has_value());
  auto root_snap = h_->CloudSnapshot(image->source_id);
  ASSERT_TRUE(root_snap.has_value()) << image->source_id;
  EXPECT_EQ(root_snap->volume_id, src_root);
  // The data volume is the source's, or restored from the import's snapshot of it.
  std::string data = VolumeAt(*inst, "/dev/sdf");
  ASSERT_FALSE(data.empty());
  EXPECT_EQ(DataVolume(s.id), data);
  if (data != src_data) {
    auto vol = h_->CloudVolume(data);
    ASSERT_TRUE(vol.has_value());
    auto snap = h_->CloudSnapshot(vol->snapshot_id);
    ASSERT_TRUE(snap.has_value()) << vol->snapshot_id;
    EXPECT_EQ(snap->volume_id, src_data);
  }
  // The imported SSI is one more member: the group's target went up with it.
  auto group = h_->store().GetGroup(g->id);
  ASSERT_TRUE(group.ok());
  EXPECT_EQ(nlohmann::json::parse(group->spec_json)["capacity"]["target"], 1);
  EXPECT_EQ(h_->Ssis(g->id).size(), 1u);
}

TEST_F(MotoFlowTest, InterruptionWarningOnTheQueueRecyclesTheSsi) {
  auto queue = provider_->sqs()->CreateQueue("spotkeeper-events");
  ASSERT_TRUE(queue.ok()) << queue.status().ToString();
  StartController(*queue);
  std::string g = h_->CreateAndLaunch(h_->BaseSpec("db"));
  ASSERT_FALSE(g.empty());
  SsiRecord before = h_->Ssis(g)[0];
  std::string data = DataVolume(before.id);
  ASSERT_FALSE(data.empty());

  ASSERT_TRUE(provider_->sqs()
                  ->SendMessage(*queue, InterruptionWarning("5e0b1a2c-0000-4000-8000-00000000000a",
                                                            before.instance_id))
                  .ok());
  ASSERT_TRUE(h_->RunUntil([&] {
    SsiRecord s = h_->Ssi(before.id);
    return s.state == SsiState::kActive && s.instance_id != before.instance_id;
  })) << h_->EventLog();
  SsiRecord after = h_->Ssi(before.id);
  EXPECT_EQ(after.private_ip, before.private_ip);
  EXPECT_EQ(after.eni_id, before.eni_id);
  EXPECT_EQ(DataVolume(after.id), data);
  auto status = nlohmann::json::parse(after.status_json);
  EXPECT_EQ(status["lastRecovery"]["reason"], "Interrupted") << status.dump();
  EXPECT_GE(h_->controller().stats().interruptions, 1);
  auto old_inst = h_->CloudInstance(before.instance_id);
  ASSERT_TRUE(old_inst.has_value());
  EXPECT_EQ(old_inst->state, InstanceState::kTerminated);
  auto inst = h_->CloudInstance(after.instance_id);
  ASSERT_TRUE(inst.has_value());
  EXPECT_EQ(inst->private_ip, before.private_ip);
  EXPECT_EQ(VolumeAt(*inst, "/dev/sdf"), data);
}

}  // namespace
}  // namespace spotkeeper
