// EngineTest: an Engine on a FakeHostDriver, a FakeClock and a CloudDb file in a fresh temp dir,
// with no worker threads (tests drive the work with Drain()) and no watch thread. Restart()
// builds a new Engine on the same file and the same fake host, as after a crash.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "cloud/engine/engine.h"
#include "cloud/host/fake/fake_host_driver.h"

namespace spotkeeper::cloud {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sk_engine_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Open();
  }
  void TearDown() override {
    Close();
    std::filesystem::remove_all(dir_);
  }

  virtual EngineOptions Options() {
    EngineOptions o;
    o.worker_threads = 0;
    o.watch_interval = Duration{0};
    o.clock = &clock_;
    o.seed = 42;
    o.stop_grace = std::chrono::seconds(1);
    return o;
  }

  // Opens `db_file` (default: the file open before, else cloud.db).
  void Open(const std::string& db_file = "") {
    if (!db_file.empty()) current_db_ = db_file;
    if (current_db_.empty()) current_db_ = DbPath();
    auto db = CloudDb::Open(current_db_);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    sqs_ = std::make_unique<SqsService>(db_.get(), &clock_, 1000 + seed_, "000000000000",
                                        "http://127.0.0.1:1");  // new message ids after a restart
    events_ =
        std::make_unique<EventPublisher>(sqs_.get(), "events", "local-1", "000000000000", ++seed_);
    ASSERT_TRUE(events_->EnsureQueue().ok());
    EngineOptions o = Options();
    o.seed = ++seed_;
    auto e = Engine::Create(db_.get(), &driver_, events_.get(), o);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(e).value();
    Status s = engine_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Close() {
    engine_.reset();
    events_.reset();
    sqs_.reset();
    db_.reset();
  }
  // A crash and a restart: the host (the fake) keeps what it has.
  void Restart(const std::string& db_file = "") {
    Close();
    Open(db_file);
  }
  // A consistent copy of the state file now (to restore it later, as if the process had died
  // at this point with later commits lost).
  std::string SnapshotDb(const std::string& name) {
    std::string path = (dir_ / name).string();
    EXPECT_TRUE(db_->Exec("VACUUM INTO ?", {path}).ok());
    return path;
  }
  std::string DbPath() const { return (dir_ / "cloud.db").string(); }

  int Drain() { return engine_->RunQueuedWork(); }

  RunInstancesRequest Launch(const std::string& az = "local-1a") {
    RunInstancesRequest r;
    r.image_id = kBaseImageId;
    r.instance_type = "t3.micro";
    r.min_count = 1;
    r.max_count = 1;
    r.availability_zone = az;
    return r;
  }
  // Launches one instance and runs it; "" on failure.
  std::string Running(RunInstancesRequest r) {
    auto res = engine_->RunInstances(r);
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    if (!res.ok()) return "";
    Drain();
    std::string id = res->instances.at(0).instance.id;
    EXPECT_EQ(State(id), "running");
    return id;
  }
  std::string Running() { return Running(Launch()); }
  std::string State(const std::string& id) {
    auto v = engine_->FindInstance(id);
    return v ? v->instance.state : "(none)";
  }
  VolumeRecord Volume(const std::string& id) {
    DescribeRequest d;
    d.ids = {id};
    auto page = engine_->DescribeVolumes(d);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() && !page->items.empty() ? page->items[0] : VolumeRecord{};
  }
  std::string VolumeState(const std::string& id) {
    DescribeRequest d;
    d.ids = {id};
    auto page = engine_->DescribeVolumes(d);
    if (!page.ok()) return page.status().cloud_code();
    return page->items.at(0).state;
  }
  // Instance states named in the events queue, in order.
  std::vector<std::string> EventStates(const std::string& instance_id) {
    std::vector<std::string> out;
    for (int i = 0; i < 50; ++i) {
      auto got = sqs_->ReceiveMessage("events", 10, 3600, 0);
      if (!got.ok() || got->empty()) break;
      for (const SqsReceived& m : *got) {
        nlohmann::json j = nlohmann::json::parse(m.body);
        if (j["detail"]["instance-id"] == instance_id) out.push_back(j["detail"]["state"]);
      }
    }
    return out;
  }
  // What the engine says should exist equals what the fake host has: nothing leaked, nothing
  // doubled.
  void ExpectHostMatchesState() {
    HostInventory inv = engine_->Inventory();
    std::set<std::string> want_volumes(inv.volumes.begin(), inv.volumes.end());
    EXPECT_EQ(driver_.Volumes(), want_volumes);
    std::set<std::string> want_nics, have_nics;
    for (const NicConfig& n : inv.nics) want_nics.insert(n.eni_id);
    for (const auto& [id, n] : driver_.Nics()) have_nics.insert(id);
    EXPECT_EQ(have_nics, want_nics);
    std::set<std::string> want_instances(inv.running_instances.begin(),
                                         inv.running_instances.end());
    std::set<std::string> have_instances;
    for (const auto& [id, i] : driver_.Instances()) have_instances.insert(id);
    EXPECT_EQ(have_instances, want_instances);
  }

  FakeClock clock_;
  FakeHostDriver driver_;
  std::filesystem::path dir_;
  std::string current_db_;
  uint64_t seed_ = 100;
  std::unique_ptr<CloudDb> db_;
  std::unique_ptr<SqsService> sqs_;
  std::unique_ptr<EventPublisher> events_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace spotkeeper::cloud
