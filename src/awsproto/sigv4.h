// AWS Signature Version 4: the pieces (canonical request, string to sign, signing key) and a
// signer that puts the signature on a request, in the Authorization header or in the query
// string (presigned URL). The verifier (sigv4_verifier.h) rebuilds the same pieces.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "awsproto/credentials.h"
#include "awsproto/http_message.h"
#include "common/status.h"
#include "common/time.h"

namespace spotkeeper::aws {

inline constexpr const char* kSigv4Algorithm = "AWS4-HMAC-SHA256";
inline constexpr const char* kUnsignedPayload = "UNSIGNED-PAYLOAD";

// "20150830T123600Z" (UTC, seconds).
std::string FormatAmzDate(Time t);
// Parses "20150830T123600Z". InvalidArgument otherwise.
Result<Time> ParseAmzDate(std::string_view text);

// The canonical query string of a raw (encoded) query: each name=value decoded, re-encoded with
// UriEncode, sorted by name then value, joined by '&'. `skip` names a parameter to leave out
// (X-Amz-Signature when verifying a presigned URL).
Result<std::string> CanonicalQueryString(std::string_view raw_query, std::string_view skip = {});

// Headers that are never signed (hop-by-hop, user-agent, ...), lowercase.
bool IsUnsignableHeader(std::string_view lowercase_name);

// Lowercased, trimmed, space-collapsed, duplicates joined by ','; sorted by name.
std::vector<std::pair<std::string, std::string>> CanonicalizeHeaders(const HeaderList& headers);

struct CanonicalRequestParts {
  std::string canonical_request;
  std::string signed_headers;  // "content-type;host;x-amz-date"
};

// Builds the canonical request from `request`, signing the headers named in `signed_headers`
// (lowercase; empty: every signable header present). `payload_hash` is the hex SHA-256 of the
// body or UNSIGNED-PAYLOAD.
Result<CanonicalRequestParts> BuildCanonicalRequest(const HttpRequest& request,
                                                    const std::vector<std::string>& signed_headers,
                                                    const std::string& payload_hash,
                                                    std::string_view skip_query_param = {});

// "20150830/us-east-1/service/aws4_request"
std::string CredentialScope(Time t, std::string_view region, std::string_view service);
std::string StringToSign(Time t, std::string_view scope, std::string_view canonical_request);
// The derived key: HMAC chain over date, region, service, "aws4_request". Raw bytes.
std::string SigningKey(std::string_view secret, Time t, std::string_view region,
                       std::string_view service);

// Signs requests for one service in one region. Stateless, thread-safe.
class Sigv4Signer {
 public:
  Sigv4Signer(std::string region, std::string service);

  // Header signing. Sets Host (from the URL) when absent, X-Amz-Date, and X-Amz-Security-Token
  // when the credentials carry a session token; then Authorization over every signable header
  // present. The payload hash is the X-Amz-Content-Sha256 header when the caller set one (e.g.
  // UNSIGNED-PAYLOAD), else the SHA-256 of the body.
  Status Sign(HttpRequest& request, const Credentials& credentials, Time now) const;

  // Query-string signing: appends X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
  // X-Amz-SignedHeaders, X-Amz-Security-Token (if any) and X-Amz-Signature to the URL. Signs the
  // host header and any other signable headers present, and the SHA-256 of the body (normally
  // empty), as botocore's SigV4QueryAuth does for non-S3 services.
  Status Presign(HttpRequest& request, const Credentials& credentials, Time now,
                 Duration expires) const;

  const std::string& region() const { return region_; }
  const std::string& service() const { return service_; }

 private:
  std::string region_;
  std::string service_;
};

}  // namespace spotkeeper::aws
