// HTTP request and response values shared by the SigV4 signer/verifier, the clients and the
// local cloud's server side. Header names keep the caller's case; lookups are case-insensitive.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace spotkeeper::aws {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The value of the first header named `name` (case-insensitive), or nullopt.
std::optional<std::string> FindHeader(const HeaderList& headers, std::string_view name);
// Replaces every header named `name` (case-insensitive) with one `name: value`.
void SetHeader(HeaderList& headers, std::string_view name, std::string value);

struct HttpRequest {
  std::string method = "POST";
  // Absolute URL as sent on the wire: scheme://host[:port]/path[?query], path and query already
  // percent-encoded (raw UTF-8 in the path is tolerated and signed as if encoded).
  std::string url;
  HeaderList headers;
  std::string body;
  // Total time allowed for this request; zero: the client's default.
  Duration timeout{0};
};

struct HttpResponse {
  int status = 0;
  HeaderList headers;
  std::string body;
};

// Sends HTTP requests. Implementations are thread-safe. A transport failure (no connection,
// timeout, TLS) is an error Status: Unavailable (cloud_code "ConnectionFailed" when the request
// surely never reached the server), DeadlineExceeded on a timeout. Any HTTP status, 4xx and 5xx
// included, is a successful Result.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

// cloud_code of a transport failure that certainly happened before the request was sent
// (connection refused, DNS failure): safe to retry even for a non-idempotent call.
inline constexpr const char* kConnectionFailed = "ConnectionFailed";

struct Url {
  std::string scheme;  // http | https
  std::string host;    // without port; IPv6 literals keep their brackets
  int port = 0;        // 0: the scheme's default
  std::string path;    // decoded, "/" when empty
  std::string query;   // as written, without '?'
  // "host" or "host:port" when the port is not the scheme's default (the Host header).
  std::string Authority() const;
  // scheme://authority
  std::string Origin() const;
};

// Parses an absolute http(s) URL. InvalidArgument when it is not one.
Result<Url> ParseUrl(std::string_view url);

}  // namespace spotkeeper::aws
