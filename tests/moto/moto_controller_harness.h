// MotoControllerHarness: the Controller over RateLimitedProvider(Ec2Provider(moto_server)), an
// in-memory SQLite store and the real clock. moto changes a resource's state at once, so a flow
// takes as long as its HTTP calls; RunUntil ticks the controller, sleeping only until the next
// moment the controller says it has work (its Tick result), never for a fixed time, and gives up
// at a deadline. The controller's intervals are shortened (sweep, reconcile, reap) so that it
// notices what a test did within a fraction of a second.
//
// Cloud reads of the helpers (CloudInstance, ...) go to the Ec2Provider directly, not through the
// rate limiter, so they do not spend the controller's request tokens (nor through injected
// faults).
//
// With `faults`, the controller's provider is RateLimitedProvider(FaultInjectingProvider(
// Ec2Provider)), as `spotkeeper server --provider-faults` builds it, and RunUntil's default limit
// is longer (retried steps back off). Latency is not injected here: on the real clock it would
// be real sleeping (the fault tests on a FakeClock cover it).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controller/controller.h"
#include "provider/ec2/ec2_provider.h"
#include "provider/fault_injecting_provider.h"
#include "provider/rate_limited_provider.h"
#include "store/sqlite_store.h"

namespace spotkeeper::testing {

class MotoControllerHarness {
 public:
  // `ec2` talks to moto (its config names the events queue, if any).
  explicit MotoControllerHarness(std::unique_ptr<Ec2Provider> ec2, uint64_t seed = 1,
                                 ProviderFaults faults = {});

  // Looks up the default VPC's subnets and registers the base image groups boot from.
  Status Init();

  Ec2Provider& ec2() { return *ec2_; }
  Controller& controller() { return *controller_; }
  Store& store() { return *store_; }
  const std::string& image() const { return image_; }
  // The default VPC's subnets, one per AZ, in AZ order (us-east-1a first).
  const std::vector<Subnet>& subnets() const { return subnets_; }
  int64_t ticks() const { return ticks_; }

  // One AZ (or `azs`), /dev/sdf 10 GiB, m5.large/m5a.large spot with on-demand fallback, root,
  // data (reattach) and private IP persistence, a 1 s draining timeout.
  GroupSpec BaseSpec(const std::string& name, int azs = 1) const;

  // Creates the group and runs until it has spec.capacity.target SSIs, all ACTIVE. Returns the
  // group id ("" and a test failure otherwise).
  std::string CreateAndLaunch(const GroupSpec& spec);

  // Ticks the controller until `done` holds or `limit` (real time; default 30 s, 120 s with
  // faults) passes. An SSI in ERROR ends the wait early (false): no flow here expects one, and it
  // will not leave ERROR by itself.
  bool RunUntil(const std::function<bool()>& done, std::optional<Duration> limit = std::nullopt);
  // The injected faults (null without faults).
  FaultInjectingProvider* faults() { return faults_; }

  // --- the store ---
  std::vector<SsiRecord> Ssis(const std::string& group_id);
  bool AnyError();
  SsiRecord Ssi(const std::string& id);
  // The SSI's resources of `kind` with status "current" (and `role`, if given).
  std::vector<ResourceRecord> Current(const std::string& ssi_id, const std::string& kind,
                                      const std::string& role = "");
  // Any status; nullopt when the store has no such record.
  std::optional<ResourceRecord> Resource(const std::string& id);
  // The SSI's newest workflow of `kind`, its data parsed.
  nlohmann::json LastWorkflowData(const std::string& ssi_id, const std::string& kind);
  // The audit log, one event per line (for failure messages).
  std::string EventLog();
  // The reason of a condition ("" if absent).
  static std::string ConditionReason(const SsiRecord& s, const std::string& type);

  // --- moto (nullopt: moto does not know the id) ---
  std::optional<Instance> CloudInstance(const std::string& id);
  std::optional<Volume> CloudVolume(const std::string& id);
  std::optional<Snapshot> CloudSnapshot(const std::string& id);
  std::optional<Image> CloudImage(const std::string& id);
  std::optional<NetworkInterface> CloudEni(const std::string& id);

 private:
  Ec2Provider* ec2_ = nullptr;  // owned by provider_
  FaultInjectingProvider* faults_ = nullptr;  // owned by provider_, when there are faults
  Duration default_limit_ = std::chrono::seconds(30);
  std::unique_ptr<RateLimitedProvider> provider_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Controller> controller_;
  std::vector<Subnet> subnets_;
  std::string image_;
  int64_t ticks_ = 0;
};

}  // namespace spotkeeper::testing
