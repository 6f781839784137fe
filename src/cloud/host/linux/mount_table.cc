#include "cloud/host/linux/mount_table.h"

#include <sys/mount.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace spotkeeper::cloud::linuxhost {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const char* p = s.c_str() + i + 1;
      if (p[0] >= '0' && p[0] <= '3' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7') {
        out += static_cast<char>((p[0] - '0') * 64 + (p[1] - '0') * 8 + (p[2] - '0'));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

bool Within(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

}  // namespace

Result<MountTable> MountTable::Read() {
  std::ifstream in("/proc/self/mountinfo");
  if (!in) return Internal("cannot read /proc/self/mountinfo");
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str());
}

Result<MountTable> MountTable::Parse(const std::string& text) {
  MountTable table;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    std::istringstream f(line);
    MountEntry e;
    std::string majmin, mount_opts, field;
    if (!(f >> e.id >> e.parent_id >> majmin >> e.root >> e.mount_point >> mount_opts)) {
      return Internal("bad mountinfo line: " + line);
    }
    bool separator = false;
    while (f >> field) {
      if (field == "-") {
        separator = true;
        break;
      }
      if (field.rfind("shared:", 0) == 0) e.shared = true;
    }
    if (!separator || !(f >> e.fs_type >> e.source)) {
      return Internal("bad mountinfo line: " + line);
    }
    e.root = Unescape(e.root);
    e.mount_point = Unescape(e.mount_point);
    e.source = Unescape(e.source);
    table.entries_.push_back(std::move(e));
  }
  return table;
}

std::optional<MountEntry> MountTable::At(const std::string& path) const {
  // Later lines are mounted on top of earlier ones.
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->mount_point == path) return *it;
  }
  return std::nullopt;
}

std::vector<std::string> MountTable::Under(const std::string& dir) const {
  std::vector<std::pair<std::string, size_t>> found;  // (mount point, order)
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (Within(entries_[i].mount_point, dir)) found.emplace_back(entries_[i].mount_point, i);
  }
  // Deeper paths first; for the same path the most recent mount first.
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    auto da = std::count(a.first.begin(), a.first.end(), '/');
    auto db = std::count(b.first.begin(), b.first.end(), '/');
    if (da != db) return da > db;
    return a.second > b.second;
  });
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(std::move(f.first));
  return out;
}

Status MountFs(const std::string& source, const std::string& target, const std::string& type,
               unsigned long flags, const std::string& data) {
  if (mount(source.c_str(), target.c_str(), type.c_str(), flags,
            data.empty() ? nullptr : data.c_str()) != 0) {
    return Internal("mount " + type + " " + source + " on " + target + ": " + std::strerror(errno));
  }
  return OkStatus();
}

Status BindMount(const std::string& source, const std::string& target, bool read_only) {
  SK_RETURN_IF_ERROR(MountFs(source, target, "none", MS_BIND, ""));
  if (read_only) {
    Status s = MountFs("none", target, "none", MS_BIND | MS_REMOUNT | MS_RDONLY, "");
    if (!s.ok()) {
      (void)Unmount(target);
      return s;
    }
  }
  return OkStatus();
}

Status MakeSharedMountPoint(const std::string& dir) {
  SK_ASSIGN_OR_RETURN(MountTable table, MountTable::Read());
  if (auto at = table.At(dir); at && at->shared) return OkStatus();
  if (!table.IsMountPoint(dir)) SK_RETURN_IF_ERROR(MountFs(dir, dir, "none", MS_BIND, ""));
  // Private first: a bind of a directory of a shared mount would join that mount's peer
  // group, and mounts below it would propagate back into the parent.
  SK_RETURN_IF_ERROR(MountFs("none", dir, "none", MS_PRIVATE, ""));
  return MountFs("none", dir, "none", MS_SHARED, "");
}

Status Unmount(const std::string& target) {
  if (umount2(target.c_str(), UMOUNT_NOFOLLOW) == 0) return OkStatus();
  if (errno == EINVAL || errno == ENOENT) return OkStatus();  // not a mount point / no path
  if (errno == EBUSY) return FailedPrecondition("unmount " + target + ": busy");
  return Internal("unmount " + target + ": " + std::strerror(errno));
}

Status UnmountTree(const std::string& dir) {
  SK_ASSIGN_OR_RETURN(MountTable table, MountTable::Read());
  Status first;
  for (const auto& mp : table.Under(dir)) {
    Status s = Unmount(mp);
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

}  // namespace spotkeeper::cloud::linuxhost
