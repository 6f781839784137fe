// The local cloud's request handlers in process, for fuzz targets: an in-memory CloudDb, the
// Engine on a FakeHostDriver with no worker threads (queued work runs when a target drains it),
// and the EC2, SQS and IMDS handlers over it, with one running instance whose address IMDS
// answers. Built once per process (Get()); a target's inputs change its state, as real clients
// would.
#pragma once

#include <memory>
#include <string>

#include "cloud/api/ec2_handler.h"
#include "cloud/api/imds_handler.h"
#include "cloud/api/sqs_handler.h"
#include "cloud/engine/cloud_db.h"
#include "cloud/engine/engine.h"
#include "cloud/engine/event_publisher.h"
#include "cloud/engine/sqs_service.h"
#include "cloud/host/fake/fake_host_driver.h"
#include "common/time.h"

namespace spotkeeper::fuzz {

class CloudFixture {
 public:
  static CloudFixture& Get();

  cloud::Engine& engine() { return *engine_; }
  cloud::Ec2Handler& ec2() { return *ec2_; }
  cloud::SqsHandler& sqs() { return *sqs_handler_; }
  cloud::ImdsHandler& imds() { return *imds_; }
  // The running instance's VPC and private address (IMDS callers).
  const std::string& vpc_id() const { return vpc_id_; }
  const std::string& instance_ip() const { return instance_ip_; }
  // Runs the engine's queued work (bounded: the fake host finishes each item at once).
  void Drain() { engine_->RunQueuedWork(); }

 private:
  CloudFixture();

  FakeClock clock_;
  cloud::FakeHostDriver driver_;
  std::unique_ptr<cloud::CloudDb> db_;
  std::unique_ptr<cloud::SqsService> sqs_;
  std::unique_ptr<cloud::EventPublisher> events_;
  std::unique_ptr<cloud::Engine> engine_;
  std::unique_ptr<cloud::Ec2Handler> ec2_;
  std::unique_ptr<cloud::SqsHandler> sqs_handler_;
  std::unique_ptr<cloud::ImdsHandler> imds_;
  std::string vpc_id_;
  std::string instance_ip_;
};

}  // namespace spotkeeper::fuzz
