// SimServer: the real `spotkeeper server --provider sim` in a subprocess on a fresh data
// directory and a free port, for the process-level tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/api_test_util.h"
#include "subprocess.h"

namespace spotkeeper::testing {

// The built binary (from CMake).
std::string SpotkeeperBinary();

// Waits (inotify, with a deadline) until `dir`/`name` exists.
bool WaitForFile(const std::string& dir, const std::string& name,
                 std::chrono::milliseconds timeout);

class SimServer {
 public:
  // Starts the server; `extra` flags are appended. Check ok() before use.
  explicit SimServer(const std::string& data_dir, std::vector<std::string> extra = {},
                     std::map<std::string, std::string> env = {});
  ~SimServer();

  bool ok() const { return ok_; }
  Subprocess& process() { return *process_; }
  const std::string& url() const { return url_; }
  const std::string& token() const { return token_; }
  const std::string& data_dir() const { return dir_; }
  // What the server wrote to stdout and stderr so far.
  std::string Log() const { return process_ ? process_->Log() : ""; }
  // The environment a CLI process needs to talk to this server (through the data dir).
  std::map<std::string, std::string> ClientEnv() const;
  // SIGTERM and wait; the exit code (-1 if it did not exit in time).
  int Stop();

 private:
  std::string dir_;
  std::unique_ptr<Subprocess> process_;
  std::string url_, token_;
  bool ok_ = false;
};

}  // namespace spotkeeper::testing
