#include "cloud/host/linux/fs_freeze.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "cloud/host/linux/unique_fd.h"

namespace spotkeeper::cloud::linuxhost {
namespace {

using Clock = std::chrono::steady_clock;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Shared by the caller and the watchdog: whoever comes first thaws, exactly once.
class Thawer {
 public:
  explicit Thawer(int fd) : fd_(fd) {}
  // Thaws unless already thawed. Returns false when the ioctl failed.
  bool Thaw(bool by_watchdog) {
    std::lock_guard<std::mutex> lock(mu_);
    if (thawed_) return true;
    thawed_ = true;
    by_watchdog_ = by_watchdog;
    thawed_at_ = Clock::now();
    ok_ = ioctl(fd_, FITHAW, 0) == 0 || errno == EINVAL;  // EINVAL: not frozen any more
    if (!ok_) error_ = Errno("FITHAW");
    cv_.notify_all();
    return ok_;
  }
  void RunWatchdog(Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_until(lock, deadline, [&] { return thawed_; })) return;
    lock.unlock();
    Thaw(/*by_watchdog=*/true);
  }
  bool by_watchdog() {
    std::lock_guard<std::mutex> lock(mu_);
    return by_watchdog_;
  }
  Clock::time_point thawed_at() {
    std::lock_guard<std::mutex> lock(mu_);
    return thawed_at_;
  }
  Status status() {
    std::lock_guard<std::mutex> lock(mu_);
    return ok_ ? OkStatus() : Internal(error_);
  }

 private:
  int fd_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool thawed_ = false;
  bool by_watchdog_ = false;
  bool ok_ = true;
  std::string error_;
  Clock::time_point thawed_at_;
};

}  // namespace

Result<FreezeStats> RunFrozen(const std::string& mount_point, dev_t expected_dev, Duration timeout,
                              const std::function<Status()>& step) {
  UniqueFd fd(open(mount_point.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return FailedPrecondition(Errno("open " + mount_point));
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Internal(Errno("fstat " + mount_point));
  if (st.st_dev != expected_dev) {
    return FailedPrecondition(mount_point + " is not the volume's filesystem any more");
  }
  FreezeStats stats;
  // Write back what is dirty while writers still run: the freeze then has little left to do.
  auto t0 = Clock::now();
  if (syncfs(fd.get()) != 0) return Internal(Errno("syncfs " + mount_point));
  auto t1 = Clock::now();
  stats.sync_time = std::chrono::duration_cast<FreezeStats::Micros>(t1 - t0);

  if (ioctl(fd.get(), FIFREEZE, 0) != 0) {
    if (errno == EBUSY) return Unavailable(mount_point + " is frozen by someone else");
    return Internal(Errno("FIFREEZE " + mount_point));
  }
  Thawer thawer(fd.get());
  std::thread watchdog([&] { thawer.RunWatchdog(t1 + timeout); });
  auto s0 = Clock::now();
  Status step_status = step();
  stats.step_time = std::chrono::duration_cast<FreezeStats::Micros>(Clock::now() - s0);
  thawer.Thaw(/*by_watchdog=*/false);
  watchdog.join();
  stats.blocked = std::chrono::duration_cast<FreezeStats::Micros>(thawer.thawed_at() - t1);
  SK_RETURN_IF_ERROR(thawer.status().Annotate(mount_point));
  if (thawer.by_watchdog()) {
    spdlog::error("freeze of {}: the step took longer than {}; thawed by the watchdog", mount_point,
                  FormatDuration(timeout));
    return DeadlineExceeded("freeze of " + mount_point + ": the copy did not finish within " +
                            FormatDuration(timeout) + " (thawed; the copy is not a point in time)");
  }
  SK_RETURN_IF_ERROR(step_status);
  return stats;
}

}  // namespace spotkeeper::cloud::linuxhost
