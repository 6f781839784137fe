// RouteTable: every route of the HTTP API with its documentation. The server dispatches through
// it (404 for an unknown path, 405 with Allow for a known path and another method) and the
// OpenAPI document is generated from it, so the two cannot drift apart.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace spotkeeper::api {

// A request matched to a route: the path parameters by name and the query.
struct RouteRequest {
  const httplib::Request& http;
  std::map<std::string, std::string> params;
  std::string route;  // the route's path template ("/api/v1/group/{groupId}")

  const std::string& Param(const std::string& name) const;
  std::optional<std::string> Query(const std::string& name) const;
  std::string Header(const std::string& name) const;
};

using RouteHandler = std::function<void(const RouteRequest&, httplib::Response&)>;

struct ParamDoc {
  std::string name;
  std::string in = "query";     // query | header
  std::string type = "string";  // string | integer | boolean
  std::string description;
  bool required = false;
};

struct ResponseDoc {
  int status = 200;
  std::string description;
  std::string schema;  // a component schema name, "" for none
  std::string content_type = "application/json";
};

struct RouteDoc {
  std::string operation_id;
  std::string summary;
  std::string description;
  std::string tag;
  std::vector<ParamDoc> params;  // query and header parameters (path ones come from the path)
  std::string request_schema;    // component schema name of the body, "" for none
  bool request_required = false;
  std::vector<std::string> request_types = {"application/json"};
  std::vector<ResponseDoc> responses;
};

struct Route {
  std::string method;  // GET | POST | PUT | DELETE
  std::string path;    // "/api/v1/group/{groupId}"
  bool auth = true;    // needs the bearer token
  RouteDoc doc;
  RouteHandler handler;
};

class RouteTable {
 public:
  // REQUIRES: no route with the same method and path yet (a programming error otherwise).
  void Add(Route route);

  struct Match {
    const Route* route = nullptr;  // null: no route for this method
    std::map<std::string, std::string> params;
    // Methods that do have a route for this path (for 405 and Allow); empty: unknown path.
    std::vector<std::string> allowed;
  };
  // Literal segments win over parameters ("/events/stream" over "/events/{id}").
  Match Find(const std::string& method, const std::string& path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// "/a/{b}/c" -> {"a", "{b}", "c"}.
std::vector<std::string> SplitPath(const std::string& path);

}  // namespace spotkeeper::api
