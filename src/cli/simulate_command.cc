// `spotkeeper simulate`: the deterministic simulation (sim/simulation.h) over many seeds.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include "cli/commands.h"
#include "sim/simulation.h"

namespace spotkeeper::cli {
namespace {

struct SimArgs {
  int seeds = 1;
  uint64_t seed = 1;
  int chaos_minutes = 60;
  int settle_minutes = 120;
  bool verbose = false;
  int jobs = 0;
  bool failovers = false;
  int controllers = 3;
  int failover_seconds = 120;
  bool unfenced = false;
};

std::string Line(const SimResult& r) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "seed %-6llu %-4s %lld groups, %2lld SSIs | %6lld ticks, %3lld crashes, "
                "%3lld interruptions, %3lld recoveries, %3lld failovers | settled in %s",
                static_cast<unsigned long long>(r.seed), r.ok ? "ok" : "FAIL",
                static_cast<long long>(r.groups), static_cast<long long>(r.ssis),
                static_cast<long long>(r.ticks), static_cast<long long>(r.crashes),
                static_cast<long long>(r.interruptions), static_cast<long long>(r.recoveries),
                static_cast<long long>(r.failovers), FormatDuration(r.settle_time).c_str());
  return buf;
}

int Run(const SimArgs& a) {
  if (!a.verbose) spdlog::set_level(spdlog::level::off);
  int jobs = a.jobs > 0 ? a.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min(jobs, a.seeds);
  std::cout << "spotkeeper simulate: " << a.seeds << " seed" << (a.seeds == 1 ? "" : "s")
            << " from " << a.seed << "; each " << a.chaos_minutes
            << " simulated minutes of chaos (interruptions, rebalances, host failures, "
               "capacity droughts, API faults, lost responses, controller crashes, operator "
               "actions";
  if (a.failovers) {
    std::cout << "; " << a.controllers << " controllers on one fenced store, the lead moving every "
              << a.failover_seconds << " s on average" << (a.unfenced ? " (FENCE OFF)" : "");
  }
  std::cout << "), then calm until converged\n";
  std::vector<SimResult> results(static_cast<size_t>(a.seeds));
  std::atomic<int> next{0};
  std::mutex out_mu;
  auto worker = [&] {
    for (int i = next++; i < a.seeds; i = next++) {
      SimOptions o;
      o.seed = a.seed + static_cast<uint64_t>(i);
      o.chaos = Duration{a.chaos_minutes * 60'000LL};
      o.settle_limit = Duration{a.settle_minutes * 60'000LL};
      o.verbose = a.verbose;
      o.failovers = a.failovers;
      o.controllers = a.controllers;
      o.failover_mean = Duration{a.failover_seconds * 1000LL};
      o.unfenced = a.unfenced;
      o.print = [&](const std::string& s) {
        std::lock_guard<std::mutex> l(out_mu);
        std::cout << s << "\n";
      };
      SimResult r = RunSimulation(o);
      {
        std::lock_guard<std::mutex> l(out_mu);
        if (a.verbose || a.seeds <= 20 || !r.ok) std::cout << Line(r) << "\n";
        if (a.verbose) std::cout << "  world: " << r.summary << "\n";
        if (!r.ok) {
          std::cout << "  first violation at " << r.failed_at << ":\n";
          for (const auto& v : r.violations) std::cout << "    " << v << "\n";
          std::cout << "  replay: spotkeeper simulate --seed " << r.seed << " --chaos-minutes "
                    << a.chaos_minutes << (a.failovers ? " --failovers" : "") << " --verbose\n";
        }
      }
      results[static_cast<size_t>(i)] = std::move(r);
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);
  for (auto& t : threads) t.join();

  SimResult total;
  int failed = 0;
  for (const auto& r : results) {
    failed += r.ok ? 0 : 1;
    total.ticks += r.ticks;
    total.crashes += r.crashes;
    total.interruptions += r.interruptions;
    total.rebalances += r.rebalances;
    total.kills += r.kills;
    total.droughts += r.droughts;
    total.operator_actions += r.operator_actions;
    total.recoveries += r.recoveries;
    total.failovers += r.failovers;
    total.refused_writes += r.refused_writes;
    total.deposed_ticks += r.deposed_ticks;
    total.invariant_checks += r.invariant_checks;
    total.ssis += r.ssis;
    total.errors += r.errors;
  }
  std::printf(
      "SUMMARY seeds %d, passed %d, failed %d | steps %lld | crashes injected %lld | "
      "interruptions %lld, rebalances %lld, host failures %lld, droughts %lld, operator actions "
      "%lld | recoveries %lld | SSIs %lld (%lld left in ERROR with a reason) | invariant "
      "checks %lld\n",
      a.seeds, a.seeds - failed, failed, static_cast<long long>(total.ticks),
      static_cast<long long>(total.crashes), static_cast<long long>(total.interruptions),
      static_cast<long long>(total.rebalances), static_cast<long long>(total.kills),
      static_cast<long long>(total.droughts), static_cast<long long>(total.operator_actions),
      static_cast<long long>(total.recoveries), static_cast<long long>(total.ssis),
      static_cast<long long>(total.errors), static_cast<long long>(total.invariant_checks));
  if (a.failovers) {
    std::printf(
        "FAILOVERS %lld | writes refused by the fence %lld | ticks of deposed leaders %lld\n",
        static_cast<long long>(total.failovers), static_cast<long long>(total.refused_writes),
        static_cast<long long>(total.deposed_ticks));
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace

void AddSimulateCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "simulate",
      "Run the deterministic simulation: random worlds on an in-memory cloud with a fake "
      "clock, faults and controller crashes; checks the invariants after every step. A "
      "failing seed prints the command that replays it.");
  auto a = std::make_shared<SimArgs>();
  cmd->add_option("--seeds", a->seeds, "How many seeds to run")->check(CLI::PositiveNumber);
  cmd->add_option("--seed", a->seed, "The first seed (replay one with --seeds 1)");
  cmd->add_option("--chaos-minutes", a->chaos_minutes, "Simulated minutes of chaos per seed")
      ->check(CLI::Range(1, 24 * 60));
  cmd->add_option("--settle-minutes", a->settle_minutes,
                  "Simulated minutes allowed to converge after the chaos")
      ->check(CLI::Range(1, 24 * 60));
  cmd->add_option("-j,--jobs", a->jobs, "Seeds run in parallel (default: one per core)");
  cmd->add_flag("--failovers", a->failovers,
                "Run several controllers on one fenced store (the model of --store etcd) and move "
                "the lead at random points, often in the middle of a step; checks also that no "
                "write of a controller that does not lead commits");
  cmd->add_option("--controllers", a->controllers, "Controllers sharing the store (--failovers)")
      ->check(CLI::Range(2, 9));
  cmd->add_option("--failover-seconds", a->failover_seconds,
                  "Mean simulated seconds between changes of lead (--failovers)")
      ->check(CLI::Range(5, 3600));
  // For the test that shows the invariant catches what the fence prevents.
  cmd->add_flag("--unfenced", a->unfenced, "Let deposed leaders' writes through (tests only)")
      ->group("");
  cmd->add_flag("-v,--verbose", a->verbose, "Print every chaos action and controller event");
  cmd->callback([a, exit_code] { *exit_code = Run(*a); });
}

}  // namespace spotkeeper::cli
