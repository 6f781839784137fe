#include "recovery_observer.h"

#include <algorithm>
#include <thread>

namespace spotkeeper::bench {
namespace {

constexpr auto kPollCloud = std::chrono::milliseconds(2);
constexpr auto kPollRedis = std::chrono::milliseconds(5);

void First(std::optional<TimePoint>& slot, TimePoint t) {
  if (!slot) slot = t;
}

}  // namespace

double Ms(TimePoint from, TimePoint to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

std::string RecoveryObserver::InstanceState(const std::string& id) {
  auto v = w_->engine().FindInstance(id);
  return v ? v->instance.state : "gone";
}

Timeline RecoveryObserver::Observe(const RecoveryTarget& target, TimePoint trigger,
                                   std::chrono::seconds timeout) {
  Timeline t;
  t.trigger = trigger;
  cloud::Engine& e = w_->engine();
  std::optional<TimePoint> eni_free;
  std::map<std::string, TimePoint> vol_free, vol_attached;
  TimePoint next_redis = trigger;
  const TimePoint end = Steady::now() + timeout;
  while (Steady::now() < end) {  // bounded by the deadline
    const TimePoint now = Steady::now();
    const std::string old_state = InstanceState(target.old_instance);
    if (old_state != "running") First(t.noticed, now);
    if (old_state == "terminated" || old_state == "gone") First(t.gone, now);

    cloud::DescribeRequest er;
    er.ids = {target.eni};
    auto enis = e.DescribeNetworkInterfaces(er);
    if (enis.ok() && !enis->items.empty()) {
      const auto& eni = enis->items.front();
      if (eni.status == "available" && !eni_free) eni_free = now;
      if (eni.attachment && eni.attachment->instance_id != target.old_instance &&
          t.new_instance.empty()) {
        t.new_instance = eni.attachment->instance_id;
      }
    }
    if (!target.volumes.empty()) {
      cloud::DescribeRequest vr;
      vr.ids = target.volumes;
      auto vols = e.DescribeVolumes(vr);
      if (vols.ok()) {
        for (const auto& v : vols->items) {
          if (v.state == "available" && !vol_free.count(v.id)) vol_free[v.id] = now;
          if (!t.new_instance.empty() && v.attachment &&
              v.attachment->instance_id == t.new_instance && v.attachment->status == "attached" &&
              !vol_attached.count(v.id)) {
            vol_attached[v.id] = now;
          }
        }
      }
    }
    if (!t.new_instance.empty() && InstanceState(t.new_instance) == "running") {
      First(t.running, now);
    }
    if (t.running && vol_attached.size() == target.volumes.size()) First(t.attached, now);

    // Snapshots the replacer made: when each completed.
    for (const LoggedCall& c : calls_->Since(trigger)) {
      if (c.action != "CreateSnapshot" || c.result.empty() || t.done.count(c.result)) continue;
      cloud::DescribeRequest sr;
      sr.ids = {c.result};
      auto snaps = e.DescribeSnapshots(sr, {});
      if (snaps.ok() && !snaps->items.empty() && snaps->items.front().state == "completed") {
        t.done[c.result] = now;
      }
    }

    if (t.attached && now >= next_redis) {
      next_redis = now + kPollRedis;
      auto start = Steady::now();
      auto r = w_->Redis(target.vpc, target.ip, {{"GET", target.key}});
      ++t.redis_probes;
      t.slowest_probe_ms = std::max(t.slowest_probe_ms, Ms(start, Steady::now()));
      if (r.ok() && r->size() == 1 && (*r)[0] == target.value) {
        t.serving = Steady::now();
        break;
      }
    }
    std::this_thread::sleep_for(kPollCloud);
  }

  // Date what the polls missed by the call that took the resource again.
  const auto calls = calls_->Since(trigger);
  for (const LoggedCall& c : calls) {
    if (c.action == "RunInstances" && c.target == target.eni &&
        (!eni_free || c.start < *eni_free)) {
      eni_free = c.start;
    }
    if (c.action == "AttachVolume" &&
        std::count(target.volumes.begin(), target.volumes.end(), c.target) > 0) {
      auto it = vol_free.find(c.target);
      if (it == vol_free.end() || c.start < it->second) vol_free[c.target] = c.start;
    }
  }
  if (eni_free && vol_free.size() == target.volumes.size()) {
    TimePoint f = *eni_free;
    for (const auto& [id, at] : vol_free) f = std::max(f, at);
    t.freed = f;
  }
  if (t.gone) t.done[target.old_instance] = std::max(*t.gone, t.freed.value_or(*t.gone));
  if (t.running) t.done[t.new_instance] = *t.running;
  for (const auto& [id, at] : vol_attached) t.done["attach:" + id] = at;

  if (!t.serving) {
    t.error = std::string("not serving within ") + std::to_string(timeout.count()) + " s (" +
              (!t.gone       ? "old instance not terminated"
               : !t.freed    ? "interface or volumes not freed"
               : !t.running  ? "no replacement running"
               : !t.attached ? "volumes not attached"
                             : "Redis did not answer with the key") +
              ")";
  }
  return t;
}

double ControllerShareMs(const Timeline& t, const std::vector<LoggedCall>& calls,
                         const std::string& trigger) {
  if (!t.serving) return -1;
  const TimePoint end = *t.serving;
  std::vector<std::pair<TimePoint, TimePoint>> busy;
  if (trigger == "interrupt" && t.gone) busy.push_back({t.trigger, *t.gone});
  if (trigger == "kill" && t.noticed) busy.push_back({t.trigger, *t.noticed});
  if (t.attached) busy.push_back({*t.attached, end});
  auto done = [&](const std::string& id) -> std::optional<TimePoint> {
    auto it = t.done.find(id);
    if (it == t.done.end()) return std::nullopt;
    return it->second;
  };
  for (const LoggedCall& c : calls) {
    if (!c.mutating || c.start >= end) continue;
    TimePoint until = c.end;
    std::optional<TimePoint> d;
    if (c.action == "TerminateInstances") d = done(c.target);
    if (c.action == "RunInstances") d = done(c.result);
    if (c.action == "AttachVolume") d = done("attach:" + c.target);
    if (c.action == "CreateSnapshot") d = done(c.result);
    if (d) until = std::max(until, *d);
    busy.push_back({c.start, until});
  }
  // The length of the union of `busy` within [trigger, end].
  std::sort(busy.begin(), busy.end());
  double covered = 0;
  TimePoint cursor = t.trigger;
  for (auto [from, to] : busy) {
    from = std::max(from, cursor);
    to = std::min(to, end);
    if (to <= from) continue;
    covered += Ms(from, to);
    cursor = to;
  }
  return std::max(0.0, Ms(t.trigger, end) - covered);
}

}  // namespace spotkeeper::bench
