// spotkeeper: keeps stateful workloads alive on spot instances.
#include <spdlog/spdlog.h>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "spotkeeper keeps stateful workloads (databases, Kafka, ZooKeeper, ...) alive on spot\n"
      "instances: a reclaimed instance comes back with the same root volume, data volumes,\n"
      "private IP and tags."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "spotkeeper 0.1.0");
  int exit_code = 0;
  spotkeeper::cli::AddValidateCommand(app, &exit_code);
  spotkeeper::cli::AddSimulateCommand(app, &exit_code);
  spotkeeper::cli::AddCloudCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
