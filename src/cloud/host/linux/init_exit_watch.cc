#include "cloud/host/linux/init_exit_watch.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace spotkeeper::cloud::linuxhost {

Result<std::unique_ptr<InitExitWatch>> InitExitWatch::Create() {
  UniqueFd wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.valid()) return Internal(std::string("eventfd: ") + std::strerror(errno));
  std::unique_ptr<InitExitWatch> w(new InitExitWatch(std::move(wake)));
  w->thread_ = std::thread([p = w.get()] { p->Loop(); });
  return w;
}

InitExitWatch::InitExitWatch(UniqueFd wake) : wake_(std::move(wake)) {}

InitExitWatch::~InitExitWatch() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
}

void InitExitWatch::SetListener(Listener listener) {
  std::lock_guard<std::mutex> lock(listener_mu_);
  listener_ = std::move(listener);
}

Status InitExitWatch::Watch(const std::string& key, int pid) {
  if (pid <= 0) return InvalidArgument("watch " + key + ": no PID");
  UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!fd.valid()) {
    if (errno != ESRCH) {
      return Internal("pidfd_open " + std::to_string(pid) + ": " + std::strerror(errno));
    }
    Forget(key);
    Notify({key});  // gone before we looked
    return OkStatus();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = fds_.find(key);
    if (it != fds_.end()) retired_.push_back(std::move(it->second));
    fds_[key] = std::move(fd);
  }
  Wake();
  return OkStatus();
}

void InitExitWatch::Forget(const std::string& key) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = fds_.find(key);
    if (it == fds_.end()) return;
    retired_.push_back(std::move(it->second));
    fds_.erase(it);
  }
  Wake();
}

size_t InitExitWatch::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fds_.size();
}

void InitExitWatch::Wake() {
  uint64_t one = 1;
  // EAGAIN: the counter is already non-zero, the thread wakes anyway.
  while (write(wake_.get(), &one, sizeof(one)) < 0 && errno == EINTR) {
  }
}

void InitExitWatch::Notify(const std::vector<std::string>& keys) {
  std::lock_guard<std::mutex> lock(listener_mu_);
  if (!listener_) return;
  for (const std::string& k : keys) listener_(k);
}

void InitExitWatch::Loop() {
  std::vector<pollfd> polled;
  std::vector<std::string> keys;  // keys[i] for polled[i + 1]
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      retired_.clear();  // not in any poll now: safe to close
      polled.assign(1, pollfd{wake_.get(), POLLIN, 0});
      keys.clear();
      for (const auto& [key, fd] : fds_) {
        polled.push_back(pollfd{fd.get(), POLLIN, 0});
        keys.push_back(key);
      }
    }
    int n = poll(polled.data(), polled.size(), -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::error("init exit watch: poll: {}", std::strerror(errno));
      return;  // the engine's periodic pass still finds exits
    }
    if (polled[0].revents != 0) {
      uint64_t count = 0;
      while (read(wake_.get(), &count, sizeof(count)) < 0 && errno == EINTR) {
      }
    }
    std::vector<std::string> exited;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = 1; i < polled.size(); ++i) {
        if (polled[i].revents == 0) continue;
        const std::string& key = keys[i - 1];
        auto it = fds_.find(key);
        // Only if the key still has the pidfd polled (not replaced or forgotten meanwhile).
        if (it == fds_.end() || it->second.get() != polled[i].fd) continue;
        retired_.push_back(std::move(it->second));
        fds_.erase(it);
        exited.push_back(key);
      }
    }
    if (!exited.empty()) Notify(exited);
  }
}

}  // namespace spotkeeper::cloud::linuxhost
