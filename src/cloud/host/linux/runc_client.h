// RuncClient: the runc command line with the pool's state root (`runc --root <pool>/run`).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace spotkeeper::cloud::linuxhost {

struct ContainerState {
  std::string id;
  std::string status;  // "created", "running", "paused", "stopped"
  int pid = 0;         // of its init; 0 when stopped
};

class RuncClient {
 public:
  RuncClient(std::string runc, std::string root) : runc_(std::move(runc)), root_(std::move(root)) {}

  // `runc run -d`: starts the container detached and returns once its init runs. The init's
  // stdout is `console_fd`, its stdin /dev/null; `err_fd` receives runc's own messages (and,
  // until the init redirects it, the init's stderr). `log_file`: runc's --log.
  Status RunDetached(const std::string& id, const std::string& bundle, int console_fd, int err_fd,
                     const std::string& log_file);
  // NotFound when there is no such container.
  Result<ContainerState> State(const std::string& id);
  Result<std::vector<ContainerState>> List();
  // `runc kill`; a container that is not running is not an error.
  Status Kill(const std::string& id, const std::string& signal);
  // `runc delete --force`; absent: OK.
  Status Delete(const std::string& id);
  // The argv of `runc exec [-t] <id> argv...`.
  std::vector<std::string> ExecArgv(const std::string& id, const std::vector<std::string>& argv,
                                    bool tty) const;

 private:
  std::vector<std::string> Base() const { return {runc_, "--root", root_}; }
  std::string runc_;
  std::string root_;
};

}  // namespace spotkeeper::cloud::linuxhost
