#include "cloud/host/linux/host_tools.h"

#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <vector>

namespace spotkeeper::cloud::linuxhost {

std::string FindExecutable(const std::string& name) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    std::string dir;
    while (std::getline(ss, dir, ':')) {
      if (!dir.empty() && dir[0] == '/') dirs.push_back(dir);
    }
  }
  for (const char* d : {"/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
    dirs.push_back(d);
  }
  for (const auto& dir : dirs) {
    std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

Result<HostTools> HostTools::Find() {
  struct Need {
    const char* name;
    const char* package;
    std::string HostTools::*field;
  };
  const Need needs[] = {
      {"runc", "runc", &HostTools::runc},
      {"ip", "iproute2", &HostTools::ip},
      {"mkfs.ext4", "e2fsprogs", &HostTools::mkfs_ext4},
      {"e2fsck", "e2fsprogs", &HostTools::e2fsck},
      {"resize2fs", "e2fsprogs", &HostTools::resize2fs},
  };
  HostTools tools;
  std::string missing;
  for (const auto& need : needs) {
    std::string path = FindExecutable(need.name);
    if (path.empty()) {
      missing += std::string(missing.empty() ? "" : "; ") + "`" + need.name +
                 "` not found (apt-get install " + need.package + ")";
      continue;
    }
    tools.*need.field = path;
  }
  if (!missing.empty()) return FailedPrecondition("host tools missing: " + missing);
  return tools;
}

}  // namespace spotkeeper::cloud::linuxhost
