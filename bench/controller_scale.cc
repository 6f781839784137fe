// bench/controller_scale: how the controller scales, each figure beside a reference measured in
// the same run.
//
//  1. 100,000 ACTIVE SSIs (half reattach + private IP, half onLaunch) on the fake cloud, the
//     store in a SQLite file: memory per SSI (RSS growth of the controller's own pass over it)
//     and the time of a full reconcile pass and of a Describe sweep, beside the floor a pass
//     cannot beat: reading every SSI from the store once (ListSsis).
//     Goals: <= 2 KiB per SSI, <= 1 s per pass on one core.
//     With --store sqlite,etcd the same pass runs again on the etcd store (docs/ha.md): a
//     throwaway 3-member etcd on loopback ports, the SSIs written in transactions of 200, then
//     a second EtcdStore opened on it (what a starting controller does: load the whole replica;
//     a follower that wins only catches up), and the pass over that store, beside the SQLite
//     figure of the same run.
//  2. 1,000 SSIs interrupted at once: the rate of replacement launches, beside the rate the
//     RunInstances bucket allows (5 burst, 2 per second): goal >= 95%, and no call refused by
//     the cloud's throttling (RequestLimitExceeded).
//
// Usage: controller_scale [--ssis N] [--burst N] [--store sqlite|etcd|sqlite,etcd]
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "controller/controller.h"
#include "provider/ec2/curl_http_client.h"
#include "provider/fake/fake_cloud.h"
#include "provider/rate_limited_provider.h"
#include "store/etcd/etcd_store.h"
#include "store/etcd_test_cluster.h"
#include "store/sqlite_store.h"

