// `spotkeeper completion bash`: a bash completion script generated from the command tree, so it
// always knows every subcommand and option.
#include <iostream>
#include <map>
#include <memory>

#include "cli/commands.h"

namespace spotkeeper::cli {
namespace {

// "group create" -> "--file -f --wait ..." for every command path.
void Collect(const CLI::App* app, const std::string& path,
             std::map<std::string, std::string>* words) {
  std::string w;
  for (const CLI::App* sub : app->get_subcommands([](const CLI::App*) { return true; })) {
    w += sub->get_name() + " ";
    for (const auto& alias : sub->get_aliases()) w += alias + " ";
    Collect(sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), words);
    for (const auto& alias : sub->get_aliases()) {
      Collect(sub, path.empty() ? alias : path + " " + alias, words);
    }
  }
  for (const CLI::Option* opt : app->get_options()) {
    for (const auto& l : opt->get_lnames()) w += "--" + l + " ";
    for (const auto& s : opt->get_snames()) w += "-" + s + " ";
  }
  while (!w.empty() && w.back() == ' ') w.pop_back();
  (*words)[path] = w;
}

std::string BashScript(const CLI::App& root) {
  std::map<std::string, std::string> words;
  Collect(&root, "", &words);
  std::string cases;
  for (const auto& [path, w] : words) {
    cases += "    \"" + path + "\") words=\"" + w + "\" ;;\n";
  }
  return R"sh(# bash completion for spotkeeper. Load it with:
#   source <(spotkeeper completion bash)
# or install it: spotkeeper completion bash > /etc/bash_completion.d/spotkeeper
_spotkeeper() {
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
    -o|--output) COMPREPLY=($(compgen -W "table json yaml" -- "$cur")); return ;;
    -f|--file|--config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --data-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --provider) COMPREPLY=($(compgen -W "sim ec2" -- "$cur")); return ;;
    --log-format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
    --log-level) COMPREPLY=($(compgen -W "trace debug info warn error critical off" -- "$cur")); return ;;
    --state) COMPREPLY=($(compgen -W "ACTIVE PAUSE PAUSING PAUSED RESUME RESUMING RECYCLE RECYCLING DEALLOCATE DEALLOCATING DEALLOCATED ERROR" -- "$cur")); return ;;
  esac
  # The command path: the words so far that are not options (nor option values).
  local path="" w i
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    case " $(_spotkeeper_words "$path") " in
      *" $w "*) path="${path:+$path }$w" ;;
    esac
  done
  COMPREPLY=($(compgen -W "$(_spotkeeper_words "$path")" -- "$cur"))
}
_spotkeeper_words() {
  local words=""
  case "$1" in
)sh" + cases +
         R"sh(  esac
  echo "$words"
}
complete -o default -F _spotkeeper spotkeeper
)sh";
}

}  // namespace

void AddCompletionCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("completion", "Print a shell completion script");
  auto shell = std::make_shared<std::string>();
  cmd->add_option("SHELL", *shell, "The shell (bash)")->required()->check(CLI::IsMember({"bash"}));
  const CLI::App* root = &app;
  cmd->callback([root, shell, exit_code] {
    std::cout << BashScript(*root);
    *exit_code = 0;
  });
}

}  // namespace spotkeeper::cli
