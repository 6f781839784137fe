// Stateful instances: list, get and the actions pause | resume | recycle | deallocate | retry,
// both under their group (/api/v1/group/{groupId}/statefulInstance/...) and on their own
// (/api/v1/statefulInstance/...).
#include <httplib.h>

#include "api/api_routes.h"
#include "api/http_util.h"
#include "api/resource_json.h"

namespace spotkeeper::api {
namespace {

ResponseDoc Err(int status, const std::string& description) {
  return {status, description, "Error", "application/json"};
}

Result<nlohmann::json> LoadSsiJson(Store& store, const SsiRecord& s) {
  SK_ASSIGN_OR_RETURN(std::vector<ResourceRecord> res, store.ListResources(s.id));
  SK_ASSIGN_OR_RETURN(std::vector<WorkflowRecord> wfs, store.ListWorkflows(s.id));
  std::optional<WorkflowRecord> wf;
  if (!wfs.empty()) wf = wfs.front();
  std::string spec_image;
  auto g = store.GetGroup(s.group_id);
  if (g.ok()) {
    auto spec = nlohmann::json::parse(g->spec_json, nullptr, false);
    if (spec.is_object()) {
      spec_image = spec.value("/compute/launchSpecification/imageId"_json_pointer, "");
    }
  }
  return SsiJson(s, res, wf, spec_image);
}

// The SSI named in the path; with a groupId in the path it must belong to that group.
Result<SsiRecord> LoadSsi(Store& store, const RouteRequest& req) {
  const std::string& id = req.Param("statefulInstanceId");
  auto s = store.GetSsi(id);
  if (!s.ok()) {
    if (s.status().code() == Code::kNotFound) {
      return NotFound("stateful instance " + id + " does not exist");
    }
    return s.status();
  }
  const std::string& group = req.Param("groupId");
  if (!group.empty() && s->group_id != group) {
    SK_RETURN_IF_ERROR(store.GetGroup(group).status());
    return NotFound("stateful instance " + id + " is not in group " + group + " (it is in " +
                    s->group_id + ")");
  }
  return s;
}

void SendSsi(ApiServices* s, httplib::Response& res, int status, const std::string& id) {
  auto ssi = s->store->GetSsi(id);
  if (!ssi.ok()) return SendStatus(res, ssi.status());
  auto j = LoadSsiJson(*s->store, *ssi);
  if (!j.ok()) return SendStatus(res, j.status());
  SendJson(res, status, *j);
}

void List(ApiServices* s, const RouteRequest& req, httplib::Response& res) {
  std::string group = req.Param("groupId");
  if (group.empty()) group = req.Query("groupId").value_or("");
  if (!group.empty()) {
    auto g = s->store->GetGroup(group);
    if (!g.ok()) return SendStatus(res, g.status());
  }
  std::optional<SsiState> state;
  if (auto st = req.Query("state")) {
    state = ParseSsiState(*st);
    if (!state) {
      return SendStatus(res, InvalidArgument("query parameter state: '" + *st +
                                             "' is not a state; use ACTIVE, PAUSE, PAUSING, "
                                             "PAUSED, RESUME, RESUMING, RECYCLE, RECYCLING, "
                                             "DEALLOCATE, DEALLOCATING, DEALLOCATED or ERROR"));
    }
  }
  auto ssis = s->store->ListSsis(group);
  if (!ssis.ok()) return SendStatus(res, ssis.status());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& ssi : *ssis) {
    if (state && ssi.state != *state) continue;
    auto j = LoadSsiJson(*s->store, ssi);
    if (!j.ok()) return SendStatus(res, j.status());
    items.push_back(*j);
  }
  SendJson(res, 200, {{"items", items}, {"count", items.size()}});
}

void Get(ApiServices* s, const RouteRequest& req, httplib::Response& res) {
  auto ssi = LoadSsi(*s->store, req);
  if (!ssi.ok()) return SendStatus(res, ssi.status());
  auto j = LoadSsiJson(*s->store, *ssi);
  if (!j.ok()) return SendStatus(res, j.status());
  SendJson(res, 200, *j);
}

void Recoveries(ApiServices* s, const RouteRequest& req, httplib::Response& res) {
  auto ssi = LoadSsi(*s->store, req);
  if (!ssi.ok()) return SendStatus(res, ssi.status());
  nlohmann::json status = nlohmann::json::parse(ssi->status_json, nullptr, false);
  nlohmann::json items = nlohmann::json::array();
  if (status.is_object() && status.contains("recoveries") && status["recoveries"].is_array()) {
    const auto& history = status["recoveries"];
    for (auto it = history.rbegin(); it != history.rend(); ++it) {
      nlohmann::json r = RecoveryJson(*it);
      if (!r.is_null()) items.push_back(std::move(r));
    }
  }
  SendJson(res, 200, {{"statefulInstanceId", ssi->id}, {"items", items}, {"count", items.size()}});
}

void Act(ApiServices* s, const std::string& action, const RouteRequest& req,
         httplib::Response& res) {
  auto ssi = LoadSsi(*s->store, req);
  if (!ssi.ok()) return SendStatus(res, ssi.status());
  const std::string id = ssi->id;
  Status st;
  if (action == "deallocate") {
    auto body = ReadJsonBody(req, res, nlohmann::json::object());
    if (!body) return;
    // Either the flags themselves or {"statefulDeallocation": {...}}.
    nlohmann::json flags_json = *body;
    if (body->contains("statefulDeallocation")) {
      if (body->size() != 1) {
        return SendStatus(res, InvalidArgument("send either the flags or "
                                               "{\"statefulDeallocation\": {...}}, not both"));
      }
      flags_json = (*body)["statefulDeallocation"];
    }
    DeallocationSpec defaults;
    auto group = s->store->GetGroup(ssi->group_id);
    if (group.ok()) {
      ParseOutcome spec = ParseGroupSpec(group->spec_json);
      if (spec.ok()) defaults = spec.spec->stateful_deallocation;
    }
    auto flags = ParseDeallocation(flags_json, defaults);
    if (!flags.ok()) return SendStatus(res, flags.status());
    st = s->loop->Act([&](Controller& c) { return c.DeallocateSsi(id, *flags, kApiActor); });
  } else {
    auto body = ReadJsonBody(req, res, nlohmann::json::object());
    if (!body) return;
    if (!body->empty()) {
      return SendStatus(res, InvalidArgument(action + " takes no body"));
    }
    st = s->loop->Act([&](Controller& c) {
      if (action == "pause") return c.PauseSsi(id, kApiActor);
      if (action == "resume") return c.ResumeSsi(id, kApiActor);
      if (action == "recycle") return c.RecycleSsi(id, kApiActor);
      return c.RetrySsi(id, kApiActor);
    });
  }
  if (!st.ok()) return SendStatus(res, st);
  SendSsi(s, res, 202, id);
}

struct ActionDoc {
  const char* name;
  const char* summary;
  const char* description;
};

constexpr ActionDoc kActions[] = {
    {"pause", "Pause a stateful instance",
     "Terminates its instance after a final root snapshot and image; volumes, network "
     "interface and IP are kept. PAUSE while waiting for its turn (maxUnavailable), then "
     "PAUSING, then PAUSED. Pausing a paused instance is a no-op."},
    {"resume", "Resume a paused stateful instance",
     "Launches a replacement from its latest image with its volumes and IP. 409 while PAUSING "
     "or when paused because of the group's capacity (raise capacity.target instead)."},
    {"recycle", "Recycle a stateful instance",
     "Replaces its instance (pause then resume) keeping its identity. Only ACTIVE instances; "
     "409 when it is already RECYCLE/RECYCLING."},
    {"deallocate", "Deallocate a stateful instance",
     "Terminates it and deletes what the flags say (default: the group spec's "
     "statefulDeallocation); the group's capacity target goes down by one."},
    {"retry", "Retry a stateful instance in ERROR",
     "Runs its failed workflow step again. 409 when it is not in ERROR."},
};

}  // namespace

