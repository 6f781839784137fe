// Groups: create, list, get, update (?shouldResumeStateful), delete (statefulDeallocation).
#include <httplib.h>

#include "api/api_routes.h"
#include "api/http_util.h"
#include "api/resource_json.h"
#include "controller/cost_meter.h"

namespace spotkeeper::api {
namespace {

ResponseDoc Err(int status, const std::string& description) {
  return {status, description, "Error", "application/json"};
}

// The group as the API shows it (with its SSIs for the status).
Result<nlohmann::json> LoadGroupJson(Store& store, const std::string& id) {
  SK_ASSIGN_OR_RETURN(GroupRecord g, store.GetGroup(id));
  SK_ASSIGN_OR_RETURN(std::vector<SsiRecord> ssis, store.ListSsis(id));
  return GroupJson(g, ssis);
}

std::string ETag(int64_t generation) { return "\"" + std::to_string(generation) + "\""; }

void SendGroup(ApiServices* s, httplib::Response& res, int status, const std::string& id) {
  auto j = LoadGroupJson(*s->store, id);
  if (!j.ok()) return SendStatus(res, j.status());
  res.set_header("ETag", ETag((*j)["generation"].get<int64_t>()));
  SendJson(res, status, *j);
}

void CreateGroup(ApiServices* s, const RouteRequest& req, httplib::Response& res) {
  auto spec = ReadSpecBody(req, res);
  if (!spec) return;
  auto g = s->loop->Act([&](Controller& c) { return c.CreateGroup(*spec, kApiActor); });
  if (!g.ok()) return SendStatus(res, g.status());
  res.set_header("Location", "/api/v1/group/" + g->id);
  SendGroup(s, res, 201, g->id);
}

void ListGroups(ApiServices* s, const RouteRequest& req, httplib::Response& res) {
  bool failed = false;
  bool deleted = QueryBool(req, "includeDeleted", res, &failed).value_or(false);
  if (failed) return;
  auto groups = s->store->ListGroups(deleted);
  if (!groups.ok()) return SendStatus(res, groups.status());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& g : *groups) {
    auto ssis = s->store->ListSsis(g.id);
    if (!ssis.ok()) return SendStatus(res, ssis.status());
    items.push_back(GroupJson(g, *ssis));
  }
  SendJson(res, 200, {{"items", items}, {"count", items.size()}});
}

void GetGroup(ApiServices* s, const RouteRequest& req, httplib::Response& res) {
  SendGroup(s, res, 200, req.Param("groupId"));
}

void UpdateGroup(ApiServices* s, const RouteRequest& req, httplib::Response& res) {
  bool failed = false;
  bool resume = QueryBool(req, "shouldResumeStateful", res, &failed).value_or(false);
  if (failed) return;
  auto spec = ReadSpecBody(req, res);
  if (!spec) return;
  const std::string& id = req.Param("groupId");
  std::string if_match = req.Header("If-Match");
  auto g = s->loop->Act([&](Controller& c) -> Result<GroupRecord> {
    if (!if_match.empty() && if_match != "*") {
      // Checked under the controller lock: no other write can come in between.
      SK_ASSIGN_OR_RETURN(GroupRecord cur, c.store().GetGroup(id));
      if (ETag(cur.generation) != if_match) {
        return Aborted("group " + id + " is at generation " + std::to_string(cur.generation) +
                       ", not " + if_match + " (If-Match); read it again and retry");
      }
    }
    return c.UpdateGroup(id, *spec, resume, kApiActor);
  });
  if (!g.ok()) return SendStatus(res, g.status());
  SendGroup(s, res, 200, id);
}

void DeleteGroup(ApiServices* s, const RouteRequest& req, httplib::Response& res) {
  auto body = ReadJsonBody(req, res, nlohmann::json::object());
  if (!body) return;
  for (const auto& [k, v] : body->items()) {
    if (k != "statefulDeallocation") {
      return SendStatus(res, InvalidArgument("unknown field '" + k +
                                             "'; the body is "
                                             "{\"statefulDeallocation\": {...}}"));
    }
  }
  const std::string& id = req.Param("groupId");
  auto group = s->store->GetGroup(id);
  if (!group.ok()) return SendStatus(res, group.status());
  // Without flags the group spec's statefulDeallocation applies.
  DeallocationSpec defaults;
  ParseOutcome spec = ParseGroupSpec(group->spec_json);
  if (spec.ok()) defaults = spec.spec->stateful_deallocation;
  auto flags = ParseDeallocation(body->value("statefulDeallocation", nlohmann::json()), defaults);
  if (!flags.ok()) return SendStatus(res, flags.status());
  Status st = s->loop->Act([&](Controller& c) { return c.DeleteGroup(id, *flags, kApiActor); });
  if (!st.ok()) return SendStatus(res, st);
  SendGroup(s, res, 202, id);
}

void GetSavings(ApiServices* s, const RouteRequest& req, httplib::Response& res) {
  auto savings = LoadGroupSavings(*s->store, req.Param("groupId"));
  if (!savings.ok()) return SendStatus(res, savings.status());
  SendJson(res, 200, GroupSavingsJson(*savings));
}

}  // namespace

