// `spotkeeper instance list | get | pause | resume | recycle | deallocate | retry | import |
// import-status | import-cancel`.
#include <iostream>
#include <memory>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/render.h"
#include "cli/wait_progress.h"

namespace spotkeeper::cli {
namespace {

struct InstanceArgs {
  std::string id;
  std::string group;
  std::string state;
  bool wait = false;
  std::string timeout = "30m";
  bool del_volumes = false, del_snapshots = false, del_images = false, del_enis = false;
  std::string instance_id;
  std::string new_group;
  bool keep_private_ip = false;
  bool terminate_instance = false;
};

bool Transitional(const std::string& s) {
  return s == "PAUSE" || s == "PAUSING" || s == "RESUME" || s == "RESUMING" || s == "RECYCLE" ||
         s == "RECYCLING" || s == "DEALLOCATE" || s == "DEALLOCATING";
}

std::string FailureSummary(const nlohmann::json& s) {
  std::string out = s.value("id", "") + " is in ERROR";
  for (const auto& c : s["conditions"]) {
    if (c.value("type", "") == "Ready" && c.value("status", "") == "False") {
      out += ": " + c.value("reason", "") + ": " + c.value("message", "");
    }
  }
  return out + "\n  retry it with: spotkeeper instance retry " + s.value("id", "") +
         " --wait, or deallocate it";
}

// Waits for the SSI to settle after `action`. `before_wf`: its newest workflow id before the
// action (a recycle is done when a newer workflow has finished).
int WaitForSsi(ApiClient& client, const ClientOptions& o, const InstanceArgs& a,
               const std::string& action, const std::string& before_wf, int64_t after) {
  WaitOptions w;
  if (!ParseTimeout(a.timeout, &w.timeout)) {
    std::cerr << "error: --timeout '" << a.timeout << "' is not a duration (90s, 10m, 1h)\n";
    return kExitUsage;
  }
  w.events_filter = "statefulInstanceId=" + a.id;
  w.after_seq = after;
  std::string target = action == "pause"        ? "PAUSED"
                       : action == "deallocate" ? "DEALLOCATED"
                       : action == "retry"      ? "settled"
                                                : "ACTIVE";
  w.what = a.id + " to be " + target;
  auto start = w.start;
  return WaitUntilSettled(
      client, w,
      [&]() {
        Probe p;
        p.response = client.Get("/api/v1/statefulInstance/" + a.id);
        if (!p.response.ok()) return p;
        const auto& s = p.response.body;
        p.line = SsiStateLine(s);
        std::string state = s.value("state", "");
        bool running = s["workflow"].is_object() && s["workflow"].value("status", "") == "running";
        bool pending = s["pendingAction"].is_object();
        std::string wf = s["workflow"].is_object() ? s["workflow"].value("id", "") : "";
        auto took =
            Elapsed(std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - start));
        if (state == "ERROR") {
          p.outcome = Probe::kFailed;
          p.summary = FailureSummary(s);
          return p;
        }
        bool settled = !running && !pending && !Transitional(state);
        bool reached = target == "settled" ? settled : settled && state == target;
        if (action == "recycle" && wf == before_wf) reached = false;
        if (reached) {
          p.outcome = Probe::kDone;
          p.summary = a.id + " is " + state + " after " + took;
          if (s["lastRecovery"].is_object() && (action == "recycle" || action == "resume")) {
            const auto& r = s["lastRecovery"];
            p.summary += " (recovery " + Elapsed(Duration{r.value("totalMs", int64_t{0})}) + ", " +
                         Elapsed(Duration{r.value("downtimeMs", int64_t{0})}) +
                         " without an instance)";
          }
        }
        return p;
      },
      ProgressStream(o));
}

int List(const ClientOptions& o, const InstanceArgs& a) {
  auto client = MakeClient(o);
  std::string path = "/api/v1/statefulInstance";
  std::string query;
  if (!a.group.empty()) {
    std::string id;
    int code = kExitOk;
    if (!ResolveGroupId(*client, a.group, &id, &code)) return code;
    query += "groupId=" + UrlEncode(id);
  }
  if (!a.state.empty()) query += (query.empty() ? "" : "&") + std::string("state=") + a.state;
  ApiResponse r = client->Get(path + (query.empty() ? "" : "?" + query));
  if (!r.ok()) return ReportFailure(*client, r, "listing stateful instances");
  Emit(o, r.body, [&] {
    if (r.body["items"].empty()) {
      std::cout << "no stateful instances\n";
      return;
    }
    PrintSsiTable(std::cout, r.body["items"], ServerNow(*client), a.group.empty());
  });
  return kExitOk;
}

int Get(const ClientOptions& o, const InstanceArgs& a) {
  auto client = MakeClient(o);
  ApiResponse r = client->Get("/api/v1/statefulInstance/" + UrlEncode(a.id));
  if (!r.ok()) return ReportFailure(*client, r, "getting " + a.id);
  Emit(o, r.body, [&] { DescribeSsi(std::cout, r.body, ServerNow(*client)); });
  return kExitOk;
}

int History(const ClientOptions& o, const InstanceArgs& a) {
  auto client = MakeClient(o);
  ApiResponse r = client->Get("/api/v1/statefulInstance/" + UrlEncode(a.id) + "/recoveries");
  if (!r.ok()) return ReportFailure(*client, r, "getting the recoveries of " + a.id);
  Emit(o, r.body, [&] { PrintRecoveryTable(std::cout, r.body["items"]); });
  return kExitOk;
}

int Act(const ClientOptions& o, const InstanceArgs& a, const std::string& action) {
  Duration unused;
  if (a.wait && !ParseTimeout(a.timeout, &unused)) {
    std::cerr << "error: --timeout '" << a.timeout << "' is not a duration (90s, 10m, 1h)\n";
    return kExitUsage;
  }
  auto client = MakeClient(o);
  std::string before_wf;
  int64_t after = 0;
  if (a.wait) {
    ApiResponse cur = client->Get("/api/v1/statefulInstance/" + UrlEncode(a.id));
    if (!cur.ok()) return ReportFailure(*client, cur, action + " " + a.id);
    if (cur.body["workflow"].is_object()) before_wf = cur.body["workflow"].value("id", "");
    after = std::max<int64_t>(0, LatestEventSeq(*client));
  }
  std::string body;
  if (action == "deallocate" && (a.del_volumes || a.del_snapshots || a.del_images || a.del_enis)) {
    body = nlohmann::json{{"shouldDeleteVolumes", a.del_volumes},
                          {"shouldDeleteSnapshots", a.del_snapshots},
                          {"shouldDeleteImages", a.del_images},
                          {"shouldDeleteNetworkInterfaces", a.del_enis}}
               .dump();
  }
  ApiResponse r =
      client->Send("PUT", "/api/v1/statefulInstance/" + UrlEncode(a.id) + "/" + action, body);
  if (!r.ok()) return ReportFailure(*client, r, action + " " + a.id);
  if (!a.wait) {
    Emit(o, r.body, [&] {
      std::cout << action << " of " << a.id << " accepted; it is " << r.body.value("state", "")
                << " (follow with --wait, or: spotkeeper events --instance " << a.id
                << " --follow)\n";
    });
    return kExitOk;
  }
  ProgressStream(o) << action << " " << a.id << ": waiting until it settles\n";
  int code = WaitForSsi(*client, o, a, action, before_wf, after);
  if (o.output != "table") {
    ApiResponse fin = client->Get("/api/v1/statefulInstance/" + UrlEncode(a.id));
    if (fin.ok()) Emit(o, fin.body, [] {});
  }
  return code;
}

int Import(const ClientOptions& o, const InstanceArgs& a) {
  Duration unused;
  if (a.wait && !ParseTimeout(a.timeout, &unused)) {
    std::cerr << "error: --timeout '" << a.timeout << "' is not a duration (90s, 10m, 1h)\n";
    return kExitUsage;
  }
  auto client = MakeClient(o);
  nlohmann::json body = {{"originalInstanceId", a.instance_id},
                         {"shouldKeepPrivateIp", a.keep_private_ip},
                         {"shouldTerminateInstance", a.terminate_instance}};
  if (!a.new_group.empty()) {
    body["newGroupName"] = a.new_group;
  } else {
    std::string id;
    int code = kExitOk;
    if (!ResolveGroupId(*client, a.group, &id, &code)) return code;
    body["groupId"] = id;
  }
  int64_t after = a.wait ? std::max<int64_t>(0, LatestEventSeq(*client)) : 0;
  ApiResponse r = client->Send("POST", "/api/v1/import", body.dump());
  if (!r.ok()) return ReportFailure(*client, r, "importing " + a.instance_id);
  std::string id = r.body.value("id", "");
  if (!a.wait) {
    Emit(o, r.body, [&] {
      std::cout << "import " << id << " of " << a.instance_id << " started into group "
                << r.body.value("groupId", "") << " (" << r.body.value("state", "")
                << "); follow with: spotkeeper instance import-status " << id << "\n";
    });
    return kExitOk;
  }
  WaitOptions w;
  if (!ParseTimeout(a.timeout, &w.timeout)) {
    std::cerr << "error: --timeout '" << a.timeout << "' is not a duration (90s, 10m, 1h)\n";
    return kExitUsage;
  }
  w.events_filter = "statefulInstanceId=" + id;
  w.after_seq = after;
  w.what = "import " + id;
  ProgressStream(o) << "import " << id << " of " << a.instance_id << " into group "
                    << r.body.value("groupId", "") << ": waiting until it is done\n";
  int code = WaitUntilSettled(
      *client, w,
      [&]() {
        Probe p;
        p.response = client->Get("/api/v1/import/" + id);
        if (!p.response.ok()) return p;
        const auto& s = p.response.body;
        std::string state = s.value("state", "");
        p.line = state + "  (" + s.value("step", "") + ")";
        if (state == "MIGRATE_SUCCEEDED") {
          p.outcome = Probe::kDone;
          p.summary = id + " imported: " + s["statefulInstance"].value("instanceId", "") + " " +
                      s["statefulInstance"].value("privateIp", "");
        } else if (state == "MIGRATE_FAILED" || state == "MIGRATE_CANCELLED") {
          p.outcome = Probe::kFailed;
          p.summary = "import " + id + " " + state + (s.value("error", "").empty() ? "" : ": ") +
                      s.value("error", "");
        }
        return p;
      },
      ProgressStream(o));
  if (o.output != "table") {
    ApiResponse fin = client->Get("/api/v1/import/" + id);
    if (fin.ok()) Emit(o, fin.body, [] {});
  }
  return code;
}

int ImportStatus(const ClientOptions& o, const InstanceArgs& a, bool cancel) {
  auto client = MakeClient(o);
  ApiResponse r = cancel ? client->Send("PUT", "/api/v1/import/" + UrlEncode(a.id) + "/cancel", "")
                         : client->Get("/api/v1/import/" + UrlEncode(a.id));
  if (!r.ok()) return ReportFailure(*client, r, (cancel ? "cancelling import " : "import ") + a.id);
  Emit(o, r.body, [&] { DescribeImport(std::cout, r.body); });
  return kExitOk;
}

void AddWait(CLI::App* cmd, InstanceArgs* a, const std::string& until) {
  cmd->add_flag("--wait", a->wait, "Wait until " + until + ", showing progress");
  cmd->add_option("--timeout", a->timeout, "How long --wait waits (90s, 10m, 1h; default 30m)");
}

void AddDeallocationFlags(CLI::App* cmd, InstanceArgs* a) {
  cmd->add_flag("--delete-volumes", a->del_volumes, "Delete its volumes");
  cmd->add_flag("--delete-snapshots", a->del_snapshots, "Delete its snapshots");
  cmd->add_flag("--delete-images", a->del_images, "Deregister its images");
  cmd->add_flag("--delete-network-interfaces", a->del_enis,
                "Delete its network interface (its private IP is released)");
}

}  // namespace

