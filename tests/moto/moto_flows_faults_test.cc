// The controller's flows through the ec2 provider against moto_server with faults injected into
// every call it makes (FaultInjectingProvider, as `spotkeeper server --provider-faults` adds
// it): retryable errors before calls and lost responses after calls that took effect. Launch,
// recycle, pause and resume still converge to the same ENI, IP and data volume, and nothing is
// made twice.
#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "moto/moto_flow_fixture.h"

namespace spotkeeper {
namespace {

TEST_F(MotoFlowTest, FlowsConvergeUnderInjectedFaults) {
  // Modest everywhere, and half the responses to the calls that create and attach lost, so the
  // idempotency of those steps (client tokens, lookups by token tag) is exercised for sure.
  auto faults = ParseProviderFaults(
      "error=0.08,lost=0.04,seed=7,RunInstances.lost=0.5,CreateNetworkInterface.lost=0.5,"
      "AttachVolume.lost=0.5,CreateSnapshot.lost=0.5,RegisterImage.lost=0.5");
  ASSERT_TRUE(faults.ok()) << faults.status().ToString();
  StartController("", *faults);
  ASSERT_NE(h_->faults(), nullptr);
  std::string g = h_->CreateAndLaunch(h_->BaseSpec("db"));
  ASSERT_FALSE(g.empty()) << h_->EventLog();
  const SsiRecord first = h_->Ssis(g)[0];
  const std::string data = DataVolume(first.id);
  ASSERT_FALSE(data.empty());

  // The SSI is ACTIVE on `instance` with its ENI, IP and data volume.
  auto expect_same = [&](const std::string& what) {
    SsiRecord s = h_->Ssi(first.id);
    EXPECT_EQ(s.state, SsiState::kActive) << what;
    EXPECT_EQ(s.eni_id, first.eni_id) << what;
    EXPECT_EQ(s.private_ip, first.private_ip) << what;
    EXPECT_EQ(DataVolume(s.id), data) << what;
    auto inst = h_->CloudInstance(s.instance_id);
    ASSERT_TRUE(inst.has_value()) << what;
    EXPECT_EQ(inst->state, InstanceState::kRunning) << what;
    EXPECT_EQ(inst->private_ip, first.private_ip) << what;
    EXPECT_EQ(VolumeAt(*inst, "/dev/sdf"), data) << what;
  };
  expect_same("launch");

  ASSERT_TRUE(h_->controller().RecycleSsi(first.id, "test").ok());
  ASSERT_TRUE(h_->RunUntil([&] {
    SsiRecord s = h_->Ssi(first.id);
    return s.state == SsiState::kActive && !s.instance_id.empty() &&
           s.instance_id != first.instance_id;
  })) << h_->EventLog();
  expect_same("recycle");
  const std::string recycled = h_->Ssi(first.id).instance_id;

  ASSERT_TRUE(h_->controller().PauseSsi(first.id, "test").ok());
  ASSERT_TRUE(h_->RunUntil([&] { return h_->Ssi(first.id).state == SsiState::kPaused; }))
      << h_->EventLog();
  auto vol = h_->CloudVolume(data);
  ASSERT_TRUE(vol.has_value());
  EXPECT_EQ(vol->state, "available");

  ASSERT_TRUE(h_->controller().ResumeSsi(first.id, "test").ok());
  ASSERT_TRUE(h_->RunUntil([&] {
    SsiRecord s = h_->Ssi(first.id);
    return s.state == SsiState::kActive && !s.instance_id.empty() && s.instance_id != recycled;
  })) << h_->EventLog();
  expect_same("resume");

  // Nothing was made twice: one instance of the group runs, the others are terminated.
  auto all = h_->ec2().DescribeInstances(Filter{{}, {{kTagGroup, g}}, {}, ""});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  int live = 0;
  for (const Instance& i : *all) {
    if (i.state != InstanceState::kTerminated && i.state != InstanceState::kShuttingDown) ++live;
  }
  EXPECT_EQ(live, 1) << all->size() << " instances of the group";
  auto enis = h_->ec2().DescribeNetworkInterfaces(Filter{{}, {{kTagGroup, g}}, {}, ""});
  ASSERT_TRUE(enis.ok());
  EXPECT_EQ(enis->size(), 1u);

  auto st = h_->faults()->stats();
  EXPECT_GT(st.errors, 0);
  std::cout << "[ faults   ] " << st.calls << " calls, " << st.errors << " errors, "
            << st.lost_responses << " lost responses\n";
  for (const auto& [action, n] : st.faults_by_action) {
    std::cout << "[ faults   ]   " << action << ": " << n << "\n";
  }
}

}  // namespace
}  // namespace spotkeeper
