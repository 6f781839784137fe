// ImdsServer: one HTTP listener per VPC answering ImdsHandler, bound inside the VPC's network
// namespace (HostDriver::RunInVpc) at 169.254.169.254:80, so only that VPC's instances reach it
// and the source address identifies the instance. Tests with the fake driver bind loopback
// instead (bind_host 127.0.0.1, port 0) and map the source address themselves.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "cloud/api/imds_handler.h"
#include "cloud/host/host_driver.h"

namespace httplib {
class Server;
}

namespace spotkeeper::cloud {

struct ImdsOptions {
  std::string bind_host = "169.254.169.254";
  int port = 80;  // 0: any free port (tests)
  // Tests only: the instance address to use for a request from `remote` (default: `remote`).
  std::function<std::string(const std::string& vpc_id, const std::string& remote)> source_of;
};

class ImdsServer {
 public:
  ImdsServer(ImdsHandler* handler, HostDriver* driver, ImdsOptions options);
  ~ImdsServer();  // StopAll()

  // Starts the VPC's listener (no-op when it runs); returns once it accepts connections.
  Status StartVpc(const std::string& vpc_id);
  // The bound port of a VPC's listener, 0 when none.
  int PortFor(const std::string& vpc_id);
  void StopAll();

 private:
  struct Listener;
  ImdsHandler* handler_;
  HostDriver* driver_;
  ImdsOptions options_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Listener>> listeners_;
};

}  // namespace spotkeeper::cloud
