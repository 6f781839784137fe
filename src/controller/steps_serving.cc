// wait_serving: the step between a replacement's volumes being attached and the SSI being ACTIVE
// when the group has a health.serving check. It probes the workload through the provider (which
// probes from inside the instance's network; see CloudProvider::ProbeServing) -- a TCP connect, a
// TCP send/expect or an HTTP GET -- until the check passes, so the SSI stays RESUMING/RECYCLING --
// unavailable to maxUnavailable -- until it serves, and lastRecovery's times run to "serving". Past
// the check's gracePeriod the SSI goes to ERROR (NotServing) with the last probe's answer; the
// instance keeps running and nothing is deleted, and an operator's retry probes again with a fresh
// grace period. With a ServingProber (the server) the probe runs on a worker: the step starts it
// and waits, and the probe's end wakes the workflow, so a probe that takes its whole timeout never
// holds up the controller's tick. Without one (the simulation, fake-clock tests) it runs in the
// step.
#include "controller/cloud_lookup.h"
#include "controller/serving_prober.h"
#include "controller/step_util.h"

namespace spotkeeper::steps {
namespace {

constexpr char kSince[] = "serving_since";

std::string LaunchedInstance(const nlohmann::json& d) {
  if (!d.contains("launch") || !d["launch"].is_object()) return "";
  const auto& l = d["launch"];
  return l.contains("instance") && l["instance"].is_string() ? l["instance"].get<std::string>()
                                                             : "";
}

}  // namespace

StepResult WaitServing(StepContext& ctx) {
  const std::optional<ServingCheckSpec>& check = ctx.spec().health.serving;
  auto& d = ctx.data();
  if (!check) {
    d.erase(kSince);
    return StepResult::Done();
  }
  SsiRecord& ssi = ctx.ssi();
  const std::string id = LaunchedInstance(d).empty() ? ssi.instance_id : LaunchedInstance(d);
  const std::string what = check->probe.Describe(ssi.private_ip) + " (" + id + ")";
  const Duration grace = std::chrono::seconds(check->grace_period_seconds);
  if (!d.contains(kSince) || !d[kSince].is_number_integer()) {
    d[kSince] = ToMillis(ctx.now());
    ctx.SetCondition(
        "Serving", "False", "Waiting",
        "waiting for " + what + " to serve (gracePeriod " + FormatDuration(grace) + ")");
  }
  const Duration interval = std::chrono::seconds(check->interval_seconds);
  const ServingProbeRequest request{id, ssi.private_ip, check->probe,
                                    std::chrono::seconds(check->timeout_seconds)};
  std::optional<Status> answer;
  if (ctx.prober() != nullptr) {
    answer = ctx.prober()->Probe(ctx.workflow().id, request);
  } else {
    answer = ctx.cloud().ProbeServing(id, request.ip, request.probe, request.timeout);
  }
  if (!answer) return Poll(ctx, interval);  // in flight on a worker; its end wakes us
  const Status& probe = *answer;
  if (probe.ok()) {
    d.erase(kSince);
    MarkTiming(ctx, "serving");
    ctx.SetCondition("Serving", "True", "Serving", what + " serves");
    return StepResult::Done();
  }
  // Not serving. Is the instance still there? (A dead one is replaced, as in the steps before.)
  auto inst = ctx.view().GetInstance(id);
  if (inst.ok() && inst->has_value() && IsGone(**inst)) {
    d.erase(kSince);
    return RestartFromDeadInstance(ctx, **inst);
  }
  const Time deadline = FromMillis(d[kSince].get<int64_t>()) + grace;
  if (ctx.now() >= deadline) {
    d.erase(kSince);  // a retry starts a fresh grace period
    std::string why = what + " did not serve within gracePeriod " + FormatDuration(grace) +
                      " (last probe: " + probe.message() +
                      "); the instance keeps running and nothing was deleted: make the workload "
                      "serve (or fix health.serving), then retry the instance";
    ctx.SetCondition("Serving", "False", "NotServing", why);
    return StepResult::Fail("NotServing", Status(Code::kDeadlineExceeded, why));
  }
  StepResult next = Poll(ctx, interval);
  next.at = std::min(next.at, deadline);
  return next;
}

}  // namespace spotkeeper::steps
