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
  app.fallthrough();  // global options may follow the subcommand
  app.footer(spotkeeper::cli::ExitCodesHelp());
  int exit_code = 0;
  spotkeeper::cli::ClientOptions client;
  spotkeeper::cli::AddClientOptions(app, &client);
  spotkeeper::cli::AddValidateCommand(app, &exit_code);
  spotkeeper::cli::AddSimulateCommand(app, &exit_code);
  spotkeeper::cli::AddServerCommand(app, &client, &exit_code);
  spotkeeper::cli::AddGroupCommand(app, &client, &exit_code);
  spotkeeper::cli::AddInstanceCommand(app, &client, &exit_code);
  spotkeeper::cli::AddEventsCommand(app, &client, &exit_code);
  spotkeeper::cli::AddCloudCommand(app, &exit_code);
  spotkeeper::cli::AddDevCommand(app, &client, &exit_code);
  spotkeeper::cli::AddCompletionCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints the help or the problem
    return code == 0 ? 0 : spotkeeper::cli::kExitUsage;
  }
  return exit_code;
}
