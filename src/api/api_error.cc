#include "api/api_error.h"

namespace spotkeeper::api {

nlohmann::json ApiError::ToJson() const {
  return {{"code", code}, {"message", message}, {"details", details}};
}

int HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 400;
    case Code::kUnauthenticated:
      return 401;
    case Code::kPermissionDenied:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kAlreadyExists:
    case Code::kFailedPrecondition:
    case Code::kAborted:
      return 409;
    case Code::kResourceExhausted:
      return 429;
    case Code::kUnimplemented:
      return 501;
    case Code::kUnavailable:
      return 503;
    case Code::kDeadlineExceeded:
      return 504;
    case Code::kCancelled:
    case Code::kInternal:
      return 500;
  }
  return 500;
}

ApiError FromStatus(const Status& status, nlohmann::json details) {
  ApiError e;
  e.http_status = HttpStatusFor(status.code());
  e.code = CodeName(status.code());
  e.message = status.message();
  if (!details.is_object()) details = nlohmann::json::object();
  if (!status.cloud_code().empty()) details["cloudCode"] = status.cloud_code();
  if (status.retry_after()) details["retryAfterMs"] = status.retry_after()->count();
  e.details = std::move(details);
  return e;
}

ApiError InvalidSpec(const std::vector<ValidationError>& errors) {
  ApiError e;
  e.http_status = 422;
  e.code = CodeName(Code::kInvalidArgument);
  nlohmann::json fields = nlohmann::json::array();
  for (const auto& v : errors) fields.push_back({{"path", v.path}, {"message", v.message}});
  e.message = "the group spec has " + std::to_string(errors.size()) + " problem" +
              (errors.size() == 1 ? "" : "s");
  if (!errors.empty()) e.message += "; first: " + errors.front().ToString();
  e.details = {{"fieldErrors", fields}};
  return e;
}

ApiError MethodNotAllowed(const std::string& method, const std::string& path,
                          const std::vector<std::string>& allowed) {
  std::string list;
  for (const auto& m : allowed) list += (list.empty() ? "" : ", ") + m;
  return {405,
          "MethodNotAllowed",
          method + " is not allowed on " + path + "; allowed: " + list,
          {{"allowedMethods", allowed}}};
}

ApiError RouteNotFound(const std::string& method, const std::string& path) {
  return {404,
          CodeName(Code::kNotFound),
          "no route for " + method + " " + path +
              "; the API lives under /api/v1 and is described at /api/v1/openapi.json",
          {{"openapi", "/api/v1/openapi.json"}}};
}

ApiError PayloadTooLarge(size_t max_bytes) {
  return {413,
          "PayloadTooLarge",
          "the request body is larger than " + std::to_string(max_bytes) + " bytes",
          {{"maxBytes", max_bytes}}};
}

ApiError UnsupportedMediaType(const std::string& content_type,
                              const std::vector<std::string>& accepted) {
  std::string list;
  for (const auto& m : accepted) list += (list.empty() ? "" : ", ") + m;
  return {415,
          "UnsupportedMediaType",
          "Content-Type '" + content_type + "' is not accepted here; send one of: " + list,
          {{"accepted", accepted}}};
}

}  // namespace spotkeeper::api
