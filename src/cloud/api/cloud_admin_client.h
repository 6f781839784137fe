// CloudAdminClient: the client of a running local cloud's admin API (admin_api.h), for the
// `spotkeeper cloud` chaos verbs and tests. Finds the cloud the way `spotkeeper cloud
// credentials` does (cloud.json and credentials.json in its data dir), signs each request with
// SigV4 for the service "spotkeeper" with the cloud's access key, and sends it through any
// aws::HttpClient (the CLI uses CurlHttpClient). Call() is the one generic request; the typed
// methods wrap it, one per route.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "awsproto/http_message.h"
#include "cloud/api/access_keys.h"
#include "cloud/api/ec2_fault_injector.h"
#include "cloud/api/market_json.h"
#include "common/status.h"
#include "common/time.h"

namespace spotkeeper::cloud {

// Where a cloud serves and the key to sign with.
struct AdminTarget {
  std::string data_dir;  // for messages
  std::string endpoint;  // "http://127.0.0.1:7781"
  std::string region;
  AccessKey key;
};

// The EC2 endpoint's faults as the admin API reports them.
struct Ec2FaultsState {
  Ec2FaultConfig config;
  Ec2FaultStats stats;
};

class CloudAdminClient {
 public:
  // The cloud in `data_dir`: FailedPrecondition saying how to start one when no cloud ever ran
  // there (no cloud.json) or it has no access key.
  static Result<AdminTarget> FindCloud(const std::string& data_dir);

  // `http` and `clock` must outlive the client.
  CloudAdminClient(aws::HttpClient* http, AdminTarget target,
                   const Clock* clock = SystemClock::Default());

  // One signed request to `path` (under /_spotkeeper/v1/), with a JSON body unless it is null.
  // Returns the JSON answer of a 2xx; otherwise a Status whose message is the server's
  // (InvalidArgument for 400, PermissionDenied for 403, NotFound for 404, Unavailable when no
  // cloud answers at the endpoint: it is not serving).
  Result<nlohmann::json> Call(const std::string& method, const std::string& path,
                              const nlohmann::json& body = nullptr);

  Result<Ec2FaultsState> GetFaults();
  Result<Ec2FaultsState> SetFaults(const Ec2FaultConfig& config);
  Result<Ec2FaultsState> ClearFaults();

  // The spot market (POST /interruptions, GET and PUT /pools, GET /cost).
  Result<std::vector<ScheduledInterruption>> Interrupt(const InterruptRequest& req);
  Result<std::vector<PoolView>> GetPools();
  // The pool as it is now and the reclaims the change started.
  struct PoolChange {
    PoolView pool;
    std::vector<ScheduledInterruption> interruptions;
  };
  Result<PoolChange> SetPoolCapacity(const PoolCapacityRequest& req);
  Result<CostReport> GetCost();

  const AdminTarget& target() const { return target_; }

 private:
  aws::HttpClient* http_;
  AdminTarget target_;
  const Clock* clock_;
};

}  // namespace spotkeeper::cloud
