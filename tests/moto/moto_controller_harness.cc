#include "moto/moto_controller_harness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "controller/cloud_lookup.h"
#include "controller/controller_harness.h"
#include "spec/spec_validator.h"

namespace spotkeeper::testing {
namespace {

template <typename T>
std::optional<T> OrNothing(Result<std::optional<T>> r, const std::string& id) {
  EXPECT_TRUE(r.ok()) << "describe " << id << ": " << r.status().ToString();
  return r.ok() ? *r : std::nullopt;
}

}  // namespace

MotoControllerHarness::MotoControllerHarness(std::unique_ptr<Ec2Provider> ec2, uint64_t seed,
                                             ProviderFaults faults) {
  const Clock* clock = SystemClock::Default();
  ec2_ = ec2.get();
  std::unique_ptr<CloudProvider> base = std::move(ec2);
  if (!faults.empty()) {
    EXPECT_EQ(faults.all.latency.count(), 0) << "no latency on the real clock";
    auto injecting = std::make_unique<FaultInjectingProvider>(std::move(base), faults);
    faults_ = injecting.get();
    base = std::move(injecting);
    default_limit_ = std::chrono::seconds(120);
  }
  provider_ = std::make_unique<RateLimitedProvider>(std::move(base), clock);
  auto opened = SqliteStore::Open(":memory:", clock);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  if (opened.ok()) store_ = std::move(opened.value());

  ControllerDeps deps;
  deps.store = store_.get();
  deps.cloud = provider_.get();
  deps.clock = clock;
  deps.seed = seed;
  ControllerOptions o;
  o.reconcile_interval = Duration{250};
  o.sweep_interval = Duration{500};
  o.reap_interval = Duration{250};
  // Nothing a test makes is an orphan, and moto's clock is the test's: no orphan passes.
  o.orphan_interval = std::chrono::hours(1);
  o.orphan_grace = std::chrono::hours(1);
  controller_ = std::make_unique<Controller>(deps, o);
}

Status MotoControllerHarness::Init() {
  SK_ASSIGN_OR_RETURN(std::vector<Subnet> all, ec2_->DescribeSubnets({}));
  std::sort(all.begin(), all.end(), [](const Subnet& a, const Subnet& b) {
    return a.availability_zone < b.availability_zone;
  });
  subnets_.clear();
  for (const Subnet& s : all) {
    if (subnets_.empty() || subnets_.back().availability_zone != s.availability_zone) {
      subnets_.push_back(s);
    }
  }
  if (subnets_.size() < 2) return FailedPrecondition("moto has fewer than two default subnets");
  // A bootable image of our own: volume -> snapshot -> RegisterImage.
  CreateVolumeRequest v;
  v.availability_zone = subnets_[0].availability_zone;
  v.size_gib = 8;
  SK_ASSIGN_OR_RETURN(Volume vol, ec2_->CreateVolume(v));
  SK_ASSIGN_OR_RETURN(Snapshot snap,
                      ec2_->CreateSnapshot(CreateSnapshotRequest{vol.id, "base", {}, ""}));
  RegisterImageRequest r;
  r.name = "debian-12-base";
  r.root_device_name = "/dev/xvda";
  r.block_devices = {{"/dev/xvda", snap.id, 8, true}};
  SK_ASSIGN_OR_RETURN(Image img, ec2_->RegisterImage(r));
  image_ = img.id;
  return OkStatus();
}

GroupSpec MotoControllerHarness::BaseSpec(const std::string& name, int azs) const {
  GroupSpec s;
  s.name = name;
  s.region = "us-east-1";
  for (int i = 0; i < azs; ++i) {
    const Subnet& sub = subnets_.at(static_cast<size_t>(i));
    s.compute.availability_zones.push_back({sub.availability_zone, {sub.id}});
  }
  s.compute.instance_types.spot = {"m5.large", "m5a.large"};
  s.compute.instance_types.ondemand = "m5.large";
  s.compute.launch_specification.image_id = image_;
  s.compute.launch_specification.block_device_mappings = {{"/dev/sdf", 10, "gp3", false}};
  s.compute.launch_specification.tags = {{"team", "data"}};
  s.strategy.persistence = {true, true, true, BlockDevicesMode::kReattach};
  s.strategy.draining_timeout_seconds = 1;
  s.capacity = {1, 0, 3};
  return s;
}

std::string MotoControllerHarness::CreateAndLaunch(const GroupSpec& spec) {
  for (const ValidationError& e : ValidateGroupSpec(spec)) ADD_FAILURE() << e.ToString();
  auto g = controller_->CreateGroup(spec, "test");
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  if (!g.ok()) return "";
  std::string id = g->id;
  bool ok = RunUntil([&] {
    auto ssis = Ssis(id);
    return static_cast<int>(ssis.size()) == spec.capacity.target &&
           std::all_of(ssis.begin(), ssis.end(),
                       [](const SsiRecord& s) { return s.state == SsiState::kActive; });
  });
  EXPECT_TRUE(ok) << "group " << id << " did not become ACTIVE; events:\n" << EventLog();
  return ok ? id : "";
}

bool MotoControllerHarness::RunUntil(const std::function<bool()>& done,
                                     std::optional<Duration> limit) {
  const Clock* clock = SystemClock::Default();
  const Time deadline = clock->Now() + limit.value_or(default_limit_);
  while (true) {
    ++ticks_;
    Time next = controller_->Tick();
    if (done()) return true;
    if (AnyError()) return false;
    Time now = clock->Now();
    if (now >= deadline) return false;
    // Nothing changes on moto by itself: until `next` the controller has nothing to do.
    Time wake = std::min(next, deadline);
    if (wake > now) std::this_thread::sleep_for(wake - now);
  }
}

bool MotoControllerHarness::AnyError() {
  auto groups = store_->ListGroups(true);
  if (!groups.ok()) return false;
  for (const GroupRecord& g : *groups) {
    for (const SsiRecord& s : Ssis(g.id)) {
      if (s.state == SsiState::kError) return true;
    }
  }
  return false;
}

std::vector<SsiRecord> MotoControllerHarness::Ssis(const std::string& group_id) {
  auto r = store_->ListSsis(group_id);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<SsiRecord>{};
}

SsiRecord MotoControllerHarness::Ssi(const std::string& id) {
  auto r = store_->GetSsi(id);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : SsiRecord{};
}

std::vector<ResourceRecord> MotoControllerHarness::Current(const std::string& ssi_id,
                                                           const std::string& kind,
                                                           const std::string& role) {
  std::vector<ResourceRecord> out;
  auto r = store_->ListResources(ssi_id);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return out;
  for (const auto& x : *r) {
    if (x.kind == kind && x.status == "current" && (role.empty() || x.role == role)) {
      out.push_back(x);
    }
  }
  return out;
}

std::optional<ResourceRecord> MotoControllerHarness::Resource(const std::string& id) {
  auto r = store_->GetResource(id);
  if (r.ok()) return *r;
  EXPECT_EQ(r.status().code(), Code::kNotFound) << r.status().ToString();
  return std::nullopt;
}

nlohmann::json MotoControllerHarness::LastWorkflowData(const std::string& ssi_id,
                                                       const std::string& kind) {
  auto r = store_->ListWorkflows(ssi_id);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  const WorkflowRecord* last = nullptr;
  if (r.ok()) {
    for (const auto& w : *r) {
      if (w.kind == kind && (last == nullptr || w.created_at >= last->created_at)) last = &w;
    }
  }
  EXPECT_NE(last, nullptr) << ssi_id << " has no " << kind << " workflow";
  if (last == nullptr) return nlohmann::json::object();
  return nlohmann::json::parse(last->data_json, nullptr, false);
}

std::string MotoControllerHarness::EventLog() { return FormatEventLog(*store_); }

std::string MotoControllerHarness::ConditionReason(const SsiRecord& s, const std::string& type) {
  return ControllerHarness::ConditionReason(s, type);
}

std::optional<Instance> MotoControllerHarness::CloudInstance(const std::string& id) {
  return OrNothing(DescribeInstance(*ec2_, id), id);
}
std::optional<Volume> MotoControllerHarness::CloudVolume(const std::string& id) {
  return OrNothing(DescribeVolume(*ec2_, id), id);
}
std::optional<Snapshot> MotoControllerHarness::CloudSnapshot(const std::string& id) {
  return OrNothing(DescribeSnapshot(*ec2_, id), id);
}
std::optional<Image> MotoControllerHarness::CloudImage(const std::string& id) {
  return OrNothing(DescribeImage(*ec2_, id), id);
}
std::optional<NetworkInterface> MotoControllerHarness::CloudEni(const std::string& id) {
  return OrNothing(DescribeEni(*ec2_, id), id);
}

}  // namespace spotkeeper::testing