namespace spotkeeper {
namespace {

double RssKiB() {
  std::ifstream in("/proc/self/statm");
  long pages = 0, rss = 0;
  in >> pages >> rss;
  return static_cast<double>(rss) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1024.0;
}

template <typename F>
double Seconds(F f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

GroupSpec Spec(const std::string& name, const Subnet& subnet, const std::string& image,
               bool onlaunch, int target) {
  GroupSpec s;
  s.name = name;
  s.region = "us-east-1";
  s.compute.availability_zones = {{subnet.availability_zone, {subnet.id}}};
  s.compute.instance_types.spot = {"m5.large"};
  s.compute.instance_types.ondemand = "m5.large";
  s.compute.launch_specification.image_id = image;
  s.compute.launch_specification.block_device_mappings = {{"/dev/sdf", 10, "gp3", false}};
  s.strategy.persistence = onlaunch
                               ? PersistenceSpec{false, true, false, BlockDevicesMode::kOnLaunch}
                               : PersistenceSpec{false, true, true, BlockDevicesMode::kReattach};
  s.strategy.draining_timeout_seconds = 0;
  s.strategy.revert_to_spot.perform_at = PerformAt::kNever;
  s.capacity = {target, 0, target};
  return s;
}

// Part 1: a steady world of n SSIs, written straight into the cloud and the store.
// The figures of one pass, to print the stores side by side.
struct PassFigures {
  std::string store;
  double pass = 0, list = 0, load = 0, fill = 0;
};

void ScalePass(int n, const std::string& kind, std::vector<PassFigures>* figures) {
  std::printf("== 1. reconcile pass over %d ACTIVE SSIs, store %s ==\n", n, kind.c_str());
  FakeClock clock;
  FakeCloudOptions co;
  co.throttle = false;
  co.availability_zones = {"us-east-1a"};
  FakeCloud cloud(&clock, 1, co);
  std::string image = cloud.AddImage("base");
  // /16 subnets hold 65,531 instances each.
  std::vector<Subnet> subnets;
  for (int i = 0; i * 60'000 < n; ++i) {
    auto id = cloud.AddSubnet("us-east-1a", "10." + std::to_string(128 + i) + ".0.0/16");
    Check(id.status(), "subnet");
    for (const auto& s : cloud.subnets()) {
      if (s.id == *id) subnets.push_back(s);
    }
  }
  std::string dir = "/tmp/sk-bench-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::unique_ptr<Store> store;
  std::unique_ptr<store_testing::EtcdTestCluster> etcd;
  std::unique_ptr<CurlHttpClient> http;
  EtcdStoreOptions eo;
  // etcd takes at most --max-request-bytes (1.5 MiB) per request: 200 SSIs and their instance
  // records are about 0.5 MiB of base64 JSON.
  const int batch = kind == "etcd" ? 200 : 1000;
  if (kind == "etcd") {
    auto cluster = store_testing::EtcdTestCluster::Start(3);
    Check(cluster.status(), "etcd cluster");
    etcd = std::move(cluster).value();
    CurlHttpClientOptions ho;
    ho.request_timeout = std::chrono::seconds(120);
    http = std::make_unique<CurlHttpClient>(ho);
    eo.endpoints = etcd->endpoints();
    eo.http = http.get();
    eo.clock = &clock;
    auto opened = EtcdStore::Open(eo);
    Check(opened.status(), "etcd store");
    store = std::move(opened).value();
  } else {
    auto store_or = SqliteStore::Open(dir + "/bench.db", &clock);
    Check(store_or.status(), "store");
    store = std::move(store_or.value());
  }

  const int per_group = 1000;
  std::vector<std::pair<std::string, bool>> groups;
  for (int g = 0; g * per_group < n; ++g) {
    bool onlaunch = g % 2 == 1;
    const Subnet& subnet = subnets[static_cast<size_t>(g * per_group / 60'000)];
    GroupSpec spec = Spec("g" + std::to_string(g), subnet, image, onlaunch,
                          std::min(per_group, n - g * per_group));
    GroupRecord rec;
    rec.id = "sig-" + std::to_string(10000000 + g);
    rec.name = spec.name;
    rec.spec_json = ToJson(spec).dump();
    rec.created_at = rec.updated_at = clock.Now();
    auto tx = store->Begin();
    Check(tx.status(), "begin");
    Check((*tx)->PutGroup(rec), "group");
    Check((*tx)->Commit(), "commit");
    groups.push_back({rec.id, onlaunch});
  }

  double t_fill = Seconds([&] {
    int made = 0;
    for (size_t g = 0; g < groups.size() && made < n; ++g) {
      const Subnet& subnet = subnets[g * per_group / 60'000];
      auto tx = store->Begin();
      Check(tx.status(), "begin");
      for (int i = 0; i < per_group && made < n; ++i, ++made) {
        SsiRecord s;
        s.id = "ssi-" + std::to_string(10000000 + made);
        s.group_id = groups[g].first;
        RunInstanceRequest req;
        req.image_id = image;
        req.instance_type = "m5.large";
        req.market = Market::kSpot;
        req.subnet_id = subnet.id;
        req.block_devices = {{"/dev/sdf", 10, "", "gp3", false}};
        req.tags = {{kTagGroup, s.group_id}, {kTagSsi, s.id}};
        req.volume_tags = req.tags;
        auto inst = cloud.RunInstance(req);
        Check(inst.status(), "run");
        s.state = SsiState::kActive;
        s.instance_id = inst->id;
        s.private_ip = inst->private_ip;
        s.availability_zone = subnet.availability_zone;
        s.subnet_id = subnet.id;
        s.instance_type = "m5.large";
        s.market = "spot";
        s.created_at = s.updated_at = s.launched_at = clock.Now();
        s.conditions = {{"Ready", "True", "Launched", "", 1, clock.Now()},
                        {"Spot", "True", "Spot", "running on spot capacity", 1, clock.Now()}};
        s.status_json = "{\"lastSnapshotAt\":" + std::to_string(ToMillis(clock.Now())) + "}";
        Check((*tx)->PutSsi(s), "ssi");
        ResourceRecord r;
        r.id = inst->id;
        r.ssi_id = s.id;
        r.group_id = s.group_id;
        r.kind = "instance";
        r.created_at = r.updated_at = clock.Now();
        Check((*tx)->PutResource(r), "instance record");
        if ((i + 1) % batch == 0 && i + 1 < per_group && made + 1 < n) {
          Check((*tx)->Commit(), "commit");
          tx = store->Begin();
          Check(tx.status(), "begin");
        }
      }
      Check((*tx)->Commit(), "commit");
    }
  });
  clock.Advance(Duration{60'000});
  cloud.Process();
  std::printf("  world built in %.1f s (fake cloud + store %s)\n", t_fill,
              kind == "etcd" ? etcd->url().c_str() : dir.c_str());
  double t_load = 0;
  if (kind == "etcd") {
    // What a controller does when it starts: load the whole replica.
    store.reset();
    EtcdStore* replica = nullptr;
    t_load = Seconds([&] {
      auto opened = EtcdStore::Open(eo);
      Check(opened.status(), "etcd store (again)");
      replica = opened->get();
      store = std::move(opened).value();
    });
    // What a follower does when it wins (LeaderElection): catch up on what changed since its
    // last poll (here nothing), not load everything again.
    double t_catchup = Seconds([&] { Check(replica->CatchUp(), "catch up"); });
    std::printf(
        "  replica loaded from etcd in %.2f s (a controller's start); a follower's catch-up on "
        "winning %.3f s\n",
        t_load, t_catchup);
  }

  // The controller talks to the fake directly here: part 1 measures the controller, not the
  // client-side rate limit (a real sweep of 100,000 instances is 100 pages of DescribeInstances).
  ControllerDeps deps{store.get(), &cloud, &clock, 7};
  double rss_before = RssKiB();
  Controller controller(deps);
  double t_sweep = Seconds([&] { Check(controller.SweepOnce(), "sweep"); });
  double rss_after_sweep = RssKiB();
  double t_pass1 = Seconds([&] { Check(controller.ReconcileOnce(), "reconcile"); });
  double t_pass2 = Seconds([&] { Check(controller.ReconcileOnce(), "reconcile"); });
  double rss_after = RssKiB();
  double t_list = Seconds([&] {
    auto all = store->ListSsis("");
    Check(all.status(), "list");
    if (static_cast<int>(all->size()) != n) std::exit(2);
  });
  double pass = std::min(t_pass1, t_pass2);
  double per_ssi_controller = (rss_after - rss_before) * 1024.0 / n;
  double per_ssi_sweep = (rss_after_sweep - rss_before) * 1024.0 / n;
  std::printf(
      "  reconcile pass:      %7.3f s (first %.3f s)   reference ListSsis: %.3f s   "
      "ratio %.1fx   goal <= 1 s: %s\n",
      pass, t_pass1, t_list, pass / t_list, pass <= 1.0 ? "met" : "NOT met");
  std::printf("  describe sweep:      %7.3f s (%d instances from the fake cloud)\n", t_sweep, n);
  std::printf(
      "  memory per SSI:      %7.0f bytes (controller + store cache growth over the "
      "passes; of which the sweep's view %.0f)   goal <= 2048: %s\n",
      per_ssi_controller, per_ssi_sweep, per_ssi_controller <= 2048 ? "met" : "NOT met");
  if (!figures->empty()) {
    std::printf(
        "  (memory: the allocator keeps what the previous store's pass freed, so only the "
        "first store of a run gives a true figure)\n");
  }
  std::printf("  process RSS:         %7.0f MiB (fake cloud included)\n", rss_after / 1024.0);
  figures->push_back({kind, pass, t_list, t_load, t_fill});
  store.reset();
  etcd.reset();
  std::filesystem::remove_all(dir);
}

// Part 2: n SSIs launched by the controller, then all interrupted at once.
void Burst(int n) {
  std::printf("== 2. %d SSIs interrupted at once ==\n", n);
  FakeClock clock;
  FakeCloudOptions co;
  co.availability_zones = {"us-east-1a"};
  auto cloud_owned = std::make_unique<FakeCloud>(&clock, 2, co);
  FakeCloud* cloud = cloud_owned.get();
  std::string image = cloud->AddImage("base");
  auto subnet_id = cloud->AddSubnet("us-east-1a", "10.64.0.0/16");
  Check(subnet_id.status(), "subnet");
  Subnet subnet;
  for (const auto& s : cloud->subnets()) {
    if (s.id == *subnet_id) subnet = s;
  }
  RateLimitedProvider provider(std::move(cloud_owned), &clock);
  auto store_or = SqliteStore::Open(":memory:", &clock);
  Check(store_or.status(), "store");
  auto store = std::move(store_or.value());
  ControllerDeps deps{store.get(), &provider, &clock, 9};
  Controller controller(deps);
  GroupSpec spec = Spec("burst", subnet, image, false, n);
  Check(controller.CreateGroup(spec, "bench").status(), "group");

  auto run_until = [&](const std::function<bool()>& done, Duration limit) {
    Time end = clock.Now() + limit;
    int same = 0;
    int64_t ticks = 0;
    const bool trace = std::getenv("SK_BENCH_TRACE") != nullptr;
    while (clock.Now() < end && !done()) {
      Time next = controller.Tick();
      if (trace && ++ticks % 20 == 0) {
        std::map<std::string, int> states;
        auto now_ssis = store->ListSsis("");
        if (now_ssis.ok()) {
          for (const auto& s : *now_ssis) states[SsiStateName(s.state)]++;
        }
        std::string line;
        for (const auto& [k, v] : states) line += " " + k + "=" + std::to_string(v);
        auto wfs = store->ListRunningWorkflows();
        std::map<std::string, int> steps;
        if (wfs.ok()) {
          for (const auto& w : *wfs) steps[w.step_name + (w.error.empty() ? "" : "!")]++;
        }
        for (const auto& [k, v] : steps) line += " " + k + ":" + std::to_string(v);
        line += " | local-throttles " + std::to_string(provider.local_throttles());
        for (const auto& [a, c] : cloud->stats().calls) line += " " + a + "=" + std::to_string(c);
        if (wfs.ok() && !wfs->empty()) {
          auto d = nlohmann::json::parse(wfs->front().data_json);
          std::string vol, inst;
          if (d.contains("plan") && d["plan"].contains("/dev/sdf")) {
            vol = d["plan"]["/dev/sdf"].value("volume", "");
          }
          if (d.contains("launch")) inst = d["launch"].value("instance", "");
          line += " | " + wfs->front().kind + " " + wfs->front().error + " inst " + inst;
          for (const auto& v : cloud->AllVolumes()) {
            if (v.id != vol) continue;
            line += " vol " + v.id + " " + v.state;
            for (const auto& a : v.attachments) line += " att " + a.instance_id + " " + a.state;
          }
          for (const auto& i : cloud->AllInstances()) {
            if (i.id == inst) line += std::string(" inst ") + InstanceStateName(i.state);
          }
        }
        std::printf("  [trace] %s tick %lld next %s%s\n", FormatTime(clock.Now()).c_str(),
                    static_cast<long long>(ticks), FormatTime(next).c_str(), line.c_str());
      }
      Time wake = std::min(next, cloud->NextTransitionTime());
      if (wake <= clock.Now()) {
        if (++same > 100) wake = clock.Now() + Duration{10}, same = 0;
      }
      if (wake > clock.Now()) clock.Set(std::min(wake, end));
    }
    return done();
  };
  auto all_active = [&](const std::set<std::string>& not_instances) {
    auto ssis = store->ListSsis("");
    if (!ssis.ok() || static_cast<int>(ssis->size()) != n) return false;
    for (const auto& s : *ssis) {
      if (s.state != SsiState::kActive || not_instances.count(s.instance_id)) return false;
    }
    return true;
  };
  if (!run_until([&] { return all_active({}); }, Duration{4 * 3'600'000})) {
    std::printf("  the first launch did not finish\n");
    std::exit(1);
  }
  std::set<std::string> old;
  auto launched = store->ListSsis("");
  Check(launched.status(), "list");
  for (const auto& s : launched.value()) old.insert(s.instance_id);
  int64_t throttled_before = cloud->stats().throttled;
  int64_t local_before = provider.local_throttles();
  Time t0 = clock.Now();
  for (const auto& id : old) Check(cloud->Interrupt(id), "interrupt");
  double wall = Seconds([&] {
    if (!run_until([&] { return all_active(old); }, Duration{4 * 3'600'000})) {
      std::printf("  recovery did not finish\n");
      std::exit(1);
    }
  });
  std::vector<Time> launches;
  for (const auto& i : cloud->AllInstances()) {
    if (i.launch_time >= t0 && !old.count(i.id)) launches.push_back(i.launch_time);
  }
  std::sort(launches.begin(), launches.end());
  double span = static_cast<double>((launches.back() - launches.front()).count()) / 1000.0;
  // The bucket starts (at best) full: 5 at once, then one every 500 ms.
  double ideal_span = std::max(0.0, (static_cast<double>(launches.size()) - 5.0) / 2.0);
  double rate = span > 0 ? (static_cast<double>(launches.size()) - 1.0) / span : 0;
  double ideal_rate =
      ideal_span > 0 ? (static_cast<double>(launches.size()) - 1.0) / ideal_span : 0;
  std::printf(
      "  replacements:        %zu launched over %.1f s simulated (%.2f per s); the "
      "bucket allows %.2f per s (span %.1f s)   ratio %.1f%%   goal >= 95%%: %s\n",
      launches.size(), span, rate, ideal_rate, ideal_span, 100.0 * rate / ideal_rate,
      rate >= 0.95 * ideal_rate ? "met" : "NOT met");
  std::printf(
      "  cloud throttling:    %lld calls refused with RequestLimitExceeded (goal 0); "
      "%lld calls held back client-side until a token was there\n",
      static_cast<long long>(cloud->stats().throttled - throttled_before),
      static_cast<long long>(provider.local_throttles() - local_before));
  std::printf("  recovery of all:     %s simulated from the notices; %.1f s of CPU wall time\n",
              FormatDuration(clock.Now() - t0).c_str(), wall);
}

}  // namespace
}  // namespace spotkeeper

int main(int argc, char** argv) {
  int ssis = 100'000, burst = 1000;
  std::vector<std::string> stores = {"sqlite"};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--ssis") == 0) ssis = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--burst") == 0) burst = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--store") == 0) {
      stores.clear();
      std::string list = argv[i + 1];
      for (size_t at = 0; at <= list.size();) {
        size_t comma = std::min(list.find(',', at), list.size());
        stores.push_back(list.substr(at, comma - at));
        at = comma + 1;
      }
      for (const auto& s : stores) {
        if (s != "sqlite" && s != "etcd") {
          std::fprintf(stderr, "--store: sqlite, etcd or sqlite,etcd (not \"%s\")\n", s.c_str());
          return 2;
        }
      }
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  spdlog::set_level(spdlog::level::err);
  std::vector<spotkeeper::PassFigures> figures;
  for (const auto& s : stores) spotkeeper::ScalePass(ssis, s, &figures);
  if (figures.size() > 1) {
    std::printf("== reconcile pass over %d SSIs by store (same run) ==\n", ssis);
    for (const auto& f : figures) {
      char load[64] = "";
      if (f.load > 0) std::snprintf(load, sizeof load, "   replica load %.2f s", f.load);
      std::printf("  %-7s pass %7.3f s (%.2fx the %s pass)   ListSsis %.3f s   fill %.1f s%s\n",
                  f.store.c_str(), f.pass, f.pass / figures[0].pass, figures[0].store.c_str(),
                  f.list, f.fill, load);
    }
  }
  if (burst > 0) spotkeeper::Burst(burst);
  return 0;
}
