// Server-side SigV4 verification, for spotkeeper's own EC2/SQS-compatible endpoints. Accepts
// header-signed requests and presigned (query-signed) URLs.
//
// Failures are Status values with Code kUnauthenticated and EC2's error code in cloud_code:
//   MissingAuthenticationToken  no Authorization header and no X-Amz-Algorithm parameter
//   IncompleteSignature         a malformed Authorization / missing X-Amz-Date / host unsigned
//   AuthFailure                 the access key is unknown to the lookup
//   RequestExpired              X-Amz-Date further than max_skew from now, or a presigned URL
//                               past its X-Amz-Expires
//   SignatureDoesNotMatch       the signature (or the credential scope) is wrong
// Messages never contain the secret or the expected signature.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "awsproto/http_message.h"
#include "common/status.h"
#include "common/time.h"

namespace spotkeeper::aws {

struct VerifyOptions {
  // Expected scope; empty accepts any (the verified values are returned).
  std::string region;
  std::string service;
  // EC2 documents 15 minutes for RequestExpired; spotkeeper's local cloud is stricter by default.
  Duration max_skew = std::chrono::minutes(5);
};

struct VerifiedRequest {
  std::string access_key_id;
  std::string region;
  std::string service;
  std::string session_token;  // X-Amz-Security-Token, if the request carried one
  Time signed_at;
};

// Returns the secret access key for an access key id, or nullopt when the key is unknown.
using SecretLookup = std::function<std::optional<std::string>(const std::string& access_key_id)>;

// Verifies `request` as received (URL with its raw query, headers, exact body bytes).
Result<VerifiedRequest> VerifySigv4(const HttpRequest& request, const SecretLookup& lookup,
                                    Time now, const VerifyOptions& options = {});

}  // namespace spotkeeper::aws
