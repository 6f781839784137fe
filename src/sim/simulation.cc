#include "sim/simulation.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "controller/controller.h"
#include "provider/fake/fake_cloud.h"
#include "provider/rate_limited_provider.h"
#include "sim/invariant_checker.h"
#include "store/crashing_store.h"
#include "store/fake_election.h"
#include "store/fenced_store.h"
#include "store/sqlite_store.h"

namespace spotkeeper {
namespace {

const std::vector<std::string> kTypes = {"m5.large", "m5a.large", "c5.large"};

// A group spec of one of the persistence modes, with randomised knobs.
GroupSpec MakeSpec(int kind, int index, Random& rng, const std::vector<Subnet>& subnets,
                   const std::string& image) {
  GroupSpec s;
  s.name = "g" + std::to_string(index);
  s.region = "us-east-1";
  auto add_az = [&](int i) {
    s.compute.availability_zones.push_back({subnets[i].availability_zone, {subnets[i].id}});
  };
  PersistenceSpec& p = s.strategy.persistence;
  auto data = [&](std::vector<std::string> devices) {
    for (const auto& d : devices) {
      s.compute.launch_specification.block_device_mappings.push_back({d, 10, "gp3", false});
    }
  };
  switch (kind) {
    case 0:  // reattach with private IP, single AZ, root persists
      add_az(0);
      p = {true, true, true, BlockDevicesMode::kReattach};
      data({"/dev/sdf"});
      s.name += "-reattach-ip";
      break;
    case 1:  // onLaunch snapshots across AZs
      add_az(0), add_az(1), add_az(2);
      p = {false, true, false, BlockDevicesMode::kOnLaunch};
      data({"/dev/sdf", "/dev/sdg"});
      s.name += "-onlaunch";
      break;
    case 2:  // root persistence only
      add_az(0), add_az(1);
      p = {true, false, false, BlockDevicesMode::kReattach};
      s.name += "-root";
      break;
    case 3:  // an IP pool, reattach, two AZs
      add_az(0), add_az(1);
      p = {false, true, true, BlockDevicesMode::kReattach};
      data({"/dev/sdf"});
      for (const char* net : {"10.0.1.", "10.0.2."}) {
        for (int k = 0; k < 2; ++k) {
          s.compute.private_ips.push_back(net + std::to_string(50 + 10 * index + k));
        }
      }
      s.name += "-ippool";
      break;
    case 4:  // reattach across AZs (moves through snapshots)
      add_az(1), add_az(2);
      p = {true, true, false, BlockDevicesMode::kReattach};
      data({"/dev/sdf"});
      s.name += "-reattach-multi";
      break;
    default:  // everything: root + onLaunch + IP
      add_az(1);
      p = {true, true, true, BlockDevicesMode::kOnLaunch};
      data({"/dev/sdf"});
      s.name += "-all";
      break;
  }
  s.compute.launch_specification.image_id = image;
  s.compute.launch_specification.user_data = "#!/bin/sh\nexec sleep infinity\n";
  s.compute.launch_specification.tags = {{"team", "sim"}};
  std::vector<std::string> types = kTypes;
  size_t n_types = 1 + rng.Uniform(kTypes.size());
  for (size_t i = 0; i < n_types; ++i) s.compute.instance_types.spot.push_back(types[i]);
  s.compute.instance_types.ondemand = "m5.large";
  s.strategy.fallback_to_od = rng.Bernoulli(0.7);
  int revert = static_cast<int>(rng.Uniform(3));
  s.strategy.revert_to_spot.perform_at = revert == 0   ? PerformAt::kNever
                                         : revert == 1 ? PerformAt::kAlways
                                                       : PerformAt::kTimeWindow;
  if (revert == 2) {
    auto w = TimeWindow::Parse("Thu:00:00-Fri:00:00");
    if (w.ok()) s.strategy.revert_to_spot.time_windows.push_back(*w);
  }
  s.strategy.draining_timeout_seconds = static_cast<int>(rng.Uniform(121));
  s.capacity.maximum = 3;
  s.capacity.minimum = 0;
  s.capacity.target = 1 + static_cast<int>(rng.Uniform(3));
  s.strategy.max_unavailable = 1 + static_cast<int>(rng.Uniform(2));
  s.strategy.capacity_rebalance = rng.Bernoulli(0.5);
  s.snapshots.frequency_minutes = 5;
  s.snapshots.keep = 2 + static_cast<int>(rng.Uniform(2));
  s.health.grace_period_seconds = 60;
  s.health.unhealthy_duration_seconds = 60;
  s.health.auto_healing = true;
  if (rng.Bernoulli(0.3)) {
    ScheduledTask t;
    t.task_type = TaskType::kStatefulRecycle;
    t.cron_expression = "*/20 * * * *";
    s.scheduled_tasks.push_back(t);
  }
  // Some groups wait for their workload to serve (the cloud draws each instance's start-up
  // time; World::Build): replacements stay RECYCLING/RESUMING until then.
  if (rng.Bernoulli(0.5)) {
    ServingCheckSpec c;
    c.probe.port = 2379;
    c.grace_period_seconds = 900;
    c.interval_seconds = 5;
    c.timeout_seconds = 2;
    s.health.serving = c;
  }
  return s;
}

// A controller of the world. Without failovers there is one, on the store itself; with them,
// opt_.controllers of them share the store, each through its own FencedStore.
struct Member {
  std::string name;
  std::unique_ptr<FencedStore> view;  // null without failovers
  std::unique_ptr<Controller> controller;
  bool ticking = true;     // leads, or was deposed and has not noticed yet (and keeps working)
  Time stops_at = kNever;  // when a deposed leader notices
};

constexpr size_t kNobody = static_cast<size_t>(-1);

class World {
 public:
  World(const SimOptions& o)
      : opt_(o),
        rng_(o.seed * 0x9E3779B97F4A7C15ULL + 1),
        fail_rng_(o.seed * 0xC2B2AE3D27D4EB4FULL + 7),
        election_(!o.unfenced) {}

