// ApiServer: the HTTP server of the v1 API (cpp-httplib). Every request goes through one
// dispatcher: bearer-token check (all routes but /healthz and /readyz; constant-time compare),
// route lookup in the RouteTable (404 for unknown paths, 405 with Allow for known paths),
// the handler, then a request log line (method, path, status, ms; never the token) and the
// request counter of /metrics. Bodies over max_body_bytes get 413; every error is
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
#include "common/status.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace spotkeeper::api {

struct ApiServerOptions {
  std::string host = "127.0.0.1";
  int port = 7780;    // 0: any free port (see port())
  std::string token;  // the bearer token; must not be empty
  size_t max_body_bytes = 1 << 20;
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
