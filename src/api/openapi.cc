#include "api/openapi.h"

#include <map>

namespace spotkeeper::api {
namespace {

std::string PathParamDescription(const std::string& name) {
  static const std::map<std::string, std::string> kDocs = {
      {"groupId", "Group id (sig-...)"},
      {"statefulInstanceId", "Stateful instance id (ssi-...)"},
      {"importId", "Import id: the imported stateful instance's id (ssi-...)"},
      {"asset", "A file of the dashboard (app.js, style.css, ...)"},
  };
  auto it = kDocs.find(name);
  return it == kDocs.end() ? name : it->second;
}

nlohmann::json SchemaRef(const std::string& name) {
  return {{"$ref", "#/components/schemas/" + name}};
}

nlohmann::json Operation(const Route& r) {
  const RouteDoc& d = r.doc;
  nlohmann::json op = {{"operationId", d.operation_id}, {"summary", d.summary}};
  if (!d.description.empty()) op["description"] = d.description;
  if (!d.tag.empty()) op["tags"] = {d.tag};
  nlohmann::json params = nlohmann::json::array();
  for (const auto& seg : SplitPath(r.path)) {
    if (seg.size() > 2 && seg.front() == '{') {
      std::string name = seg.substr(1, seg.size() - 2);
      params.push_back({{"name", name},
                        {"in", "path"},
                        {"required", true},
                        {"description", PathParamDescription(name)},
                        {"schema", {{"type", "string"}}}});
    }
  }
  for (const auto& p : d.params) {
    params.push_back({{"name", p.name},
                      {"in", p.in},
                      {"required", p.required},
                      {"description", p.description},
                      {"schema", {{"type", p.type}}}});
  }
  if (!params.empty()) op["parameters"] = params;
  if (!d.request_schema.empty()) {
    nlohmann::json content = nlohmann::json::object();
    for (const auto& t : d.request_types) content[t] = {{"schema", SchemaRef(d.request_schema)}};
    op["requestBody"] = {{"required", d.request_required}, {"content", content}};
  }
  nlohmann::json responses = nlohmann::json::object();
  for (const auto& resp : d.responses) {
    nlohmann::json rj = {{"description", resp.description}};
    if (!resp.schema.empty()) {
      rj["content"] = {{resp.content_type, {{"schema", SchemaRef(resp.schema)}}}};
    } else if (!resp.content_type.empty()) {
      rj["content"] = {{resp.content_type, {{"schema", {{"type", "string"}}}}}};
    }
    responses[std::to_string(resp.status)] = rj;
  }
  if (r.auth) {
    responses["401"] = {{"description", "Missing or wrong bearer token"},
                        {"content", {{"application/json", {{"schema", SchemaRef("Error")}}}}}};
  } else {
    op["security"] = nlohmann::json::array();
  }
  responses["default"] = {{"description", "Error"},
                          {"content", {{"application/json", {{"schema", SchemaRef("Error")}}}}}};
  op["responses"] = responses;
  return op;
}

}  // namespace

nlohmann::json BuildOpenApi(const RouteTable& table) {
  nlohmann::json paths = nlohmann::json::object();
  for (const auto& r : table.routes()) {
    std::string method = r.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[r.path][method] = Operation(r);
  }
  return {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "spotkeeper API"},
        {"version", "1.0.0"},
        {"description",
         "Keeps stateful workloads alive on spot instances. Every route but /healthz and "
         "/readyz needs `Authorization: Bearer <token>` (the server writes the token to "
         "<data dir>/token at first start). Errors are {code, message, details}."}}},
      {"servers", {{{"url", "/"}}}},
      {"security", {{{"bearerAuth", nlohmann::json::array()}}}},
      {"tags",
       {{{"name", "groups"}, {"description", "Groups of stateful instances"}},
        {{"name", "instances"}, {"description", "Stateful instances and their actions"}},
        {{"name", "imports"}, {"description", "Bringing existing instances under a group"}},
        {{"name", "events"}, {"description", "The audit log"}},
        {{"name", "system"}, {"description", "Health, readiness, metrics, this document"}}}},
      {"paths", paths},
      {"components",
       {{"securitySchemes", {{"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}}}}},
        {"schemas", OpenApiSchemas()}}},
  };
}

}  // namespace spotkeeper::api
