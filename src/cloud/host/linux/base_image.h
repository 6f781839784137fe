// The base image: a small root filesystem that, with the host's /usr bound read-only over its
// empty usr/, runs the host's programs (redis-server, postgres, etcd, python3, ...).
//
//   bin sbin lib lib64 lib32 libx32 → usr/...   for each such symlink the host has (merged /usr)
//   usr/ proc/ sys/ dev/ tmp/ run/ mnt/ root/ home/ opt/ srv/ var/{lib,log,tmp,cache}
//   etc/{passwd,group,shadow,hosts,nsswitch.conf,resolv.conf,os-release,ld.so.cache}
//   etc/alternatives/
//   (ld.so.cache and alternatives/ are empty mount points: the host's are bound over them)
//
// Users: root, daemon, nobody and admin (1000), as on a Debian cloud image.
#pragma once

#include <string>

#include "common/status.h"

namespace spotkeeper::cloud::linuxhost {

// Builds the image at `rootfs` (its parent directory must exist) unless it is there already.
// Built under "<rootfs>.tmp" and renamed: a crash never leaves a half-built image in place.
Status BuildBaseImage(const std::string& rootfs);

}  // namespace spotkeeper::cloud::linuxhost