void AddGroupRoutes(RouteTable& t, ApiServices* s) {
  const std::vector<std::string> kSpecTypes = {"application/json", "application/yaml"};
  t.Add({"POST",
         "/api/v1/group",
         true,
         {"createGroup",
          "Create a group",
          "The body is a group spec, as `spotkeeper validate` reads it (JSON, or YAML with "
          "Content-Type application/yaml). Its stateful instances are launched at once.",
          "groups",
          {},
          "GroupSpec",
          true,
          kSpecTypes,
          {{201, "Created; Location names the group", "Group"},
           Err(400, "Body missing or not JSON"),
           Err(409, "A group with that name exists"),
           Err(413, "Body over 1 MiB"),
           Err(415, "Content-Type not JSON or YAML"),
           Err(422, "The spec does not validate (details.fieldErrors)")}},
         [s](const RouteRequest& r, httplib::Response& res) { CreateGroup(s, r, res); }});
  t.Add({"GET",
         "/api/v1/group",
         true,
         {"listGroups",
          "List groups",
          "",
          "groups",
          {{"includeDeleted", "query", "boolean", "Also list deleted groups"}},
          "",
          false,
          {},
          {{200, "The groups", "GroupList"}, Err(400, "Bad query parameter")}},
         [s](const RouteRequest& r, httplib::Response& res) { ListGroups(s, r, res); }});
  t.Add({"GET",
         "/api/v1/group/{groupId}",
         true,
         {"getGroup",
          "Get a group: spec and status with conditions",
          "The ETag header carries the generation (for If-Match on update).",
          "groups",
          {},
          "",
          false,
          {},
          {{200, "The group", "Group"}, Err(404, "No such group")}},
         [s](const RouteRequest& r, httplib::Response& res) { GetGroup(s, r, res); }});
  t.Add({"GET",
         "/api/v1/group/{groupId}/savings",
         true,
         {"getGroupSavings",
          "What the group's instances cost, against on-demand",
          "Accrued by the controller after every sweep: each running instance's time at its "
          "pool's spot price (or the on-demand price), beside the same time at the on-demand "
          "price; with the last 30 days by hour.",
          "groups",
          {},
          "",
          false,
          {},
          {{200, "The group's cost and savings", "GroupSavings"}, Err(404, "No such group")}},
         [s](const RouteRequest& r, httplib::Response& res) { GetSavings(s, r, res); }});
  t.Add({"PUT",
         "/api/v1/group/{groupId}",
         true,
         {"updateGroup",
          "Update a group's spec (its generation goes up)",
          "Changes that would strand the identity of existing stateful instances (persistence "
          "flags, device names, IPs in use) are refused with 409.",
          "groups",
          {{"shouldResumeStateful", "query", "boolean",
            "Resume the group's paused stateful instances too (as Elastigroup does)"},
           {"If-Match", "header", "string",
            "Only update if the group is still at this generation (the ETag of a GET)"}},
          "GroupSpec",
          true,
          kSpecTypes,
          {{200, "The updated group", "Group"},
           Err(400, "Bad body or query"),
           Err(404, "No such group"),
           Err(409, "Not allowed now (deleting, identity change, If-Match mismatch, name taken)"),
           Err(422, "The spec does not validate (details.fieldErrors)")}},
         [s](const RouteRequest& r, httplib::Response& res) { UpdateGroup(s, r, res); }});
  t.Add({"DELETE",
         "/api/v1/group/{groupId}",
         true,
         {"deleteGroup",
          "Delete a group",
          "Every stateful instance is deallocated per statefulDeallocation (default: the "
          "group spec's), then the group is DELETED. Answers 202 at once; the group is "
          "DELETING meanwhile.",
          "groups",
          {},
          "DeleteGroupRequest",
          false,
          {"application/json"},
          {{202, "Deletion started", "Group"}, Err(400, "Bad body"), Err(404, "No such group")}},
         [s](const RouteRequest& r, httplib::Response& res) { DeleteGroup(s, r, res); }});
}

}  // namespace spotkeeper::api
