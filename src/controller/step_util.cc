#include "controller/step_util.h"

namespace spotkeeper::steps {

StepResult Poll(StepContext& ctx, Duration cap) {
  const Time now = ctx.now();
  const Time started = ctx.wait_started() == kEpoch ? now : ctx.wait_started();
  const Duration waited = now - started;
  const Duration expected = ctx.expected_wait();
  Time at;
  if (expected > Duration{0} && waited < expected * 4 / 5) {
    at = started + expected * 4 / 5;
  } else {
    at = now + std::clamp<Duration>(waited / 4, kPollFirst, std::max(cap, kPollFirst));
  }
  const int64_t grid = kPollFirst.count();
  return StepResult::WaitUntil(FromMillis((ToMillis(at) + grid - 1) / grid * grid));
}

StepResult FromError(const Status& s, const std::string& reason) {
  if (s.IsRetryable()) return StepResult::Retry(s);
  return StepResult::Fail(reason, s);
}

bool AttachedOnlyToTerminated(const NetworkInterface& eni, const Instance& terminated) {
  if (eni.status != "in-use" || !eni.attachment || eni.attachment->status != "attached" ||
      eni.attachment->instance_id != terminated.id ||
      terminated.state != InstanceState::kTerminated) {
    return false;
  }
  for (const InstanceNetworkInterface& ni : terminated.network_interfaces) {
    if (ni.network_interface_id == eni.id) return true;
  }
  return false;
}

bool PersistRoot(const GroupSpec& spec) {
  return spec.strategy.persistence.should_persist_root_device;
}
bool PersistData(const GroupSpec& spec) {
  return spec.strategy.persistence.should_persist_block_devices;
}
bool PersistIp(const GroupSpec& spec) {
  return spec.strategy.persistence.should_persist_private_ip;
}
bool OnLaunchMode(const GroupSpec& spec) {
  return PersistData(spec) &&
         spec.strategy.persistence.block_devices_mode == BlockDevicesMode::kOnLaunch;
}

std::optional<ResourceRecord> CurrentVolume(const StepContext& ctx, const std::string& device) {
  for (auto& r : ctx.Current("volume", "data")) {
    if (r.device_name == device) return r;
  }
  return std::nullopt;
}

std::optional<ResourceRecord> CurrentRootVolume(const StepContext& ctx) {
  auto roots = ctx.Current("volume", "root");
  if (roots.empty()) return std::nullopt;
  return roots.back();
}

std::optional<ResourceRecord> LatestCompletedSnapshot(const StepContext& ctx,
                                                      const std::string& device) {
  std::optional<ResourceRecord> best;
  for (auto& r : ctx.Current("snapshot")) {
    if (r.device_name != device || r.cloud_state != "completed") continue;
    if (!best || r.created_at > best->created_at ||
        (r.created_at == best->created_at && r.id > best->id)) {
      best = r;
    }
  }
  return best;
}

void SetState(StepContext& ctx, SsiState state, const std::string& reason,
              const std::string& message) {
  SsiState old = ctx.ssi().state;
  ctx.ssi().state = state;
  if (old != state) {
    ctx.AddEvent("StateChanged", std::string(SsiStateName(old)) + " -> " + SsiStateName(state) +
                                     (message.empty() ? "" : ": " + message));
  }
  bool ready = state == SsiState::kActive;
  ctx.SetCondition("Ready", ready ? "True" : "False", reason, message);
}

void MarkTiming(StepContext& ctx, const std::string& name) {
  auto& t = ctx.data()["timings"];
  if (!t.contains(name)) t[name] = ToMillis(ctx.now());
}

}  // namespace spotkeeper::steps