void AddInstanceCommand(CLI::App& app, const ClientOptions* o, int* exit_code) {
  auto* inst = app.add_subcommand("instance", "Stateful instances (SSIs): list, act, import");
  inst->alias("ssi");
  inst->require_subcommand(1);
  auto a = std::make_shared<InstanceArgs>();

  auto* list = inst->add_subcommand("list", "List stateful instances");
  list->alias("ls");
  list->add_option("--group", a->group, "Only this group's (id or name)");
  list->add_option("--state", a->state, "Only in this state (ACTIVE, PAUSED, ERROR, ...)");
  list->callback([o, a, exit_code] { *exit_code = List(*o, *a); });

  auto* get = inst->add_subcommand("get", "Show a stateful instance");
  get->add_option("SSI", a->id, "Stateful instance id (ssi-...)")->required();
  get->callback([o, a, exit_code] { *exit_code = Get(*o, *a); });

  auto* history = inst->add_subcommand(
      "history", "A stateful instance's recoveries, newest first, with the time to each phase");
  history->add_option("SSI", a->id, "Stateful instance id (ssi-...)")->required();
  history->callback([o, a, exit_code] { *exit_code = History(*o, *a); });

  struct ActionHelp {
    const char* name;
    const char* help;
    const char* until;
  };
  for (const ActionHelp& h : {
           ActionHelp{"pause", "Pause: terminate the instance, keep its volumes, IP and image",
                      "it is PAUSED"},
           ActionHelp{"resume", "Resume a paused instance with its identity", "it is ACTIVE"},
           ActionHelp{"recycle", "Replace the instance, keeping its identity",
                      "it is ACTIVE again"},
           ActionHelp{"deallocate",
                      "Deallocate: terminate it, delete what the flags say; the group shrinks "
                      "by one (no flags: the group spec's statefulDeallocation)",
                      "it is DEALLOCATED"},
           ActionHelp{"retry", "Retry the failed step of an instance in ERROR", "it settles"},
       }) {
    std::string action = h.name;
    auto* cmd = inst->add_subcommand(action, h.help);
    cmd->add_option("SSI", a->id, "Stateful instance id (ssi-...)")->required();
    AddWait(cmd, a.get(), h.until);
    if (action == "deallocate") AddDeallocationFlags(cmd, a.get());
    cmd->callback([o, a, exit_code, action] { *exit_code = Act(*o, *a, action); });
  }

  auto* import = inst->add_subcommand(
      "import", "Bring an existing instance under a group (or a new group built from it)");
  import->add_option("--instance-id", a->instance_id, "The instance to import (i-...)")->required();
  auto* g = import->add_option("--group", a->group, "Into this group (id or name)");
  auto* n = import->add_option("--new-group", a->new_group,
                               "Into a new group of this name, built from the instance");
  g->excludes(n);
  import->add_flag("--keep-private-ip", a->keep_private_ip,
                   "Keep its private IP (needs its termination)");
  import->add_flag("--terminate-instance", a->terminate_instance,
                   "Terminate the original instance once imaged");
  AddWait(import, a.get(), "the import is done");
  import->callback([o, a, exit_code, import] {
    if (a->group.empty() && a->new_group.empty()) {
      std::cerr << "error: give --group ID or --new-group NAME\n" << import->help();
  *exit_code = kExitUsage;
  return;
}
*exit_code = Import(*o, *a);
}  // namespace spotkeeper::cli
);

auto* status = inst->add_subcommand("import-status", "Show an import's progress (MIGRATE_*)");
status->add_option("IMPORT", a->id, "Import id (the imported instance's ssi-...)")->required();
status->callback([o, a, exit_code] { *exit_code = ImportStatus(*o, *a, false); });

auto* cancel = inst->add_subcommand("import-cancel",
                                    "Cancel an import while its source instance is untouched");
cancel->add_option("IMPORT", a->id, "Import id (ssi-...)")->required();
cancel->callback([o, a, exit_code] { *exit_code = ImportStatus(*o, *a, true); });
}

}  // namespace spotkeeper::cli
