#include "cloud/snapshot/store_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace spotkeeper::cloud::snapshot {

std::string ErrnoText(const std::string& what) { return what + ": " + std::strerror(errno); }

Status PreadFull(int fd, void* buf, size_t n, uint64_t offset) {
  auto* p = static_cast<char*>(buf);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, p + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Internal(ErrnoText("pread"));
    if (r == 0)
      return Internal("pread: unexpected end of file at " + std::to_string(offset + done));
    done += static_cast<size_t>(r);
  }
  return OkStatus();
}

Status PwriteFull(int fd, const void* buf, size_t n, uint64_t offset) {
  const auto* p = static_cast<const char*>(buf);
  size_t done = 0;
  while (done < n) {
    ssize_t w = ::pwrite(fd, p + done, n - done, static_cast<off_t>(offset + done));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return Internal(ErrnoText("pwrite"));
    done += static_cast<size_t>(w);
  }
  return OkStatus();
}

Status WriteFull(int fd, const void* buf, size_t n) {
  const auto* p = static_cast<const char*>(buf);
  size_t done = 0;
  while (done < n) {
    ssize_t w = ::write(fd, p + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return Internal(ErrnoText("write"));
    done += static_cast<size_t>(w);
  }
  return OkStatus();
}

Status FsyncPath(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Internal(ErrnoText("open " + path));
  if (::fsync(fd.get()) != 0) return Internal(ErrnoText("fsync " + path));
  return OkStatus();
}

std::string DirName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status PublishFile(const std::string& path, const std::string& data,
                   const std::function<void()>& before_rename,
                   const std::function<void()>& after_rename) {
  const std::string tmp = path + ".tmp";
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid()) return Internal(ErrnoText("create " + tmp));
    Status s = WriteFull(fd.get(), data.data(), data.size());
    if (s.ok() && ::fsync(fd.get()) != 0) s = Internal(ErrnoText("fsync " + tmp));
    if (!s.ok()) {
      ::unlink(tmp.c_str());
      return s.Annotate(tmp);
    }
  }
  if (before_rename) before_rename();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Internal(ErrnoText("rename " + tmp));
    ::unlink(tmp.c_str());
    return s;
  }
  if (after_rename) after_rename();
  return FsyncPath(DirName(path));
}

Result<std::string> ReadWholeFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return NotFound(ErrnoText("open " + path));
    return Internal(ErrnoText("open " + path));
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Internal(ErrnoText("fstat " + path));
  std::string data(static_cast<size_t>(st.st_size), '\0');
  SK_RETURN_IF_ERROR(PreadFull(fd.get(), data.data(), data.size(), 0));
  return data;
}

Result<std::vector<std::string>> ListDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Internal(ErrnoText("opendir " + dir));
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(d);
  return names;
}

Status MakeDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Internal(ErrnoText("mkdir " + dir));
  }
  return OkStatus();
}

}  // namespace spotkeeper::cloud::snapshot
