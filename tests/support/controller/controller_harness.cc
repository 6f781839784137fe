#include "controller/controller_harness.h"

#include <algorithm>

namespace spotkeeper::testing {

ControllerHarness::ControllerHarness(uint64_t seed, FakeCloudOptions cloud_options,
                                     const std::string& store_path)
    : seed_(seed) {
  auto cloud = std::make_unique<FakeCloud>(&clock_, seed, cloud_options);
  cloud_ = cloud.get();
  provider_ = std::make_unique<RateLimitedProvider>(std::move(cloud), &clock_);
  image_ = cloud_->AddImage("debian-12-base", 8);
  auto opened = SqliteStore::Open(store_path, &clock_);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  base_store_ = std::move(opened.value());
  store_ = std::make_unique<CrashingStore>(base_store_.get());
  NewController();
}

void ControllerHarness::NewController() {
  ControllerDeps deps;
  deps.store = store_.get();
  deps.cloud = provider_.get();
  deps.clock = &clock_;
  deps.seed = seed_ * 7919 + static_cast<uint64_t>(crashes_);
  deps.prober = prober_;
  deps.leader_prober = leader_prober_;
  ControllerOptions o;
  o.orphan_grace = Duration{600'000};
  o.orphan_interval = Duration{120'000};
  controller_ = std::make_unique<Controller>(deps, options_.value_or(o));
}

void ControllerHarness::SetServingProber(ServingProber* prober) {
  prober_ = prober;
  NewController();
}

void ControllerHarness::SetLeaderProber(ServingProber* prober) {
  leader_prober_ = prober;
  NewController();
}

void ControllerHarness::SetControllerOptions(ControllerOptions options) {
  options_ = std::move(options);
  NewController();
}

void ControllerHarness::Restart() {
  ++crashes_;
  NewController();
}

std::vector<Subnet> ControllerHarness::subnets() {
  auto s = cloud_->subnets();
  std::sort(s.begin(), s.end(), [](const Subnet& a, const Subnet& b) {
    return a.availability_zone < b.availability_zone;
  });
  return s;
}

GroupSpec ControllerHarness::BaseSpec(const std::string& name, int azs) {
  GroupSpec s;
  s.name = name;
  s.region = "us-east-1";
  auto subnets = this->subnets();
  for (int i = 0; i < azs; ++i) {
    s.compute.availability_zones.push_back(
        {subnets[static_cast<size_t>(i)].availability_zone, {subnets[static_cast<size_t>(i)].id}});
  }
  s.compute.instance_types.spot = {"m5.large", "m5a.large"};
  s.compute.instance_types.ondemand = "m5.large";
  s.compute.launch_specification.image_id = image_;
  s.compute.launch_specification.block_device_mappings = {{"/dev/sdf", 10, "gp3", false}};
  s.compute.launch_specification.tags = {{"team", "data"}};
  s.strategy.persistence = {true, true, true, BlockDevicesMode::kReattach};
  s.strategy.draining_timeout_seconds = 30;
  s.capacity = {1, 0, 3};
  return s;
}

std::string ControllerHarness::CreateAndLaunch(const GroupSpec& spec) {
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
  return id;
}

bool ControllerHarness::RunUntil(const std::function<bool()>& done, Duration limit) {
  const Time end = clock_.Now() + limit;
  int same = 0;
  while (clock_.Now() <= end) {
    Time next = clock_.Now();
    try {
      // Through a fresh local: GCC -O2 may build the result in place in `next`, so a Tick
      // that throws would leave it half-written.
      const Time t = controller_->Tick();
      next = t;
    } catch (const SimulatedCrash&) {
      Restart();
    }
    if (done()) return true;
    Time wake = std::min(next, cloud_->NextTransitionTime());
    if (wake <= clock_.Now()) {
      if (++same > 100) {
        wake = clock_.Now() + Duration{100};
        same = 0;
      }
    }
    if (wake > clock_.Now()) clock_.Set(std::min(wake, end + Duration{1}));
  }
  return done();
}

void ControllerHarness::RunFor(Duration d) {
  Time end = clock_.Now() + d;
  RunUntil([&] { return clock_.Now() >= end; }, d + Duration{1});
}

std::vector<SsiRecord> ControllerHarness::Ssis(const std::string& group_id) {
  auto r = base_store_->ListSsis(group_id);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<SsiRecord>{};
}

SsiRecord ControllerHarness::Ssi(const std::string& id) {
  auto r = base_store_->GetSsi(id);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : SsiRecord{};
}

bool ControllerHarness::AllIn(const std::string& group_id, SsiState state) {
  auto ssis = Ssis(group_id);
  return !ssis.empty() && std::all_of(ssis.begin(), ssis.end(),
                                      [&](const SsiRecord& s) { return s.state == state; });
}

std::vector<ResourceRecord> ControllerHarness::Current(const std::string& ssi_id,
                                                       const std::string& kind) {
  std::vector<ResourceRecord> out;
  auto r = base_store_->ListResources(ssi_id);
  if (!r.ok()) return out;
  for (const auto& x : *r) {
    if (x.kind == kind && x.status == "current") out.push_back(x);
  }
  return out;
}

Instance ControllerHarness::CloudInstance(const std::string& id) {
  for (const auto& i : cloud_->AllInstances()) {
    if (i.id == id) return i;
  }
  ADD_FAILURE() << "no instance " << id;
  return {};
}

Volume ControllerHarness::CloudVolume(const std::string& id) {
  for (const auto& v : cloud_->AllVolumes()) {
    if (v.id == id) return v;
  }
  ADD_FAILURE() << "no volume " << id;
  return {};
}

std::string ControllerHarness::EventLog() { return FormatEventLog(*base_store_); }

std::string FormatEventLog(Store& store) {
  std::string out;
  auto events = store.ListEvents(EventQuery{});
  if (!events.ok()) return events.status().ToString();
  for (const auto& e : *events) {
    out += FormatTime(e.at) + " " + e.actor + " " + (e.ssi_id.empty() ? e.group_id : e.ssi_id) +
           " " + e.kind + ": " + e.message + "\n";
  }
  return out;
}

std::string ControllerHarness::ConditionReason(const SsiRecord& s, const std::string& type) {
  for (const auto& c : s.conditions) {
    if (c.type == type) return c.reason;
  }
  return "";
}

}  // namespace spotkeeper::testing
