// `spotkeeper cloud snapshot list|verify`: the local cloud's stored snapshots, read from the
// chunk store in <data dir>/snapshots (no server, no root).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

namespace spotkeeper::cli {

// Adds `snapshot` under the `cloud` command; `data_dir` is shared with the other cloud verbs.
void AddCloudSnapshotCommand(CLI::App& cloud, std::shared_ptr<std::string> data_dir,
                             int* exit_code);

}  // namespace spotkeeper::cli
