#include "cloud_fixture.h"

#include <cstdio>
#include <cstdlib>

namespace spotkeeper::fuzz {
namespace {

template <typename T>
T Must(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "cloud fixture: %s: %s\n", what, r.status().ToString().c_str());
    std::abort();
  }
  return std::move(r).value();
}

}  // namespace

CloudFixture& CloudFixture::Get() {
  static CloudFixture* fixture = new CloudFixture();  // never destroyed: targets run to exit
  return *fixture;
}

CloudFixture::CloudFixture() {
  db_ = Must(cloud::CloudDb::Open(":memory:"), "open db");
  sqs_ = std::make_unique<cloud::SqsService>(db_.get(), &clock_, 7, "000000000000",
                                             "http://127.0.0.1:1");
  events_ =
      std::make_unique<cloud::EventPublisher>(sqs_.get(), "events", "local-1", "000000000000", 8);
  if (!events_->EnsureQueue().ok()) std::abort();
  cloud::EngineOptions o;
  o.worker_threads = 0;
  o.watch_interval = Duration{0};
  o.clock = &clock_;
  o.seed = 9;
  o.stop_grace = std::chrono::seconds(1);
  engine_ = Must(cloud::Engine::Create(db_.get(), &driver_, events_.get(), o), "engine");
  if (!engine_->Start().ok()) std::abort();
  ec2_ = std::make_unique<cloud::Ec2Handler>(engine_.get(),
                                             cloud::RenderContext{"local-1", "000000000000"});
  sqs_handler_ = std::make_unique<cloud::SqsHandler>(sqs_.get());
  imds_ = std::make_unique<cloud::ImdsHandler>(engine_.get(), &clock_);
  cloud::Engine* engine = engine_.get();
  imds_->SetExtraPaths([engine](const std::string& id, const std::string& path) {
    return engine->SpotMetadata(id, path);
  });
  cloud::RunInstancesRequest r;
  r.image_id = cloud::kBaseImageId;
  r.instance_type = "t3.small";
  r.min_count = r.max_count = 1;
  r.availability_zone = "local-1a";
  r.user_data = "#!/bin/sh\necho hi\n";
  r.tag_specs = {{"instance", {{"Name", "fuzz"}}}};
  auto run = Must(engine_->RunInstances(r), "run instance");
  Drain();
  vpc_id_ = run.instances.at(0).instance.vpc_id;
  instance_ip_ = run.instances.at(0).instance.private_ip;
}

}  // namespace spotkeeper::fuzz
