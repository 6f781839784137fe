// The table of workflow kinds. Every kind that ends with a running instance shares the "cycle"
// list, so that a replacement that dies before it is ready can go back to `terminate` and run
// the cycle again whatever kind started it. A workflow succeeds when its last step is done;
// Goto targets are looked up by name in the kind's own list.
#include <map>

#include "controller/step_util.h"

namespace spotkeeper {
namespace {

using namespace steps;

std::vector<StepDef> PauseSteps() {
  return {
      {"terminate", Terminate},
      {"wait_terminated", WaitTerminated},
      {"wait_released", WaitReleased},
      {"final_snapshots", FinalSnapshots},
      {"wait_final_snapshots", WaitFinalSnapshots},
      {"register_image", RegisterImage},
      {"wait_image", WaitImage},
      {"retire_superseded", RetireSuperseded},
  };
}

std::vector<StepDef> CycleSteps() {
  std::vector<StepDef> s = {{"drain", Drain}};
  for (auto& p : PauseSteps()) s.push_back(p);
  for (StepDef p : std::initializer_list<StepDef>{
           {"choose_placement", ChoosePlacement},
           {"ensure_eni", EnsureEni},
           {"prepare_volumes", PrepareVolumes},
           {"wait_prepared", WaitPrepared},
           {"run_instance", RunInstance},
           {"wait_running", WaitRunning},
           {"attach_volumes", AttachVolumes},
           {"wait_attached", WaitAttached},
           {"wait_serving", WaitServing},
           {"mark_active", MarkActive},
       }) {
    s.push_back(p);
  }
  return s;
}

std::map<std::string, WorkflowDef> BuildDefs() {
  std::map<std::string, WorkflowDef> defs;
  auto cycle = CycleSteps();
  defs["launch"] = {"launch", cycle, "choose_placement", SsiState::kResuming};
  defs["resume"] = {"resume", cycle, "choose_placement", SsiState::kResuming};
  defs["recycle"] = {"recycle", cycle, "terminate", SsiState::kRecycling};
  defs["interrupt"] = {"interrupt", cycle, "drain", SsiState::kRecycling};

  auto pause = PauseSteps();
  pause.push_back({"mark_paused", MarkPaused});
  defs["pause"] = {"pause", pause, "terminate", SsiState::kPausing};

  defs["deallocate"] = {"deallocate",
                        {{"terminate", Terminate},
                         {"wait_terminated", WaitTerminated},
                         {"wait_released", WaitReleased},
                         {"delete_owned", DeleteOwned},
                         {"mark_deallocated", MarkDeallocated}},
                        "terminate",
                        SsiState::kDeallocating};

  // Import: capture the source instance (snapshots, optionally its network interface), retire it,
  // then run the whole cycle; its pause half finds nothing left to stop and registers the image.
  std::vector<StepDef> import = {
      {"describe_source", DescribeSource},   {"protect_eni", ProtectEni},
      {"snapshot_source", SnapshotSource},   {"wait_source_snapshots", WaitFinalSnapshots},
      {"terminate_source", TerminateSource}, {"wait_source_terminated", WaitSourceTerminated},
  };
  import.insert(import.end(), cycle.begin(), cycle.end());
  defs["import"] = {"import", import, "describe_source", SsiState::kResuming};
  return defs;
}

}  // namespace

const WorkflowDef* FindWorkflowDef(const std::string& kind) {
  static const std::map<std::string, WorkflowDef> defs = BuildDefs();
  auto it = defs.find(kind);
  return it == defs.end() ? nullptr : &it->second;
}

}  // namespace spotkeeper
