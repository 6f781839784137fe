// Imports: bring an existing instance under a group (or a new group built from it), follow the
// import's MIGRATE_* progress, cancel it while the source instance is untouched.
#include <httplib.h>

#include "api/api_routes.h"
#include "api/http_util.h"
#include "api/import_spec_builder.h"
#include "api/import_status.h"
#include "api/resource_json.h"
#include "spec/closest_match.h"

namespace spotkeeper::api {
namespace {

ResponseDoc Err(int status, const std::string& description) {
  return {status, description, "Error", "application/json"};
}

// The import workflow of an SSI (the newest one).
Result<WorkflowRecord> ImportWorkflow(Store& store, const std::string& ssi_id) {
  SK_ASSIGN_OR_RETURN(std::vector<WorkflowRecord> wfs, store.ListWorkflows(ssi_id));
  for (const auto& w : wfs) {
    if (w.kind == "import") return w;
  }
  return NotFound("stateful instance " + ssi_id + " was not imported (no import workflow)");
}

Result<nlohmann::json> LoadImportJson(Store& store, const std::string& id) {
  auto ssi = store.GetSsi(id);
  if (!ssi.ok()) {
    if (ssi.status().code() == Code::kNotFound) return NotFound("no import " + id);
    return ssi.status();
  }
  SK_ASSIGN_OR_RETURN(WorkflowRecord wf, ImportWorkflow(store, id));
  return ImportJson(*ssi, wf);
}

struct ImportBody {
  std::string instance_id;
  std::string group_id;
  std::string new_group_name;
  bool keep_private_ip = false;
  bool terminate_instance = false;
};

Result<ImportBody> ParseImportBody(const nlohmann::json& j) {
  static const std::vector<std::string> kKeys = {"originalInstanceId", "groupId", "newGroupName",
                                                 "shouldKeepPrivateIp", "shouldTerminateInstance"};
  ImportBody b;
  for (const auto& [k, v] : j.items()) {
    if (std::find(kKeys.begin(), kKeys.end(), k) == kKeys.end()) {
      auto near = ClosestMatch(k, kKeys);
      return InvalidArgument("unknown field '" + k + "'" +
                             (near ? "; did you mean '" + *near + "'?" : ""));
    }
    bool is_bool = k == "shouldKeepPrivateIp" || k == "shouldTerminateInstance";
    if (is_bool ? !v.is_boolean() : !v.is_string()) {
      return InvalidArgument(k + " must be " + (is_bool ? "true or false" : "a string"));
    }
  }
  b.instance_id = j.value("originalInstanceId", std::string());
  b.group_id = j.value("groupId", std::string());
  b.new_group_name = j.value("newGroupName", std::string());
  b.keep_private_ip = j.value("shouldKeepPrivateIp", false);
  b.terminate_instance = j.value("shouldTerminateInstance", false);
  if (b.instance_id.rfind("i-", 0) != 0 || b.instance_id.size() < 3) {
    return InvalidArgument(
        "originalInstanceId is required: the id (i-...) of the instance to "
        "import");
  }
  if (b.group_id.empty() == b.new_group_name.empty()) {
    return InvalidArgument(
        "give exactly one of groupId (an existing group) and newGroupName "
        "(a group built from the instance)");
  }
  return b;
}

void StartImport(ApiServices* s, const RouteRequest& req, httplib::Response& res) {
  auto body = ReadJsonBody(req, res, std::nullopt);
  if (!body) return;
  auto b = ParseImportBody(*body);
  if (!b.ok()) return SendStatus(res, b.status());
  ImportRequest ir;
  ir.group_id = b->group_id;
  ir.instance_id = b->instance_id;
  ir.keep_private_ip = b->keep_private_ip;
  ir.terminate_instance = b->terminate_instance;

  Result<SsiRecord> ssi = Internal("not started");
  if (!b->new_group_name.empty()) {
    auto owner = s->store->FindSsiByInstance(b->instance_id);
    if (owner.ok()) {
      return SendStatus(
          res, AlreadyExists(b->instance_id + " already is stateful instance " + owner->id));
    }
    // Describing happens outside the controller lock (the provider is thread-safe).
    auto built = BuildImportSpec(*s->cloud, b->new_group_name, b->instance_id, b->keep_private_ip);
    if (!built.ok()) return SendStatus(res, built.status());
    if (!built->errors.empty()) {
      ApiError e = InvalidSpec(built->errors);
      e.message = "the group spec built from " + b->instance_id +
                  " does not validate: " + built->errors.front().ToString();
      return SendError(res, e);
    }
    // Both calls under one lock hold; if the import is refused the new, empty group goes.
    ssi = s->loop->Act([&](Controller& c) -> Result<SsiRecord> {
      SK_ASSIGN_OR_RETURN(GroupRecord g, c.CreateGroup(built->spec, kApiActor));
      ir.group_id = g.id;
      auto imported = c.ImportInstance(ir, kApiActor);
      if (!imported.ok()) {
        Status undo = c.DeleteGroup(g.id, DeallocationSpec{}, kApiActor);
        if (!undo.ok()) return imported.status().Annotate("(and " + undo.ToString() + ")");
      }
      return imported;
    });
  } else {
    ssi = s->loop->Act([&](Controller& c) { return c.ImportInstance(ir, kApiActor); });
  }
  if (!ssi.ok()) return SendStatus(res, ssi.status());
  auto j = LoadImportJson(*s->store, ssi->id);
  if (!j.ok()) return SendStatus(res, j.status());
  res.set_header("Location", "/api/v1/import/" + ssi->id);
  SendJson(res, 202, *j);
}

void ListImports(ApiServices* s, const RouteRequest& req, httplib::Response& res) {
  std::string group = req.Query("groupId").value_or("");
  if (!group.empty()) {
    auto g = s->store->GetGroup(group);
    if (!g.ok()) return SendStatus(res, g.status());
  }
  auto ssis = s->store->ListSsis(group);
  if (!ssis.ok()) return SendStatus(res, ssis.status());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& ssi : *ssis) {
    auto wf = ImportWorkflow(*s->store, ssi.id);
    if (!wf.ok()) {
      if (wf.status().code() == Code::kNotFound) continue;
      return SendStatus(res, wf.status());
    }
    items.push_back(ImportJson(ssi, *wf));
  }
  SendJson(res, 200, {{"items", items}, {"count", items.size()}});
}

void GetImport(ApiServices* s, const RouteRequest& req, httplib::Response& res) {
  auto j = LoadImportJson(*s->store, req.Param("importId"));
  if (!j.ok()) return SendStatus(res, j.status());
  SendJson(res, 200, *j);
}

void CancelImport(ApiServices* s, const RouteRequest& req, httplib::Response& res) {
  const std::string& id = req.Param("importId");
  auto j = LoadImportJson(*s->store, id);  // 404 for what is not an import
  if (!j.ok()) return SendStatus(res, j.status());
  Status st = s->loop->Act([&](Controller& c) { return c.CancelImport(id, kApiActor); });
  if (!st.ok()) return SendStatus(res, st);
  j = LoadImportJson(*s->store, id);
  if (!j.ok()) return SendStatus(res, j.status());
  SendJson(res, 202, *j);
}

}  // namespace

