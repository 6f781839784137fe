#include "cloud/api/imds_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <thread>

#include "common/http_body_guard.h"

namespace spotkeeper::cloud {
namespace {

constexpr size_t kImdsMaxBodyBytes = 4096;
// IMDS reads no query parameters; a few are tolerated (clients add cache busters).
constexpr size_t kImdsMaxQueryParams = 16;

// IMDS answers errors as plain text. The body is unread: close the connection after it.
void RefuseBody(httplib::Response& res, const Status& s) {
  int status = s.code() == Code::kResourceExhausted ? 413
               : s.code() == Code::kUnimplemented   ? 415
                                                    : 400;
  http::ReplyAndClose(res, status, s.message() + "\n", "text/plain");
}

}  // namespace

struct ImdsServer::Listener {
  httplib::Server server;
  std::atomic<int> port{0};
  std::atomic<bool> failed{false};
  std::unique_ptr<VpcThread> thread;
};

ImdsServer::ImdsServer(ImdsHandler* handler, HostDriver* driver, ImdsOptions options)
    : handler_(handler), driver_(driver), options_(std::move(options)) {}

ImdsServer::~ImdsServer() { StopAll(); }

Status ImdsServer::StartVpc(const std::string& vpc_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (listeners_.count(vpc_id) > 0) return OkStatus();
  auto l = std::make_unique<Listener>();
  Listener* raw = l.get();
  auto handle = [this, vpc_id](const httplib::Request& req, httplib::Response& res) {
    aws::HeaderList headers(req.headers.begin(), req.headers.end());
    std::string source =
        options_.source_of ? options_.source_of(vpc_id, req.remote_addr) : req.remote_addr;
    ApiReply r = handler_->Handle(vpc_id, source, req.method, req.path, headers);
    for (const auto& [k, v] : r.headers) res.set_header(k, v);
    res.status = r.status;
    res.set_content(r.body, r.content_type);
  };
  // IMDS takes no bodies (PUT /latest/api/token has none): refuse a large or encoded one from
  // its headers, before it is read, and read what is left through a capped content reader
  // (httplib 0.11 would read a chunked or length-less body whole).
  raw->server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    Status shape = http::CheckRequestShape(req, http::kMaxRequestHeaders, kImdsMaxQueryParams);
    if (!shape.ok()) {
      bool headers = shape.cloud_code() == "RequestHeaderFieldsTooLarge";
      http::ReplyAndClose(res, headers ? 431 : 400,
                          headers ? "Request Header Fields Too Large" : "Bad Request",
                          "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    }
    auto checked = http::CheckBodyHeaders(req, kImdsMaxBodyBytes);
    if (checked.ok()) return httplib::Server::HandlerResponse::Unhandled;
    RefuseBody(res, checked.status());
    return httplib::Server::HandlerResponse::Handled;
  });
  raw->server.set_payload_max_length(kImdsMaxBodyBytes);  // a backstop
  raw->server.Get(".*", handle);
  raw->server.Put(".*", [handle](const httplib::Request& req, httplib::Response& res,
                                 const httplib::ContentReader& reader) {
    auto headers = http::CheckBodyHeaders(req, kImdsMaxBodyBytes);
    if (!headers.ok()) return RefuseBody(res, headers.status());
    auto body = http::ReadBody(*headers, reader, kImdsMaxBodyBytes);
    if (!body.ok()) return RefuseBody(res, body.status());
    handle(req, res);
  });
  raw->server.set_keep_alive_max_count(20);
  raw->server.set_keep_alive_timeout(1);
  raw->server.set_tcp_nodelay(true);
  std::string host = options_.bind_host;
  int port = options_.port;
  auto thread = driver_->RunInVpc(vpc_id, [raw, host, port] {
    int bound = port;
    if (port == 0) {
      bound = raw->server.bind_to_any_port(host);
    } else if (!raw->server.bind_to_port(host, port)) {
      bound = -1;
    }
    if (bound <= 0) {
      raw->failed = true;
      return;
    }
    raw->port = bound;
    raw->server.listen_after_bind();
  });
  if (!thread.ok()) return thread.status().Annotate("imds for " + vpc_id);
  raw->thread = std::move(thread).value();
  // Bounded wait for the listener to run (so Stop cannot miss it): at most 5 s.
  for (int i = 0; i < 5000 && !raw->failed && !raw->server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (raw->failed || !raw->server.is_running()) {
    raw->server.stop();
    raw->thread.reset();
    return Unavailable("imds for " + vpc_id + ": cannot listen on " + host + ":" +
                       std::to_string(port));
  }
  spdlog::info("cloud: IMDS for {} listening on {}:{}", vpc_id, host, raw->port.load());
  listeners_[vpc_id] = std::move(l);
  return OkStatus();
}

int ImdsServer::PortFor(const std::string& vpc_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = listeners_.find(vpc_id);
  return it == listeners_.end() ? 0 : it->second->port.load();
}

void ImdsServer::StopAll() {
  std::map<std::string, std::unique_ptr<Listener>> listeners;
  {
    std::lock_guard<std::mutex> lock(mu_);
    listeners.swap(listeners_);
  }
  for (auto& [id, l] : listeners) {
    l->server.stop();
    l->thread.reset();  // joins
  }
}

}  // namespace spotkeeper::cloud
