#include "cloud/api/admin_api.h"

#include "common/json_depth.h"

namespace spotkeeper::cloud {
namespace {

ApiReply Json(int status, const nlohmann::json& body) {
  ApiReply r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body.dump(2) + "\n";
  return r;
}

}  // namespace

AdminApi::AdminApi(Ec2FaultInjector* faults) : faults_(faults) {
  Route("GET", "/_spotkeeper/v1/faults", [this](const std::string&) { return FaultsReply(); });
  Route("PUT", "/_spotkeeper/v1/faults",
        [this](const std::string& body) { return PutFaults(body); });
  Route("DELETE", "/_spotkeeper/v1/faults", [this](const std::string&) {
    faults_->Clear();
    return FaultsReply();
  });
}

bool AdminApi::IsAdminPath(const std::string& path) { return path.rfind(kPathPrefix, 0) == 0; }

void AdminApi::Route(const std::string& method, const std::string& path, Handler handler) {
  routes_[path][method] = std::move(handler);
}

ApiReply AdminApi::Error(int http_status, const std::string& code, const std::string& message) {
  return Json(http_status, {{"code", code}, {"message", message}});
}

ApiReply AdminApi::Handle(const std::string& method, const std::string& path,
                          const std::string& body) {
  auto p = routes_.find(path);
  if (p == routes_.end()) {
    std::string known;
    for (const auto& [route, methods] : routes_) known += (known.empty() ? "" : ", ") + route;
    return Error(404, "NotFound", "no admin route " + path + " (routes: " + known + ")");
  }
  auto m = p->second.find(method);
  if (m == p->second.end()) {
    std::string allowed;
    for (const auto& [name, handler] : p->second) allowed += (allowed.empty() ? "" : ", ") + name;
    ApiReply r = Error(405, "MethodNotAllowed",
                       method + " is not allowed on " + path + " (allowed: " + allowed + ")");
    r.headers.emplace_back("Allow", allowed);
    return r;
  }
  return m->second(body);
}

ApiReply AdminApi::FaultsReply() const {
  return Json(200, {{"ec2", Ec2FaultConfigToJson(faults_->config())},
                    {"stats", {{"ec2", Ec2FaultStatsToJson(faults_->stats())}}}});
}

ApiReply AdminApi::PutFaults(const std::string& body) {
  if (JsonNestingDepth(body) > kMaxJsonDepth) {
    return Error(400, "InvalidArgument",
                 "faults: the body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Error(400, "InvalidArgument", "faults: the body must be a JSON object {\"ec2\": {...}}");
  }
  for (const auto& [key, v] : j.items()) {
    if (key != "ec2") {
      return Error(
          400, "InvalidArgument",
          "faults: unknown key '" + key + "' (the EC2 endpoint's faults go under \"ec2\")");
    }
  }
  auto config = Ec2FaultConfigFromJson(j.value("ec2", nlohmann::json::object()));
  if (!config.ok()) return Error(400, "InvalidArgument", config.status().message());
  Status s = faults_->Set(*config);
  if (!s.ok()) return Error(400, "InvalidArgument", s.message());
  return FaultsReply();
}

}  // namespace spotkeeper::cloud
