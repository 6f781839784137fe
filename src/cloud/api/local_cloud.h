// LocalCloud: one running local cloud — its state (CloudDb in <data dir>/cloud.db), SQS queues
// and events queue, Engine, the EC2/SQS endpoint with its fault injector and admin API
// (/_spotkeeper/v1/) and the per-VPC IMDS — for `spotkeeper cloud serve`, `spotkeeper dev` and
// the tests. Holds an exclusive lock on the data dir (<data dir>/cloud.lock) so that two clouds
// never share one.
#pragma once

#include <memory>
#include <string>

#include "cloud/api/admin_api.h"
#include "cloud/api/cloud_server.h"
#include "cloud/api/ec2_fault_injector.h"
#include "cloud/api/imds_server.h"
#include "cloud/engine/engine.h"
#include "cloud/engine/sqs_service.h"

namespace spotkeeper::cloud {

struct LocalCloudOptions {
  std::string data_dir;
  std::string listen_host = "127.0.0.1";
  int port = 7781;  // 0: any free port
  std::string events_queue = "spotkeeper-events";
  EngineOptions engine;
  bool imds = true;
  ImdsOptions imds_options;
  std::string host_driver_kind;  // recorded in cloud.json for the other `cloud` verbs
  // The EC2 endpoint's faults at start (off by default; the admin API changes them later), and
  // how a fault's latency is waited out (empty: really sleep).
  Ec2FaultConfig faults;
  Ec2FaultInjector::Sleeper fault_sleeper;
};

class LocalCloud {
 public:
  // Opens the data dir (made 0700 if missing), starts everything. `driver` must outlive the
  // cloud.
  static Result<std::unique_ptr<LocalCloud>> Start(LocalCloudOptions options, HostDriver* driver);
  ~LocalCloud();  // Stop()
  void Stop();

  std::string endpoint() const { return server_->endpoint(); }
  std::string events_queue_url() const;
  const AccessKey& access_key() const { return key_; }
  const std::string& region() const { return options_.engine.region; }
  Engine* engine() { return engine_.get(); }
  SqsService* sqs() { return sqs_.get(); }
  CloudServer* server() { return server_.get(); }
  Ec2FaultInjector* faults() { return faults_.get(); }
  ImdsServer* imds() { return imds_server_.get(); }
  ImdsHandler* imds_handler() { return imds_handler_.get(); }

 private:
  LocalCloud() = default;

  LocalCloudOptions options_;
  int lock_fd_ = -1;
  AccessKey key_;
  std::unique_ptr<CloudDb> db_;
  std::unique_ptr<SqsService> sqs_;
  std::unique_ptr<EventPublisher> events_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Ec2Handler> ec2_;
  std::unique_ptr<SqsHandler> sqs_handler_;
  std::unique_ptr<Ec2FaultInjector> faults_;
  std::unique_ptr<AdminApi> admin_;
  std::unique_ptr<CloudServer> server_;
  std::unique_ptr<ImdsHandler> imds_handler_;
  std::unique_ptr<ImdsServer> imds_server_;
};

// Paths inside a cloud's data dir.
std::string CloudDbPath(const std::string& data_dir);
std::string CloudLockPath(const std::string& data_dir);
// What a running cloud wrote to <data dir>/cloud.json at start, for the other `cloud` verbs.
struct ServedCloudInfo {
  std::string endpoint;  // "http://127.0.0.1:7781"
  std::string region;
  std::string events_queue_url;
  std::string host_driver;  // linux | fake
};
// NotFound when no cloud ever started in `data_dir`.
Result<ServedCloudInfo> ReadServedCloudInfo(const std::string& data_dir);

}  // namespace spotkeeper::cloud
