// Helpers for route handlers: JSON replies, the error shape, and reading request bodies and
// query parameters strictly (a bad one is a 400 that names it).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/api_error.h"
#include "api/route_table.h"
#include "spec/group_spec.h"

namespace httplib {
struct Response;
}  // namespace httplib

namespace spotkeeper::api {

void SendJson(httplib::Response& res, int status, const nlohmann::json& body);
void SendError(httplib::Response& res, const ApiError& error);
inline void SendStatus(httplib::Response& res, const Status& s) { SendError(res, FromStatus(s)); }

// The body as JSON. Empty body: `empty_value` when given, else 400. Not JSON or a content type
// other than JSON: 400/415. On failure the error is sent and nullopt returned.
std::optional<nlohmann::json> ReadJsonBody(const RouteRequest& req, httplib::Response& res,
                                           std::optional<nlohmann::json> empty_value);

// A group spec from the body: JSON (application/json; also wrapped as {"group": {...}}) or
// YAML (application/yaml, application/x-yaml, text/yaml). Invalid: 422 with field errors.
std::optional<GroupSpec> ReadSpecBody(const RouteRequest& req, httplib::Response& res);

// statefulDeallocation flags {shouldDeleteImages, shouldDeleteNetworkInterfaces,
// shouldDeleteVolumes, shouldDeleteSnapshots} (booleans, each optional, default `defaults`).
// InvalidArgument naming the field for unknown keys and wrong types.
Result<DeallocationSpec> ParseDeallocation(const nlohmann::json& j,
                                           const DeallocationSpec& defaults);

// Query parameters: nullopt when absent; a bad value sends 400 and sets *failed.
std::optional<bool> QueryBool(const RouteRequest& req, const std::string& name,
                              httplib::Response& res, bool* failed);
std::optional<int64_t> QueryInt(const RouteRequest& req, const std::string& name, int64_t min,
                                int64_t max, httplib::Response& res, bool* failed);

}  // namespace spotkeeper::api
