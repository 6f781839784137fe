// Test harness: a controller on the fake cloud, SQLite in memory and a fake clock, with helpers
// to run until a condition holds (simulated time, bounded) and to crash/restart the controller.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "controller/controller.h"
#include "controller/serving_prober.h"
#include "provider/fake/fake_cloud.h"
#include "provider/rate_limited_provider.h"
#include "store/crashing_store.h"
#include "store/sqlite_store.h"

namespace spotkeeper::testing {

// The store's audit log, one event a line: for failure messages of tests on any cloud.
std::string FormatEventLog(Store& store);

class ControllerHarness {
 public:
  // `store_path`: the SQLite database (":memory:" by default; a file for tests of its size).
  explicit ControllerHarness(uint64_t seed = 1, FakeCloudOptions cloud_options = {},
                             const std::string& store_path = ":memory:");
  // Replaces the controller with one that uses `options` (on the same store and cloud).
  void SetControllerOptions(ControllerOptions options);
  // Replaces the controller with one whose wait_serving probes run on `prober` (not owned;
  // null: inline, the default).
  void SetServingProber(ServingProber* prober);
  // The same for health.leader's probes (ControllerDeps::leader_prober).
  void SetLeaderProber(ServingProber* prober);
  // The provider the controller calls (the fake cloud behind client-side rate limits).
  CloudProvider& provider() { return *provider_; }

  FakeCloud& cloud() { return *cloud_; }
  Controller& controller() { return *controller_; }
  Store& store() { return *base_store_; }
  CrashingStore& crashing_store() { return *store_; }
  FakeClock& clock() { return clock_; }
  const std::string& image() const { return image_; }
  // The default subnets, one per AZ, in AZ order (10.0.1.0/24 in us-east-1a, ...).
  std::vector<Subnet> subnets();

  // A valid spec: one AZ (or `azs`), /dev/sdf 10 GiB, m5.large spot + on-demand fallback.
  GroupSpec BaseSpec(const std::string& name, int azs = 1);

  // Creates the group and runs until every SSI is ACTIVE. Returns the group id.
  std::string CreateAndLaunch(const GroupSpec& spec);

  // Ticks the controller, moving the clock to the next thing that happens, until `done`
  // holds or `limit` of simulated time passes. Simulated crashes restart the controller.
  bool RunUntil(const std::function<bool()>& done, Duration limit = Duration{3'600'000});
  void RunFor(Duration d);
  void Restart();
  int64_t crashes() const { return crashes_; }

  std::vector<SsiRecord> Ssis(const std::string& group_id = "");
  SsiRecord Ssi(const std::string& id);
  bool AllIn(const std::string& group_id, SsiState state);
  std::vector<ResourceRecord> Current(const std::string& ssi_id, const std::string& kind);
  Instance CloudInstance(const std::string& id);
  Volume CloudVolume(const std::string& id);
  // The audit log, one event per line (for failure messages).
  std::string EventLog();
  // The reason of a condition ("" if absent).
  static std::string ConditionReason(const SsiRecord& s, const std::string& type);

 private:
  void NewController();

  FakeClock clock_;
  FakeCloud* cloud_ = nullptr;
  std::unique_ptr<RateLimitedProvider> provider_;
  std::unique_ptr<SqliteStore> base_store_;
  std::unique_ptr<CrashingStore> store_;
  std::unique_ptr<Controller> controller_;
  std::string image_;
  std::optional<ControllerOptions> options_;
  ServingProber* leader_prober_ = nullptr;
  ServingProber* prober_ = nullptr;
  uint64_t seed_;
  int64_t crashes_ = 0;
};

}  // namespace spotkeeper::testing
