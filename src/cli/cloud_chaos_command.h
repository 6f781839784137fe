// `spotkeeper cloud faults show|set|clear`: chaos on a running local cloud, through its admin
// API (cloud/api/cloud_admin_client.h), found from the cloud's data dir the way `cloud
// credentials` finds it.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

namespace spotkeeper::cli {

// Adds the chaos verbs under the `cloud` command; `data_dir` is shared with the other cloud
// verbs.
void AddCloudChaosCommands(CLI::App& cloud, std::shared_ptr<std::string> data_dir, int* exit_code);

}  // namespace spotkeeper::cli
