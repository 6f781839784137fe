#include "cloud/api/cloud_admin_client.h"

#include "awsproto/aws_error.h"
#include "awsproto/sigv4.h"
#include "cloud/api/admin_api.h"
#include "cloud/api/local_cloud.h"

namespace spotkeeper::cloud {
namespace {

constexpr const char* kFaultsPath = "/_spotkeeper/v1/faults";
constexpr const char* kInterruptionsPath = "/_spotkeeper/v1/interruptions";
constexpr const char* kPoolsPath = "/_spotkeeper/v1/pools";
constexpr const char* kCostPath = "/_spotkeeper/v1/cost";

Result<std::vector<ScheduledInterruption>> ParseInterruptions(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("interruptions") || !j["interruptions"].is_array()) {
    return Internal("cloud admin API: an answer without \"interruptions\": " + j.dump());
  }
  std::vector<ScheduledInterruption> out;
  for (const nlohmann::json& i : j["interruptions"]) {
    SK_ASSIGN_OR_RETURN(ScheduledInterruption one, InterruptionFromJson(i));
    out.push_back(std::move(one));
  }
  return out;
}

Result<Ec2FaultsState> ParseFaults(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("ec2")) {
    return Internal("cloud admin API: a faults answer without \"ec2\": " + j.dump());
  }
  SK_ASSIGN_OR_RETURN(Ec2FaultConfig config, Ec2FaultConfigFromJson(j["ec2"]));
  Ec2FaultsState state{config, {}};
  if (j.contains("stats") && j["stats"].is_object() && j["stats"].contains("ec2")) {
    state.stats = Ec2FaultStatsFromJson(j["stats"]["ec2"]);
  }
  return state;
}

}  // namespace

Result<AdminTarget> CloudAdminClient::FindCloud(const std::string& data_dir) {
  auto info = ReadServedCloudInfo(data_dir);
  if (!info.ok()) {
    return FailedPrecondition("no cloud has served from " + data_dir +
                              ": start one with `spotkeeper cloud serve --data-dir " + data_dir +
                              "` (or give the --data-dir of the running one)");
  }
  auto key = LoadAccessKey(data_dir);
  if (!key.ok()) return FailedPrecondition(key.status().message());
  return AdminTarget{data_dir, info->endpoint, info->region, *key};
}

CloudAdminClient::CloudAdminClient(aws::HttpClient* http, AdminTarget target, const Clock* clock)
    : http_(http), target_(std::move(target)), clock_(clock) {}

Result<nlohmann::json> CloudAdminClient::Call(const std::string& method, const std::string& path,
                                              const nlohmann::json& body) {
  aws::HttpRequest req;
  req.method = method;
  req.url = target_.endpoint + path;
  req.timeout = std::chrono::seconds(30);
  if (!body.is_null()) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body.dump();
  }
  aws::Sigv4Signer signer(target_.region, AdminApi::kSigningService);
  aws::Credentials creds;
  creds.access_key_id = target_.key.access_key_id;
  creds.secret_access_key = target_.key.secret_access_key;
  SK_RETURN_IF_ERROR(signer.Sign(req, creds, clock_->Now()));
  auto res = http_->Send(req);
  if (!res.ok()) {
    return Unavailable("no cloud answers at " + target_.endpoint + " (" + res.status().message() +
                       "): is `spotkeeper cloud serve --data-dir " + target_.data_dir +
                       "` (or `spotkeeper dev`) running?");
  }
  nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
  if (res->status < 200 || res->status >= 300) {
    std::string message = j.is_object() && j.contains("message") && j["message"].is_string()
                              ? j["message"].get<std::string>()
                              : "HTTP " + std::to_string(res->status) + ": " + res->body;
    std::string code = j.is_object() ? j.value("code", "") : "";
    return Status(aws::CodeForAwsError(code, res->status), "cloud admin API: " + message, code);
  }
  if (j.is_discarded()) {
    return Internal("cloud admin API: " + method + " " + path + " answered with no JSON");
  }
  return j;
}

Result<Ec2FaultsState> CloudAdminClient::GetFaults() {
  SK_ASSIGN_OR_RETURN(nlohmann::json j, Call("GET", kFaultsPath));
  return ParseFaults(j);
}

Result<Ec2FaultsState> CloudAdminClient::SetFaults(const Ec2FaultConfig& config) {
  SK_ASSIGN_OR_RETURN(nlohmann::json j,
                      Call("PUT", kFaultsPath, {{"ec2", Ec2FaultConfigToJson(config)}}));
  return ParseFaults(j);
}

Result<Ec2FaultsState> CloudAdminClient::ClearFaults() {
  SK_ASSIGN_OR_RETURN(nlohmann::json j, Call("DELETE", kFaultsPath));
  return ParseFaults(j);
}

Result<std::vector<ScheduledInterruption>> CloudAdminClient::Interrupt(
    const InterruptRequest& req) {
  SK_ASSIGN_OR_RETURN(nlohmann::json j,
                      Call("POST", kInterruptionsPath, InterruptRequestToJson(req)));
  return ParseInterruptions(j);
}

Result<std::vector<PoolView>> CloudAdminClient::GetPools() {
  SK_ASSIGN_OR_RETURN(nlohmann::json j, Call("GET", kPoolsPath));
  if (!j.is_object() || !j.contains("pools") || !j["pools"].is_array()) {
    return Internal("cloud admin API: a pools answer without \"pools\": " + j.dump());
  }
  std::vector<PoolView> out;
  for (const nlohmann::json& p : j["pools"]) {
    SK_ASSIGN_OR_RETURN(PoolView one, PoolFromJson(p));
    out.push_back(std::move(one));
  }
  return out;
}

Result<CloudAdminClient::PoolChange> CloudAdminClient::SetPoolCapacity(
    const PoolCapacityRequest& req) {
  SK_ASSIGN_OR_RETURN(nlohmann::json j, Call("PUT", kPoolsPath, PoolCapacityRequestToJson(req)));
  PoolChange change;
  SK_ASSIGN_OR_RETURN(change.pool, PoolFromJson(j.is_object() ? j.value("pool", nlohmann::json())
                                                              : nlohmann::json()));
  SK_ASSIGN_OR_RETURN(change.interruptions, ParseInterruptions(j));
  return change;
}

Result<CostReport> CloudAdminClient::GetCost() {
  SK_ASSIGN_OR_RETURN(nlohmann::json j, Call("GET", kCostPath));
  return CostReportFromJson(j);
}

}  // namespace spotkeeper::cloud
