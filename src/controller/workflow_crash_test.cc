// Every journal point of a recovery, crashed at: the controller is killed at the n-th store
// commit of an interruption's recycle (before that commit lands, or right after it), a new
// controller starts on the same store, and the end state must be exactly the crash-free one:
// same IP, same volumes, one instance, nothing leaked.
#include <gtest/gtest.h>

#include "controller/controller_harness.h"

namespace spotkeeper {
namespace {

using testing::ControllerHarness;

struct Outcome {
  std::string private_ip;
  std::string data_volume;  // reattach: the same id; onLaunch: "" (checked by snapshot source)
  int live_instances = 0;
  int current_volumes = 0;
  int64_t commits = 0;
};

class WorkflowCrashTest : public ::testing::TestWithParam<BlockDevicesMode> {
 protected:
  // Launches, interrupts, and crashes at `crash_at` (0: no crash) during the recovery.
  Outcome Run(int64_t crash_at, bool after_commit) {
    ControllerHarness h(42);
    GroupSpec spec = h.BaseSpec("db");
    spec.strategy.persistence.block_devices_mode = GetParam();
    std::string g = h.CreateAndLaunch(spec);
    SsiRecord before = h.Ssis(g).at(0);
    int64_t c0 = h.crashing_store().commits();
    if (crash_at > 0) h.crashing_store().ArmCrash(crash_at, after_commit);
    EXPECT_TRUE(h.cloud().Interrupt(before.instance_id).ok());
    bool ok = h.RunUntil([&] {
      SsiRecord s = h.Ssi(before.id);
      return s.state == SsiState::kActive && s.instance_id != before.instance_id &&
             !s.instance_id.empty();
    });
    EXPECT_TRUE(ok) << "crash at " << crash_at << (after_commit ? " after" : " before");
    Outcome o;
    o.commits = h.crashing_store().commits() - c0;
    if (crash_at > 0) {
      EXPECT_EQ(h.crashes(), 1) << "crash at " << crash_at;
    }
    // Let retention, the reaper and the orphan collector finish.
    h.RunFor(Duration{30 * 60'000});
    SsiRecord after = h.Ssi(before.id);
    EXPECT_EQ(after.state, SsiState::kActive);
    o.private_ip = after.private_ip;
    EXPECT_EQ(after.private_ip, before.private_ip);
    for (const auto& i : h.cloud().AllInstances()) {
      if (i.state != InstanceState::kTerminated && i.tags.count(kTagSsi)) ++o.live_instances;
    }
    for (const auto& v : h.Current(after.id, "volume")) {
      ++o.current_volumes;
      if (v.role == "data" && GetParam() == BlockDevicesMode::kReattach) o.data_volume = v.id;
      EXPECT_EQ(h.CloudVolume(v.id).attachments.size(), 1u) << v.id;
    }
    // Nothing tagged for the SSI that it does not own.
    std::set<std::string> deleted;
    for (const auto& d : h.cloud().deletions()) deleted.insert(d.id);
    for (const auto& v : h.cloud().AllVolumes()) {
      if (v.state == "deleted" || deleted.count(v.id) || !v.tags.count(kTagSsi)) continue;
      auto rec = h.store().GetResource(v.id);
      EXPECT_TRUE(rec.ok() && rec->status == "current")
          << "leaked volume " << v.id << " after crash at " << crash_at;
    }
    for (const auto& s : h.cloud().AllSnapshots()) {
      if (deleted.count(s.id) || !s.tags.count(kTagSsi)) continue;
      auto rec = h.store().GetResource(s.id);
      EXPECT_TRUE(rec.ok() && rec->status == "current")
          << "leaked snapshot " << s.id << " after crash at " << crash_at;
    }
    return o;
  }
};

TEST_P(WorkflowCrashTest, EveryCommitOfARecoveryCanBeCrashedAt) {
  Outcome clean = Run(0, false);
  ASSERT_GT(clean.commits, 5);
  EXPECT_EQ(clean.live_instances, 1);
  for (int64_t n = 1; n <= clean.commits; ++n) {
    for (bool after : {false, true}) {
      SCOPED_TRACE("crash at commit " + std::to_string(n) + (after ? " after" : " before"));
      Outcome o = Run(n, after);
      EXPECT_EQ(o.live_instances, 1);
      EXPECT_EQ(o.current_volumes, clean.current_volumes);
      EXPECT_EQ(o.private_ip, clean.private_ip);
      if (GetParam() == BlockDevicesMode::kReattach) {
        EXPECT_EQ(o.data_volume, clean.data_volume);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, WorkflowCrashTest,
                         ::testing::Values(BlockDevicesMode::kReattach,
                                           BlockDevicesMode::kOnLaunch),
                         [](const auto& info) {
                           return std::string(BlockDevicesModeName(info.param));
                         });

}  // namespace
}  // namespace spotkeeper
