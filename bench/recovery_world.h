// RecoveryWorld: what bench/recovery runs on, in one process like `spotkeeper dev`: the local
// cloud on the real Linux host driver (spot market on, its random interruptions off), the
// controller server (ec2 provider pointed at the cloud, every call logged with its time), a
// second provider for the direct "floor" replacements, the REST calls the bench makes and a
// Redis client that talks from inside the VPC. Stop() (also from the destructor) removes
// everything the cloud made on the host and the data directory.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/server_app.h"
#include "cloud/api/local_cloud.h"
#include "provider/ec2/ec2_provider.h"
#include "recovery_call_log.h"

namespace spotkeeper::bench {

struct SsiView {
  std::string id, state, instance_id, private_ip, workflow_status;
  nlohmann::json raw;
};

class RecoveryWorld {
 public:
  // Makes a fresh data directory under /var/tmp and starts everything. Root only.
  static Result<std::unique_ptr<RecoveryWorld>> Start(const std::string& log_level);
  ~RecoveryWorld();  // Stop()
  void Stop();

  cloud::Engine& engine() { return *cloud_->engine(); }
  cloud::HostDriver& driver() { return *driver_; }
  CallLogProvider& calls() { return *call_log_; }
  // The direct replacements' calls go through their own provider (same endpoint), logged.
  CallLogProvider& floor_calls() { return *floor_call_log_; }
  cloud::LocalCloud& cloud() { return *cloud_; }

  // The examples/redis.yaml spec mapped to the local cloud (dev's mapping), as YAML text.
  Result<std::string> ExampleSpec(const std::string& example_yaml);

  // REST: create a group from YAML, the group's first SSI, recycle, the recovery history.
  Result<std::string> CreateGroup(const std::string& yaml);
  Result<SsiView> FirstSsi(const std::string& group_id);
  Status Recycle(const std::string& ssi_id);
  Result<nlohmann::json> Recoveries(const std::string& ssi_id);
  Status DeleteGroup(const std::string& group_id);

  // Redis commands from inside the VPC (dev's client; 2 s connect/read timeout).
  Result<std::vector<std::string>> Redis(const std::string& vpc_id, const std::string& ip,
                                         const std::vector<std::vector<std::string>>& cmds);

 private:
  RecoveryWorld() = default;
  Status StartAll(const std::string& log_level);
  Result<nlohmann::json> Rest(const std::string& method, const std::string& path,
                              const std::string& body, const std::string& content_type);

  std::string dir_;
  std::unique_ptr<cloud::HostDriver> driver_;
  std::unique_ptr<cloud::LocalCloud> cloud_;
  std::unique_ptr<Ec2Provider> provider_;
  std::unique_ptr<CallLogProvider> call_log_;
  std::unique_ptr<Ec2Provider> floor_provider_;
  std::unique_ptr<CallLogProvider> floor_call_log_;
  std::unique_ptr<api::ServerApp> server_;
  bool stopped_ = false;
};

}  // namespace spotkeeper::bench
