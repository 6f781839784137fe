// `spotkeeper group create | list | get | savings | update | delete`.
#include <iostream>
#include <memory>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/render.h"
#include "cli/wait_progress.h"

namespace spotkeeper::cli {
namespace {

struct GroupArgs {
  std::string file;
  std::string id;
  bool resume_stateful = false;
  bool include_deleted = false;
  bool del_volumes = false, del_snapshots = false, del_images = false, del_enis = false;
  bool wait = false;
  std::string timeout = "30m";
};

std::string GroupLine(const nlohmann::json& g) {
  const auto& st = g["status"];
  std::string line = st.value("phase", "") + "  " + st["capacity"]["active"].dump() + "/" +
                     st["capacity"]["target"].dump() + " ACTIVE";
  for (const auto& [state, n] : st["statefulInstances"]["byState"].items()) {
    if (state != "ACTIVE" && state != "DEALLOCATED") line += ", " + n.dump() + " " + state;
  }
  return line;
}

// Waits until the group is Ready (all wanted instances ACTIVE), or DELETED when `deleted`.
int WaitForGroup(ApiClient& client, const ClientOptions& o, const std::string& id, bool deleted,
                 int64_t after, const std::string& timeout) {
  WaitOptions w;
  if (!ParseTimeout(timeout, &w.timeout)) {
    std::cerr << "error: --timeout '" << timeout << "' is not a duration (90s, 10m, 1h)\n";
    return kExitUsage;
  }
  w.events_filter = "groupId=" + id;
  w.after_seq = after;
  w.what = "group " + id + (deleted ? " to be deleted" : " to be ready");
  std::ostream& out = ProgressStream(o);
  return WaitUntilSettled(
      client, w,
      [&]() {
        Probe p;
        p.response = client.Get("/api/v1/group/" + id);
        if (!p.response.ok()) return p;
        const auto& g = p.response.body;
        p.line = GroupLine(g);
        const auto& st = g["status"];
        if (deleted) {
          if (st["phase"] == "DELETED") {
            p.outcome = Probe::kDone;
            p.summary = "group " + id + " is deleted";
          }
          return p;
        }
        for (const auto& c : st["conditions"]) {
          if (c["type"] == "Ready" && c["status"] == "True") {
            p.outcome = Probe::kDone;
            p.summary = "group " + id + " is ready: " + c.value("message", "");
          }
          if (c["type"] == "Degraded" && c["status"] == "True") {
            p.outcome = Probe::kFailed;
            p.summary = "group " + id + " is degraded: " + c.value("message", "");
          }
        }
        return p;
      },
      out);
}

int Create(const ClientOptions& o, const GroupArgs& a) {
  Duration unused;
  if (a.wait && !ParseTimeout(a.timeout, &unused)) {
    std::cerr << "error: --timeout '" << a.timeout << "' is not a duration (90s, 10m, 1h)\n";
    return kExitUsage;
  }
  std::string text, type;
  if (!ReadSpecFile(a.file, &text, &type)) return kExitUsage;
  auto client = MakeClient(o);
  int64_t after = a.wait ? LatestEventSeq(*client) : 0;
  ApiResponse r = client->Send("POST", "/api/v1/group", text, type);
  if (!r.ok()) return ReportFailure(*client, r, "creating the group from " + a.file);
  std::string id = r.body["id"];
  Emit(o, r.body, [&] {
    std::cout << "group " << id << " '" << r.body.value("name", "") << "' created (generation "
              << r.body["generation"].dump() << ")\n";
  });
  if (!a.wait) return kExitOk;
  return WaitForGroup(*client, o, id, false, std::max<int64_t>(after, 0), a.timeout);
}

int List(const ClientOptions& o, const GroupArgs& a) {
  auto client = MakeClient(o);
  ApiResponse r =
      client->Get(std::string("/api/v1/group") + (a.include_deleted ? "?includeDeleted=true" : ""));
  if (!r.ok()) return ReportFailure(*client, r, "listing groups");
  Emit(o, r.body, [&] {
    if (r.body["items"].empty()) {
      std::cout << "no groups (create one with: spotkeeper group create -f spec.yaml)\n";
      return;
    }
    PrintGroupTable(std::cout, r.body["items"], ServerNow(*client));
  });
  return kExitOk;
}

int Get(const ClientOptions& o, const GroupArgs& a) {
  auto client = MakeClient(o);
  std::string id;
  int code = kExitOk;
  if (!ResolveGroupId(*client, a.id, &id, &code)) return code;
  ApiResponse r = client->Get("/api/v1/group/" + id);
  if (!r.ok()) return ReportFailure(*client, r, "getting group " + a.id);
  Emit(o, r.body, [&] {
    ApiResponse ssis = client->Get("/api/v1/group/" + id + "/statefulInstance");
    DescribeGroup(std::cout, r.body, ssis.ok() ? ssis.body["items"] : nlohmann::json::array(),
                  ServerNow(*client));
  });
  return kExitOk;
}

int Savings(const ClientOptions& o, const GroupArgs& a) {
  auto client = MakeClient(o);
  std::string id;
  int code = kExitOk;
  if (!ResolveGroupId(*client, a.id, &id, &code)) return code;
  ApiResponse r = client->Get("/api/v1/group/" + id + "/savings");
  if (!r.ok()) return ReportFailure(*client, r, "getting the savings of group " + a.id);
  Emit(o, r.body, [&] { DescribeSavings(std::cout, r.body); });
  return kExitOk;
}

int Update(const ClientOptions& o, const GroupArgs& a) {
  Duration unused;
  if (a.wait && !ParseTimeout(a.timeout, &unused)) {
    std::cerr << "error: --timeout '" << a.timeout << "' is not a duration (90s, 10m, 1h)\n";
    return kExitUsage;
  }
  std::string text, type;
  if (!ReadSpecFile(a.file, &text, &type)) return kExitUsage;
  auto client = MakeClient(o);
  std::string id;
  int code = kExitOk;
  if (!ResolveGroupId(*client, a.id, &id, &code)) return code;
  int64_t after = a.wait ? LatestEventSeq(*client) : 0;
  ApiResponse r = client->Send(
      "PUT", "/api/v1/group/" + id + (a.resume_stateful ? "?shouldResumeStateful=true" : ""), text,
      type);
  if (!r.ok()) return ReportFailure(*client, r, "updating group " + a.id);
  Emit(o, r.body, [&] {
    std::cout << "group " << id << " updated (generation " << r.body["generation"].dump() << ")"
              << (a.resume_stateful ? "; paused instances resume" : "") << "\n";
  });
  if (!a.wait) return kExitOk;
  return WaitForGroup(*client, o, id, false, std::max<int64_t>(after, 0), a.timeout);
}

int Delete(const ClientOptions& o, const GroupArgs& a) {
  Duration unused;
  if (a.wait && !ParseTimeout(a.timeout, &unused)) {
    std::cerr << "error: --timeout '" << a.timeout << "' is not a duration (90s, 10m, 1h)\n";
    return kExitUsage;
  }
  auto client = MakeClient(o);
  std::string id;
  int code = kExitOk;
  if (!ResolveGroupId(*client, a.id, &id, &code)) return code;
  nlohmann::json body = nlohmann::json::object();
  // Any flag makes the command line the whole answer; none: the group spec's
  // statefulDeallocation applies.
  if (a.del_volumes || a.del_snapshots || a.del_images || a.del_enis) {
    body["statefulDeallocation"] = {{"shouldDeleteVolumes", a.del_volumes},
                                    {"shouldDeleteSnapshots", a.del_snapshots},
                                    {"shouldDeleteImages", a.del_images},
                                    {"shouldDeleteNetworkInterfaces", a.del_enis}};
  }
  int64_t after = a.wait ? LatestEventSeq(*client) : 0;
  ApiResponse r = client->Send("DELETE", "/api/v1/group/" + id, body.dump());
  if (!r.ok()) return ReportFailure(*client, r, "deleting group " + a.id);
  Emit(o, r.body, [&] {
    std::cout << "group " << id << " is being deleted (deallocation "
              << r.body["status"].value("deallocation", nlohmann::json::object()).dump() << ")\n";
  });
  if (!a.wait) return kExitOk;
  return WaitForGroup(*client, o, id, true, std::max<int64_t>(after, 0), a.timeout);
}

void AddWait(CLI::App* cmd, GroupArgs* a, const std::string& until) {
  cmd->add_flag("--wait", a->wait, "Wait until " + until + ", showing progress");
  cmd->add_option("--timeout", a->timeout, "How long --wait waits (90s, 10m, 1h; default 30m)");
}

}  // namespace

void AddGroupCommand(CLI::App& app, const ClientOptions* o, int* exit_code) {
  auto* group = app.add_subcommand("group", "Manage groups of stateful instances");
  group->require_subcommand(1);
  auto a = std::make_shared<GroupArgs>();

  auto* create = group->add_subcommand("create", "Create a group from a spec file (YAML/JSON)");
  create->add_option("-f,--file", a->file, "Spec file ('-' for stdin)")->required();
  AddWait(create, a.get(), "every stateful instance is ACTIVE");
  create->callback([o, a, exit_code] { *exit_code = Create(*o, *a); });

  auto* list = group->add_subcommand("list", "List groups");
  list->alias("ls");
  list->add_flag("--include-deleted", a->include_deleted, "Also list deleted groups");
  list->callback([o, a, exit_code] { *exit_code = List(*o, *a); });

  auto* get = group->add_subcommand("get", "Show a group: spec status, conditions, instances");
  get->add_option("GROUP", a->id, "Group id (sig-...) or name")->required();
  get->callback([o, a, exit_code] { *exit_code = Get(*o, *a); });

  auto* savings = group->add_subcommand(
      "savings", "What a group's instances cost, against the same hours on-demand");
  savings->add_option("GROUP", a->id, "Group id (sig-...) or name")->required();
  savings->callback([o, a, exit_code] { *exit_code = Savings(*o, *a); });

  auto* update = group->add_subcommand("update", "Replace a group's spec (generation goes up)");
  update->add_option("GROUP", a->id, "Group id (sig-...) or name")->required();
  update->add_option("-f,--file", a->file, "Spec file ('-' for stdin)")->required();
  update->add_flag("--resume-stateful", a->resume_stateful,
                   "Also resume the group's paused stateful instances");
  AddWait(update, a.get(), "every stateful instance is ACTIVE");
  update->callback([o, a, exit_code] { *exit_code = Update(*o, *a); });

  auto* del = group->add_subcommand(
      "delete",
      "Delete a group: deallocate its instances, keeping what the flags do not delete "
      "(no flags: the spec's statefulDeallocation)");
  del->add_option("GROUP", a->id, "Group id (sig-...) or name")->required();
  del->add_flag("--delete-volumes", a->del_volumes, "Delete the data and root volumes");
  del->add_flag("--delete-snapshots", a->del_snapshots, "Delete the snapshots");
  del->add_flag("--delete-images", a->del_images, "Deregister the images");
  del->add_flag("--delete-network-interfaces", a->del_enis,
                "Delete the network interfaces (their private IPs are released)");
  AddWait(del, a.get(), "the group is DELETED");
  del->callback([o, a, exit_code] { *exit_code = Delete(*o, *a); });
}

}  // namespace spotkeeper::cli
