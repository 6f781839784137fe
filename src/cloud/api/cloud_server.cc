#include "cloud/api/cloud_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "awsproto/query_decoder.h"
#include "awsproto/sigv4_verifier.h"
#include "common/http_body_guard.h"

namespace spotkeeper::cloud {
namespace {

bool IsSqsJson(const httplib::Request& req) {
  return req.get_header_value("X-Amz-Target").rfind("AmazonSQS.", 0) == 0;
}

// An error decided before the body is read, in the protocol's shape (SQS JSON by its
// X-Amz-Target header; else EC2's XML, which SQS's Query protocol shares) with `http_status`.
void Refuse(const httplib::Request& req, httplib::Response& res, int http_status,
            const std::string& code, const std::string& message, const std::string& request_id,
            bool close) {
  Status s(Code::kInvalidArgument, message, code);
  ApiReply reply = AdminApi::IsAdminPath(req.path) ? AdminApi::Error(http_status, code, message)
                   : IsSqsJson(req)                ? SqsHandler::JsonError(s, request_id)
                                                   : Ec2Handler::ErrorReply(s, request_id);
  for (const auto& [k, v] : reply.headers) res.set_header(k, v);
  if (!aws::FindHeader(reply.headers, "x-amzn-RequestId")) {
    res.set_header("x-amzn-RequestId", request_id);
  }
  if (close) return http::ReplyAndClose(res, http_status, reply.body, reply.content_type);
  res.status = http_status;
  res.set_content(reply.body, reply.content_type);
}

// The pre-body error for a failed http::CheckBodyHeaders / http::ReadBody.
void RefuseBody(const httplib::Request& req, httplib::Response& res, const Status& s,
                const std::string& request_id) {
  switch (s.code()) {
    case Code::kResourceExhausted:
      return Refuse(req, res, 413, "RequestEntityTooLarge", s.message(), request_id, true);
    case Code::kUnimplemented:
      return Refuse(req, res, 415, "UnsupportedMediaType", s.message(), request_id, true);
    default:
      return Refuse(req, res, 400, "InvalidRequest", s.message(), request_id, true);
  }
}

// How to reach the admin API, for its 403 answers.
constexpr const char* kAdminSigningHint =
    "the admin API (/_spotkeeper/) takes only requests signed with SigV4 for the service "
    "\"spotkeeper\" with this cloud's access key (`spotkeeper cloud credentials` prints it; "
    "`spotkeeper cloud faults` signs for you)";

}  // namespace

CloudServer::CloudServer(Ec2Handler* ec2, SqsHandler* sqs, AccessKey key,
                         CloudServerOptions options)
    : ec2_(ec2),
      sqs_(sqs),
      key_(std::move(key)),
      options_(std::move(options)),
      random_(Random::FromEntropy()) {}

CloudServer::~CloudServer() { Stop(); }

std::string CloudServer::endpoint() const {
  return "http://" + options_.host + ":" + std::to_string(port_);
}

std::string CloudServer::NewRequestId() {
  std::lock_guard<std::mutex> lock(mu_);
  std::string h = random_.Hex(32);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

void CloudServer::Record(const std::string& action, double ms, bool error) {
  std::lock_guard<std::mutex> lock(mu_);
  ActionStats& s = stats_[action];
  ++s.calls;
  if (error) ++s.errors;
  s.total_ms += ms;
  s.max_ms = std::max(s.max_ms, ms);
}

std::map<std::string, ActionStats> CloudServer::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

Status CloudServer::Start() {
  server_ = std::make_unique<httplib::Server>();
  int threads = options_.threads;
  server_->new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  server_->set_payload_max_length(options_.max_body_bytes);  // a backstop: Admit checks first
  server_->set_read_timeout(std::chrono::seconds(30));
  server_->set_write_timeout(std::chrono::seconds(30));
  // Idle keep-alive connections hold a worker thread, and Stop() waits for them: keep it short.
  server_->set_keep_alive_timeout(1);
  // Replies go out in two writes (headers, body); without this, delayed ACKs add ~40 ms.
  server_->set_tcp_nodelay(true);
  // Before any body byte is read: a signature must be present, and the body's framing, length
  // and encoding acceptable. (The signature itself covers the body, so it is verified later.)
  server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return Admit(&req, &res) ? httplib::Server::HandlerResponse::Handled
                             : httplib::Server::HandlerResponse::Unhandled;
  });
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { Serve(&req, &res); };
  server_->Get(".*", handler);
  // A content-reader route: httplib 0.11 would read a chunked body whole whatever
  // payload_max_length says; http::ReadBody stops at max_body_bytes.
  auto with_body = [this](const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& reader) {
    auto headers = http::CheckBodyHeaders(req, options_.max_body_bytes);
    if (!headers.ok()) {
      // Only a body Admit found worth draining gets here (too large, but not by much).
      http::DiscardBody(reader);
      return Refuse(req, res, 413, "RequestEntityTooLarge", headers.status().message(),
                    NewRequestId(), false);
    }
    auto body = http::ReadBody(*headers, reader, options_.max_body_bytes);
    if (!body.ok()) return RefuseBody(req, res, body.status(), NewRequestId());
    httplib::Request full = req;
    full.body = std::move(body).value();
    Serve(&full, &res);
  };
  server_->Post(".*", with_body);
  // PUT and DELETE are the admin API's only (AWS's Query and JSON protocols POST or GET).
  server_->Put("/_spotkeeper/.*", with_body);
  server_->Delete("/_spotkeeper/.*", with_body);
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host);
  } else {
    port_ = server_->bind_to_port(options_.host, options_.port) ? options_.port : -1;
  }
  if (port_ <= 0) {
    return Unavailable("cloud: cannot listen on " + options_.host + ":" +
                       std::to_string(options_.port));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // Bounded wait until the accept loop runs (so Stop cannot miss it): at most 5 s.
  for (int i = 0; i < 5000 && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return OkStatus();
}

void CloudServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

bool CloudServer::Admit(const void* request, void* response) {
  const auto& req = *static_cast<const httplib::Request*>(request);
  auto& res = *static_cast<httplib::Response*>(response);
  auto framing = http::ParseBodyHeaders(req);
  bool may_have_body = !framing.ok() || framing->may_have_body();
  if (req.get_header_value("Authorization").empty() && !req.has_param("X-Amz-Signature")) {
    if (AdminApi::IsAdminPath(req.path)) {
      Refuse(req, res, 403, "MissingAuthenticationToken",
             std::string("Request is missing Authentication Token: ") + kAdminSigningHint,
             NewRequestId(), may_have_body);
      Record("(unsigned)", 0, true);
      return true;
    }
    Refuse(req, res, 401, "MissingAuthenticationToken",
           "Request is missing Authentication Token (sign it with SigV4)", NewRequestId(),
           may_have_body);
    Record("(unsigned)", 0, true);
    return true;
  }
  // The query string's parameters are counted with the form body's by the Query decoder.
  Status shape = http::CheckRequestShape(req, http::kMaxRequestHeaders, aws::kMaxQueryParameters);
  if (!shape.ok()) {
    bool headers = shape.cloud_code() == "RequestHeaderFieldsTooLarge";
    Refuse(req, res, headers ? 431 : 400, headers ? shape.cloud_code() : "InvalidParameterValue",
           shape.message(), NewRequestId(), may_have_body);
    Record("(request refused)", 0, true);
    return true;
  }
  auto checked = http::CheckBodyHeaders(req, options_.max_body_bytes);
  if (!checked.ok() && checked.status().code() == Code::kResourceExhausted &&
      req.method == "POST" && http::WorthDraining(*framing, options_.max_body_bytes)) {
    return false;  // the POST route discards it and answers 413 on a kept connection
  }
  if (!checked.ok()) {
    RefuseBody(req, res, checked.status(), NewRequestId());
    Record("(body refused)", 0, true);
    return true;
  }
  return false;
}

void CloudServer::Serve(const void* request, void* response) {
  const auto& req = *static_cast<const httplib::Request*>(request);
  auto& res = *static_cast<httplib::Response*>(response);
  auto start = std::chrono::steady_clock::now();
  std::string request_id = NewRequestId();

  aws::HttpRequest signed_req;
  signed_req.method = req.method;
  std::string host = req.get_header_value("Host");
  if (host.empty()) host = options_.host + ":" + std::to_string(port_);
  signed_req.url = "http://" + host + req.target;
  for (const auto& [k, v] : req.headers) {
    // httplib adds these for the server's own use; they were not sent.
    if (k == "REMOTE_ADDR" || k == "REMOTE_PORT" || k == "LOCAL_ADDR" || k == "LOCAL_PORT")
      continue;
    signed_req.headers.emplace_back(k, v);
  }
  signed_req.body = req.body;
  if (AdminApi::IsAdminPath(req.path)) return ServeAdmin(&req, &res, request_id, signed_req);

  std::string target = req.get_header_value("X-Amz-Target");
  bool sqs_json = IsSqsJson(req);
  std::string query =
      req.target.find('?') == std::string::npos ? "" : req.target.substr(req.target.find('?') + 1);
  std::string content_type = req.get_header_value("Content-Type");
  bool form = req.method == "POST" && !sqs_json &&
              content_type.find("application/x-www-form-urlencoded") != std::string::npos;
  auto params = aws::QueryDecoder::Parse(query, form ? std::string_view(req.body) : "");
  std::string action =
      sqs_json ? target.substr(10) : (params.ok() ? params->GetOr("Action", "") : "");
  bool sqs_query = !sqs_json && SqsHandler::IsQueryAction(action);

  auto error_reply = [&](const Status& s) {
    if (sqs_json) return SqsHandler::JsonError(s, request_id);
    if (sqs_query) return SqsHandler::QueryError(s, request_id);
    return Ec2Handler::ErrorReply(s, request_id);
  };

  ApiReply reply;
  aws::VerifyOptions vo;
  vo.max_skew = options_.max_skew;
  auto verified = aws::VerifySigv4(
      signed_req,
      [this](const std::string& id) -> std::optional<std::string> {
        if (id == key_.access_key_id) return key_.secret_access_key;
        return std::nullopt;
      },
      options_.clock->Now(), vo);
  if (!verified.ok()) {
    reply = error_reply(verified.status());
  } else if (!params.ok()) {
    reply = error_reply(params.status());
  } else if (sqs_json) {
    reply = sqs_->HandleJson(action, req.body, request_id);
  } else if (sqs_query) {
    reply = sqs_->HandleQuery(*params, req.path, request_id);
  } else {
    std::optional<Status> fault;
    if (options_.faults != nullptr && ec2_->Handles(action)) {
      fault = options_.faults->Apply(action, *params);
    }
    reply = fault ? Ec2Handler::ErrorReply(*fault, request_id) : ec2_->Handle(*params, request_id);
  }
  res.status = reply.status;
  for (const auto& [k, v] : reply.headers) res.set_header(k, v);
  if (!aws::FindHeader(reply.headers, "x-amzn-RequestId")) {
    res.set_header("x-amzn-RequestId", request_id);
  }
  res.set_content(reply.body, reply.content_type);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  Record(action.empty() ? "(none)" : action, ms, reply.status >= 400);
  spdlog::debug("cloud: {} {} -> {} in {:.1f} ms", action, request_id, reply.status, ms);
}

void CloudServer::ServeAdmin(const void* request, void* response, const std::string& request_id,
                             const aws::HttpRequest& signed_req) {
  const auto& req = *static_cast<const httplib::Request*>(request);
  auto& res = *static_cast<httplib::Response*>(response);
  auto start = std::chrono::steady_clock::now();
  aws::VerifyOptions vo;
  vo.max_skew = options_.max_skew;
  vo.service = AdminApi::kSigningService;
  auto verified = aws::VerifySigv4(
      signed_req,
      [this](const std::string& id) -> std::optional<std::string> {
        if (id == key_.access_key_id) return key_.secret_access_key;
        return std::nullopt;
      },
      options_.clock->Now(), vo);
  ApiReply reply;
  if (!verified.ok()) {
    std::string code =
        verified.status().cloud_code().empty() ? "AccessDenied" : verified.status().cloud_code();
    reply = AdminApi::Error(403, code, verified.status().message() + "; " + kAdminSigningHint);
  } else if (options_.admin == nullptr) {
    reply = AdminApi::Error(404, "NotFound", "this cloud serves no admin API");
  } else {
    reply = options_.admin->Handle(req.method, req.path, req.body);
  }
  res.status = reply.status;
  for (const auto& [k, v] : reply.headers) res.set_header(k, v);
  res.set_header("x-amzn-RequestId", request_id);
  res.set_content(reply.body, reply.content_type);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  Record("(admin)", ms, reply.status >= 400);  // not by path: paths are the client's to choose
  spdlog::debug("cloud: admin {} {} {} -> {} in {:.1f} ms", req.method, req.path, request_id,
                reply.status, ms);
}

}  // namespace spotkeeper::cloud