void AddImportRoutes(RouteTable& t, ApiServices* s) {
  t.Add({"POST",
         "/api/v1/import",
         true,
         {"startImport",
          "Import an existing instance",
          "Brings an instance spotkeeper did not launch under a group as a stateful instance: "
          "snapshots its volumes, images it and relaunches it under the group (keeping its "
          "private IP with shouldKeepPrivateIp, which needs its termination). With "
          "newGroupName a group is built from the instance (zone, subnet, type, image, "
          "non-root volumes, persistence of root and data volumes) with capacity 0 and the "
          "instance imported into it. The import's id is its stateful instance's id.",
          "imports",
          {},
          "ImportRequest",
          true,
          {"application/json"},
          {{202, "Started; Location names the import", "ImportStatus", "application/json"},
           Err(400, "Bad body"),
           Err(404, "No such group or instance"),
           Err(409, "The instance is already managed, or the group cannot take it"),
           Err(422, "The spec built for a new group does not validate")}},
         [s](const RouteRequest& r, httplib::Response& res) { StartImport(s, r, res); }});
  t.Add({"GET",
         "/api/v1/import",
         true,
         {"listImports",
          "List imports (of every group, or ?groupId=)",
          "",
          "imports",
          {{"groupId", "query", "string", "Only this group's imports", false}},
          "",
          false,
          {},
          {{200, "The imports", "ImportList", "application/json"}, Err(404, "No such group")}},
         [s](const RouteRequest& r, httplib::Response& res) { ListImports(s, r, res); }});
  t.Add({"GET",
         "/api/v1/import/{importId}",
         true,
         {"getImport",
          "Get an import's progress (MIGRATE_* state)",
          "",
          "imports",
          {},
          "",
          false,
          {},
          {{200, "The import", "ImportStatus", "application/json"}, Err(404, "No such import")}},
         [s](const RouteRequest& r, httplib::Response& res) { GetImport(s, r, res); }});
  t.Add({"PUT",
         "/api/v1/import/{importId}/cancel",
         true,
         {"cancelImport",
          "Cancel an import",
          "Possible while the source instance is untouched (MIGRATE_PREPARING, "
          "MIGRATE_SNAPSHOTTING): the snapshots and image made so far are deleted and the "
          "stateful instance is deallocated.",
          "imports",
          {},
          "",
          false,
          {"application/json"},
          {{202, "Cancelled", "ImportStatus", "application/json"},
           Err(404, "No such import"),
           Err(409, "Too late: the source instance is being replaced")}},
         [s](const RouteRequest& r, httplib::Response& res) { CancelImport(s, r, res); }});
}

}  // namespace spotkeeper::api
