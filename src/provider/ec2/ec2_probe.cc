// Ec2Provider::ProbeTcp. On AWS (no custom endpoint) the controller runs in the VPC (or a network
// peered with it) and connects to the private IP itself. With a custom endpoint the cloud is
// asked to probe from inside its own network: the local cloud's admin route
// POST /_spotkeeper/v1/probe (SigV4, service "spotkeeper", the same key as EC2 calls), so no
// VPC range is ever routed into the controller's host. moto_server has no such route.
#include <nlohmann/json.hpp>

#include "awsproto/aws_error.h"
#include "common/tcp_probe.h"
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

Status Ec2Provider::ProbeTcp(const std::string& instance_id, const std::string& ip, int port,
                             Duration timeout) {
  if (config_.endpoint_url.empty() && config_.ec2_endpoint_url.empty()) {
    return TcpProbe(ip, port, timeout);
  }
  aws::HttpRequest req;
  req.method = "POST";
  req.url = config_.Ec2Endpoint() + kProbePath;
  req.timeout = timeout + config_.connect_timeout + std::chrono::seconds(5);
  req.headers.emplace_back("Content-Type", "application/json");
  req.body = nlohmann::json{{"instanceId", instance_id},
                            {"privateIp", ip},
                            {"port", port},
                            {"timeoutMs", timeout.count()}}
                 .dump();
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
  if (j["serving"].get<bool>()) return OkStatus();
  return Status(Code::kUnavailable, j.value("message", std::string("not serving")),
                j.value("code", std::string("ConnectionRefused")));
}

}  // namespace spotkeeper
