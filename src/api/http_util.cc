#include "api/http_util.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>

#include "common/json_depth.h"
#include "spec/closest_match.h"

namespace spotkeeper::api {
namespace {

std::string MediaType(const std::string& content_type) {
  std::string t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  std::transform(t.begin(), t.end(), t.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return t;
}

bool IsJsonType(const std::string& t) {
  return t.empty() || t == "application/json" ||
         (t.size() > 5 && t.compare(t.size() - 5, 5, "+json") == 0);
}

bool IsYamlType(const std::string& t) {
  return t == "application/yaml" || t == "application/x-yaml" || t == "text/yaml" ||
         t == "text/x-yaml";
}

bool AllBlank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

}  // namespace

void SendJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                  "application/json");
}

void SendError(httplib::Response& res, const ApiError& error) {
  if (error.http_status == 401) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"spotkeeper\"");
  }
  if (error.http_status == 405 && error.details.contains("allowedMethods")) {
    std::string allow;
    for (const auto& m : error.details["allowedMethods"]) {
      allow += (allow.empty() ? "" : ", ") + m.get<std::string>();
    }
    res.set_header("Allow", allow);
  }
  if (error.details.contains("retryAfterMs")) {
    int64_t ms = error.details["retryAfterMs"].get<int64_t>();
    res.set_header("Retry-After", std::to_string(std::max<int64_t>(1, (ms + 999) / 1000)));
  }
  SendJson(res, error.http_status, error.ToJson());
}

std::optional<nlohmann::json> ReadJsonBody(const RouteRequest& req, httplib::Response& res,
                                           std::optional<nlohmann::json> empty_value) {
  const std::string& body = req.http.body;
  if (AllBlank(body)) {
    if (empty_value) return empty_value;
    SendError(res, FromStatus(InvalidArgument("the request body is empty; send a JSON object")));
    return std::nullopt;
  }
  std::string type = MediaType(req.Header("Content-Type"));
  if (!IsJsonType(type)) {
    SendError(res, UnsupportedMediaType(type, {"application/json"}));
    return std::nullopt;
  }
  if (JsonNestingDepth(body) > kMaxJsonDepth) {
    SendError(res, FromStatus(InvalidArgument("the request body nests arrays and objects deeper "
                                              "than " +
                                              std::to_string(kMaxJsonDepth) + " levels")));
    return std::nullopt;
  }
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    // Parse again with exceptions for the position of the problem.
    std::string why = "malformed";
    try {
      nlohmann::json again = nlohmann::json::parse(body);
      why = again.type_name();
    } catch (const nlohmann::json::parse_error& e) {
      why = e.what();
    }
    SendError(res, FromStatus(InvalidArgument("the request body is not JSON: " + why)));
    return std::nullopt;
  }
  if (!j.is_object()) {
    SendError(res, FromStatus(InvalidArgument("the request body must be a JSON object")));
    return std::nullopt;
  }
  return j;
}

std::optional<GroupSpec> ReadSpecBody(const RouteRequest& req, httplib::Response& res) {
  const std::string& body = req.http.body;
  if (AllBlank(body)) {
    SendError(res, FromStatus(InvalidArgument(
                       "the request body is empty; send the group spec as JSON or YAML")));
    return std::nullopt;
  }
  std::string type = MediaType(req.Header("Content-Type"));
  ParseOutcome out;
  if (IsYamlType(type)) {
    out = ParseGroupSpec(body);
  } else if (IsJsonType(type)) {
    auto j = ReadJsonBody(req, res, std::nullopt);
    if (!j) return std::nullopt;
    if (j->size() == 1 && j->contains("group") && (*j)["group"].is_object()) {
      *j = (*j)["group"];  // Elastigroup's {"group": {...}} wrapper
    }
    out = ParseGroupSpecJson(*j);
  } else {
    SendError(res, UnsupportedMediaType(type, {"application/json", "application/yaml",
                                               "application/x-yaml", "text/yaml"}));
    return std::nullopt;
  }
  if (!out.ok()) {
    SendError(res, InvalidSpec(out.errors));
    return std::nullopt;
  }
  return out.spec;
}

Result<DeallocationSpec> ParseDeallocation(const nlohmann::json& j,
                                           const DeallocationSpec& defaults) {
  if (j.is_null()) return defaults;
  if (!j.is_object()) return InvalidArgument("statefulDeallocation must be an object");
  static const std::vector<std::string> kKeys = {"shouldDeleteImages",
                                                 "shouldDeleteNetworkInterfaces",
                                                 "shouldDeleteVolumes", "shouldDeleteSnapshots"};
  DeallocationSpec d = defaults;
  for (const auto& [k, v] : j.items()) {
    if (std::find(kKeys.begin(), kKeys.end(), k) == kKeys.end()) {
      auto near = ClosestMatch(k, kKeys);
      return InvalidArgument("statefulDeallocation." + k + " is not a field" +
                             (near ? "; did you mean '" + *near + "'?"
                                   : "; the fields are shouldDeleteImages, "
                                     "shouldDeleteNetworkInterfaces, shouldDeleteVolumes, "
                                     "shouldDeleteSnapshots"));
    }
    if (!v.is_boolean()) {
      return InvalidArgument("statefulDeallocation." + k + " must be true or false");
    }
    bool b = v.get<bool>();
    if (k == "shouldDeleteImages") d.should_delete_images = b;
    if (k == "shouldDeleteNetworkInterfaces") d.should_delete_network_interfaces = b;
    if (k == "shouldDeleteVolumes") d.should_delete_volumes = b;
    if (k == "shouldDeleteSnapshots") d.should_delete_snapshots = b;
  }
  return d;
}

std::optional<bool> QueryBool(const RouteRequest& req, const std::string& name,
                              httplib::Response& res, bool* failed) {
  auto v = req.Query(name);
  if (!v) return std::nullopt;
  if (*v == "true" || *v == "1" || v->empty()) return true;
  if (*v == "false" || *v == "0") return false;
  *failed = true;
  SendError(res, FromStatus(InvalidArgument("query parameter " + name + " must be true or " +
                                            "false, not '" + *v + "'")));
  return std::nullopt;
}

std::optional<int64_t> QueryInt(const RouteRequest& req, const std::string& name, int64_t min,
                                int64_t max, httplib::Response& res, bool* failed) {
  auto v = req.Query(name);
  if (!v) return std::nullopt;
  int64_t n = 0;
  bool ok = !v->empty() && v->size() <= 18;
  for (char c : *v) ok = ok && std::isdigit(static_cast<unsigned char>(c));
  if (ok) n = std::stoll(*v);
  if (!ok || n < min || n > max) {
    *failed = true;
    SendError(res, FromStatus(InvalidArgument("query parameter " + name +
                                              " must be an integer "
                                              "from " +
                                              std::to_string(min) + " to " + std::to_string(max) +
                                              ", not '" + *v + "'")));
    return std::nullopt;
  }
  return n;
}

}  // namespace spotkeeper::api
