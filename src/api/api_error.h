// ApiError: the one error shape of the REST API, {code, message, details}, and the one place
// where Status codes become HTTP statuses (HttpStatusFor).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "spec/group_spec.h"

namespace spotkeeper::api {

struct ApiError {
  int http_status = 500;
  // A Status code name ("NotFound", "InvalidArgument", ...) or, for errors only HTTP knows,
  // "MethodNotAllowed", "PayloadTooLarge", "UnsupportedMediaType".
  std::string code;
  std::string message;
  nlohmann::json details = nlohmann::json::object();

  nlohmann::json ToJson() const;
};

// NotFound 404, InvalidArgument 400, FailedPrecondition/AlreadyExists/Aborted 409,
// Unauthenticated 401, PermissionDenied 403, ResourceExhausted 429, Unavailable 503,
// DeadlineExceeded 504, Unimplemented 501, everything else 500.
int HttpStatusFor(Code code);

// An error Status as an ApiError (the cloud's own code, when there is one, goes to
// details.cloudCode).
ApiError FromStatus(const Status& status, nlohmann::json details = nlohmann::json::object());

// A group spec that does not validate: 422 with details.fieldErrors [{path, message}].
ApiError InvalidSpec(const std::vector<ValidationError>& errors);

// Errors that no Status code describes.
ApiError MethodNotAllowed(const std::string& method, const std::string& path,
                          const std::vector<std::string>& allowed);
ApiError RouteNotFound(const std::string& method, const std::string& path);
ApiError PayloadTooLarge(size_t max_bytes);
ApiError UnsupportedMediaType(const std::string& content_type,
                              const std::vector<std::string>& accepted);

}  // namespace spotkeeper::api
