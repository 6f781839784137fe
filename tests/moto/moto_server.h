// MotoServer: runs moto_server (`$SPOTKEEPER_PYTHON -m moto.server`; python3 from PATH when the
// variable is unset) on a free loopback port for the life of the object. Start() waits, up to a
// deadline, until the server answers; the destructor (and Stop) kills it, SIGTERM then SIGKILL.
// The child also dies with the test process (PR_SET_PDEATHSIG), so a crashed test leaves no
// server behind.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/status.h"
#include "common/time.h"

namespace spotkeeper {

class MotoServer {
 public:
  MotoServer() = default;
  ~MotoServer();
  MotoServer(const MotoServer&) = delete;
  MotoServer& operator=(const MotoServer&) = delete;

  // Starts the server and waits until it answers, at most `deadline`.
  Status Start(Duration deadline = std::chrono::seconds(60));
  void Stop();
  // POST /moto-api/reset: forget every resource.
  Status Reset();

  // "http://127.0.0.1:<port>"
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  // moto's own output, for failure messages.
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

}  // namespace spotkeeper