  SimResult Run();

 private:
  void Build();
  void NewController(size_t m);
  void Chaos();
  void Calm();
  // Runs f on behalf of member m, turning a simulated crash into its restart (and, with
  // failovers, into a change of lead: the crashed process's lease runs out).
  template <typename F>
  void Guard(size_t m, F f);
  // Failovers: the lead ends now (the leader keeps working for a while without noticing) and
  // goes to a random controller a moment later.
  void Depose();
  void ElectDue();
  void ArmFailover();
  // A controller that believes it leads (the API an operator reaches), or kNobody.
  size_t AnyTicking();
  Controller& Leader() { return *members_[leader_ == kNobody ? 0 : leader_].controller; }
  std::vector<std::string> Pick(const std::function<bool(const SsiRecord&)>& pred);
  void Log(const std::string& line);
  void FollowEvents();
  bool Check();

  SimOptions opt_;
  Random rng_;
  Random fail_rng_;  // the failover process's own randomness
  FakeClock clock_;
  FakeElection election_;
  std::vector<Member> members_;
  size_t leader_ = 0;  // kNobody between a deposition and the next election
  Time elect_at_ = kNever;
  Time failover_at_ = kNever;
  size_t non_leader_commits_seen_ = 0;
  FakeCloud* cloud_ = nullptr;
  std::unique_ptr<RateLimitedProvider> provider_;
  std::unique_ptr<SqliteStore> base_store_;
  std::unique_ptr<CrashingStore> store_;
  std::unique_ptr<InvariantChecker> checker_;
  std::vector<std::string> group_ids_;
  std::vector<std::pair<Time, std::pair<std::string, std::string>>> restores_;  // pool refills
  SimResult result_;
  int64_t restarts_ = 0;
  int64_t last_commits_ = -1;
  int64_t last_event_seq_ = 0;
};

void World::Log(const std::string& line) {
  if (opt_.verbose && opt_.print) opt_.print(FormatTime(clock_.Now()) + " " + line);
}

void World::FollowEvents() {
  if (!opt_.verbose) return;
  EventQuery q;
  q.after_seq = last_event_seq_;
  auto events = base_store_->ListEvents(q);
  if (!events.ok()) return;
  for (const auto& e : *events) {
    last_event_seq_ = e.seq;
    Log("  [" + e.actor + "] " + (e.ssi_id.empty() ? e.group_id : e.ssi_id) + " " + e.kind + ": " +
        e.message);
  }
}

void World::NewController(size_t m) {
  Member& member = members_[m];
  ControllerDeps deps;
  deps.store = member.view ? static_cast<Store*>(member.view.get()) : store_.get();
  deps.cloud = provider_.get();
  deps.clock = &clock_;
  deps.seed = opt_.seed * 1000003ULL + static_cast<uint64_t>(restarts_) + 7919ULL * m;
  ControllerOptions o;
  o.orphan_grace = Duration{600'000};
  o.orphan_interval = Duration{120'000};
  member.controller = std::make_unique<Controller>(deps, o);
}

template <typename F>
void World::Guard(size_t m, F f) {
  try {
    f();
  } catch (const SimulatedCrash& c) {
    ++result_.crashes;
    ++restarts_;
    Log(std::string("CRASH of ") + members_[m].name + " at commit " +
        std::to_string(c.commit_index) +
        (c.after_commit ? " (after it committed)" : " (before it committed)") + "; restarting");
    NewController(m);
    if (members_[m].view) {
      // The restarted process has no lease: it follows; the lead moves once the old lease ends.
      members_[m].view->SetFence(FakeElection::kNoTerm);
      members_[m].ticking = false;
      members_[m].stops_at = kNever;
      if (leader_ == m) {
        election_.Depose();
        leader_ = kNobody;
        elect_at_ = clock_.Now() + Duration{fail_rng_.Range(0, 1000)};
      }
    }
  }
}

void World::Depose() {
  if (leader_ == kNobody) return;
  Member& old = members_[leader_];
  election_.Depose();
  // It keeps working until its own clock says its lease is over, or (paused past its lease,
  // as after SIGSTOP) until it wakes: up to a minute and a half after the lead moved on.
  old.stops_at = clock_.Now() + Duration{fail_rng_.Range(0, 90'000)};
  Log("FAILOVER " + old.name + " loses the lead (it notices at " + FormatTime(old.stops_at) + ")");
  leader_ = kNobody;
  // Followers campaign every poll (or at once, with the watch).
  elect_at_ = clock_.Now() + Duration{fail_rng_.Range(0, 1000)};
}

void World::ElectDue() {
  if (elect_at_ == kNever || clock_.Now() < elect_at_) return;
  elect_at_ = kNever;
  size_t m = fail_rng_.Uniform(members_.size());
  Member& winner = members_[m];
  int64_t term = election_.Elect(winner.name);
  winner.view->SetFence(term);
  winner.ticking = true;
  winner.stops_at = kNever;
  leader_ = m;
  ++result_.failovers;
  Log("FAILOVER " + winner.name + " wins the lead (term " + std::to_string(term) + ")");
}

void World::ArmFailover() {
  if (fail_rng_.Bernoulli(0.3)) {
    Depose();  // between two steps
    return;
  }
  int64_t n = fail_rng_.Range(1, 25);
  bool after = fail_rng_.Bernoulli(0.5);
  election_.ArmFailover(n, after, [this] { Depose(); });
  Log("CHAOS the lead will move at commit +" + std::to_string(n) + (after ? " (after it)" : ""));
}

size_t World::AnyTicking() {
  std::vector<size_t> ticking;
  for (size_t i = 0; i < members_.size(); ++i) {
    if (members_[i].ticking) ticking.push_back(i);
  }
  if (ticking.empty()) return kNobody;
  if (ticking.size() == 1) return ticking[0];
  return ticking[fail_rng_.Uniform(ticking.size())];
}

void World::Build() {
  FakeCloudOptions co;
  co.advance_clock = &clock_;
  co.workload_serving = {Duration{0}, Duration{45'000}};
  auto cloud = std::make_unique<FakeCloud>(&clock_, opt_.seed, co);
  cloud_ = cloud.get();
  provider_ = std::make_unique<RateLimitedProvider>(std::move(cloud), &clock_);
  std::string image = cloud_->AddImage("debian-12-base", 8);
  std::vector<Subnet> subnets = cloud_->subnets();
  std::sort(subnets.begin(), subnets.end(), [](const Subnet& a, const Subnet& b) {
    return a.availability_zone < b.availability_zone;
  });
  for (const auto& t : kTypes) {
    for (const auto& s : subnets) {
      int cap = rng_.Bernoulli(0.5) ? -1 : 1 + static_cast<int>(rng_.Uniform(6));
      cloud_->SetSpotCapacity(t, s.availability_zone, cap);
    }
  }
  auto opened = SqliteStore::Open(":memory:", &clock_);
  base_store_ = std::move(opened.value());
  store_ = std::make_unique<CrashingStore>(base_store_.get());
  checker_ = std::make_unique<InvariantChecker>(cloud_, base_store_.get());
  int n_members = opt_.failovers ? std::max(2, opt_.controllers) : 1;
  for (int i = 0; i < n_members; ++i) {
    members_.emplace_back();
    Member& m = members_.back();
    m.name = "controller-" + std::to_string(i);
    if (opt_.failovers) {
      m.view = std::make_unique<FencedStore>(store_.get(), &election_, m.name);
      m.ticking = false;
    }
    NewController(static_cast<size_t>(i));
  }
  if (opt_.failovers) {
    members_[0].view->SetFence(election_.Elect(members_[0].name));
    members_[0].ticking = true;
  }

  int n_groups = 2 + static_cast<int>(rng_.Uniform(3));
  std::string kinds;
  for (int i = 0; i < n_groups; ++i) {
    int kind = static_cast<int>(rng_.Uniform(6));
    GroupSpec spec = MakeSpec(kind, i, rng_, subnets, image);
    ParseOutcome check = ParseGroupSpecJson(ToJson(spec));
    if (!check.ok()) {
      result_.violations.push_back("simulation made an invalid spec: " + check.ErrorText());
      return;
    }
    auto g = members_[0].controller->CreateGroup(*check.spec, "sim");
    if (!g.ok()) {
      result_.violations.push_back("create group: " + g.status().ToString());
      return;
    }
    group_ids_.push_back(g->id);
    kinds += (kinds.empty() ? "" : ", ") + spec.name + " x" + std::to_string(spec.capacity.target);
  }
  result_.groups = n_groups;
  result_.summary = kinds;
}

std::vector<std::string> World::Pick(const std::function<bool(const SsiRecord&)>& pred) {
  std::vector<std::string> out;
  auto ssis = base_store_->ListSsis("");
  if (!ssis.ok()) return out;
  for (const auto& s : *ssis) {
    if (pred(s)) out.push_back(s.id);
  }
  return out;
}

void World::Chaos() {
  uint64_t roll = rng_.Uniform(100);
  auto ssis = base_store_->ListSsis("");
  if (!ssis.ok()) return;
  std::vector<SsiRecord> with_instance;
  for (const auto& s : *ssis) {
    if (!s.instance_id.empty() && s.state == SsiState::kActive) with_instance.push_back(s);
  }
  auto any = [&](const std::vector<SsiRecord>& v) -> const SsiRecord* {
    return v.empty() ? nullptr : &v[rng_.Uniform(v.size())];
  };
  if (roll < 25) {
    if (const SsiRecord* s = any(with_instance)) {
      if (cloud_->Interrupt(s->instance_id).ok()) {
        ++result_.interruptions;
        Log("CHAOS interrupt " + s->instance_id + " of " + s->id);
      }
    }
  } else if (roll < 33) {
    if (const SsiRecord* s = any(with_instance)) {
      if (cloud_->RecommendRebalance(s->instance_id).ok()) {
        ++result_.rebalances;
        Log("CHAOS rebalance recommendation for " + s->instance_id);
      }
    }
  } else if (roll < 40) {
    if (const SsiRecord* s = any(with_instance)) {
      if (cloud_->KillInstance(s->instance_id).ok()) {
        ++result_.kills;
        Log("CHAOS host failure kills " + s->instance_id + " of " + s->id);
      }
    }
  } else if (roll < 44) {
    if (const SsiRecord* s = any(with_instance)) {
      bool impaired = rng_.Bernoulli(0.7);
      if (cloud_->SetImpaired(s->instance_id, impaired).ok()) {
        Log(std::string("CHAOS status checks ") + (impaired ? "impaired" : "ok") + " for " +
            s->instance_id);
      }
    }
  } else if (roll < 52) {
    const std::string& type = kTypes[rng_.Uniform(kTypes.size())];
    auto subnets = cloud_->subnets();
    const std::string& az = subnets[rng_.Uniform(subnets.size())].availability_zone;
    cloud_->SetSpotCapacity(type, az, 0);
    if (rng_.Bernoulli(0.3)) cloud_->SetOnDemandCapacity("m5.large", az, 0);
    ++result_.droughts;
    restores_.push_back(
        {clock_.Now() + Duration{static_cast<int64_t>(rng_.Range(60, 1800)) * 1000}, {type, az}});
    Log("CHAOS spot capacity drought: " + type + " in " + az);
  } else if (roll < 72) {
    ++result_.operator_actions;
    uint64_t what = rng_.Uniform(6);
    auto live = Pick([](const SsiRecord& s) {
      return s.state != SsiState::kDeallocated && s.desired != "deallocated";
    });
    if (live.empty()) return;
    const std::string id = live[rng_.Uniform(live.size())];
    size_t m = AnyTicking();
    if (m == kNobody) {
      Log("OPERATOR: no controller leads right now (the API answers 503); nothing asked");
      return;
    }
    Controller* controller_ = members_[m].controller.get();
    Guard(m, [&] {
      Status st;
      if (what == 0) st = controller_->PauseSsi(id, "sim-operator");
      if (what == 1) st = controller_->ResumeSsi(id, "sim-operator");
      if (what == 2 || what == 3) st = controller_->RecycleSsi(id, "sim-operator");
      if (what == 4) {
        DeallocationSpec f;
        f.should_delete_volumes = rng_.Bernoulli(0.5);
        f.should_delete_snapshots = rng_.Bernoulli(0.5);
        f.should_delete_images = rng_.Bernoulli(0.5);
        f.should_delete_network_interfaces = rng_.Bernoulli(0.5);
        st = controller_->DeallocateSsi(id, f, "sim-operator");
      }
      if (what == 5) {
        const std::string& gid = group_ids_[rng_.Uniform(group_ids_.size())];
        auto g = base_store_->GetGroup(gid);
        if (!g.ok()) return;
        ParseOutcome out = ParseGroupSpecJson(nlohmann::json::parse(g->spec_json));
        if (!out.ok()) return;
        GroupSpec spec = *out.spec;
        spec.capacity.target = static_cast<int>(rng_.Uniform(4));
        auto u = controller_->UpdateGroup(gid, spec, rng_.Bernoulli(0.3), "sim-operator");
        Log("OPERATOR capacity of " + gid + " -> " + std::to_string(spec.capacity.target) + ": " +
            u.status().ToString());
        return;
      }
      static const char* kNames[] = {"pause", "resume", "recycle", "recycle", "deallocate"};
      Log(std::string("OPERATOR ") + kNames[what] + " " + id + ": " + st.ToString());
    });
  } else if (roll < 85) {
    int64_t n = rng_.Range(1, 40);
    bool after = rng_.Bernoulli(0.5);
    store_->ArmCrash(n, after);
    Log("CHAOS controller will crash at commit +" + std::to_string(n));
  } else {
    FakeFaults f;
    if (rng_.Bernoulli(0.6)) {
      f.error_rate = rng_.NextDouble() * 0.15;
      f.lost_response_rate = rng_.NextDouble() * 0.1;
      f.max_latency = Duration{rng_.Range(0, 3000)};
    }
    cloud_->SetFaults(f);
    Log("CHAOS API faults: errors " + std::to_string(f.error_rate) + ", lost responses " +
        std::to_string(f.lost_response_rate));
  }
}

void World::Calm() {
  cloud_->SetFaults({});
  store_->Disarm();
  election_.Disarm();
  for (const auto& t : kTypes) {
    for (const auto& s : cloud_->subnets()) cloud_->SetSpotCapacity(t, s.availability_zone, -1);
  }
  for (const auto& s : cloud_->subnets())
    cloud_->SetOnDemandCapacity("m5.large", s.availability_zone, -1);
  for (const auto& i : cloud_->AllInstances()) {
    if (i.state == InstanceState::kRunning) (void)cloud_->SetImpaired(i.id, false);
  }
  restores_.clear();
  Log("CALM: faults off, capacity restored, no more chaos");
}

bool World::Check() {
  const auto& foreign = election_.non_leader_commits();
  if (foreign.size() > non_leader_commits_seen_) {
    for (size_t i = non_leader_commits_seen_; i < foreign.size(); ++i) {
      result_.violations.push_back("write by a non-leader: " + foreign[i]);
    }
    non_leader_commits_seen_ = foreign.size();
    result_.failed_at = FormatTime(clock_.Now());
    return false;
  }
  int64_t commits = store_->commits();
  if (commits == last_commits_) return true;  // nothing changed since the last check
  last_commits_ = commits;
  auto v = checker_->CheckStep();
  if (v.empty()) return true;
  result_.violations.insert(result_.violations.end(), v.begin(), v.end());
  result_.failed_at = FormatTime(clock_.Now());
  return false;
}

SimResult World::Run() {
  result_.seed = opt_.seed;
  Build();
  if (!result_.violations.empty()) {
    result_.ok = false;
    return result_;
  }
  const Time start = clock_.Now();
  const Time chaos_end = start + opt_.chaos;
  const Time limit = chaos_end + opt_.settle_limit;
  auto next_chaos = [&] {
    // Exponential gaps, mean 45 s.
    double u = std::max(1e-9, rng_.NextDouble());
    return clock_.Now() + Duration{static_cast<int64_t>(-std::log(u) * 45'000)};
  };
  Time chaos_at = next_chaos();
  auto next_failover = [&] {
    double u = std::max(1e-9, fail_rng_.NextDouble());
    return clock_.Now() + Duration{static_cast<int64_t>(
                              -std::log(u) * static_cast<double>(opt_.failover_mean.count()))};
  };
  bool calm = false;
  Time converged_at = kNever;
  Time last_convergence_check = kEpoch;
  int same_time = 0;
  Time prev = clock_.Now();

  Time failover_at = opt_.failovers ? next_failover() : kNever;
  while (clock_.Now() < limit) {
    Time next = kNever;
    ElectDue();
    for (size_t m = 0; m < members_.size(); ++m) {
      Member& member = members_[m];
      if (member.ticking && m != leader_ && clock_.Now() >= member.stops_at) {
        member.ticking = false;  // the deposed leader notices and follows
        member.stops_at = kNever;
        Log("FAILOVER " + member.name + " notices it no longer leads");
      }
      if (!member.ticking) continue;
      bool ticked = false;
      Guard(m, [&] {
        const Time t =
            member.controller->Tick();  // not into `next` directly: see ControllerHarness
        next = std::min(next, t);
        ticked = true;
      });
      if (!ticked) next = clock_.Now();  // crashed: the restart runs at once
      if (m != leader_ && member.ticking) ++result_.deposed_ticks;
      ++result_.ticks;
      if (member.ticking) next = std::min(next, member.stops_at);
    }
    if (next == kNever) next = clock_.Now() + Duration{1000};  // nobody leads: time goes on
    next = std::min(next, elect_at_);
    FollowEvents();
    if (!Check()) break;
    Time now = clock_.Now();

    if (!calm && now >= chaos_end) {
      calm = true;
      Calm();
    }
    if (!calm) {
      while (now >= chaos_at) {
        Chaos();
        chaos_at = next_chaos();
      }
      while (now >= failover_at) {
        ArmFailover();
        failover_at = next_failover();
      }
      for (auto it = restores_.begin(); it != restores_.end();) {
        if (it->first <= now) {
          cloud_->SetSpotCapacity(it->second.first, it->second.second, -1);
          cloud_->SetOnDemandCapacity("m5.large", it->second.second, -1);
          Log("CHAOS capacity back: " + it->second.first + " in " + it->second.second);
          it = restores_.erase(it);
        } else {
          ++it;
        }
      }
    } else if (now - last_convergence_check >= Duration{10'000}) {
      last_convergence_check = now;
      bool converged = checker_->ConvergenceProblems().empty();
      if (!converged) {
        converged_at = kNever;  // (e.g. a revert to spot started meanwhile)
      } else if (converged_at == kNever) {
        converged_at = now;
        result_.settle_time = now - chaos_end;
        Log("CONVERGED after " + FormatDuration(result_.settle_time) + " of calm");
      } else if (now - converged_at >= Duration{900'000}) {
        break;  // converged, stayed so, and the orphan collector has had its turn
      }
    }

    Time wake = std::min(
        {next, cloud_->NextTransitionTime(), calm ? limit : chaos_at, calm ? limit : failover_at});
    for (const auto& r : restores_) wake = std::min(wake, r.first);
    if (wake <= now) {
      if (++same_time > 200) {
        wake = now + Duration{100};  // a busy loop at one instant: let time move
        same_time = 0;
      }
    } else {
      same_time = 0;
    }
    if (wake > now) clock_.Set(std::min(wake, limit));
    if (clock_.Now() == prev && result_.ticks > 5'000'000) {
      result_.violations.push_back("the simulation stopped making progress");
      break;
    }
    prev = clock_.Now();
  }

  if (result_.violations.empty()) {
    auto problems = checker_->ConvergenceProblems();
    if (!problems.empty()) {
      result_.violations.push_back("did not converge within " + FormatDuration(opt_.settle_limit) +
                                   " of calm:");
      result_.violations.insert(result_.violations.end(), problems.begin(), problems.end());
      result_.failed_at = FormatTime(clock_.Now());
    } else {
      auto leaks = checker_->CheckNoLeaks();
      result_.violations.insert(result_.violations.end(), leaks.begin(), leaks.end());
      if (!leaks.empty()) result_.failed_at = FormatTime(clock_.Now());
    }
  }
  auto ssis = base_store_->ListSsis("");
  if (ssis.ok()) {
    result_.ssis = static_cast<int64_t>(ssis->size());
    for (const auto& s : *ssis) result_.errors += s.state == SsiState::kError ? 1 : 0;
  }
  // Recoveries: recycles and interrupts that finished, over the whole run (all controllers).
  if (ssis.ok()) {
    for (const auto& s : *ssis) {
      auto wfs = base_store_->ListWorkflows(s.id);
      if (!wfs.ok()) continue;
      for (const auto& w : *wfs) {
        if (w.status == "succeeded" && (w.kind == "recycle" || w.kind == "interrupt")) {
          ++result_.recoveries;
        }
      }
    }
  }
  result_.invariant_checks = checker_->checks();
  result_.refused_writes = election_.refused();
  result_.ok = result_.violations.empty();
  return result_;
}

}  // namespace

SimResult RunSimulation(const SimOptions& options) {
  World w(options);
  return w.Run();
}

}  // namespace spotkeeper
