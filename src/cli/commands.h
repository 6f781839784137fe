// The spotkeeper command line: one binary, one subcommand per verb. Each Add*Command registers
// its subcommand on the app; its callback stores the process exit code in *exit_code.
#pragma once

#include <CLI/CLI.hpp>

namespace spotkeeper::cli {

void AddValidateCommand(CLI::App& app, int* exit_code);
void AddSimulateCommand(CLI::App& app, int* exit_code);
void AddCloudCommand(CLI::App& app, int* exit_code);

}  // namespace spotkeeper::cli
