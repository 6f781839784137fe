#include "cli/render.h"

#include <cstdio>
#include <ostream>

#include "cli/output.h"

namespace spotkeeper::cli {
namespace {

std::string S(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

void Conditions(std::ostream& out, const nlohmann::json& conditions) {
  if (!conditions.is_array() || conditions.empty()) return;
  out << "Conditions:\n";
  Table t({"  TYPE", "STATUS", "REASON", "MESSAGE"});
  for (const auto& c : conditions) {
    t.AddRow({"  " + S(c, "type"), S(c, "status"), S(c, "reason"), S(c, "message")});
  }
  t.Print(out, TableWidth());
}

std::string Type(const nlohmann::json& s) {
  std::string t = S(s, "instanceType");
  std::string life = S(s, "lifeCycle");
  if (!life.empty()) t += (t.empty() ? "" : " ") + life;
  return t.empty() ? "-" : t;
}

std::string Dash(const std::string& s) { return s.empty() ? "-" : s; }

}  // namespace

void PrintGroupTable(std::ostream& out, const nlohmann::json& groups, Time now) {
  Table t({"ID", "NAME", "STATUS", "ACTIVE", "GEN", "AGE", "CONDITION"});
  for (const auto& g : groups) {
    const auto& st = g["status"];
    std::string ready;
    for (const auto& c : st["conditions"]) {
      if (c["status"] == "True" && c["type"] != "Ready") ready += S(c, "type") + " ";
    }
    for (const auto& c : st["conditions"]) {
      if (c["type"] == "Ready")
        ready = (c["status"] == "True" ? "Ready " : S(c, "reason") + " ") + ready;
    }
    t.AddRow({S(g, "id"), S(g, "name"), S(st, "phase"),
              S(st["capacity"], "active") + "/" + S(st["capacity"], "target"), S(g, "generation"),
              Age(S(g, "createdAt"), now), ready});
  }
  t.Print(out, TableWidth());
}

void DescribeGroup(std::ostream& out, const nlohmann::json& g, const nlohmann::json& ssis,
                   Time now) {
  const auto& st = g["status"];
  const auto& cap = st["capacity"];
  out << "Group:        " << S(g, "id") << " (" << S(g, "name") << ")\n";
  out << "Status:       " << S(st, "phase") << ", generation " << S(g, "generation") << "\n";
  out << "Capacity:     " << S(cap, "active") << " of " << S(cap, "target") << " ACTIVE (minimum "
      << S(cap, "minimum") << ", maximum " << S(cap, "maximum") << ")\n";
  out << "Region:       " << S(g["spec"], "region") << "\n";
  out << "Created:      " << S(g, "createdAt") << " (" << Age(S(g, "createdAt"), now) << " ago)\n";
  if (st.contains("deallocation")) out << "Deallocation: " << st["deallocation"].dump() << "\n";
  if (st.contains("savings") && st["savings"].value("onDemandCostUsd", 0.0) > 0) {
    out << "Cost:         " << SavingsLine(st["savings"]) << "\n";
  }
  Conditions(out, st["conditions"]);
  if (ssis.is_array() && !ssis.empty()) {
    out << "Stateful instances:\n";
    PrintSsiTable(out, ssis, now, false);
  }
}

std::string SavingsLine(const nlohmann::json& s) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "$%.4f (on-demand: $%.4f, %.1f%% saved)",
                s.value("costUsd", 0.0), s.value("onDemandCostUsd", 0.0),
                s.value("savedPercent", 0.0));
  return buf;
}

