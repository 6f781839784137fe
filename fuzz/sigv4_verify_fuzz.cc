// Fuzz target: SigV4 verification of a whole request (request line, headers, query, body hash,
// dates), as the local cloud verifies every EC2/SQS call. The input is a raw request
// (raw_request.h); the URL is https://<Host header><target>.
//
// Contracts checked besides "never crash": the request as given verifies or fails with a
// kUnauthenticated status carrying an EC2 error code; the same request signed (and presigned) by
// our signer with the lookup's key verifies, with the signer's scope and key id.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "awsproto/sigv4.h"
#include "awsproto/sigv4_verifier.h"
#include "raw_request.h"

namespace {

using namespace spotkeeper;

constexpr const char* kKeyId = "AKIDEXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "sigv4_verify_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

std::optional<std::string> Lookup(const std::string& id) {
  if (id == kKeyId) return std::string(kSecret);
  return std::nullopt;
}

// An HTTP field name (RFC 9110 token). A request with any other name is no HTTP request: the
// signer's output for it need not verify (found by fuzzing: a name with spaces and '=').
bool IsToken(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// `input`: the request's bytes. A message may quote what the client sent (found by fuzzing: a
// URL carrying the secret text, quoted by "URL has no host"); it must not add the secret.
void CheckFailure(const Status& s, std::string_view input) {
  if (s.code() != Code::kUnauthenticated) Fail("failure is not kUnauthenticated", s.ToString());
  if (s.cloud_code().empty()) Fail("failure without an EC2 error code", s.ToString());
  if (s.message().find(kSecret) != std::string::npos &&
      input.find(kSecret) == std::string_view::npos) {
    Fail("secret in a message", s.ToString());
  }
}

void CheckSigned(const aws::HttpRequest& request, Time now, const char* how) {
  aws::VerifyOptions options{"us-east-1", "service", std::chrono::minutes(5)};
  auto verified = aws::VerifySigv4(request, Lookup, now, options);
  if (!verified.ok()) {
    Fail(how, verified.status().ToString() + "\n" + request.method + " " + request.url);
  }
  if (verified->access_key_id != kKeyId || verified->region != "us-east-1") {
    Fail(how, "wrong key id or scope");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz::RawRequest raw = fuzz::ParseRawRequest(input);
  aws::HttpRequest request;
  request.method = raw.method;
  request.url = "https://" + raw.Header("Host") + raw.target;
  request.headers = raw.headers;
  request.body = raw.body;
  const Time now = aws::ParseAmzDate("20150830T123600Z").value();

  // As given: most inputs are unsigned or wrongly signed.
  auto verified = aws::VerifySigv4(request, Lookup, now);
  if (!verified.ok()) CheckFailure(verified.status(), input);

  // Signed by us: must verify. The signer refuses what is no URL; that is fine.
  aws::HttpRequest header_signed = request;
  std::erase_if(header_signed.headers, [](const auto& h) {
    std::string n = h.first;
    for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return n == "authorization" || n == "x-amz-date" || n == "x-amz-security-token" ||
           n == "x-amz-content-sha256";
  });
  aws::Sigv4Signer signer("us-east-1", "service");
  aws::Credentials creds;
  creds.access_key_id = kKeyId;
  creds.secret_access_key = kSecret;
  bool well_formed = std::all_of(request.headers.begin(), request.headers.end(),
                                 [](const auto& h) { return IsToken(h.first); });
  if (well_formed && request.url.find("X-Amz-") == std::string::npos) {
    aws::HttpRequest h = header_signed;
    if (signer.Sign(h, creds, now).ok()) CheckSigned(h, now, "header-signed request rejected");
    aws::HttpRequest q = header_signed;
    if (signer.Presign(q, creds, now, std::chrono::minutes(10)).ok()) {
      CheckSigned(q, now, "presigned request rejected");
    }
  }
  return 0;
}
