#include "api/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/durable_file.h"
#include "common/secure_random.h"

namespace spotkeeper::api {
namespace {

std::string Errno() { return std::strerror(errno); }

Result<std::string> ReadSmallFile(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0) return NotFound(path + " does not exist");
  std::ifstream in(path);
  if (!in) return Unavailable("cannot read " + path + ": " + Errno());
  std::stringstream buf;
  buf << in.rdbuf();
  std::string s = buf.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Writes `text` to `path` through a temporary file and rename (never half-written), durably
// (the directory is fsync'd after the rename).
Status WriteFileAtomically(const std::string& path, const std::string& text, mode_t mode) {
  return WriteFileDurably(path, text, mode);
}

}  // namespace

std::string DefaultDataDir() {
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr && *home != '\0' ? home : ".") + "/.spotkeeper";
}

std::string ExpandHome(const std::string& path) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    if (home != nullptr) return std::string(home) + path.substr(1);
  }
  return path;
}

Result<std::unique_ptr<DataDir>> DataDir::Open(const std::string& path_in) {
  std::string path = ExpandHome(path_in);
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return Unavailable("cannot create the data directory " + path + ": " + Errno());
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return FailedPrecondition("the data directory " + path + " is not a directory");
  }
  std::string lock_path = path + "/lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("cannot open " + lock_path + ": " + Errno());
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char buf[32] = {0};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    if (err != EWOULDBLOCK) return Unavailable("cannot lock " + lock_path + ": " + Errno());
    std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return FailedPrecondition("another spotkeeper server" +
                              (pid.empty() ? std::string() : " (pid " + pid + ")") +
                              " is using the data directory " + path +
                              "; stop it first, or start this one with another --data-dir");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock is what matters; the pid is only for the message above.
  }
  return std::unique_ptr<DataDir>(new DataDir(path, fd));
}

DataDir::~DataDir() {
  if (wrote_address_) ::unlink((path_ + "/address").c_str());
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Result<std::string> DataDir::LoadOrCreateToken() {
  std::string path = path_ + "/token";
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if ((st.st_mode & 077) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 0777));
      return FailedPrecondition(path + " can be read by other users (mode " + mode +
                                "); run: chmod 600 " + path);
    }
    SK_ASSIGN_OR_RETURN(std::string token, ReadSmallFile(path));
    if (token.empty()) {
      return FailedPrecondition(path + " is empty; delete it and a new token is made at start");
    }
    return token;
  }
  Result<std::string> token = SecureRandomHex(64);  // 256 bits from getrandom
  if (!token.ok()) return token.status().Annotate("cannot make the token");
  SK_RETURN_IF_ERROR(WriteFileAtomically(path, *token + "\n", 0600));
  return *token;
}

Status DataDir::WriteAddress(const std::string& url) {
  SK_RETURN_IF_ERROR(WriteFileAtomically(path_ + "/address", url + "\n", 0644));
  wrote_address_ = true;
  return OkStatus();
}

Result<std::string> ReadToken(const std::string& dir) {
  return ReadSmallFile(ExpandHome(dir) + "/token");
}

Result<std::string> ReadAddress(const std::string& dir) {
  return ReadSmallFile(ExpandHome(dir) + "/address");
}

}  // namespace spotkeeper::api
