// ApiServer: the HTTP server of the v1 API (cpp-httplib). Before any body byte is read, every
// request is admitted: bearer-token check (all routes but the open ones such as /healthz and
// /readyz; constant-time compare, 401), then the body's headers (Content-Length over
// max_body_bytes 413, Content-Encoding other than identity 415, bad framing 400); a refusal
// with a body still unread closes the connection. Bodies are then read up to max_body_bytes
// (a longer chunked body: 413), the route looked up in the RouteTable (404 for unknown paths,
// 405 with Allow for known paths) and the handler run; then a request log line (method, path,
// status, ms; never the token) and the request counter of /metrics. Every error is
// {code, message, details}.
//
// Thread safety: Start/Stop from one thread; handlers run on the server's worker threads.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "api/api_routes.h"
#include "api/api_services.h"
#include "api/route_table.h"
#include "common/http_body_guard.h"
#include "common/status.h"

namespace httplib {
class Server;
class ContentReader;
struct Request;
struct Response;
}  // namespace httplib

namespace spotkeeper::api {

struct ApiServerOptions {
  std::string host = "127.0.0.1";
  int port = 7780;    // 0: any free port (see port())
  std::string token;  // the bearer token; must not be empty
  size_t max_body_bytes = 1 << 20;
  size_t max_headers = http::kMaxRequestHeaders;  // more: 431
  size_t max_query_params = 32;                   // more: 400 (no route takes more than 8)
  int threads = 24;  // worker threads; each open event stream holds one
  EventStreamOptions streams;
};

class ApiServer {
 public:
  // `services` pointers must outlive the server.
  ApiServer(ApiServerOptions options, ApiServices services);
  ~ApiServer();

  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds and starts serving on a thread. Unavailable when the address cannot be bound.
  Status Start();
  // Stops accepting, ends event streams, waits for requests in flight. Idempotent.
  void Stop();

  int port() const { return port_; }
  const RouteTable& routes() const { return routes_; }
  nlohmann::json OpenApi() const;

 private:
  // The pre-routing check; true when it has answered (refused) the request.
  bool Admit(const httplib::Request& req, httplib::Response& res);
  void ReadThenDispatch(const httplib::Request& req, httplib::Response& res,
                        const httplib::ContentReader& reader);
  void Dispatch(const httplib::Request& req, httplib::Response& res);
  bool Authorized(const httplib::Request& req) const;

  ApiServerOptions options_;
  ApiServices services_;
  RouteTable routes_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
  bool started_ = false;
};

// Constant-time comparison (the time does not depend on where the strings differ).
bool TokensEqual(const std::string& a, const std::string& b);

}  // namespace spotkeeper::api