void AddInstanceRoutes(RouteTable& t, ApiServices* s) {
  const std::vector<ParamDoc> list_params = {
      {"state", "query", "string", "Only instances in this state (ACTIVE, PAUSED, ...)", false}};
  auto list = [s](const RouteRequest& r, httplib::Response& res) { List(s, r, res); };
  auto get = [s](const RouteRequest& r, httplib::Response& res) { Get(s, r, res); };
  t.Add({"GET",
         "/api/v1/group/{groupId}/statefulInstance",
         true,
         {"listGroupStatefulInstances",
          "List a group's stateful instances",
          "",
          "instances",
          list_params,
          "",
          false,
          {},
          {{200, "The stateful instances", "StatefulInstanceList"}, Err(404, "No such group")}},
         list});
  t.Add({"GET",
         "/api/v1/group/{groupId}/statefulInstance/{statefulInstanceId}",
         true,
         {"getGroupStatefulInstance",
          "Get a stateful instance of a group",
          "",
          "instances",
          {},
          "",
          false,
          {},
          {{200, "The stateful instance", "StatefulInstance"},
           Err(404, "No such group or instance, or not in that group")}},
         get});
  std::vector<ParamDoc> all_params = list_params;
  all_params.push_back({"groupId", "query", "string", "Only this group's instances", false});
  t.Add({"GET",
         "/api/v1/statefulInstance",
         true,
         {"listStatefulInstances",
          "List stateful instances (of every group, or ?groupId=)",
          "",
          "instances",
          all_params,
          "",
          false,
          {},
          {{200, "The stateful instances", "StatefulInstanceList"},
           Err(400, "Bad query parameter"),
           Err(404, "No such group")}},
         list});
  t.Add({"GET",
         "/api/v1/statefulInstance/{statefulInstanceId}",
         true,
         {"getStatefulInstance",
          "Get a stateful instance",
          "",
          "instances",
          {},
          "",
          false,
          {},
          {{200, "The stateful instance", "StatefulInstance"}, Err(404, "No such instance")}},
         get});
  t.Add({"GET",
         "/api/v1/statefulInstance/{statefulInstanceId}/recoveries",
         true,
         {"listRecoveries",
          "A stateful instance's recoveries, newest first",
          "Each with its trigger (reason), total time, downtime and the time from the trigger "
          "to each phase; the last 50 are kept.",
          "instances",
          {},
          "",
          false,
          {},
          {{200, "The recoveries", "RecoveryList"}, Err(404, "No such instance")}},
         [s](const RouteRequest& r, httplib::Response& res) { Recoveries(s, r, res); }});
  for (const ActionDoc& a : kActions) {
    std::string action = a.name;
    auto handler = [s, action](const RouteRequest& r, httplib::Response& res) {
      Act(s, action, r, res);
    };
    bool dealloc = action == "deallocate";
    std::vector<ResponseDoc> responses = {
        {202, "Accepted; the instance as it is now", "StatefulInstance", "application/json"},
        Err(400, "Bad body"),
        Err(404, "No such instance"),
        Err(409, "Not possible in the instance's current state")};
    std::string cap = action;
    cap[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(cap[0])));
    t.Add({"PUT",
           "/api/v1/group/{groupId}/statefulInstance/{statefulInstanceId}/" + action,
           true,
           {"groupStatefulInstance" + cap,
            a.summary,
            a.description,
            "instances",
            {},
            dealloc ? "DeallocationFlags" : "",
            false,
            {"application/json"},
            responses},
           handler});
    t.Add({"PUT",
           "/api/v1/statefulInstance/{statefulInstanceId}/" + action,
           true,
           {"statefulInstance" + cap,
            a.summary,
            a.description,
            "instances",
            {},
            dealloc ? "DeallocationFlags" : "",
            false,
            {"application/json"},
            responses},
           handler});
  }
}

}  // namespace spotkeeper::api
