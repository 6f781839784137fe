// Every journal point of every workflow kind, crashed at: the controller is killed at the n-th
// store commit of a scenario (before that commit lands, or right after it), a new controller
// starts on the same store, and the end state must be the crash-free one: same IP, same
// volumes, one instance, nothing leaked or deleted that should not be.
#include <gtest/gtest.h>

#include "controller/controller_harness.h"

namespace spotkeeper {
namespace {

using testing::ControllerHarness;

// The SSI's state and workflows, for a failure message.
std::string WorkflowDump(ControllerHarness& h, const std::string& ssi_id) {
  if (ssi_id.empty()) return "";
  std::string out = "ssi " + ssi_id + " state " + SsiStateName(h.Ssi(ssi_id).state) + "\n";
  auto wfs = h.store().ListWorkflows(ssi_id);
  if (!wfs.ok()) return out + wfs.status().ToString();
  for (const auto& w : *wfs) {
    out += w.id + " " + w.kind + " " + w.status + " step " + std::to_string(w.step) + " " +
           w.step_name + " attempt " + std::to_string(w.attempt) + " next " +
           FormatTime(w.next_run_at) + " " + w.error + "\n";
  }
  return out;
}

struct Outcome {
  SsiState state = SsiState::kError;
  std::string private_ip;
  std::string data_volume;  // reattach: the same id
  int live_instances = 0;
  int current_volumes = 0;
  int current_snapshots = 0;
  int current_images = 0;
  int64_t commits = 0;
};

enum class Scenario { kInterruptReattach, kInterruptOnLaunch, kPauseResume, kDeallocate, kImport };

std::string Name(Scenario s) {
  switch (s) {
    case Scenario::kInterruptReattach:
      return "InterruptReattach";
    case Scenario::kInterruptOnLaunch:
      return "InterruptOnLaunch";
    case Scenario::kPauseResume:
      return "PauseResume";
    case Scenario::kDeallocate:
      return "Deallocate";
    case Scenario::kImport:
      return "Import";
  }
  return "";
}

class WorkflowCrashTest : public ::testing::TestWithParam<Scenario> {
 protected:
  // Runs the scenario, crashing at commit `crash_at` of its workflow part (0: no crash).
  Outcome Run(int64_t crash_at, bool after_commit) {
    const Scenario sc = GetParam();
    ControllerHarness h(42);
    GroupSpec spec = h.BaseSpec("db");
    if (sc == Scenario::kInterruptOnLaunch) {
      spec.strategy.persistence.block_devices_mode = BlockDevicesMode::kOnLaunch;
    }
    std::string ssi_id, original;
    std::string group;
    if (sc == Scenario::kImport) {
      spec.capacity = {0, 0, 3};
      auto g = h.controller().CreateGroup(spec, "test");
      EXPECT_TRUE(g.ok());
      group = g->id;
      RunInstanceRequest req;
      req.image_id = h.image();
      req.instance_type = "m5.large";
      req.subnet_id = h.subnets()[0].id;
      req.block_devices = {{"/dev/sdf", 10, "", "gp3", false}};
      req.client_token = "hand-made";
      auto inst = h.cloud().RunInstance(req);
      EXPECT_TRUE(inst.ok());
      original = inst->id;
      h.RunFor(Duration{20'000});
    } else {
      group = h.CreateAndLaunch(spec);
    }
    const int64_t c0 = h.crashing_store().commits();
    if (crash_at > 0) h.crashing_store().ArmCrash(crash_at, after_commit);
    SsiRecord before;
    if (sc != Scenario::kImport) before = h.Ssis(group).at(0);

    bool ok = false;
    switch (sc) {
      case Scenario::kInterruptReattach:
      case Scenario::kInterruptOnLaunch:
        EXPECT_TRUE(h.cloud().Interrupt(before.instance_id).ok());
        ssi_id = before.id;
        ok = h.RunUntil([&] {
          SsiRecord s = h.Ssi(ssi_id);
          return s.state == SsiState::kActive && s.instance_id != before.instance_id &&
                 !s.instance_id.empty();
        });
        break;
      case Scenario::kPauseResume: {
        ssi_id = before.id;
        // The operator call commits too: it may be the one that "crashes".
        try {
          (void)h.controller().PauseSsi(ssi_id, "test");
        } catch (const SimulatedCrash&) {
          h.Restart();
          EXPECT_TRUE(h.controller().PauseSsi(ssi_id, "test").ok());
        }
        ok = h.RunUntil([&] { return h.Ssi(ssi_id).state == SsiState::kPaused; });
        try {
          EXPECT_TRUE(h.controller().ResumeSsi(ssi_id, "test").ok());
        } catch (const SimulatedCrash&) {
          h.Restart();
          EXPECT_TRUE(h.controller().ResumeSsi(ssi_id, "test").ok());
        }
        ok = ok && h.RunUntil([&] { return h.Ssi(ssi_id).state == SsiState::kActive; });
        break;
      }
      case Scenario::kDeallocate: {
        ssi_id = before.id;
        DeallocationSpec flags;
        flags.should_delete_volumes = true;
        flags.should_delete_snapshots = true;
        flags.should_delete_images = true;
        try {
          (void)h.controller().DeallocateSsi(ssi_id, flags, "test");
        } catch (const SimulatedCrash&) {
          h.Restart();
          if (h.Ssi(ssi_id).desired != "deallocated") {
            EXPECT_TRUE(h.controller().DeallocateSsi(ssi_id, flags, "test").ok());
          }
        }
        ok = h.RunUntil([&] { return h.Ssi(ssi_id).state == SsiState::kDeallocated; });
        break;
      }
      case Scenario::kImport: {
        Result<SsiRecord> imported = Internal("not run");
        try {
          imported = h.controller().ImportInstance({group, original, true, true}, "test");
        } catch (const SimulatedCrash&) {
          h.Restart();
          auto ssis = h.Ssis(group);
          imported = ssis.empty()
                         ? h.controller().ImportInstance({group, original, true, true}, "test")
                         : Result<SsiRecord>(ssis[0]);
        }
        EXPECT_TRUE(imported.ok()) << imported.status().ToString();
        ssi_id = imported->id;
        ok = h.RunUntil([&] { return h.Ssi(ssi_id).state == SsiState::kActive; });
        break;
      }
    }
    EXPECT_TRUE(ok) << Name(sc) << " crash at " << crash_at << (after_commit ? " after" : " before")
                    << "\n"
                    << h.EventLog() << WorkflowDump(h, ssi_id);
    Outcome o;
    o.commits = h.crashing_store().commits() - c0;
    if (crash_at > 0 && crash_at <= o.commits) {
      EXPECT_EQ(h.crashes(), 1) << "crash at " << crash_at;
    }
    // Let retention, the reaper and the orphan collector finish.
    h.RunFor(Duration{20 * 60'000});
    SsiRecord after = h.Ssi(ssi_id);
    o.state = after.state;
    o.private_ip = after.private_ip;
    if (sc != Scenario::kImport && sc != Scenario::kDeallocate) {
      EXPECT_EQ(after.private_ip, before.private_ip);
    }
    for (const auto& i : h.cloud().AllInstances()) {
      if (i.state != InstanceState::kTerminated && i.tags.count(kTagSsi)) ++o.live_instances;
    }
    o.current_snapshots = static_cast<int>(h.Current(ssi_id, "snapshot").size());
    o.current_images = static_cast<int>(h.Current(ssi_id, "image").size());
    for (const auto& v : h.Current(ssi_id, "volume")) {
      ++o.current_volumes;
      if (v.role == "data" && sc != Scenario::kInterruptOnLaunch) o.data_volume = v.id;
    }
    // Nothing tagged for the SSI that it does not own.
    std::set<std::string> deleted;
    for (const auto& d : h.cloud().deletions()) deleted.insert(d.id);
    for (const auto& v : h.cloud().AllVolumes()) {
      if (v.state == "deleted" || deleted.count(v.id) || !v.tags.count(kTagSsi)) continue;
      auto rec = h.store().GetResource(v.id);
      EXPECT_TRUE(rec.ok() && (rec->status == "current" || rec->status == "released"))
          << "leaked volume " << v.id << " after crash at " << crash_at;
    }
    for (const auto& s : h.cloud().AllSnapshots()) {
      if (deleted.count(s.id) || !s.tags.count(kTagSsi)) continue;
      auto rec = h.store().GetResource(s.id);
      EXPECT_TRUE(rec.ok() && (rec->status == "current" || rec->status == "released"))
          << "leaked snapshot " << s.id << " after crash at " << crash_at;
    }
    return o;
  }
};

TEST_P(WorkflowCrashTest, EveryCommitCanBeCrashedAt) {
  Outcome clean = Run(0, false);
  ASSERT_GT(clean.commits, 3);
  for (int64_t n = 1; n <= clean.commits; ++n) {
    for (bool after : {false, true}) {
      SCOPED_TRACE("crash at commit " + std::to_string(n) + (after ? " after" : " before"));
      Outcome o = Run(n, after);
      EXPECT_EQ(o.state, clean.state);
      EXPECT_EQ(o.live_instances, clean.live_instances);
      EXPECT_EQ(o.current_volumes, clean.current_volumes);
      EXPECT_EQ(o.current_images, clean.current_images);
      EXPECT_EQ(o.private_ip, clean.private_ip);
      EXPECT_EQ(o.data_volume, clean.data_volume);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Workflows, WorkflowCrashTest,
                         ::testing::Values(Scenario::kInterruptReattach,
                                           Scenario::kInterruptOnLaunch, Scenario::kPauseResume,
                                           Scenario::kDeallocate, Scenario::kImport),
                         [](const auto& info) { return Name(info.param); });

}  // namespace
}  // namespace spotkeeper
