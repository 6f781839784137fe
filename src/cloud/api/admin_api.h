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
//   POST   /_spotkeeper/v1/interruptions  interrupts spot instances now (Engine::
//                                  InterruptInstances): body {"instanceIds", "noticeSeconds",
//                                  "rebalanceLeadSeconds"}; 202 {"interruptions": [...]}
//   GET    /_spotkeeper/v1/pools   every pool: prices, capacity and use ({"pools": [...]})
//   PUT    /_spotkeeper/v1/pools   sets a pool's capacity: body {"instanceType",
//                                  "availabilityZone", "market", "capacity"}; 200 {"pool",
//                                  "interruptions" (the reclaims it started)}
//   GET    /_spotkeeper/v1/cost    cost per instance, per tag and in all (market_json.h)
//   POST   /_spotkeeper/v1/probe   the workload probe (Engine::ProbeInstance): body
//                                  {"instanceId", "port", "privateIp"?, "timeoutMs"?}; 200
//                                  {"serving": true} or {"serving": false, "code", "message"}
// Shapes: market_json.h. Errors: {"code": "InvalidArgument", "message": "..."} with 400 (bad
// body; the engine's EC2 codes such as InvalidInstanceID.NotFound ride in "code"), 404 (no such
// route), 405 (method; the Allow header lists the methods), 409 (the state forbids it, e.g.
// UnsupportedOperation for an on-demand instance), 403 (authentication).
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "cloud/api/api_reply.h"
#include "cloud/api/ec2_fault_injector.h"
#include "cloud/engine/engine.h"

namespace spotkeeper::cloud {

class AdminApi {
 public:
  // Every admin path starts with this.
  static constexpr const char* kPathPrefix = "/_spotkeeper/";
  // The SigV4 service name admin requests are signed for.
  static constexpr const char* kSigningService = "spotkeeper";

  // Both must outlive the API. Without `engine` the market routes are not served.
  AdminApi(Ec2FaultInjector* faults, Engine* engine);

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
  ApiReply PostInterruptions(const std::string& body);
  ApiReply PutPool(const std::string& body);
  ApiReply PostProbe(const std::string& body);
  // The reply for an engine error: 400, 404, 409 by its code, with the EC2 code when it has one.
  static ApiReply EngineError(const Status& s);

  Ec2FaultInjector* faults_;
  Engine* engine_;
  std::map<std::string, std::map<std::string, Handler>> routes_;  // path -> method -> handler
};

}  // namespace spotkeeper::cloud
