// HostTools: the external programs LinuxHostDriver needs, found once at start. A missing one is
// a FailedPrecondition naming the Debian package that provides it.
#pragma once

#include <string>

#include "common/status.h"

namespace spotkeeper::cloud::linuxhost {

struct HostTools {
  std::string runc;       // runc
  std::string ip;         // iproute2
  std::string mkfs_ext4;  // e2fsprogs
  std::string e2fsck;     // e2fsprogs
  std::string resize2fs;  // e2fsprogs

  // Looks in $PATH and then in /usr/local/sbin, /usr/sbin, /sbin, /usr/bin, /bin.
  static Result<HostTools> Find();
};

// The absolute path of an executable `name`, or "" when there is none.
std::string FindExecutable(const std::string& name);

}  // namespace spotkeeper::cloud::linuxhost
