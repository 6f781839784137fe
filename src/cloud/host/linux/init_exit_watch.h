// InitExitWatch: tells a listener the moment a watched process exits, without polling on a
// timer. One pidfd per watched process (readable when it exits, zombie or reaped) and an eventfd
// to add, remove and stop, all in one poll() on one thread. For the inits of running instances.
//
// A pidfd names one process, never a later one that reuses its PID; the caller makes sure the
// PID it passes is the process it means at the moment of Watch (see LinuxHostDriver::WatchInit).
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cloud/host/linux/unique_fd.h"
#include "common/status.h"

namespace spotkeeper::cloud::linuxhost {

class InitExitWatch {
 public:
  // Called on the watch thread (or in Watch, for a process already gone) with the key of a
  // process that exited; its watch is dropped first. Must not call back into this object.
  using Listener = std::function<void(const std::string& key)>;

  static Result<std::unique_ptr<InitExitWatch>> Create();
  ~InitExitWatch();  // stops and joins the thread, closes every pidfd
  InitExitWatch(const InitExitWatch&) = delete;
  InitExitWatch& operator=(const InitExitWatch&) = delete;

  // Replaces the listener (empty: none). Once it returns, the old listener is not running and
  // is never called again.
  void SetListener(Listener listener);
  // Watches `pid` under `key` (replacing an earlier watch of `key`). A process that is already
  // gone is reported at once.
  Status Watch(const std::string& key, int pid);
  // Stops watching `key` (absent: nothing to do).
  void Forget(const std::string& key);
  // How many processes are watched (for tests).
  size_t Size() const;

 private:
  explicit InitExitWatch(UniqueFd wake);
  void Loop();
  void Wake();
  void Notify(const std::vector<std::string>& keys);

  UniqueFd wake_;  // eventfd
  mutable std::mutex mu_;
  std::map<std::string, UniqueFd> fds_;  // key -> pidfd
  std::vector<UniqueFd> retired_;        // forgotten pidfds, closed by the thread between polls
  bool stopping_ = false;
  std::mutex listener_mu_;  // held while the listener runs
  Listener listener_;
  std::thread thread_;
};

}  // namespace spotkeeper::cloud::linuxhost
