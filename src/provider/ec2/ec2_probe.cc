// Ec2Provider::ProbeServing. On AWS (no custom endpoint) the controller runs in the VPC (or a
// network peered with it) and probes the private IP itself (common/serving_probe.h). With a custom
// endpoint the cloud is asked to probe from inside its own network: the local cloud's admin route
// POST /_spotkeeper/v1/probe (SigV4, service "spotkeeper", the same key as EC2 calls), so no
// VPC range is ever routed into the controller's host. moto_server has no such route.
#include <nlohmann/json.hpp>

#include "awsproto/aws_error.h"
#include "common/serving_probe.h"
#include "provider/ec2/ec2_provider.h"

namespace spotkeeper {

namespace {

constexpr char kProbePath[] = "/_spotkeeper/v1/probe";
constexpr char kAdminSigningService[] = "spotkeeper";

Status DecodeAdminError(const aws::HttpResponse& res) {
  nlohmann::json j = nlohmann::json::parse(res.body, nullptr, false);
  std::string code = j.is_object() && j.contains("code") && j["code"].is_string()
                         ? j["code"].get<std::string>()
                         : std::string();
  std::string message = j.is_object() && j.contains("message") && j["message"].is_string()
                            ? j["message"].get<std::string>()
                            : "HTTP " + std::to_string(res.status);
  return Status(aws::CodeForAwsError(code, res.status), message, code);
}

}  // namespace

Status Ec2Provider::ProbeServing(const std::string& instance_id, const std::string& ip,
                                 const ServingProbe& probe, Duration timeout) {
  if (config_.endpoint_url.empty() && config_.ec2_endpoint_url.empty()) {
    return spotkeeper::ProbeServing(ip, probe, timeout);
  }
  aws::HttpRequest req;
  req.method = "POST";
  req.url = config_.Ec2Endpoint() + kProbePath;
  req.timeout = timeout + config_.connect_timeout + std::chrono::seconds(5);
  req.headers.emplace_back("Content-Type", "application/json");
  // A plain tcp check sends the request older clouds know ({instanceId, privateIp, port,
  // timeoutMs}); the other kinds add "kind" and their fields (AdminApi::PostProbe).
  nlohmann::json body = {{"instanceId", instance_id},
                         {"privateIp", ip},
                         {"port", probe.port},
                         {"timeoutMs", timeout.count()}};
  if (probe.kind == ServingProbe::Kind::kHttp) {
    body["kind"] = "http";
    body["path"] = probe.path;
    body["expectStatus"] = probe.expect_status;
    if (!probe.expect.empty()) body["expect"] = probe.expect;
  } else if (!probe.send.empty() || !probe.expect.empty()) {
    body["kind"] = "tcp";
    body["send"] = probe.send;
    body["expect"] = probe.expect;
  }
  req.body = body.dump();
  aws::Sigv4Signer signer(config_.region, kAdminSigningService);
  auto res = sender_->Send(req, signer, /*idempotent=*/false, DecodeAdminError, "cloud probe");
  if (!res.ok()) {
    if (res.status().code() == Code::kNotFound && res.status().cloud_code() == "NotFound") {
      return Unimplemented("the endpoint " + config_.Ec2Endpoint() + " has no workload probe (" +
                           kProbePath +
                           "): health.serving checks need AWS (no endpointUrl) or the local "
                           "cloud");
    }
    return res.status();
  }
  nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
  if (!j.is_object() || !j.contains("serving") || !j["serving"].is_boolean()) {
    return Internal("cloud probe: the reply has no boolean 'serving': " + res->body.substr(0, 200));
  }
  if (body.contains("kind") && !(j.contains("kind") && j["kind"] == body["kind"])) {
    // A cloud that predates the richer checks ran a plain connect: do not take it as serving.
    return Unimplemented("the endpoint " + config_.Ec2Endpoint() +
                         " probes only TCP connects, not " + probe.Describe(ip) +
                         ": update the local cloud");
  }
  if (j["serving"].get<bool>()) return OkStatus();
  return Status(Code::kUnavailable, j.value("message", std::string("not serving")),
                j.value("code", std::string("ConnectionRefused")));
}

}  // namespace spotkeeper
