#include "awsproto/sigv4_verifier.h"

#include <algorithm>
#include <map>
#include <vector>

#include "awsproto/crypto.h"
#include "awsproto/sigv4.h"
#include "awsproto/uri_encode.h"

namespace spotkeeper::aws {
namespace {

Status AuthError(const char* cloud_code, std::string message) {
  return Status(Code::kUnauthenticated, std::move(message), cloud_code);
}

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return std::string();
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t next = s.find(sep, pos);
    out.push_back(std::string(s.substr(pos, next == std::string_view::npos ? next : next - pos)));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return out;
}

// The signature inputs, from the Authorization header or from the query string.
struct SignatureFields {
  std::string credential;  // AKID/20150830/region/service/aws4_request
  std::string signed_headers;
  std::string signature;
  std::string amz_date;
  std::string session_token;
  std::optional<int64_t> expires_seconds;  // presigned only
  bool presigned = false;
};

Result<SignatureFields> FromAuthorizationHeader(const HttpRequest& request,
                                                const std::string& header) {
  SignatureFields f;
  std::string prefix = std::string(kSigv4Algorithm) + " ";
  if (header.rfind(prefix, 0) != 0) {
    return AuthError("IncompleteSignature",
                     "Authorization header must use the AWS4-HMAC-SHA256 algorithm");
  }
  for (const std::string& part : Split(header.substr(prefix.size()), ',')) {
    std::string p = Trim(part);
    size_t eq = p.find('=');
    if (eq == std::string::npos) continue;
    std::string key = p.substr(0, eq), value = p.substr(eq + 1);
    if (key == "Credential") f.credential = value;
    if (key == "SignedHeaders") f.signed_headers = value;
    if (key == "Signature") f.signature = value;
  }
  if (f.credential.empty() || f.signed_headers.empty() || f.signature.empty()) {
    return AuthError("IncompleteSignature",
                     "Authorization header requires Credential, SignedHeaders and Signature");
  }
  auto date = FindHeader(request.headers, "x-amz-date");
  if (!date) return AuthError("IncompleteSignature", "the request has no X-Amz-Date header");
  f.amz_date = *date;
  f.session_token = FindHeader(request.headers, "x-amz-security-token").value_or("");
  return f;
}

Result<SignatureFields> FromQuery(const std::map<std::string, std::string>& q) {
  SignatureFields f;
  f.presigned = true;
  auto get = [&](const char* k) {
    auto it = q.find(k);
    return it == q.end() ? std::string() : it->second;
  };
  if (get("X-Amz-Algorithm") != kSigv4Algorithm) {
    return AuthError("IncompleteSignature", "X-Amz-Algorithm must be AWS4-HMAC-SHA256");
  }
  f.credential = get("X-Amz-Credential");
  f.signed_headers = get("X-Amz-SignedHeaders");
  f.signature = get("X-Amz-Signature");
  f.amz_date = get("X-Amz-Date");
  f.session_token = get("X-Amz-Security-Token");
  std::string expires = get("X-Amz-Expires");
  if (f.credential.empty() || f.signed_headers.empty() || f.signature.empty() ||
      f.amz_date.empty() || expires.empty()) {
    return AuthError("IncompleteSignature",
                     "a presigned URL requires X-Amz-Credential, X-Amz-SignedHeaders, "
                     "X-Amz-Signature, X-Amz-Date and X-Amz-Expires");
  }
  try {
    f.expires_seconds = std::stoll(expires);
  } catch (const std::exception&) {
    return AuthError("IncompleteSignature", "X-Amz-Expires is not a number");
  }
  return f;
}

Result<std::map<std::string, std::string>> DecodeQuery(const std::string& raw) {
  std::map<std::string, std::string> out;
  for (const std::string& part : Split(raw, '&')) {
    if (part.empty()) continue;
    size_t eq = part.find('=');
    auto k = UriDecode(part.substr(0, eq), false);
    auto v = UriDecode(eq == std::string::npos ? "" : part.substr(eq + 1), false);
    if (!k.ok() || !v.ok()) return AuthError("IncompleteSignature", "malformed query string");
    out.emplace(*k, *v);
  }
  return out;
}

}  // namespace

