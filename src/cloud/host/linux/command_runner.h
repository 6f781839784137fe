// RunCommand: the one way LinuxHostDriver runs an external program (ip, runc, mkfs.ext4, ...).
// An argv vector (never a shell), a clean signal state in the child, a timeout after which the
// child's process group is killed, and stdout/stderr captured for the error Status.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace spotkeeper::cloud::linuxhost {

struct CommandSpec {
  std::vector<std::string> argv = {};  // argv[0]: an absolute path
  // Zero: no timeout. On timeout the child (and its process group) gets SIGKILL.
  Duration timeout = std::chrono::seconds(60);
  std::string stdin_data = {};  // the child's stdin (else /dev/null)
  // When >= 0 the child's stdout / stderr is this descriptor instead of a captured pipe. Use
  // files, not pipes, for programs that leave children behind (`runc run -d`): a captured pipe
  // would stay open in the grandchild.
  int stdout_fd = -1;
  int stderr_fd = -1;
  // The caller's stdin/stdout/stderr, same process group (so a terminal keeps working);
  // nothing is captured. For Exec.
  bool inherit_stdio = false;
};

struct CommandResult {
  int exit_code = 0;  // 128 + signal number when the child was killed by a signal
  std::string out;
  std::string err;
};

// Runs the command to completion. An error only when it could not be started or timed out; a
// non-zero exit is a CommandResult.
Result<CommandResult> RunCommand(const CommandSpec& spec);

// Runs the command and returns its stdout; a non-zero exit is an Internal error whose message
// names the command, the exit code and the (trimmed) stderr.
Result<std::string> RunChecked(const CommandSpec& spec);
Result<std::string> RunChecked(std::vector<std::string> argv);

// "ip -n x link add ..." for messages.
std::string JoinArgv(const std::vector<std::string>& argv);

}  // namespace spotkeeper::cloud::linuxhost
