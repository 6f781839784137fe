#include "api/metrics.h"

#include <algorithm>
#include <tuple>

namespace spotkeeper::api {
namespace {

const std::vector<double>& RecoveryBuckets() {
  static const std::vector<double> b = {0.1, 0.25, 0.5, 1,   2,   5,    10,  30,
                                        60,  120,  300, 600, 900, 1800, 3600};
  return b;
}

constexpr SsiState kAllStates[] = {
    SsiState::kActive,     SsiState::kPause,        SsiState::kPausing,     SsiState::kPaused,
    SsiState::kResume,     SsiState::kResuming,     SsiState::kRecycle,     SsiState::kRecycling,
    SsiState::kDeallocate, SsiState::kDeallocating, SsiState::kDeallocated, SsiState::kError};

double Seconds(Duration d) { return static_cast<double>(d.count()) / 1000.0; }

}  // namespace

Metrics::Metrics() = default;

void Metrics::ObserveRecovery(const RecoveryTimes& r) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string key = r.reason.empty() ? "Unknown" : r.reason;
  auto it = recoveries_.find(key);
  if (it == recoveries_.end()) {
    it = recoveries_
             .emplace(key, Recovery{0, Histogram(RecoveryBuckets()), Histogram(RecoveryBuckets())})
             .first;
  }
  ++it->second.count;
  it->second.total.Observe(Seconds(r.total));
  it->second.downtime.Observe(Seconds(r.downtime));
  for (const auto& [phase, at] : r.phases) {
    auto p = phases_.find({key, phase});
    if (p == phases_.end()) p = phases_.emplace(std::make_pair(key, phase), Histogram(RecoveryBuckets())).first;
    p->second.Observe(Seconds(at));
  }
}

void Metrics::ObserveRequest(const std::string& method, const std::string& route, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[std::make_tuple(method, route, status)];
}

