// File helpers of the chunk store: an owned descriptor, whole-buffer I/O that retries short
// reads/writes and EINTR, and the durable publish (temp file, fsync, rename, fsync of the dir).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace spotkeeper::cloud::snapshot {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// "what: strerror(errno)".
std::string ErrnoText(const std::string& what);

// Reads exactly `n` bytes at `offset`; OutOfRange-like Internal error on a short file.
Status PreadFull(int fd, void* buf, size_t n, uint64_t offset);
Status PwriteFull(int fd, const void* buf, size_t n, uint64_t offset);
Status WriteFull(int fd, const void* buf, size_t n);

Status FsyncPath(const std::string& path);
// Writes `data` to `path` durably and atomically: `path`.tmp, fsync, rename, fsync of the
// directory. `before_rename` / `after_rename` are called at those points (crash tests).
Status PublishFile(const std::string& path, const std::string& data,
                   const std::function<void()>& before_rename = {},
                   const std::function<void()>& after_rename = {});
Result<std::string> ReadWholeFile(const std::string& path);
// Names (not paths) of the entries of `dir`, "." and ".." excluded.
Result<std::vector<std::string>> ListDir(const std::string& dir);
Status MakeDir(const std::string& dir);
std::string DirName(const std::string& path);

}  // namespace spotkeeper::cloud::snapshot
