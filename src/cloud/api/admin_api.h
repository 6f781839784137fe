// AdminApi: the local cloud's own API for people and tests, JSON over HTTP on the EC2/SQS
// listener under /_spotkeeper/v1/. Only holders of the cloud's access key may use it:
// CloudServer verifies each request's SigV4 signature (the EC2 endpoint's verifier, signing
// service name "spotkeeper") before it gets here, and answers 403 to unsigned requests and bad
// signatures. CloudAdminClient (cloud_admin_client.h) is the client.
//
// Routes (v1):
//   GET    /_spotkeeper/v1/faults  the EC2 endpoint's faults and what they did so far:
//                                  {"ec2": {Ec2FaultConfigToJson}, "stats": {"ec2": {...}}}
//   PUT    /_spotkeeper/v1/faults  replaces them: body {"ec2": {...}} (absent keys: off);
//                                  answers like GET
//   DELETE /_spotkeeper/v1/faults  turns every fault off; answers like GET
// Errors: {"code": "InvalidArgument", "message": "..."} with 400 (bad body), 404 (no such
// route), 405 (method; the Allow header lists the methods), 403 (authentication).
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "cloud/api/api_reply.h"
#include "cloud/api/ec2_fault_injector.h"

namespace spotkeeper::cloud {

class AdminApi {
 public:
  // Every admin path starts with this.
  static constexpr const char* kPathPrefix = "/_spotkeeper/";
  // The SigV4 service name admin requests are signed for.
  static constexpr const char* kSigningService = "spotkeeper";

  // `faults` must outlive the API.
  explicit AdminApi(Ec2FaultInjector* faults);

  static bool IsAdminPath(const std::string& path);
  // Serves one authenticated request. `path` has no query string.
  ApiReply Handle(const std::string& method, const std::string& path, const std::string& body);
  // The error reply shape.
  static ApiReply Error(int http_status, const std::string& code, const std::string& message);

 private:
  using Handler = std::function<ApiReply(const std::string& body)>;
  void Route(const std::string& method, const std::string& path, Handler handler);
  ApiReply FaultsReply() const;
  ApiReply PutFaults(const std::string& body);

  Ec2FaultInjector* faults_;
  std::map<std::string, std::map<std::string, Handler>> routes_;  // path -> method -> handler
};

}  // namespace spotkeeper::cloud
