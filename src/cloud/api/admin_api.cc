#include "cloud/api/admin_api.h"

#include <variant>

#include "cloud/api/market_json.h"
#include "common/json_depth.h"
#include "common/serving_probe.h"

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

AdminApi::AdminApi(Ec2FaultInjector* faults, Engine* engine) : faults_(faults), engine_(engine) {
  Route("GET", "/_spotkeeper/v1/faults", [this](const std::string&) { return FaultsReply(); });
  Route("PUT", "/_spotkeeper/v1/faults",
        [this](const std::string& body) { return PutFaults(body); });
  Route("DELETE", "/_spotkeeper/v1/faults", [this](const std::string&) {
    faults_->Clear();
    return FaultsReply();
  });
  if (engine_ == nullptr) return;
  Route("POST", "/_spotkeeper/v1/interruptions",
        [this](const std::string& body) { return PostInterruptions(body); });
  Route("GET", "/_spotkeeper/v1/pools", [this](const std::string&) {
    nlohmann::json pools = nlohmann::json::array();
    for (const PoolView& p : engine_->DescribePools()) pools.push_back(PoolToJson(p));
    return Json(200, {{"pools", pools}});
  });
  Route("PUT", "/_spotkeeper/v1/pools", [this](const std::string& body) { return PutPool(body); });
  Route("POST", "/_spotkeeper/v1/probe",
        [this](const std::string& body) { return PostProbe(body); });
  Route("GET", "/_spotkeeper/v1/cost", [this](const std::string&) {
    return Json(200, CostReportToJson(MakeCostReport(engine_->DescribeCost())));
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

ApiReply AdminApi::EngineError(const Status& s) {
  int http = 400;
  std::string code = "InvalidArgument";
  switch (s.code()) {
    case Code::kNotFound:
      // An unknown instance is a bad request (EC2's InvalidInstanceID.NotFound is a 400 too);
      // 404 stays for unknown routes.
      code = "NotFound";
      break;
    case Code::kFailedPrecondition:
      http = 409;
      code = "Conflict";
      break;
    case Code::kInvalidArgument:
      break;
    default:
      http = 500;
      code = "InternalError";
  }
  if (!s.cloud_code().empty()) code = s.cloud_code();
  return Error(http, code, s.message());
}

namespace {

// The body as JSON (null when it is not JSON: the request readers say what is missing), or the
// reply refusing a body that nests too deeply.
std::variant<nlohmann::json, ApiReply> MarketBody(const std::string& body, const char* what) {
  if (JsonNestingDepth(body) > kMaxJsonDepth) {
    return AdminApi::Error(400, "InvalidArgument",
                           std::string(what) + ": the body nests deeper than " +
                               std::to_string(kMaxJsonDepth) + " levels");
  }
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

}  // namespace

ApiReply AdminApi::PostInterruptions(const std::string& body) {
  auto parsed = MarketBody(body, "interruptions");
  if (auto* err = std::get_if<ApiReply>(&parsed)) return *err;
  const nlohmann::json& j = std::get<nlohmann::json>(parsed);
  auto req = InterruptRequestFromJson(j);
  if (!req.ok()) return Error(400, "InvalidArgument", req.status().message());
  auto done = engine_->InterruptInstances(req->instance_ids, req->options);
  if (!done.ok()) return EngineError(done.status());
  nlohmann::json list = nlohmann::json::array();
  for (const ScheduledInterruption& i : *done) list.push_back(InterruptionToJson(i));
  return Json(202, {{"interruptions", list}});
}

ApiReply AdminApi::PostProbe(const std::string& body) {
  auto parsed = MarketBody(body, "probe");
  if (auto* err = std::get_if<ApiReply>(&parsed)) return *err;
  const nlohmann::json& j = std::get<nlohmann::json>(parsed);
  if (!j.is_object() || !j.contains("instanceId") || !j["instanceId"].is_string() ||
      !j.contains("port") || !j["port"].is_number_integer()) {
    return Error(400, "InvalidArgument",
                 "probe: write {\"instanceId\": \"i-...\", \"port\": 2379} (optional "
                 "\"privateIp\", \"timeoutMs\" 1..60000, default 2000; \"kind\": \"tcp\" "
                 "with \"send\", \"expect\", or \"http\" with \"path\", \"expectStatus\", "
                 "\"expect\")");
  }
  // A request without "kind" is the plain TCP connect older clients send.
  ServingProbe probe;
  std::string kind = "tcp";
  for (const char* field : {"kind", "send", "expect", "path"}) {
    if (j.contains(field) && !j[field].is_string()) {
      return Error(400, "InvalidArgument", std::string("probe: ") + field + " must be a string");
    }
  }
  if (j.contains("kind")) kind = j["kind"].get<std::string>();
  if (kind == "http") {
    probe.kind = ServingProbe::Kind::kHttp;
    if (j.contains("path")) probe.path = j["path"].get<std::string>();
    if (probe.path.empty() || probe.path[0] != '/') {
      return Error(400, "InvalidArgument", "probe: path must start with '/'");
    }
    if (j.contains("expectStatus")) {
      if (!j["expectStatus"].is_number_integer()) {
        return Error(400, "InvalidArgument", "probe: expectStatus must be an integer (100..599)");
      }
      probe.expect_status = j["expectStatus"].get<int>();
    }
    if (j.contains("send")) {
      return Error(400, "InvalidArgument", "probe: send is for kind tcp, not http");
    }
  } else if (kind == "tcp") {
    if (j.contains("send")) probe.send = j["send"].get<std::string>();
    if (j.contains("path") || j.contains("expectStatus")) {
      return Error(400, "InvalidArgument", "probe: path and expectStatus are for kind http");
    }
  } else {
    return Error(400, "InvalidArgument", "probe: kind is '" + kind + "'; write tcp or http");
  }
  if (j.contains("expect")) probe.expect = j["expect"].get<std::string>();
  if (probe.send.size() > kServingReplyCap || probe.expect.size() > kServingReplyCap ||
      probe.path.size() > kServingReplyCap) {
    return Error(400, "InvalidArgument", "probe: send, expect and path are at most 64 KiB");
  }
  int64_t timeout_ms = 2000;
  if (j.contains("timeoutMs")) {
    if (!j["timeoutMs"].is_number_integer()) {
      return Error(400, "InvalidArgument", "probe: timeoutMs must be an integer (1..60000)");
    }
    timeout_ms = j["timeoutMs"].get<int64_t>();
  }
  std::string ip;
  if (j.contains("privateIp")) {
    if (!j["privateIp"].is_string()) {
      return Error(400, "InvalidArgument", "probe: privateIp must be a string");
    }
    ip = j["privateIp"].get<std::string>();
  }
  int64_t port = j["port"].get<int64_t>();
  if (port < 1 || port > 65535) {
    return Error(400, "InvalidArgument", "probe: port must be 1..65535");
  }
  probe.port = static_cast<int>(port);
  Status s =
      engine_->ProbeInstance(j["instanceId"].get<std::string>(), ip, probe, Duration{timeout_ms});
  // "kind" tells the client which check ran (a cloud before the richer kinds had no "kind",
  // and ran a plain connect whatever was asked).
  if (s.ok()) return Json(200, {{"serving", true}, {"kind", kind}});
  if (s.code() == Code::kUnavailable) {
    return Json(
        200,
        {{"serving", false}, {"kind", kind}, {"code", s.cloud_code()}, {"message", s.message()}});
  }
  return EngineError(s);
}

ApiReply AdminApi::PutPool(const std::string& body) {
  auto parsed = MarketBody(body, "pools");
  if (auto* err = std::get_if<ApiReply>(&parsed)) return *err;
  auto req = PoolCapacityRequestFromJson(std::get<nlohmann::json>(parsed));
  if (!req.ok()) return Error(400, "InvalidArgument", req.status().message());
  auto done = engine_->SetPoolCapacity(req->instance_type, req->availability_zone, req->market,
                                       req->capacity);
  if (!done.ok()) return EngineError(done.status());
  nlohmann::json list = nlohmann::json::array();
  for (const ScheduledInterruption& i : *done) list.push_back(InterruptionToJson(i));
  nlohmann::json pool;
  for (const PoolView& p : engine_->DescribePools()) {
    if (p.instance_type == req->instance_type && p.availability_zone == req->availability_zone) {
      pool = PoolToJson(p);
    }
  }
  return Json(200, {{"pool", pool}, {"interruptions", list}});
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
