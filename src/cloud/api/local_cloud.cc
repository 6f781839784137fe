#include "cloud/api/local_cloud.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace spotkeeper::cloud {

std::string CloudDbPath(const std::string& data_dir) { return data_dir + "/cloud.db"; }
std::string CloudLockPath(const std::string& data_dir) { return data_dir + "/cloud.lock"; }

Result<ServedCloudInfo> ReadServedCloudInfo(const std::string& data_dir) {
  std::ifstream in(data_dir + "/cloud.json");
  if (!in) return NotFound("no cloud has run in " + data_dir);
  std::stringstream buf;
  buf << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(buf.str(), nullptr, false);
  if (!j.is_object()) return FailedPrecondition(data_dir + "/cloud.json is not JSON");
  ServedCloudInfo info;
  info.endpoint = j.value("endpoint", "");
  info.region = j.value("region", "");
  info.events_queue_url = j.value("eventsQueueUrl", "");
  info.host_driver = j.value("hostDriver", "");
  return info;
}

Result<std::unique_ptr<LocalCloud>> LocalCloud::Start(LocalCloudOptions options,
                                                      HostDriver* driver) {
  if (options.data_dir.empty()) return InvalidArgument("cloud: no data dir");
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return Unavailable("cloud: cannot make " + options.data_dir + ": " + ec.message());
  chmod(options.data_dir.c_str(), 0700);
  std::unique_ptr<LocalCloud> c(new LocalCloud());
  c->options_ = options;
  c->lock_fd_ = open(CloudLockPath(options.data_dir).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (c->lock_fd_ < 0 || flock(c->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return FailedPrecondition("cloud: another cloud runs on " + options.data_dir);
  }
  SK_ASSIGN_OR_RETURN(c->key_, LoadOrCreateAccessKey(options.data_dir));
  SK_ASSIGN_OR_RETURN(c->db_, CloudDb::Open(CloudDbPath(options.data_dir)));
  const Clock* clock = options.engine.clock;
  uint64_t seed = options.engine.seed != 0 ? options.engine.seed : Random::FromEntropy().Next();
  c->sqs_ = std::make_unique<SqsService>(c->db_.get(), clock, seed + 1, options.engine.account_id,
                                         "http://127.0.0.1");
  c->events_ =
      std::make_unique<EventPublisher>(c->sqs_.get(), options.events_queue, options.engine.region,
                                       options.engine.account_id, seed + 2);
  SK_RETURN_IF_ERROR(c->events_->EnsureQueue());
  SK_ASSIGN_OR_RETURN(c->engine_,
                      Engine::Create(c->db_.get(), driver, c->events_.get(), options.engine));
  c->ec2_ = std::make_unique<Ec2Handler>(
      c->engine_.get(), RenderContext{options.engine.region, options.engine.account_id});
  c->sqs_handler_ = std::make_unique<SqsHandler>(c->sqs_.get());
  c->faults_ = std::make_unique<Ec2FaultInjector>(clock, seed + 3, options.fault_sleeper);
  SK_RETURN_IF_ERROR(c->faults_->Set(options.faults));
  c->admin_ = std::make_unique<AdminApi>(c->faults_.get(), c->engine_.get());
  CloudServerOptions so;
  so.host = options.listen_host;
  so.port = options.port;
  so.region = options.engine.region;
  so.clock = clock;
  so.faults = c->faults_.get();
  so.admin = c->admin_.get();
  c->server_ = std::make_unique<CloudServer>(c->ec2_.get(), c->sqs_handler_.get(), c->key_, so);
  SK_RETURN_IF_ERROR(c->server_->Start());
  c->sqs_->SetEndpoint(c->server_->endpoint());
  {
    std::ofstream out(options.data_dir + "/cloud.json");
    out << nlohmann::json{{"endpoint", c->server_->endpoint()},
                          {"region", options.engine.region},
                          {"eventsQueueUrl", c->sqs_->QueueUrl(options.events_queue)},
                          {"hostDriver", options.host_driver_kind}}
               .dump(2)
        << "\n";
  }
  if (options.imds) {
    c->imds_handler_ = std::make_unique<ImdsHandler>(c->engine_.get(), clock);
    Engine* engine = c->engine_.get();
    c->imds_handler_->SetExtraPaths([engine](const std::string& id, const std::string& path) {
      return engine->SpotMetadata(id, path);
    });
    c->imds_server_ =
        std::make_unique<ImdsServer>(c->imds_handler_.get(), driver, options.imds_options);
    ImdsServer* imds = c->imds_server_.get();
    c->engine_->SetVpcAvailableListener([imds](const VpcRecord& vpc) {
      Status s = imds->StartVpc(vpc.id);
      if (!s.ok()) spdlog::warn("cloud: {}", s.ToString());
    });
  }
  SK_RETURN_IF_ERROR(c->engine_->Start());
  return c;
}

std::string LocalCloud::events_queue_url() const { return sqs_->QueueUrl(options_.events_queue); }

void LocalCloud::Stop() {
  if (sqs_) sqs_->Close();
  if (faults_) faults_->Clear();  // releases calls held for latency
  if (server_) server_->Stop();
  if (engine_) engine_->Shutdown();
  if (imds_server_) imds_server_->StopAll();
  if (lock_fd_ >= 0) {
    close(lock_fd_);
    lock_fd_ = -1;
  }
}

LocalCloud::~LocalCloud() { Stop(); }

}  // namespace spotkeeper::cloud
