// Election takeover: how long after a leader dies does a follower lead — with the follower
// polling the campaign key every 250 ms (the watch off) beside the same follower watching it
// (docs/ha.md), on one throwaway etcd, side by side in one invocation, with the lease TTL (the
// floor) printed beside them.
//
// One run: a "leader" takes a lease of TTL seconds and creates the campaign key bound to it,
// renews the lease once and dies at that instant (it never renews again, as after kill -9). A
// follower (LeaderElection, running on its thread) takes over when etcd has expired the lease.
// Takeover = its on_change(leader) - the death. etcd checks for expired leases every 500 ms, so
// the takeover is TTL + up to ~0.5 s + the follower's reaction (up to one poll without the watch).
//
//   build/release/bench/election_takeover [--runs 10] [--ttl 2]
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "provider/ec2/curl_http_client.h"
#include "store/etcd/leader_election.h"
#include "store/etcd_test_cluster.h"

using namespace spotkeeper;
using Steady = std::chrono::steady_clock;

namespace {

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// One takeover; milliseconds from the leader's death to the follower leading, or -1.
double OneRun(store_testing::EtcdTestCluster& etcd, CurlHttpClient& http, int ttl, bool watch,
              int run) {
  EtcdStoreOptions so;
  so.endpoints = etcd.endpoints();
  so.prefix = "/bench-takeover-" + std::to_string(run) + (watch ? "-w/" : "-p/");
  so.http = &http;
  auto store = EtcdStore::Open(so);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return -1;
  }
  EtcdClient& client = (*store)->client();
  std::string key = so.prefix + "leader";
  auto lease = client.GrantLease(ttl);
  if (!lease.ok()) return -1;
  EtcdTxn txn;
  txn.compares.push_back({key, EtcdCompare::Target::kCreate, 0});
  txn.puts.push_back({key, "the-dead-leader", *lease});
  auto created = client.Txn(txn);
  if (!created.ok() || !created->succeeded) return -1;

  LeaderElectionOptions eo;
  eo.name = "follower";
  eo.ttl_seconds = ttl;
  if (watch) eo.watch = &http;
  LeaderElection follower(store->get(), eo);
  std::mutex mu;
  std::condition_variable cv;
  Steady::time_point led{};
  follower.SetOnChange([&](Role r) {
    if (r != Role::kLeader) return;
    std::lock_guard<std::mutex> l(mu);
    led = Steady::now();
    cv.notify_all();
  });
  follower.Start();
  // Let the follower settle (and its watch be set up) before the leader dies.
  auto settle_until = Steady::now() + std::chrono::seconds(3);
  while (Steady::now() < settle_until &&
         (follower.leader().empty() || (watch && !follower.watching()))) {
    std::unique_lock<std::mutex> l(mu);
    cv.wait_for(l, std::chrono::milliseconds(20));
  }
  if (!client.KeepAlive(*lease).ok()) return -1;
  Steady::time_point died = Steady::now();  // the last renewal: the lease runs out TTL from here
  std::unique_lock<std::mutex> l(mu);
  bool ok =
      cv.wait_for(l, std::chrono::seconds(ttl + 10), [&] { return led != Steady::time_point{}; });
  l.unlock();
  follower.Stop();
  if (!ok) return -1;
  return std::chrono::duration<double, std::milli>(led - died).count();
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 10, ttl = 2;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc)
      runs = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--ttl") && i + 1 < argc)
      ttl = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: election_takeover [--runs N] [--ttl SECONDS]\n");
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::err);
  if (store_testing::EtcdBinary().empty()) {
    std::fprintf(stderr, "etcd is not installed (scripts/deps.sh installs etcd-server)\n");
    return 77;
  }
  auto etcd = store_testing::EtcdTestCluster::Start(1);
  if (!etcd.ok()) {
    std::fprintf(stderr, "etcd: %s\n", etcd.status().ToString().c_str());
    return 1;
  }
  CurlHttpClientOptions ho;
  ho.connect_timeout = std::chrono::seconds(1);
  ho.request_timeout = std::chrono::seconds(2);
  CurlHttpClient http(ho);
  std::vector<double> poll, watch;
  for (int r = 0; r < runs; ++r) {  // alternated, so both see the same load
    double p = OneRun(**etcd, http, ttl, false, r);
    double w = OneRun(**etcd, http, ttl, true, r);
    std::printf("run %2d: poll %7.0f ms   watch %7.0f ms\n", r + 1, p, w);
    std::fflush(stdout);
    if (p >= 0) poll.push_back(p);
    if (w >= 0) watch.push_back(w);
  }
  if (poll.empty() || watch.empty()) return 1;
  double floor = ttl * 1000.0;
  std::printf(
      "\ntakeover after the leader's death (lease TTL %d s = %.0f ms, the floor), %d runs\n", ttl,
      floor, runs);
  std::printf("  %-28s p50 %6.0f ms  p99 %6.0f ms  max %6.0f ms  (p50 - TTL: %4.0f ms)\n",
              "poll every 250 ms (before)", Percentile(poll, 0.5), Percentile(poll, 0.99),
              Percentile(poll, 1.0), Percentile(poll, 0.5) - floor);
  std::printf("  %-28s p50 %6.0f ms  p99 %6.0f ms  max %6.0f ms  (p50 - TTL: %4.0f ms)\n",
              "watch + poll fallback (after)", Percentile(watch, 0.5), Percentile(watch, 0.99),
              Percentile(watch, 1.0), Percentile(watch, 0.5) - floor);
  std::printf("  ratio of the above-floor part (watch / poll, p50): %.2f\n",
              (Percentile(watch, 0.5) - floor) / std::max(1.0, Percentile(poll, 0.5) - floor));
  return 0;
}
