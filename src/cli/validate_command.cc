// `spotkeeper validate FILE...`: checks group specs without talking to anything.
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "spec/group_spec.h"

namespace spotkeeper::cli {

void AddValidateCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("validate",
                                 "Check group spec files (YAML or JSON); prints OK "
                                 "or every problem with its field path. Exit 1 on "
                                 "errors.");
  auto files = std::make_shared<std::vector<std::string>>();
  cmd->add_option("FILE", *files, "Spec files")->required();
  cmd->callback([files, exit_code] {
    for (const auto& path : *files) {
      std::ifstream in(path);
      if (!in) {
        std::cout << path << ": cannot read the file\n";
        *exit_code = 1;
        continue;
      }
      std::stringstream buf;
      buf << in.rdbuf();
      ParseOutcome out = ParseGroupSpec(buf.str());
      if (out.ok()) {
        std::cout << path << ": OK\n";
        continue;
      }
      *exit_code = 1;
      std::cout << path << ": " << out.errors.size() << " problem"
                << (out.errors.size() == 1 ? "" : "s") << "\n";
      for (const auto& e : out.errors) std::cout << "  " << e.ToString() << "\n";
    }
  });
}

}  // namespace spotkeeper::cli
