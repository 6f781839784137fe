// Makes the HostDriver a cloud runs on, by name:
//   "linux"  LinuxHostDriver (root; namespaces, runc, loop devices) when this build has it
//   "fake"   FakeHostDriver: everything in memory, nothing real runs (tests without root)
#pragma once

#include <memory>
#include <string>

#include "cloud/host/host_driver.h"
#include "common/status.h"

namespace spotkeeper::cloud {

struct HostDriverOptions {
  std::string data_dir;  // the cloud's data directory
  std::string prefix;    // names every host object; empty: the driver derives one
};

// InvalidArgument for an unknown kind; Unimplemented for "linux" in a build without it.
Result<std::unique_ptr<HostDriver>> MakeHostDriver(const std::string& kind,
                                                   const HostDriverOptions& options);

}  // namespace spotkeeper::cloud