void DescribeSavings(std::ostream& out, const nlohmann::json& s) {
  out << "Group:        " << S(s, "groupId") << " (" << S(s, "groupName") << ")\n";
  out << "Cost:         " << SavingsLine(s) << "\n";
  char buf[160];
  std::snprintf(buf, sizeof(buf), "%.2f h spot, %.2f h on-demand", s.value("spotHours", 0.0),
                s.value("onDemandHours", 0.0));
  out << "Hours:        " << buf;
  if (s.value("unpricedHours", 0.0) > 0) {
    std::snprintf(buf, sizeof(buf), ", %.2f h without a known price (not counted)",
                  s.value("unpricedHours", 0.0));
    out << buf;
  }
  out << "\n";
  const auto& items = s["statefulInstances"];
  if (!items.is_array() || items.empty()) {
    out << "No instance has run long enough to be counted yet (the controller accrues after "
           "each sweep).\n";
    return;
  }
  Table t({"ID", "COST", "ON-DEMAND", "SAVED", "SPOT H", "OD H"});
  for (const auto& i : items) {
    double usd = i.value("usd", 0.0), od = i.value("onDemandUsd", 0.0);
    char c[5][32];
    std::snprintf(c[0], sizeof(c[0]), "$%.4f", usd);
    std::snprintf(c[1], sizeof(c[1]), "$%.4f", od);
    std::snprintf(c[2], sizeof(c[2]), "%.1f%%", od > 0 ? 100.0 * (od - usd) / od : 0.0);
    std::snprintf(c[3], sizeof(c[3]), "%.2f", i.value("spotHours", 0.0));
    std::snprintf(c[4], sizeof(c[4]), "%.2f", i.value("onDemandHours", 0.0));
    t.AddRow({S(i, "ssiId"), c[0], c[1], c[2], c[3], c[4]});
  }
  t.Print(out, TableWidth());
}

void PrintRecoveryTable(std::ostream& out, const nlohmann::json& recoveries) {
  if (!recoveries.is_array() || recoveries.empty()) {
    out << "no recoveries yet\n";
    return;
  }
  auto secs = [](const nlohmann::json& j, const char* key) -> std::string {
    if (!j.is_object() || !j.contains(key) || !j[key].is_number_integer()) return "-";
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.2fs", static_cast<double>(j[key].get<int64_t>()) / 1000);
    return buf;
  };
  Table t({"STARTED", "REASON", "TOTAL", "DOWNTIME", "GONE", "RELEASED", "RUNNING", "ATTACHED"});
  for (const auto& r : recoveries) {
    const auto& p = r.contains("phasesMs") ? r["phasesMs"] : nlohmann::json::object();
    t.AddRow({Dash(S(r, "startedAt")), S(r, "reason"), secs(r, "totalMs"), secs(r, "downtimeMs"),
              secs(p, "terminated"), secs(p, "released"), secs(p, "running"),
              secs(p, "attached")});
  }
  t.Print(out, TableWidth());
}

void PrintSsiTable(std::ostream& out, const nlohmann::json& ssis, Time now, bool with_group) {
  std::vector<std::string> headers = {"ID"};
  if (with_group) headers.push_back("GROUP");
  for (const char* h : {"STATE", "INSTANCE", "PRIVATE IP", "TYPE", "ZONE", "AGE"}) {
    headers.push_back(h);
  }
  Table t(headers);
  for (const auto& s : ssis) {
    std::vector<std::string> row = {S(s, "id")};
    if (with_group) row.push_back(S(s, "groupId"));
    row.push_back(S(s, "state"));
    row.push_back(Dash(S(s, "instanceId")));
    row.push_back(Dash(S(s, "privateIp")));
    row.push_back(Type(s));
    row.push_back(Dash(S(s, "availabilityZone")));
    row.push_back(Age(S(s, "createdAt"), now));
    t.AddRow(row);
  }
  t.Print(out, TableWidth());
}

