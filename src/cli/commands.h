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

}  // namespace spotkeeper::cli
