#include "cloud/host/linux/base_image.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "common/durable_file.h"

namespace spotkeeper::cloud::linuxhost {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPasswd =
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    "admin:x:1000:1000:admin:/home/admin:/bin/bash\n";
constexpr const char* kGroup =
    "root:x:0:\n"
    "daemon:x:1:\n"
    "tty:x:5:\n"
    "sudo:x:27:admin\n"
    "nogroup:x:65534:\n"
    "admin:x:1000:\n";
constexpr const char* kShadow =
    "root:*:19000:0:99999:7:::\n"
    "daemon:*:19000:0:99999:7:::\n"
    "nobody:*:19000:0:99999:7:::\n"
    "admin:*:19000:0:99999:7:::\n";
constexpr const char* kHosts =
    "127.0.0.1\tlocalhost\n"
    "::1\t\tlocalhost ip6-localhost ip6-loopback\n";
constexpr const char* kNsswitch =
    "passwd: files\n"
    "group: files\n"
    "shadow: files\n"
    "hosts: files dns\n"
    "networks: files\n"
    "protocols: files\n"
    "services: files\n";
constexpr const char* kResolv = "# the local cloud has no DNS server\n";
constexpr const char* kOsRelease =
    "PRETTY_NAME=\"spotkeeper local cloud (host /usr)\"\n"
    "NAME=\"spotkeeper\"\n"
    "ID=spotkeeper\n";

Status WriteFile(const fs::path& path, const std::string& text, fs::perms perms) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return Internal("write " + path.string());
  }
  std::error_code ec;
  fs::permissions(path, perms, fs::perm_options::replace, ec);
  if (ec) return Internal("chmod " + path.string() + ": " + ec.message());
  return OkStatus();
}

Status Build(const fs::path& root) {
  std::error_code ec;
  const fs::perms dir_perms = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec;
  fs::permissions(root, dir_perms, fs::perm_options::replace, ec);
  for (const char* dir :
       {"usr", "proc", "sys", "dev", "run", "mnt", "root", "home/admin", "opt", "srv",
        "etc/alternatives", "var/lib", "var/log", "var/cache", "var/spool"}) {
    fs::create_directories(root / dir, ec);
    if (ec) return Internal("mkdir " + (root / dir).string() + ": " + ec.message());
    fs::permissions(root / dir, dir_perms, fs::perm_options::replace, ec);
  }
  for (const char* dir : {"tmp", "var/tmp"}) {
    fs::create_directories(root / dir, ec);
    if (ec) return Internal("mkdir " + (root / dir).string() + ": " + ec.message());
    fs::permissions(root / dir, fs::perms::all | fs::perms::sticky_bit, fs::perm_options::replace,
                    ec);
  }
  fs::permissions(root / "root", fs::perms::owner_all, fs::perm_options::replace, ec);
  if (chown((root / "home/admin").c_str(), 1000, 1000) != 0 && geteuid() == 0) {
    return Internal("chown home/admin");
  }
  // The host's merged-/usr symlinks, as the host has them.
  for (const char* link : {"bin", "sbin", "lib", "lib32", "lib64", "libx32"}) {
    fs::path host = fs::path("/") / link;
    if (!fs::is_symlink(host, ec)) continue;
    fs::path target = fs::read_symlink(host, ec);
    if (ec || target.is_absolute()) continue;
    fs::create_symlink(target, root / link, ec);
    if (ec) return Internal("symlink " + (root / link).string() + ": " + ec.message());
  }
  const fs::perms rw_r_r = fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                           fs::perms::others_read;
  SK_RETURN_IF_ERROR(WriteFile(root / "etc/passwd", kPasswd, rw_r_r));
  SK_RETURN_IF_ERROR(WriteFile(root / "etc/group", kGroup, rw_r_r));
  SK_RETURN_IF_ERROR(
      WriteFile(root / "etc/shadow", kShadow, fs::perms::owner_read | fs::perms::owner_write));
  SK_RETURN_IF_ERROR(WriteFile(root / "etc/hosts", kHosts, rw_r_r));
  SK_RETURN_IF_ERROR(WriteFile(root / "etc/nsswitch.conf", kNsswitch, rw_r_r));
  SK_RETURN_IF_ERROR(WriteFile(root / "etc/resolv.conf", kResolv, rw_r_r));
  SK_RETURN_IF_ERROR(WriteFile(root / "etc/os-release", kOsRelease, rw_r_r));
  SK_RETURN_IF_ERROR(WriteFile(root / "etc/ld.so.cache", "", rw_r_r));
  return OkStatus();
}

}  // namespace

Status BuildBaseImage(const std::string& rootfs) {
  std::error_code ec;
  if (fs::is_directory(rootfs, ec)) return OkStatus();
  const fs::path tmp = rootfs + ".tmp";
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return Internal("mkdir " + tmp.string() + ": " + ec.message());
  Status s = Build(tmp);
  // The rootfs counts as built once its name exists: its files must be on disk before the
  // rename, and the rename before anything uses it (a power loss must not leave a directory of
  // empty files under the final name). syncfs: one call for the few files, once per data dir.
  if (s.ok()) {
    int fd = open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || syncfs(fd) != 0) s = Internal("sync " + tmp.string() + ": " + strerror(errno));
    if (fd >= 0) close(fd);
  }
  if (s.ok()) {
    fs::rename(tmp, rootfs, ec);
    if (ec) s = Internal("rename " + tmp.string() + ": " + ec.message());
  }
  if (s.ok()) s = FsyncDirectory(DirectoryOf(rootfs));
  if (!s.ok()) fs::remove_all(tmp, ec);
  return s;
}

}  // namespace spotkeeper::cloud::linuxhost
