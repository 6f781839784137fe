// Helpers shared by the step implementations (steps_*.cc). Internal to the controller.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "controller/workflow.h"

namespace spotkeeper::steps {

inline constexpr Duration kPollFast{1000};
inline constexpr Duration kPollSlow{3000};
// The first look and the grid polls are put on (so workflows waiting at once share a pass and
// its batched Describe calls).
inline constexpr Duration kPollFirst{25};

// When a waiting step looks again: paced by what the cloud's transition takes, not a fixed
// period. While this step's waits have lately taken `expected` (learned by the engine), the
// first look is at 80% of it; past that (or with nothing learned) the gap is a quarter of the
// time already waited, from kPollFirst up to `cap` (a look is at most ~25% late, and a long
// wait costs few Describe calls). Wake-ups are rounded up to a kPollFirst grid.
StepResult Poll(StepContext& ctx, Duration cap = kPollFast);

// A cloud error seen by a step: retryable errors are retried, anything else is terminal.
StepResult FromError(const Status& s, const std::string& reason);

// moto deviation (moto 5.2.1): an ENI stays `in-use`, its attachment `attached`, after its
// instance has terminated, and the terminated instance still lists it. EC2 detaches the ENI
// while the instance shuts down and a terminated instance lists no interfaces, so this state
// (both reads agreeing) never shows there and nothing changes on EC2. On moto the interface is
// free: the next launch may take it. True when `eni` is in that state with `terminated`.
bool AttachedOnlyToTerminated(const NetworkInterface& eni, const Instance& terminated);

bool PersistRoot(const GroupSpec& spec);
bool PersistData(const GroupSpec& spec);
bool PersistIp(const GroupSpec& spec);
bool OnLaunchMode(const GroupSpec& spec);

// The current data volume recorded for a device, and the current root volume.
std::optional<ResourceRecord> CurrentVolume(const StepContext& ctx, const std::string& device);
std::optional<ResourceRecord> CurrentRootVolume(const StepContext& ctx);
// The newest completed snapshot (by its point in time) of a device, current status only.
std::optional<ResourceRecord> LatestCompletedSnapshot(const StepContext& ctx,
                                                      const std::string& device);

// Records the state change of an SSI in its event log and the Ready condition.
void SetState(StepContext& ctx, SsiState state, const std::string& reason,
              const std::string& message);

// Recoveries kept per SSI by default (status_json "recoveries", newest last; "lastRecovery" is
// the last); RetentionOptions::recovery_history sets it.
inline constexpr size_t kRecoveryHistory = 50;

// data["timings"][name] = now (ms), once. The names, in a recovery's order: notice (the
// interruption warning's time), started, terminated (the old instance gone), snapshotted,
// released (ENI and volumes free), launched (RunInstances answered), running, attached, serving
// (the health.serving check passed; only with one), active.
void MarkTiming(StepContext& ctx, const std::string& name);

// The replacement instance `inst` died before the SSI was ACTIVE: record what it made and go
// back to `terminate` to run the cycle again (steps_resume.cc).
StepResult RestartFromDeadInstance(StepContext& ctx, const Instance& inst);

// The steps, by name. Each is idempotent; see workflow.h.
StepResult Drain(StepContext& ctx);
StepResult Terminate(StepContext& ctx);
StepResult WaitTerminated(StepContext& ctx);
StepResult WaitReleased(StepContext& ctx);
StepResult FinalSnapshots(StepContext& ctx);
StepResult WaitFinalSnapshots(StepContext& ctx);
StepResult RegisterImage(StepContext& ctx);
StepResult WaitImage(StepContext& ctx);
StepResult RetireSuperseded(StepContext& ctx);
StepResult MarkPaused(StepContext& ctx);
StepResult ChoosePlacement(StepContext& ctx);
StepResult EnsureEni(StepContext& ctx);
StepResult PrepareVolumes(StepContext& ctx);
StepResult WaitPrepared(StepContext& ctx);
StepResult RunInstance(StepContext& ctx);
StepResult WaitRunning(StepContext& ctx);
StepResult AttachVolumes(StepContext& ctx);
StepResult WaitAttached(StepContext& ctx);
StepResult WaitServing(StepContext& ctx);
StepResult MarkActive(StepContext& ctx);
StepResult DeleteOwned(StepContext& ctx);
StepResult MarkDeallocated(StepContext& ctx);
StepResult DescribeSource(StepContext& ctx);
StepResult ProtectEni(StepContext& ctx);
StepResult SnapshotSource(StepContext& ctx);
StepResult TerminateSource(StepContext& ctx);
StepResult WaitSourceTerminated(StepContext& ctx);

}  // namespace spotkeeper::steps
