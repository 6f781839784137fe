// DataDir: the server's directory (default ~/.spotkeeper): the store (spotkeeper.db), the API
// token (token, mode 0600, created at first start), the lock that keeps a second server out
// (lock, flock), and the address the server listens on (address, while it runs).
#pragma once

#include <memory>
#include <string>

#include "common/status.h"

namespace spotkeeper::api {

class DataDir {
 public:
  // Creates the directory (mode 0700) when missing and takes its lock. FailedPrecondition,
  // naming the other server's pid, when another process holds the lock.
  static Result<std::unique_ptr<DataDir>> Open(const std::string& path);
  ~DataDir();  // removes the address file, releases the lock

  DataDir(const DataDir&) = delete;
  DataDir& operator=(const DataDir&) = delete;

  const std::string& path() const { return path_; }
  std::string StorePath() const { return path_ + "/spotkeeper.db"; }

  // The token in <dir>/token, created (32 random bytes as hex, mode 0600) when missing.
  // FailedPrecondition when the file can be read by other users or is empty.
  Result<std::string> LoadOrCreateToken();
  // Writes <dir>/address ("http://127.0.0.1:7780"), which the CLI reads.
  Status WriteAddress(const std::string& url);

 private:
  DataDir(std::string path, int lock_fd) : path_(std::move(path)), lock_fd_(lock_fd) {}

  std::string path_;
  int lock_fd_;
  bool wrote_address_ = false;
};

// $HOME/.spotkeeper (or ./.spotkeeper without HOME).
std::string DefaultDataDir();
// "~/x" -> "$HOME/x".
std::string ExpandHome(const std::string& path);
// The token of a data dir, for clients. NotFound when there is none.
Result<std::string> ReadToken(const std::string& dir);
// The address a running server wrote, NotFound when none.
Result<std::string> ReadAddress(const std::string& dir);

}  // namespace spotkeeper::api
