// Credentials of the instance's IAM role from the EC2 instance metadata service, IMDSv2:
//   PUT  /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds)      -> session token
//   GET  /latest/meta-data/iam/security-credentials/                   -> role name
//   GET  /latest/meta-data/iam/security-credentials/<role>             -> JSON credentials
// Short timeouts (1 s per request by default) so a machine without IMDS falls through the chain
// quickly. Credentials are cached until five minutes before their Expiration.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "awsproto/credentials.h"
#include "awsproto/http_message.h"
#include "common/time.h"

namespace spotkeeper::aws {

inline constexpr const char* kDefaultImdsEndpoint = "http://169.254.169.254";

struct ImdsOptions {
  std::string endpoint = kDefaultImdsEndpoint;  // tests point this at a loopback server
  Duration timeout = std::chrono::seconds(1);
  Duration refresh_before_expiry = std::chrono::minutes(5);
};

class ImdsCredentialsProvider final : public CredentialsProvider {
 public:
  // `http` and `clock` must outlive this object.
  ImdsCredentialsProvider(HttpClient* http, const Clock* clock, ImdsOptions options = {});
  // NotFound when IMDS does not answer or the instance has no role; Unavailable when IMDS
  // answers with an error for the role's credentials and nothing usable is cached.
  Result<Credentials> Get() override;

 private:
  Result<Credentials> Fetch();

  HttpClient* http_;
  const Clock* clock_;
  ImdsOptions options_;
  std::mutex mu_;
  std::optional<Credentials> cached_;
};

}  // namespace spotkeeper::aws
