#include "api/api_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>

#include "api/api_error.h"
#include "api/http_util.h"
#include "api/log_setup.h"
#include "api/openapi.h"
#include "common/http_body_guard.h"

namespace spotkeeper::api {
namespace {

// Set by the dispatcher, read by the request logger: both run on the worker thread that
// handles the request.
thread_local std::chrono::steady_clock::time_point t_request_start;
thread_local bool t_request_started = false;
thread_local std::string t_route;

// Sends `error`; when a request body may follow unread, also closes the connection (see
// http::ReplyAndClose).
void Refuse(httplib::Response& res, const ApiError& error, bool close) {
  SendError(res, error);
  if (!close) return;
  std::string body = std::move(res.body);
  http::ReplyAndClose(res, error.http_status, std::move(body), "application/json");
}

ApiError BodyError(const Status& s, size_t max_bytes) {
  switch (s.code()) {
    case Code::kResourceExhausted:
      return PayloadTooLarge(max_bytes);
    case Code::kUnimplemented:
      return {415, "UnsupportedMediaType", s.message(), {{"acceptedEncodings", {"identity"}}}};
    default:
      return FromStatus(s);  // InvalidArgument: bad framing; 400
  }
}

}  // namespace

bool TokensEqual(const std::string& a, const std::string& b) {
  // Compare every byte of the longer string so the time says nothing about the token.
  size_t n = std::max(a.size(), b.size());
  unsigned char diff = static_cast<unsigned char>(a.size() != b.size());
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

ApiServer::ApiServer(ApiServerOptions options, ApiServices services)
    : options_(std::move(options)), services_(std::move(services)) {
  AddSystemRoutes(routes_, &services_, [this] { return OpenApi(); });
  AddGroupRoutes(routes_, &services_);
  AddInstanceRoutes(routes_, &services_);
  AddImportRoutes(routes_, &services_);
  AddEventRoutes(routes_, &services_, options_.streams);
  AddDashboardRoutes(routes_);
}

ApiServer::~ApiServer() { Stop(); }

nlohmann::json ApiServer::OpenApi() const { return BuildOpenApi(routes_); }

bool ApiServer::Authorized(const httplib::Request& req) const {
  std::string h = req.get_header_value("Authorization");
  const std::string scheme = "bearer ";
  if (h.size() <= scheme.size()) return false;
  for (size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(h[i])) != scheme[i]) return false;
  }
  std::string presented = h.substr(scheme.size());
  while (!presented.empty() && presented.back() == ' ') presented.pop_back();
  return TokensEqual(presented, options_.token);
}

bool ApiServer::Admit(const httplib::Request& req, httplib::Response& res) {
  t_request_start = std::chrono::steady_clock::now();
  t_request_started = true;
  t_route = "unmatched";
  RouteTable::Match m = routes_.Find(req.method, req.path);
  if (m.route != nullptr) t_route = m.route->path;
  auto body = http::ParseBodyHeaders(req);
  bool may_have_body = !body.ok() || body->may_have_body();
  bool open = m.route != nullptr && !m.route->auth;
  if (!open && !Authorized(req)) {
    ApiError e = FromStatus(Unauthenticated(
        req.has_header("Authorization")
            ? "the bearer token is wrong"
            : "this route needs 'Authorization: Bearer <token>'; the token is in the server's "
              "data directory (file 'token')"));
    Refuse(res, e, may_have_body);
    return true;
  }
  Status shape = http::CheckRequestShape(req, options_.max_headers, options_.max_query_params);
  if (!shape.ok()) {
    bool headers = shape.cloud_code() == "RequestHeaderFieldsTooLarge";
    ApiError e{headers ? 431 : 400,
               headers ? "RequestHeaderFieldsTooLarge" : "InvalidArgument",
               shape.message(),
               {{"limit", headers ? "headers" : "queryParameters"},
                {"max", headers ? options_.max_headers : options_.max_query_params}}};
    Refuse(res, e, may_have_body);
    return true;
  }
  auto checked = http::CheckBodyHeaders(req, options_.max_body_bytes);
  if (checked.ok()) return false;
  bool content_route = req.method == "POST" || req.method == "PUT" || req.method == "PATCH" ||
                       req.method == "DELETE";  // the content-reader routes
  if (checked.status().code() == Code::kResourceExhausted && content_route &&
      http::WorthDraining(*body, options_.max_body_bytes)) {
    return false;  // ReadThenDispatch discards it and answers 413 on a kept connection
  }
  Refuse(res, BodyError(checked.status(), options_.max_body_bytes), may_have_body);
  return true;
}

void ApiServer::ReadThenDispatch(const httplib::Request& req, httplib::Response& res,
                                 const httplib::ContentReader& reader) {
  // Admit has checked the headers; a multipart body would need a multipart receiver.
  auto headers = http::CheckBodyHeaders(req, options_.max_body_bytes);
  if (!headers.ok()) {
    // Only a body Admit found worth draining gets here (too large, but not by much).
    http::DiscardBody(reader);
    return Refuse(res, BodyError(headers.status(), options_.max_body_bytes), false);
  }
  if (req.is_multipart_form_data()) {
    return Refuse(res,
                  UnsupportedMediaType(req.get_header_value("Content-Type"),
                                       {"application/json", "application/yaml"}),
                  headers->may_have_body());
  }
  auto body = http::ReadBody(*headers, reader, options_.max_body_bytes);
  if (!body.ok()) return Refuse(res, BodyError(body.status(), options_.max_body_bytes), true);
  httplib::Request with_body = req;
  with_body.body = std::move(body).value();
  Dispatch(with_body, res);
}

