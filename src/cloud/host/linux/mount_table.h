// MountTable: /proc/self/mountinfo, parsed; and the mount(2)/umount2(2) calls the driver makes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace spotkeeper::cloud::linuxhost {

struct MountEntry {
  int id = 0;
  int parent_id = 0;
  std::string root;         // the mounted directory of the source filesystem
  std::string mount_point;  // unescaped
  std::string fs_type;
  std::string source;
  bool shared = false;  // "shared:N" among the optional fields
};

class MountTable {
 public:
  static Result<MountTable> Read();  // /proc/self/mountinfo
  static Result<MountTable> Parse(const std::string& text);

  const std::vector<MountEntry>& entries() const { return entries_; }
  // The topmost mount at exactly `path`, if any.
  std::optional<MountEntry> At(const std::string& path) const;
  bool IsMountPoint(const std::string& path) const { return At(path).has_value(); }
  // Mount points at or below `dir`, deepest first (the order to unmount them in).
  std::vector<std::string> Under(const std::string& dir) const;

 private:
  std::vector<MountEntry> entries_;
};

// mount(2) of a filesystem; `data` is the option string.
Status MountFs(const std::string& source, const std::string& target, const std::string& type,
               unsigned long flags, const std::string& data);
// A read-only or read-write bind mount (MS_REC when `recursive`).
Status BindMount(const std::string& source, const std::string& target, bool read_only);
// Makes `dir` a mount point of its own in a new peer group with shared propagation: mounts
// made below it later appear in every bind of it (the instance's /mnt). No-op when it is one.
Status MakeSharedMountPoint(const std::string& dir);
// Unmounts `target`. Not mounted: OK. Busy: FailedPrecondition (the caller decides whether
// to retry; nothing is detached lazily, a lazily detached ext4 could later be mounted twice).
Status Unmount(const std::string& target);
// Unmounts everything at or below `dir`, deepest first.
Status UnmountTree(const std::string& dir);

}  // namespace spotkeeper::cloud::linuxhost
