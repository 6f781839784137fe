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

// Polls wake on a grid of `d` (the next multiple of d after now), not d after each step ran,
// so every workflow waiting at once is polled in the same engine pass and they share one
// batched Describe per kind instead of spending the describe bucket one id at a time.
inline StepResult Poll(StepContext& ctx, Duration d = kPollFast) {
  const int64_t step = std::max<int64_t>(1, d.count());
  return StepResult::WaitUntil(FromMillis((ToMillis(ctx.now()) / step + 1) * step));
}

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

// data["timings"][name] = now (ms), once.
void MarkTiming(StepContext& ctx, const std::string& name);

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
StepResult MarkActive(StepContext& ctx);
StepResult DeleteOwned(StepContext& ctx);
StepResult MarkDeallocated(StepContext& ctx);
StepResult DescribeSource(StepContext& ctx);
StepResult ProtectEni(StepContext& ctx);
StepResult SnapshotSource(StepContext& ctx);
StepResult TerminateSource(StepContext& ctx);
StepResult WaitSourceTerminated(StepContext& ctx);

}  // namespace spotkeeper::steps
