// The spotkeeper command line: one binary, one subcommand per verb. Each Add*Command registers
// its subcommand on the app; its callback stores the process exit code in *exit_code.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/client.h"

namespace spotkeeper::cli {

void AddValidateCommand(CLI::App& app, int* exit_code);
void AddSimulateCommand(CLI::App& app, int* exit_code);

// `server`: the daemon (its --data-dir is the global one).
void AddServerCommand(CLI::App& app, const ClientOptions* client, int* exit_code);
// API verbs; `client` holds the global --server/--token/--data-dir/-o.
void AddGroupCommand(CLI::App& app, const ClientOptions* client, int* exit_code);
void AddInstanceCommand(CLI::App& app, const ClientOptions* client, int* exit_code);
void AddEventsCommand(CLI::App& app, const ClientOptions* client, int* exit_code);
// `cloud ...`: the local cloud (cloud_command.cc).
void AddCloudCommand(CLI::App& app, int* exit_code);
// `dev`: the local cloud and the controller in one process (dev_command.cc).
void AddDevCommand(CLI::App& app, const ClientOptions* client, int* exit_code);
// `completion bash`: generated from the whole command tree (register it last).
void AddCompletionCommand(CLI::App& app, int* exit_code);

// The help of `server` and `dev`'s --provider-faults.
inline constexpr const char* kProviderFaultsHelp =
    "Testing: inject faults into every cloud call, e.g. "
    "\"error=0.05,lost=0.01,latency=20ms,seed=7,RunInstances.error=0.3\". error: retryable "
    "errors (RequestLimitExceeded, InternalError, Unavailable; the call is not made); terminal: "
    "UnauthorizedOperation (SSIs go to ERROR); lost: the call takes effect but its response is "
    "lost (RequestTimeout); latency: a uniform wait up to D (ms, s, m) before each call; seed: "
    "the draws' seed; ACTION.KEY: for one EC2 action. See docs/cli.md";

}  // namespace spotkeeper::cli