std::string Metrics::Render(const MetricsInputs& in) const {
  PrometheusWriter w;
  w.Family("spotkeeper_build_info", "gauge", "Build and provider of this server (always 1).");
  w.Sample("spotkeeper_build_info", {{"version", "0.1.0"}, {"provider", in.provider_name}}, 1);

  int64_t errors = 0;
  // --- groups and stateful instances (from the store) ---
  auto groups = in.store->ListGroups(false);
  auto ssis = in.store->ListSsis("");
  if (groups.ok() && ssis.ok()) {
    std::map<std::string, std::map<SsiState, int>> by_group;
    for (const auto& s : *ssis) ++by_group[s.group_id][s.state];
    w.Family("spotkeeper_groups", "gauge", "Groups by status (ACTIVE, DELETING).");
    std::map<std::string, int> by_status;
    for (const auto& g : *groups) ++by_status[g.status];
    for (const char* st : {"ACTIVE", "DELETING"})
      w.Sample("spotkeeper_groups", {{"status", st}}, by_status[st]);
    w.Family("spotkeeper_stateful_instances", "gauge",
             "Stateful instances by group and state (every state listed, 0 when none).");
    for (const auto& g : *groups) {
      for (SsiState st : kAllStates) {
        w.Sample("spotkeeper_stateful_instances",
                 {{"group", g.id}, {"group_name", g.name}, {"state", SsiStateName(st)}},
                 by_group[g.id][st]);
      }
    }
    w.Family("spotkeeper_group_capacity_target", "gauge",
             "The capacity.target of each group's spec.");
    for (const auto& g : *groups) {
      auto spec = nlohmann::json::parse(g.spec_json, nullptr, false);
      double target = 0;
      if (spec.is_object() && spec.contains("capacity") && spec["capacity"].is_object()) {
        target = spec["capacity"].value("target", 0);
      }
      w.Sample("spotkeeper_group_capacity_target", {{"group", g.id}, {"group_name", g.name}},
               target);
    }

    // Snapshot ages: the newest completed snapshot of each device of each live SSI.
    w.Family("spotkeeper_snapshot_age_seconds", "gauge",
             "Age of the newest completed snapshot of each device of each stateful instance.");
    for (const auto& s : *ssis) {
      if (s.state == SsiState::kDeallocated) continue;
      auto res = in.store->ListResources(s.id);
      if (!res.ok()) {
        ++errors;
        continue;
      }
      std::map<std::string, Time> newest;
      for (const auto& r : *res) {
        if (r.kind != "snapshot" || r.status != "current" || r.cloud_state != "completed") {
          continue;
        }
        auto it = newest.find(r.device_name);
        if (it == newest.end() || r.created_at > it->second) newest[r.device_name] = r.created_at;
      }
      for (const auto& [device, at] : newest) {
        w.Sample("spotkeeper_snapshot_age_seconds",
                 {{"group", s.group_id}, {"ssi", s.id}, {"device", device}},
                 std::max(0.0, Seconds(in.now - at)));
      }
    }
  } else {
    ++errors;
  }

  auto running = in.store->ListRunningWorkflows();
  if (running.ok()) {
    std::map<std::string, int> by_kind;
    for (const auto& wf : *running) ++by_kind[wf.kind];
    w.Family("spotkeeper_workflows_running", "gauge", "Workflows in progress by kind.");
    for (const char* k :
         {"launch", "pause", "resume", "recycle", "interrupt", "deallocate", "import"}) {
      w.Sample("spotkeeper_workflows_running", {{"kind", k}}, by_kind[k]);
    }
  } else {
    ++errors;
  }

  // --- recoveries ---
  {
    std::lock_guard<std::mutex> lock(mu_);
    w.Family("spotkeeper_recoveries_total", "counter",
             "Stateful instances back to ACTIVE after a recovery, by reason (Interrupted, "
             "Recycle, Unhealthy, InstanceLost, Resumed, Imported, ...).");
    for (const auto& [reason, r] : recoveries_) {
      w.Sample("spotkeeper_recoveries_total", {{"reason", reason}}, static_cast<double>(r.count));
    }
    w.Family("spotkeeper_recovery_duration_seconds", "histogram",
             "Whole recovery, from the notice or request to ACTIVE again, by reason.");
    for (const auto& [reason, r] : recoveries_) {
      r.total.Write(w, "spotkeeper_recovery_duration_seconds", {{"reason", reason}});
    }
    w.Family("spotkeeper_recovery_downtime_seconds", "histogram",
             "Time without an instance during a recovery (old one terminated to new one ACTIVE).");
    for (const auto& [reason, r] : recoveries_) {
      r.downtime.Write(w, "spotkeeper_recovery_downtime_seconds", {{"reason", reason}});
    }
    w.Family("spotkeeper_recovery_seconds", "histogram",
             "Time from a recovery's trigger (the notice, or the request) to each phase: "
             "terminated (old instance gone), released (ENI and volumes free), running "
             "(replacement running), attached (volumes attached), active.");
    for (const auto& [key, h] : phases_) {
      h.Write(w, "spotkeeper_recovery_seconds", {{"trigger", key.first}, {"phase", key.second}});
    }
  }

  // --- controller ---
  const ControllerStats& st = in.loop.stats;
  auto counter = [&](const std::string& name, const std::string& help, int64_t v) {
    w.Family(name, "counter", help);
    w.Sample(name, {}, static_cast<double>(v));
  };
  counter("spotkeeper_controller_ticks_total", "Controller loop iterations.", in.loop.ticks);
  counter("spotkeeper_controller_tick_errors_total", "Ticks that failed unexpectedly (bugs).",
          in.loop.tick_errors);
  counter("spotkeeper_workflow_steps_total", "Workflow steps run.", st.engine.steps_run);
  counter("spotkeeper_workflow_step_retries_total",
          "Workflow steps that hit a retryable error and were scheduled again.",
          st.engine.step_retries);
  counter("spotkeeper_workflow_step_failures_total",
          "Workflow steps that failed for good (the instance went to ERROR).",
          st.engine.step_failures);
  w.Family("spotkeeper_workflows_finished_total", "counter", "Workflows finished, by result.");
  w.Sample("spotkeeper_workflows_finished_total", {{"result", "succeeded"}},
           static_cast<double>(st.engine.workflows_succeeded));
  w.Sample("spotkeeper_workflows_finished_total", {{"result", "failed"}},
           static_cast<double>(st.engine.workflows_failed));
  counter("spotkeeper_interruption_warnings_total", "Spot interruption warnings received.",
          st.interruptions);
  counter("spotkeeper_rebalance_recommendations_total", "Rebalance recommendations received.",
          st.rebalances);
  counter("spotkeeper_snapshots_taken_total", "Periodic snapshots started.", st.snapshots_taken);
  counter("spotkeeper_resources_reaped_total", "Retired cloud resources deleted.",
          st.resources_reaped);
  counter("spotkeeper_orphans_deleted_total", "Tagged resources nobody owned, deleted.",
          st.orphans_deleted);
  if (in.loop.ticked) {
    w.Family("spotkeeper_controller_last_tick_age_seconds", "gauge",
             "Real time since the controller loop last finished a tick.");
    w.Sample("spotkeeper_controller_last_tick_age_seconds", {},
             std::chrono::duration<double>(std::chrono::steady_clock::now() - in.loop.last_tick_end)
                 .count());
  }

  // --- provider ---
  w.Family("spotkeeper_provider_calls_total", "counter",
           "Cloud API calls the controller made, by action (throttled ones included).");
  for (const auto& [action, c] : in.provider_calls) {
    w.Sample("spotkeeper_provider_calls_total", {{"action", action}}, static_cast<double>(c.calls));
  }
  w.Family("spotkeeper_provider_throttles_total", "counter",
           "Throttled cloud calls by action; by=client: refused by spotkeeper's own token "
           "buckets before reaching the cloud, by=cloud: RequestLimitExceeded.");
  for (const auto& [action, c] : in.provider_calls) {
    w.Sample("spotkeeper_provider_throttles_total", {{"action", action}, {"by", "client"}},
             static_cast<double>(c.client_throttles));
    w.Sample("spotkeeper_provider_throttles_total", {{"action", action}, {"by", "cloud"}},
             static_cast<double>(c.cloud_throttles));
  }
  w.Family("spotkeeper_provider_errors_total", "counter",
           "Failed cloud calls (other than throttling) by action and error code.");
  for (const auto& [action, c] : in.provider_calls) {
    for (const auto& [code, n] : c.errors) {
      w.Sample("spotkeeper_provider_errors_total", {{"action", action}, {"code", code}},
               static_cast<double>(n));
    }
  }

  // --- HA ---
  w.Family("spotkeeper_leader", "gauge",
           "1 when this controller leads (runs ticks and workflows), 0 when it follows.");
  w.Sample("spotkeeper_leader", {{"store", in.ha ? "etcd" : "sqlite"}},
           !in.ha || in.ha->leader ? 1 : 0);

  // --- API ---
  w.Family("spotkeeper_event_streams", "gauge", "Open event streams (SSE).");
  w.Sample("spotkeeper_event_streams", {}, in.event_streams);
  {
    std::lock_guard<std::mutex> lock(mu_);
    w.Family("spotkeeper_http_requests_total", "counter",
             "HTTP requests by method, route template and status.");
    for (const auto& [key, n] : requests_) {
      w.Sample("spotkeeper_http_requests_total",
               {{"method", std::get<0>(key)},
                {"route", std::get<1>(key)},
                {"status", std::to_string(std::get<2>(key))}},
               static_cast<double>(n));
    }
    scrape_errors_ += errors;
    w.Family("spotkeeper_metrics_store_errors_total", "counter",
             "Store reads that failed while rendering /metrics.");
    w.Sample("spotkeeper_metrics_store_errors_total", {}, static_cast<double>(scrape_errors_));
  }
  return w.text();
}

}  // namespace spotkeeper::api
