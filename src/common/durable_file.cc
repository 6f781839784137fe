#include "common/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace spotkeeper {
namespace {

std::string Why(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status FsyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Unavailable(Why("cannot open directory " + dir));
  bool ok = ::fsync(fd) == 0;
  std::string why = ok ? "" : Why("cannot fsync directory " + dir);
  ::close(fd);
  if (!ok) return Unavailable(why);
  return OkStatus();
}

Status WriteFileDurably(const std::string& path, const std::string& text, mode_t mode) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Unavailable(Why("cannot create " + tmp));
  // The file's mode is `mode` whatever the umask.
  bool ok = ::fchmod(fd, mode) == 0;
  size_t done = 0;
  while (ok && done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  std::string why = ok ? "" : Why("cannot write " + path);
  if (::close(fd) != 0 && ok) {
    ok = false;
    why = Why("cannot write " + path);
  }
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    why = Why("cannot write " + path);
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    return Unavailable(why);
  }
  return FsyncDirectory(DirectoryOf(path));
}

}  // namespace spotkeeper
