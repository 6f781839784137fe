// Subprocess: runs a program with a controlled environment, collects its stdout and stderr
// through pipes, and waits for output or exit with deadlines (poll on the pipes and a pidfd:
// no sleeping).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spotkeeper::testing {

class Subprocess {
 public:
  // Starts argv[0] with the environment `env` only (nothing inherited but PATH). With a
  // `log_path`, stdout and stderr go to that file instead of pipes (for long-running servers
  // whose output nobody reads all the time); read it with Log().
  static std::unique_ptr<Subprocess> Start(const std::vector<std::string>& argv,
                                           const std::map<std::string, std::string>& env,
                                           const std::string& log_path = "");
  ~Subprocess();  // kills the process if it still runs

  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // Waits up to `timeout` for the exit; the exit code (128+signal when killed), nullopt when
  // it still runs.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // Reads output until `done(stdout, stderr)` holds or `timeout` passes (or the process ends).
  bool WaitFor(const std::function<bool(const std::string&, const std::string&)>& done,
               std::chrono::milliseconds timeout);

  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }
  // The log file's content so far ("" without a log_path).
  std::string Log() const;

 private:
  Subprocess() = default;
  // One round of poll: reads what is there, reaps the exit. False when nothing can change.
  bool Pump(std::chrono::steady_clock::time_point deadline);

  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1, pidfd_ = -1;
  std::string out_, err_;
  std::optional<int> exit_;
  std::string log_path_;
};

struct RunResult {
  int exit = -1;  // -1: did not finish in time (killed)
  std::string out, err;
};

// Runs to completion (at most `timeout`).
RunResult RunProcess(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& env,
                     std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace spotkeeper::testing
