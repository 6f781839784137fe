#include "cloud/host/linux/runc_client.h"

#include <nlohmann/json.hpp>

#include "cloud/host/linux/command_runner.h"

namespace spotkeeper::cloud::linuxhost {
namespace {

constexpr auto kRuncTimeout = std::chrono::seconds(60);

bool NotExist(const CommandResult& r) {
  return r.err.find("does not exist") != std::string::npos ||
         r.err.find("not exist") != std::string::npos;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

Status Failed(const std::vector<std::string>& argv, const CommandResult& r) {
  return Internal(JoinArgv(argv) + ": exit " + std::to_string(r.exit_code) + ": " +
                  Trim(r.err.empty() ? r.out : r.err));
}

}  // namespace

Status RuncClient::RunDetached(const std::string& id, const std::string& bundle, int console_fd,
                               int err_fd, const std::string& log_file) {
  CommandSpec spec;
  spec.argv = {runc_, "--root",   root_,      "--log", log_file,
               "run", "--detach", "--bundle", bundle,  id};
  spec.stdout_fd = console_fd;
  spec.stderr_fd = err_fd;
  spec.timeout = kRuncTimeout;
  SK_ASSIGN_OR_RETURN(CommandResult r, RunCommand(spec));
  if (r.exit_code != 0) {
    return Internal(JoinArgv(spec.argv) + ": exit " + std::to_string(r.exit_code));
  }
  return OkStatus();
}

Result<ContainerState> RuncClient::State(const std::string& id) {
  CommandSpec spec;
  spec.argv = Base();
  spec.argv.insert(spec.argv.end(), {"state", id});
  spec.timeout = kRuncTimeout;
  SK_ASSIGN_OR_RETURN(CommandResult r, RunCommand(spec));
  if (r.exit_code != 0) {
    if (NotExist(r)) return NotFound("container " + id + " does not exist");
    return Failed(spec.argv, r);
  }
  try {
    auto j = nlohmann::json::parse(r.out);
    return ContainerState{j.value("id", id), j.value("status", ""), j.value("pid", 0)};
  } catch (const std::exception& e) {
    return Internal("runc state " + id + ": " + e.what());
  }
}

Result<std::vector<ContainerState>> RuncClient::List() {
  CommandSpec spec;
  spec.argv = Base();
  spec.argv.insert(spec.argv.end(), {"list", "--format", "json"});
  spec.timeout = kRuncTimeout;
  SK_ASSIGN_OR_RETURN(std::string out, RunChecked(spec));
  std::vector<ContainerState> list;
  try {
    auto j = nlohmann::json::parse(out);
    if (j.is_null()) return list;
    for (const auto& c : j) {
      list.push_back({c.value("id", ""), c.value("status", ""), c.value("pid", 0)});
    }
  } catch (const std::exception& e) {
    return Internal(std::string("runc list: ") + e.what());
  }
  return list;
}

Status RuncClient::Kill(const std::string& id, const std::string& signal) {
  CommandSpec spec;
  spec.argv = Base();
  spec.argv.insert(spec.argv.end(), {"kill", id, signal});
  spec.timeout = kRuncTimeout;
  SK_ASSIGN_OR_RETURN(CommandResult r, RunCommand(spec));
  if (r.exit_code == 0 || NotExist(r) || r.err.find("not running") != std::string::npos ||
      r.err.find("process already finished") != std::string::npos) {
    return OkStatus();
  }
  return Failed(spec.argv, r);
}

Status RuncClient::Delete(const std::string& id) {
  CommandSpec spec;
  spec.argv = Base();
  spec.argv.insert(spec.argv.end(), {"delete", "--force", id});
  spec.timeout = kRuncTimeout;
  SK_ASSIGN_OR_RETURN(CommandResult r, RunCommand(spec));
  if (r.exit_code == 0 || NotExist(r)) return OkStatus();
  return Failed(spec.argv, r);
}

std::vector<std::string> RuncClient::ExecArgv(const std::string& id,
                                              const std::vector<std::string>& argv,
                                              bool tty) const {
  std::vector<std::string> out = Base();
  out.push_back("exec");
  if (tty) out.push_back("--tty");
  out.push_back(id);
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

}  // namespace spotkeeper::cloud::linuxhost