void DescribeSsi(std::ostream& out, const nlohmann::json& s, Time now) {
  out << "Stateful instance: " << S(s, "id") << " (group " << S(s, "groupId") << ")\n";
  out << "State:        " << S(s, "state") << " (wanted: " << S(s, "desiredState");
  if (!S(s, "pauseReason").empty()) out << ", paused by " << S(s, "pauseReason");
  out << ")\n";
  out << "Instance:     " << Dash(S(s, "instanceId")) << "  " << Type(s) << "  "
      << Dash(S(s, "availabilityZone")) << "\n";
  out << "Private IP:   " << Dash(S(s, "privateIp")) << "  (interface "
      << Dash(S(s, "networkInterfaceId")) << ", subnet " << Dash(S(s, "subnetId")) << ")\n";
  out << "Image:        " << Dash(S(s, "imageId")) << "\n";
  out << "Launched:     " << Dash(S(s, "launchedAt")) << "\n";
  out << "Created:      " << S(s, "createdAt") << " (" << Age(S(s, "createdAt"), now) << " ago)\n";
  if (s["pendingAction"].is_object()) {
    out << "Pending:      " << S(s["pendingAction"], "kind") << " (requested by "
        << S(s["pendingAction"], "requestedBy") << ")\n";
  }
  if (s["workflow"].is_object()) {
    const auto& w = s["workflow"];
    out << "Workflow:     " << S(w, "kind") << " " << S(w, "status");
    if (S(w, "status") != "succeeded") out << " at " << S(w, "step");
    if (!S(w, "error").empty()) out << " (" << S(w, "error") << ")";
    out << "  [" << S(w, "id") << "]\n";
  }
  if (s["lastRecovery"].is_object()) {
    const auto& r = s["lastRecovery"];
    out << "Last recovery: " << S(r, "reason") << ", "
        << Elapsed(Duration{r.value("totalMs", int64_t{0})}) << " in all, "
        << Elapsed(Duration{r.value("downtimeMs", int64_t{0})}) << " without an instance\n";
  }
  if (!s["devices"].empty()) {
    out << "Devices:\n";
    Table t({"  DEVICE", "ROLE", "VOLUME", "LATEST SNAPSHOT"});
    for (const auto& d : s["devices"]) {
      t.AddRow({"  " + S(d, "deviceName"), S(d, "role"), Dash(S(d, "volumeId")),
                Dash(S(d, "snapshotId"))});
    }
    t.Print(out, TableWidth());
  }
  if (!s["images"].empty()) {
    out << "Images:      ";
    for (const auto& i : s["images"]) {
      out << " " << S(i, "id") << (i.value("current", false) ? " (current)" : "");
    }
    out << "\n";
  }
  out << "Snapshots:    " << s["snapshots"].size() << "\n";
  Conditions(out, s["conditions"]);
}

void DescribeImport(std::ostream& out, const nlohmann::json& i) {
  out << "Import:       " << S(i, "id") << " of " << S(i, "originalInstanceId") << " into group "
      << S(i, "groupId") << "\n";
  out << "State:        " << S(i, "state") << " (step " << S(i, "step") << ", "
      << i.value("stepIndex", 0) + 1 << " of " << S(i, "stepCount") << ")\n";
  out << "Keep IP:      " << (i.value("shouldKeepPrivateIp", false) ? "yes" : "no")
      << "; terminate source: " << (i.value("shouldTerminateInstance", false) ? "yes" : "no")
      << "\n";
  out << "Cancellable:  " << (i.value("cancellable", false) ? "yes" : "no") << "\n";
  if (!S(i, "error").empty()) out << "Error:        " << S(i, "error") << "\n";
  const auto& s = i["statefulInstance"];
  out << "Instance:     " << S(s, "state") << " " << Dash(S(s, "instanceId")) << " "
      << Dash(S(s, "privateIp")) << "\n";
}

std::string EventLine(const nlohmann::json& e) {
  std::string who = S(e, "statefulInstanceId");
  if (who.empty()) who = S(e, "groupId");
  return S(e, "at") + "  " + S(e, "actor") + "  " + who + "  " + S(e, "kind") + ": " +
         S(e, "message");
}

void PrintEventTable(std::ostream& out, const nlohmann::json& events) {
  Table t({"TIME", "ACTOR", "RESOURCE", "KIND", "MESSAGE"});
  for (const auto& e : events) {
    std::string who = S(e, "statefulInstanceId");
    if (who.empty()) who = S(e, "groupId");
    std::string at = S(e, "at");
    if (at.size() > 19) at = at.substr(0, 19);  // to the second
    t.AddRow({at, S(e, "actor"), who, S(e, "kind"), S(e, "message")});
  }
  t.Print(out, TableWidth());
}

std::string SsiStateLine(const nlohmann::json& s) {
  std::string line = S(s, "state");
  if (line.size() < 13) line += std::string(13 - line.size(), ' ');
  const auto& w = s["workflow"];
  if (w.is_object() && S(w, "status") == "running") {
    line += S(w, "kind") + " at " + S(w, "step");
  } else if (S(s, "state") == "ACTIVE") {
    line += Dash(S(s, "instanceId")) + " " + Type(s) + " " + Dash(S(s, "privateIp"));
  } else if (w.is_object() && S(w, "status") == "failed") {
    line += S(w, "kind") + " failed at " + S(w, "step") + ": " + S(w, "error");
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

}  // namespace spotkeeper::cli