Result<VerifiedRequest> VerifySigv4(const HttpRequest& request, const SecretLookup& lookup,
                                    Time now, const VerifyOptions& options) {
  auto url = ParseUrl(request.url);
  if (!url.ok()) return AuthError("IncompleteSignature", url.status().message());
  SK_ASSIGN_OR_RETURN(auto query, DecodeQuery(url->query));

  SignatureFields f;
  if (auto header = FindHeader(request.headers, "authorization")) {
    SK_ASSIGN_OR_RETURN(f, FromAuthorizationHeader(request, *header));
  } else if (query.count("X-Amz-Algorithm")) {
    SK_ASSIGN_OR_RETURN(f, FromQuery(query));
  } else {
    return AuthError("MissingAuthenticationToken",
                     "the request must contain an AWS SigV4 signature");
  }

  std::vector<std::string> scope = Split(f.credential, '/');
  if (scope.size() != 5 || scope[4] != "aws4_request" || scope[0].empty()) {
    return AuthError("IncompleteSignature", "malformed credential scope");
  }
  VerifiedRequest v;
  v.access_key_id = scope[0];
  v.region = scope[2];
  v.service = scope[3];
  v.session_token = f.session_token;

  std::vector<std::string> signed_headers = Split(f.signed_headers, ';');
  if (std::find(signed_headers.begin(), signed_headers.end(), "host") == signed_headers.end()) {
    return AuthError("IncompleteSignature", "the host header must be signed");
  }
  auto signed_at = ParseAmzDate(f.amz_date);
  if (!signed_at.ok()) return AuthError("IncompleteSignature", "malformed X-Amz-Date");
  v.signed_at = *signed_at;

  std::optional<std::string> secret = lookup(v.access_key_id);
  if (!secret) {
    return AuthError("AuthFailure", "AWS was not able to validate the provided access credentials");
  }
  if (f.presigned) {
    if (now > *signed_at + std::chrono::seconds(*f.expires_seconds) ||
        *signed_at - now > options.max_skew) {
      return AuthError("RequestExpired", "the presigned URL has expired");
    }
  } else if (*signed_at - now > options.max_skew || now - *signed_at > options.max_skew) {
    return AuthError("RequestExpired", "Request has expired: X-Amz-Date " + f.amz_date +
                                           " is too far from the server time " +
                                           FormatAmzDate(now));
  }
  if (scope[1] != f.amz_date.substr(0, 8) ||
      (!options.region.empty() && v.region != options.region) ||
      (!options.service.empty() && v.service != options.service)) {
    return AuthError("SignatureDoesNotMatch",
                     "credential scope " + scope[1] + "/" + v.region + "/" + v.service +
                         " does not match this endpoint or the request date");
  }

  std::vector<std::string> payload_hashes;
  if (auto h = FindHeader(request.headers, "x-amz-content-sha256"); h && !f.presigned) {
    if (*h != kUnsignedPayload && *h != Sha256Hex(request.body)) {
      return AuthError("SignatureDoesNotMatch", "X-Amz-Content-SHA256 does not match the body");
    }
    payload_hashes.push_back(*h);
  } else {
    payload_hashes.push_back(Sha256Hex(request.body));
    // S3-style presigned URLs sign UNSIGNED-PAYLOAD instead of the body.
    if (f.presigned) payload_hashes.push_back(kUnsignedPayload);
  }
  std::string scope_text = scope[1] + "/" + v.region + "/" + v.service + "/aws4_request";
  std::string key = SigningKey(*secret, *signed_at, v.region, v.service);
  for (const std::string& payload_hash : payload_hashes) {
    auto parts = BuildCanonicalRequest(request, signed_headers, payload_hash,
                                       f.presigned ? "X-Amz-Signature" : "");
    if (!parts.ok()) return AuthError("IncompleteSignature", parts.status().message());
    std::string expected =
        HexEncode(HmacSha256(key, StringToSign(*signed_at, scope_text, parts->canonical_request)));
    if (ConstantTimeEquals(expected, f.signature)) return v;
  }
  return AuthError("SignatureDoesNotMatch",
                   "The request signature we calculated does not match the signature you "
                   "provided. Check your AWS Secret Access Key and signing method.");
}

}  // namespace spotkeeper::aws
