#include "awsproto/imds_credentials_provider.h"

#include <nlohmann/json.hpp>

namespace spotkeeper::aws {
namespace {

constexpr const char* kCredentialsPath = "/latest/meta-data/iam/security-credentials/";

}  // namespace

ImdsCredentialsProvider::ImdsCredentialsProvider(HttpClient* http, const Clock* clock,
                                                 ImdsOptions options)
    : http_(http), clock_(clock), options_(std::move(options)) {
  while (!options_.endpoint.empty() && options_.endpoint.back() == '/') {
    options_.endpoint.pop_back();
  }
}

Result<Credentials> ImdsCredentialsProvider::Get() {
  std::lock_guard<std::mutex> lock(mu_);
  Time now = clock_->Now();
  if (cached_ && now < cached_->expiration - options_.refresh_before_expiry) return *cached_;
  Result<Credentials> fresh = Fetch();
  if (fresh.ok()) {
    cached_ = *fresh;
    return fresh;
  }
  // Keep serving what we have while it is still valid: IMDS hiccups must not stop signing.
  if (cached_ && now < cached_->expiration) return *cached_;
  return fresh;
}

Result<Credentials> ImdsCredentialsProvider::Fetch() {
  HttpRequest token_req;
  token_req.method = "PUT";
  token_req.url = options_.endpoint + "/latest/api/token";
  token_req.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
  token_req.timeout = options_.timeout;
  Result<HttpResponse> token = http_->Send(token_req);
  if (!token.ok()) {
    return NotFound("instance metadata service at " + options_.endpoint +
                    " did not answer: " + token.status().message());
  }
  if (token->status != 200) {
    return NotFound("instance metadata service refused a session token (HTTP " +
                    std::to_string(token->status) + ")");
  }
  HeaderList auth = {{"X-aws-ec2-metadata-token", token->body}};

  HttpRequest role_req{"GET", options_.endpoint + kCredentialsPath, auth, "", options_.timeout};
  SK_ASSIGN_OR_RETURN(HttpResponse role, http_->Send(role_req));
  if (role.status == 404) return NotFound("this instance has no IAM role");
  if (role.status != 200) {
    return Unavailable("instance metadata: role lookup failed (HTTP " +
                       std::to_string(role.status) + ")");
  }
  std::string role_name = role.body.substr(0, role.body.find('\n'));
  while (!role_name.empty() && (role_name.back() == '\r' || role_name.back() == ' ')) {
    role_name.pop_back();
  }
  if (role_name.empty()) return NotFound("this instance has no IAM role");

  HttpRequest creds_req{"GET", options_.endpoint + kCredentialsPath + role_name, auth, "",
                        options_.timeout};
  SK_ASSIGN_OR_RETURN(HttpResponse creds, http_->Send(creds_req));
  if (creds.status != 200) {
    return Unavailable("instance metadata: credentials of role '" + role_name +
                       "' unavailable (HTTP " + std::to_string(creds.status) + ")");
  }
  nlohmann::json j = nlohmann::json::parse(creds.body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.value("Code", "Success") != "Success" || !j.contains("AccessKeyId") ||
      !j.contains("SecretAccessKey") || !j["AccessKeyId"].is_string() ||
      !j["SecretAccessKey"].is_string()) {
    // Never echo the body: it may hold a secret.
    return Unavailable("instance metadata: credentials of role '" + role_name +
                       "' are not in the expected JSON shape");
  }
  Credentials c;
  c.access_key_id = j["AccessKeyId"].get<std::string>();
  c.secret_access_key = j["SecretAccessKey"].get<std::string>();
  if (j.contains("Token") && j["Token"].is_string()) {
    c.session_token = j["Token"].get<std::string>();
  }
  c.expiration = kNever;
  if (j.contains("Expiration") && j["Expiration"].is_string()) {
    auto t = ParseTime(j["Expiration"].get<std::string>());
    if (t.ok()) c.expiration = *t;
  }
  c.source = "imds role " + role_name;
  return c;
}

}  // namespace spotkeeper::aws
