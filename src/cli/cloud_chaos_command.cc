#include "cli/cloud_chaos_command.h"

#include <fmt/format.h>

#include <iostream>
#include <set>

#include "awsproto/aws_error.h"
#include "cli/client.h"
#include "cli/output.h"
#include "cli/wait_progress.h"
#include "cloud/api/cloud_admin_client.h"
#include "provider/ec2/curl_http_client.h"

namespace spotkeeper::cli {
namespace {

using cloud::CloudAdminClient;
using cloud::Ec2FaultConfig;
using cloud::Ec2FaultsState;

int Fail(const std::string& verb, const Status& s) {
  std::cerr << "spotkeeper cloud " << verb << ": " << s.message() << "\n";
  switch (s.code()) {
    case Code::kInvalidArgument:
      return kExitUsage;
    case Code::kNotFound:
      return kExitNotFound;
    case Code::kFailedPrecondition:
      // The cloud's answer (it names a code): not possible now; ours: no cloud to ask.
      return s.cloud_code().empty() ? kExitUnreachable : kExitConflict;
    case Code::kUnavailable:
      return kExitUnreachable;
    case Code::kUnauthenticated:
    case Code::kPermissionDenied:
      return kExitAuth;
    default:
      return kExitError;
  }
}

// Runs `call` on an admin client of the cloud in `data_dir`.
template <typename F>
auto WithClient(const std::string& data_dir, F&& call)
    -> decltype(call(std::declval<CloudAdminClient&>())) {
  auto target = CloudAdminClient::FindCloud(data_dir);
  if (!target.ok()) return target.status();
  CurlHttpClientOptions o;
  o.connect_timeout = std::chrono::seconds(2);
  CurlHttpClient http(o);
  CloudAdminClient client(&http, *target);
  return call(client);
}

void PrintFaults(const Ec2FaultsState& s, bool json) {
  if (json) {
    std::cout << nlohmann::json{{"ec2", cloud::Ec2FaultConfigToJson(s.config)},
                                {"stats", {{"ec2", cloud::Ec2FaultStatsToJson(s.stats)}}}}
                     .dump(2)
              << "\n";
    return;
  }
  const Ec2FaultConfig& c = s.config;
  std::cout << "EC2 endpoint faults: " << (c.enabled() ? "on" : "off") << "\n";
  if (!c.enabled()) return;
  if (c.error_rate > 0) {
    int http = aws::Ec2ErrorForStatus(Status(Code::kInternal, "", c.error_code)).http_status;
    std::cout << fmt::format("  errors      {:g}% of calls answer {} (HTTP {})\n",
                             c.error_rate * 100, c.error_code, http);
  }
  if (c.latency.count() > 0 || c.jitter.count() > 0) {
    std::cout << "  latency     " << FormatDuration(c.latency);
    if (c.jitter.count() > 0) std::cout << " + up to " << FormatDuration(c.jitter) << " jitter";
    std::cout << "\n";
  }
  if (c.throttle) {
    std::cout << fmt::format(
        "  throttling  EC2's request and resource token buckets{}\n",
        c.throttle_scale == 1 ? "" : fmt::format(" (x{:g} size and refill)", c.throttle_scale));
  }
  std::string actions;
  for (const auto& a : c.actions) actions += (actions.empty() ? "" : ", ") + a;
  std::cout << "  actions     " << (actions.empty() ? "every EC2 action" : actions) << "\n";
  if (c.seed != 0) std::cout << "  seed        " << c.seed << "\n";
  std::cout << "  so far      " << s.stats.calls << " calls: " << s.stats.errors << " failed, "
            << s.stats.throttled << " throttled, " << s.stats.delayed << " delayed ("
            << FormatDuration(s.stats.total_delay) << " in all)\n";
}

struct SetFlags {
  double error_rate = 0;
  std::string error_code;
  std::string latency;
  std::string jitter;
  bool throttle = false;
  double throttle_scale = 1;
  std::vector<std::string> actions;
  uint64_t seed = 0;
};

// The configuration the flags ask for; InvalidArgument saying which flag is wrong.
Result<Ec2FaultConfig> ConfigFromFlags(const SetFlags& f) {
  Ec2FaultConfig c;
  c.error_rate = f.error_rate;
  if (!f.error_code.empty()) {
    if (f.error_rate == 0) {
      return InvalidArgument("--error-code needs --error-rate (the share of calls that fail)");
    }
    c.error_code = f.error_code;
  }
  if (!f.latency.empty() && !ParseDuration(f.latency, &c.latency)) {
    return InvalidArgument("--latency '" + f.latency + "' is not a duration (50ms, 2s)");
  }
  if (!f.jitter.empty() && !ParseDuration(f.jitter, &c.jitter)) {
    return InvalidArgument("--jitter '" + f.jitter + "' is not a duration (20ms, 1s)");
  }
  c.throttle = f.throttle;
  if (f.throttle_scale != 1 && !f.throttle) {
    return InvalidArgument("--throttle-scale needs --throttle");
  }
  c.throttle_scale = f.throttle_scale;
  c.actions.insert(f.actions.begin(), f.actions.end());
  c.seed = f.seed;
  if (!c.enabled()) {
    return InvalidArgument(
        "no fault given: pass --error-rate, --latency, --jitter or --throttle (`cloud faults "
        "clear` turns them off)");
  }
  SK_RETURN_IF_ERROR(cloud::ValidateEc2FaultConfig(c));
  return c;
}

// A `cloud faults` verb that takes only --data-dir and --json: asks the cloud and prints its
// faults.
template <typename Call>
void AddFaultsVerb(CLI::App* faults, const std::string& name, const std::string& help,
                   const std::shared_ptr<std::string>& data_dir, const std::shared_ptr<bool>& json,
                   int* exit_code, Call call) {
  auto* verb = faults->add_subcommand(name, help);
  verb->add_option("--data-dir", *data_dir, "The cloud's data directory")->capture_default_str();
  verb->add_flag("--json", *json, "Print the admin API's JSON");
  verb->callback([=] {
    auto state = WithClient(*data_dir, call);
    if (!state.ok()) {
      *exit_code = Fail("faults " + name, state.status());
      return;
    }
    PrintFaults(*state, *json);
  });
}

void AddFaultsCommand(CLI::App& cloud, const std::shared_ptr<std::string>& data_dir,
                      int* exit_code) {
  auto* cmd = cloud.add_subcommand(
      "faults",
      "Inject faults into the running cloud's EC2 endpoint: errors, latency, throttling by "
      "EC2's token buckets (off until set; SQS and the admin API are never affected).");
  cmd->require_subcommand(1);
  auto json = std::make_shared<bool>(false);

  AddFaultsVerb(cmd, "show", "Show the faults and what they did so far.", data_dir, json, exit_code,
                [](CloudAdminClient& c) { return c.GetFaults(); });

  auto* set = cmd->add_subcommand(
      "set",
      "Replace the faults (what is not given is off) and show them. Example: spotkeeper cloud "
      "faults set --error-rate 0.05 --error-code Unavailable --latency 50ms --jitter 20ms "
      "--throttle");
  auto f = std::make_shared<SetFlags>();
  set->add_option("--data-dir", *data_dir, "The cloud's data directory")->capture_default_str();
  set->add_option("--error-rate", f->error_rate,
                  "Share of calls that fail, 0 to 1 (0.05: one in twenty)")
      ->check(CLI::Range(0.0, 1.0));
  std::string codes;
  for (const auto& code : cloud::InjectableEc2ErrorCodes()) {
    int http = aws::Ec2ErrorForStatus(Status(Code::kInternal, "", code)).http_status;
    codes += (codes.empty() ? "" : ", ") + code + " (" + std::to_string(http) + ")";
  }
  set->add_option("--error-code", f->error_code,
                  "The EC2 error the failing calls answer, default InternalError: " + codes)
      ->check(CLI::IsMember(cloud::InjectableEc2ErrorCodes()));
  set->add_option("--latency", f->latency, "Added to every call's answer (50ms, 1s)");
  set->add_option("--jitter", f->jitter,
                  "Plus a uniform random delay up to this (20ms), drawn per call");
  set->add_flag("--throttle", f->throttle,
                "Throttle like EC2: a token bucket per action sized by its category (and the "
                "resource buckets of Run/Terminate/Start/StopInstances); an empty bucket answers "
                "RequestLimitExceeded (503)");
  set->add_option("--throttle-scale", f->throttle_scale,
                  "Multiply every bucket's size and refill rate (0.1: throttled ten times sooner)")
      ->check(CLI::Range(0.001, 1000.0));
  set->add_option("--action", f->actions,
                  "Only these EC2 actions get faults (repeat the flag; default every action)");
  set->add_option("--seed", f->seed,
                  "Seed of the random draws, to replay a run (default: keep "
                  "the cloud's sequence going)");
  set->add_flag("--json", *json, "Print the admin API's JSON");
  set->callback([=] {
    auto config = ConfigFromFlags(*f);
    if (!config.ok()) {
      *exit_code = Fail("faults set", config.status());
      return;
    }
    auto state = WithClient(*data_dir, [&](CloudAdminClient& c) { return c.SetFaults(*config); });
    if (!state.ok()) {
      *exit_code = Fail("faults set", state.status());
      return;
    }
    PrintFaults(*state, *json);
  });

  AddFaultsVerb(cmd, "clear", "Turn every fault off.", data_dir, json, exit_code,
                [](CloudAdminClient& c) { return c.ClearFaults(); });
}

// --- the spot market: interrupt, capacity, cost

std::string Usd(double v) { return fmt::format("{:.6f}", v); }
std::string Percent(double v) { return fmt::format("{:.1f}%", v); }
std::string Capacity(int c) { return c < 0 ? "unlimited" : std::to_string(c); }
std::string CapacityCell(int c) { return c < 0 ? "-" : std::to_string(c); }
std::string RunningTime(double seconds) {
  return FormatDuration(Duration{static_cast<int64_t>(seconds * 1000)});
}

// "i-0abc (sir-1234): rebalance recommendation at T, notice +30s, terminate +2m30s (T')".
void PrintInterruptions(const std::vector<cloud::ScheduledInterruption>& list) {
  for (const auto& i : list) {
    std::cout << fmt::format(
        "  {} ({}): rebalance recommendation at {}, interruption notice +{}, {} +{} ({})\n",
        i.instance_id, i.spot_request_id, FormatTime(i.rebalance_time),
        FormatDuration(i.notice_time - i.rebalance_time), i.action,
        FormatDuration(i.action_time - i.rebalance_time), FormatTime(i.action_time));
  }
}

nlohmann::json InterruptionsJson(const std::vector<cloud::ScheduledInterruption>& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& i : list) out.push_back(cloud::InterruptionToJson(i));
  return out;
}

void AddInterruptCommand(CLI::App& cloud, const std::shared_ptr<std::string>& data_dir,
                         int* exit_code) {
  struct Flags {
    std::vector<std::string> ids;
    std::string notice;
    std::string lead;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = cloud.add_subcommand(
      "interrupt",
      "Interrupt running spot instances now, like AWS FIS's send-spot-instance-interruptions: "
      "a rebalance recommendation at once, the interruption notice (EventBridge warning, IMDS "
      "spot/instance-action) --rebalance-lead later, then the instance is terminated (or "
      "stopped, per its spot request) --notice after that. Example: spotkeeper cloud interrupt "
      "i-0123456789abcdef0 --notice 10s");
  cmd->add_option("INSTANCE", f->ids, "Spot instance ids (running)")->required();
  cmd->add_option("--notice", f->notice,
                  "From the interruption notice to the action (default: the market's, 120s)");
  cmd->add_option("--rebalance-lead", f->lead,
                  "From the rebalance recommendation to the notice (default: the market's, 30s)");
  cmd->add_option("--data-dir", *data_dir, "The cloud's data directory")->capture_default_str();
  cmd->add_flag("--json", f->json, "Print the admin API's JSON");
  cmd->callback([=] {
    cloud::InterruptRequest req;
    req.instance_ids = f->ids;
    Duration d{0};
    if (!f->notice.empty()) {
      if (!ParseDuration(f->notice, &d)) {
        *exit_code = Fail("interrupt", InvalidArgument("--notice '" + f->notice +
                                                       "' is not a duration (10s, 2m)"));
        return;
      }
      req.options.notice = d;
    }
    if (!f->lead.empty()) {
      if (!ParseDuration(f->lead, &d)) {
        *exit_code = Fail("interrupt", InvalidArgument("--rebalance-lead '" + f->lead +
                                                       "' is not a duration (0s, 30s)"));
        return;
      }
      req.options.rebalance_lead = d;
    }
    auto done = WithClient(*data_dir, [&](CloudAdminClient& c) { return c.Interrupt(req); });
    if (!done.ok()) {
      *exit_code = Fail("interrupt", done.status());
      return;
    }
    if (f->json) {
      std::cout << nlohmann::json{{"interruptions", InterruptionsJson(*done)}}.dump(2) << "\n";
      return;
    }
    std::cout << "interrupting " << done->size() << " spot instance(s):\n";
    PrintInterruptions(*done);
  });
}

// "t3.micro/local-1a" -> type and zone; "t3.micro" -> the type, every zone.
struct PoolName {
  std::string type;
  std::string az;
};
Result<PoolName> ParsePool(const std::string& text) {
  size_t slash = text.find('/');
  PoolName p{text.substr(0, slash), slash == std::string::npos ? "" : text.substr(slash + 1)};
  if (p.type.empty() || (slash != std::string::npos && p.az.empty()) ||
      p.az.find('/') != std::string::npos) {
    return InvalidArgument("POOL '" + text +
                           "' is not INSTANCE_TYPE/AVAILABILITY_ZONE (t3.micro/local-1a) or an "
                           "instance type");
  }
  return p;
}

void PrintPools(const std::vector<cloud::PoolView>& pools, size_t hidden) {
  // Fits in 100 columns with the longest values ("c5.2xlarge/local-1a", "1.8e-05 (10-15%)");
  // an unlimited capacity is "-".
  Table t({"POOL", "OD $/H", "SPOT $/H", "SAVED", "SPOT CAP", "SPOT USE", "OD CAP", "OD USE",
           "INTERRUPTIONS/H"});
  for (const auto& p : pools) {
    double saved =
        p.on_demand_price > 0 ? 100 * (p.on_demand_price - p.spot_price) / p.on_demand_price : 0;
    t.AddRow({p.instance_type + "/" + p.availability_zone, fmt::format("{:.4f}", p.on_demand_price),
              fmt::format("{:.4f}", p.spot_price), fmt::format("{:.0f}%", saved),
              CapacityCell(p.spot_capacity), std::to_string(p.spot_in_use),
              CapacityCell(p.on_demand_capacity), std::to_string(p.on_demand_in_use),
              fmt::format("{:.2g} ({})", p.rate_per_hour, p.bucket)});
  }
  t.Print(std::cout, TableWidth());
  std::cout << "(CAP -: unlimited)\n";
  if (hidden > 0) {
    std::cout << hidden
              << " more pools have unlimited capacity and nothing running (--all lists them)\n";
  }
}

void AddCapacityCommand(CLI::App& cloud, const std::shared_ptr<std::string>& data_dir,
                        int* exit_code) {
  struct Flags {
    std::string pool;
    std::string set;
    bool on_demand = false;
    bool all = false;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = cloud.add_subcommand(
      "capacity",
      "Show the spot market's pools (per instance type and zone: on-demand and spot price, "
      "capacity and use of each market, interruption rate), or set one pool's capacity with "
      "--set: a spot capacity below what the pool runs reclaims the newest spot instances with "
      "the usual rebalance recommendation and notice (instance-terminated-no-capacity), and "
      "launches beyond it answer InsufficientInstanceCapacity. It lasts until the cloud "
      "restarts. Example: spotkeeper cloud capacity t3.micro/local-1a --set 0");
  cmd->add_option("POOL", f->pool,
                  "INSTANCE_TYPE/AVAILABILITY_ZONE (t3.micro/local-1a), or an instance type for "
                  "all its zones (listing only)");
  cmd->add_option("--set", f->set,
                  "The pool's new capacity: a number of instances (0 drains it) or 'unlimited'");
  cmd->add_flag("--on-demand", f->on_demand,
                "--set the on-demand capacity (refuses on-demand launches; never reclaims)");
  cmd->add_flag("--all", f->all, "List every pool (default: those in use or with a capacity)");
  cmd->add_option("--data-dir", *data_dir, "The cloud's data directory")->capture_default_str();
  cmd->add_flag("--json", f->json, "Print the admin API's JSON");
  cmd->callback([=] {
    PoolName name;
    if (!f->pool.empty()) {
      auto parsed = ParsePool(f->pool);
      if (!parsed.ok()) {
        *exit_code = Fail("capacity", parsed.status());
        return;
      }
      name = *parsed;
    }
    if (f->set.empty()) {
      if (f->on_demand) {
        *exit_code = Fail("capacity", InvalidArgument("--on-demand goes with --set N"));
        return;
      }
      auto pools = WithClient(*data_dir, [](CloudAdminClient& c) { return c.GetPools(); });
      if (!pools.ok()) {
        *exit_code = Fail("capacity", pools.status());
        return;
      }
      std::vector<cloud::PoolView> shown;
      size_t hidden = 0;
      for (const auto& p : *pools) {
        if (!name.type.empty() && (p.instance_type != name.type ||
                                   (!name.az.empty() && p.availability_zone != name.az))) {
          continue;
        }
        bool interesting = p.spot_in_use > 0 || p.on_demand_in_use > 0 || p.spot_capacity >= 0 ||
                           p.on_demand_capacity >= 0;
        if (interesting || f->all || !name.type.empty()) {
          shown.push_back(p);
        } else {
          ++hidden;
        }
      }
      if (!name.type.empty() && shown.empty()) {
        *exit_code = Fail("capacity", NotFound("no pool " + f->pool +
                                               " (`spotkeeper cloud capacity --all` lists them)"));
        return;
      }
      if (f->json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& p : shown) list.push_back(cloud::PoolToJson(p));
        std::cout << nlohmann::json{{"pools", list}}.dump(2) << "\n";
        return;
      }
      if (shown.empty()) std::cout << "no pool is in use or has a capacity set\n";
      if (!shown.empty()) PrintPools(shown, hidden);
      if (shown.empty() && hidden > 0) {
        std::cout << hidden << " pools have unlimited capacity (--all lists them)\n";
      }
      return;
    }
    cloud::PoolCapacityRequest req;
    req.market = f->on_demand ? "on-demand" : "spot";
    if (name.type.empty() || name.az.empty()) {
      *exit_code = Fail("capacity", InvalidArgument("--set needs a POOL with its zone, like "
                                                    "t3.micro/local-1a"));
      return;
    }
    req.instance_type = name.type;
    req.availability_zone = name.az;
    if (f->set == "unlimited" || f->set == "-1") {
      req.capacity = -1;
    } else {
      char* end = nullptr;
      long n = std::strtol(f->set.c_str(), &end, 10);
      if (f->set.empty() || *end != '\0' || n < 0 || n > 1'000'000) {
        *exit_code = Fail("capacity", InvalidArgument("--set '" + f->set +
                                                      "' is not a capacity: give a number of "
                                                      "instances from 0 or 'unlimited'"));
        return;
      }
      req.capacity = static_cast<int>(n);
    }
    auto change =
        WithClient(*data_dir, [&](CloudAdminClient& c) { return c.SetPoolCapacity(req); });
    if (!change.ok()) {
      *exit_code = Fail("capacity", change.status());
      return;
    }
    if (f->json) {
      std::cout << nlohmann::json{{"pool", cloud::PoolToJson(change->pool)},
                                  {"interruptions", InterruptionsJson(change->interruptions)}}
                       .dump(2)
                << "\n";
      return;
    }
    std::cout << fmt::format("{} capacity of {}/{} is now {}\n", req.market, req.instance_type,
                             req.availability_zone, Capacity(req.capacity));
    if (!change->interruptions.empty()) {
      std::cout << "reclaiming " << change->interruptions.size() << " spot instance(s):\n";
      PrintInterruptions(change->interruptions);
    }
    PrintPools({change->pool}, 0);
  });
}

void AddCostCommand(CLI::App& cloud, const std::shared_ptr<std::string>& data_dir, int* exit_code) {
  struct Flags {
    std::string tag;
    bool json = false;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = cloud.add_subcommand(
      "cost",
      "What the cloud's instances cost so far, accrued by the second at their price (spot: the "
      "pool's spot price over time; on-demand: the on-demand price), beside what the same "
      "running time costs on demand and the share saved. Per instance (terminated ones "
      "included for 31 days), or per value of one tag with --by-tag KEY.");
  cmd->add_option(
      "--by-tag", f->tag,
      "Sum per value of this tag key (spotkeeper:group for each spotkeeper group, team, ...)");
  cmd->add_option("--data-dir", *data_dir, "The cloud's data directory")->capture_default_str();
  cmd->add_flag("--json", f->json, "Print the admin API's JSON");
  cmd->callback([=] {
    auto report = WithClient(*data_dir, [](CloudAdminClient& c) { return c.GetCost(); });
    if (!report.ok()) {
      *exit_code = Fail("cost", report.status());
      return;
    }
    if (f->json) {
      std::cout << cloud::CostReportToJson(*report).dump(2) << "\n";
      return;
    }
    const cloud::CostSum& all = report->total;
    auto sum_row = [](const std::string& name, const cloud::CostSum& s) {
      return std::vector<std::string>{
          name,        std::to_string(s.instances), RunningTime(s.seconds),
          Usd(s.cost), Usd(s.on_demand_cost),       Percent(s.SavedPercent())};
    };
    if (!f->tag.empty()) {
      Table t({f->tag, "INSTANCES", "RUNNING", "COST $", "ON-DEMAND $", "SAVED"});
      cloud::CostSum untagged = all;
      auto it = report->by_tag.find(f->tag);
      if (it != report->by_tag.end()) {
        for (const auto& [value, sum] : it->second) {
          t.AddRow(sum_row(value, sum));
          untagged.instances -= sum.instances;
          untagged.seconds -= sum.seconds;
          untagged.cost -= sum.cost;
          untagged.on_demand_cost -= sum.on_demand_cost;
        }
      }
      if (untagged.instances > 0) t.AddRow(sum_row("(no " + f->tag + " tag)", untagged));
      t.AddRow(sum_row("TOTAL", all));
      t.Print(std::cout, TableWidth());
      return;
    }
    Table t({"INSTANCE", "TYPE/ZONE", "LIFECYCLE", "STATE", "RUNNING", "COST $", "ON-DEMAND $",
             "SAVED"});
    for (const auto& v : report->instances) {
      cloud::CostSum one;
      one.Add(v);
      t.AddRow({v.instance_id, v.instance_type + "/" + v.availability_zone, v.lifecycle, v.state,
                RunningTime(v.seconds), Usd(v.cost), Usd(v.on_demand_cost),
                Percent(one.SavedPercent())});
    }
    t.AddRow({"TOTAL (" + std::to_string(all.instances) + ")", "", "", "", RunningTime(all.seconds),
              Usd(all.cost), Usd(all.on_demand_cost), Percent(all.SavedPercent())});
    t.Print(std::cout, TableWidth());
  });
}

}  // namespace

void AddCloudChaosCommands(CLI::App& cloud, std::shared_ptr<std::string> data_dir, int* exit_code) {
  AddFaultsCommand(cloud, data_dir, exit_code);
  AddInterruptCommand(cloud, data_dir, exit_code);
  AddCapacityCommand(cloud, data_dir, exit_code);
  AddCostCommand(cloud, data_dir, exit_code);
}

}  // namespace spotkeeper::cli
