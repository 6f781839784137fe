#include "cli/cloud_chaos_command.h"

#include <fmt/format.h>

#include <iostream>

#include "awsproto/aws_error.h"
#include "cli/client.h"
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
    case Code::kUnavailable:
    case Code::kFailedPrecondition:
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

void AddFaultsCommand(CLI::App& cloud, const std::shared_ptr<std::string>& data_dir,
                      int* exit_code) {
  auto* cmd = cloud.add_subcommand(
      "faults",
      "Inject faults into the running cloud's EC2 endpoint: errors, latency, throttling by "
      "EC2's token buckets (off until set; SQS and the admin API are never affected).");
  cmd->require_subcommand(1);
  auto json = std::make_shared<bool>(false);

  auto* show = cmd->add_subcommand("show", "Show the faults and what they did so far.");
  show->add_option("--data-dir", *data_dir, "The cloud's data directory")->capture_default_str();
  show->add_flag("--json", *json, "Print the admin API's JSON");
  show->callback([=] {
    auto state = WithClient(*data_dir, [](CloudAdminClient& c) { return c.GetFaults(); });
    if (!state.ok()) {
      *exit_code = Fail("faults show", state.status());
      return;
    }
    PrintFaults(*state, *json);
  });

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

  auto* clear = cmd->add_subcommand("clear", "Turn every fault off.");
  clear->add_option("--data-dir", *data_dir, "The cloud's data directory")->capture_default_str();
  clear->add_flag("--json", *json, "Print the admin API's JSON");
  clear->callback([=] {
    auto state = WithClient(*data_dir, [](CloudAdminClient& c) { return c.ClearFaults(); });
    if (!state.ok()) {
      *exit_code = Fail("faults clear", state.status());
      return;
    }
    PrintFaults(*state, *json);
  });
}

}  // namespace

void AddCloudChaosCommands(CLI::App& cloud, std::shared_ptr<std::string> data_dir, int* exit_code) {
  AddFaultsCommand(cloud, data_dir, exit_code);
}

}  // namespace spotkeeper::cli