void ApiServer::Dispatch(const httplib::Request& req, httplib::Response& res) {
  // Admit has matched the route (for the log) and checked the token.
  RouteTable::Match m = routes_.Find(req.method, req.path);
  if (m.route == nullptr) {
    if (m.allowed.empty()) return SendError(res, RouteNotFound(req.method, req.path));
    return SendError(res, MethodNotAllowed(req.method, req.path, m.allowed));
  }
  if (req.method != "GET" && services_.ha) {
    HaStatus ha = services_.ha();
    if (!ha.leader) {
      std::string where = ha.leader_name.empty() ? "no leader is elected at the moment"
                                                 : "the leader is " + ha.leader_name;
      return SendError(res, FromStatus(Status(Code::kUnavailable,
                                              "this controller is a follower and serves reads "
                                              "only; " +
                                                  where + ": send writes there")
                                           .WithRetryAfter(std::chrono::seconds(1))));
    }
  }
  RouteRequest rr{req, std::move(m.params), m.route->path};
  try {
    m.route->handler(rr, res);
  } catch (const std::exception& e) {
    spdlog::error("{} {}: handler threw: {}", req.method, req.path, e.what());
    SendError(res, FromStatus(Internal(std::string("internal error: ") + e.what())));
  }
}

Status ApiServer::Start() {
  if (started_) return OkStatus();
  if (options_.token.empty()) return InvalidArgument("the API server needs a token");
  http_ = std::make_unique<httplib::Server>();
  int threads = options_.threads;
  http_->new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  http_->set_payload_max_length(options_.max_body_bytes);  // a backstop: Admit checks first
  http_->set_read_timeout(30, 0);
  http_->set_write_timeout(30, 0);
  http_->set_keep_alive_timeout(5);  // an idle keep-alive connection holds a worker thread
  // Before any body byte is read: the token, then the body's framing, length and encoding.
  http_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return Admit(req, res) ? httplib::Server::HandlerResponse::Handled
                           : httplib::Server::HandlerResponse::Unhandled;
  });
  auto dispatch = [this](const httplib::Request& req, httplib::Response& res) {
    Dispatch(req, res);
  };
  // Content-reader routes: httplib 0.11 would read a chunked body whole whatever
  // payload_max_length says; ReadThenDispatch stops at max_body_bytes.
  auto read_then_dispatch = [this](const httplib::Request& req, httplib::Response& res,
                                   const httplib::ContentReader& reader) {
    ReadThenDispatch(req, res, reader);
  };
  http_->Get(".*", dispatch);
  http_->Post(".*", read_then_dispatch);
  http_->Put(".*", read_then_dispatch);
  http_->Patch(".*", read_then_dispatch);
  http_->Delete(".*", read_then_dispatch);
  http_->Options(".*", dispatch);
  // Errors httplib produces itself (413, 400 for bad requests, 404 without a handler): the
  // same JSON shape. Responses that already have a body are left alone.
  size_t max = options_.max_body_bytes;
  http_->set_error_handler([max](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || res.content_provider_) return;
    if (res.status == 413) return SendError(res, PayloadTooLarge(max));
    if (res.status == 404) return SendError(res, RouteNotFound(req.method, req.path));
    SendError(res, ApiError{res.status, "BadRequest",
                            "the server could not handle the request (HTTP " +
                                std::to_string(res.status) + ")",
                            nlohmann::json::object()});
  });
  http_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        SendError(res, FromStatus(Internal("internal error: " + what)));
      });
  Metrics* metrics = services_.metrics;
  http_->set_logger([metrics](const httplib::Request& req, const httplib::Response& res) {
    double ms = 0;
    if (t_request_started) {
      ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                     t_request_start)
               .count();
    }
    std::string route = t_request_started ? t_route : "unmatched";
    t_request_started = false;
    if (metrics != nullptr) metrics->ObserveRequest(req.method, route, res.status);
    spdlog::level::level_enum level = spdlog::level::debug;
    if (res.status >= 500) {
      level = spdlog::level::warn;
    } else if (req.method != "GET" || res.status >= 400) {
      level = spdlog::level::info;
    }
    if (!spdlog::should_log(level)) return;
    char took[32];
    std::snprintf(took, sizeof took, "%.1f", ms);
    LogWithFields(level,
                  req.method + " " + req.path + " " + std::to_string(res.status) + " " + took +
                      "ms from " + req.remote_addr,
                  {{"event", "request"},
                   {"method", req.method},
                   {"path", req.path},
                   {"route", route},
                   {"status", res.status},
                   {"ms", ms},
                   {"remote", req.remote_addr}});
  });

  if (options_.port == 0) {
    port_ = http_->bind_to_any_port(options_.host);
    if (port_ <= 0) {
      return Unavailable("cannot listen on " + options_.host +
                         " (any port): " + std::strerror(errno));
    }
  } else {
    if (!http_->bind_to_port(options_.host, options_.port)) {
      return Unavailable("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                         ": " + std::strerror(errno) +
                         " (is another server using that port? choose another with --listen)");
    }
    port_ = options_.port;
  }
  thread_ = std::thread([this] { http_->listen_after_bind(); });
  // stop() only works once the accept loop runs: wait for it (it starts at once).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!http_->is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  started_ = true;
  return OkStatus();
}

void ApiServer::Stop() {
  if (!started_) return;
  started_ = false;
  if (services_.events != nullptr) services_.events->Shutdown();
  http_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace spotkeeper::api
