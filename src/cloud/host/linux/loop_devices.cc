#include "cloud/host/linux/loop_devices.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

namespace spotkeeper::cloud::linuxhost {
namespace {

constexpr int kAttachAttempts = 32;
constexpr int kLoopMajor = 7;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Opens /dev/loopN, making the node when devtmpfs has not (yet) got one.
Result<UniqueFd> OpenLoop(int n) {
  std::string dev = "/dev/loop" + std::to_string(n);
  UniqueFd fd(open(dev.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid() && errno == ENOENT) {
    if (mknod(dev.c_str(), S_IFBLK | 0600, makedev(kLoopMajor, n)) != 0 && errno != EEXIST) {
      return Internal(Errno("mknod " + dev));
    }
    fd.reset(open(dev.c_str(), O_RDWR | O_CLOEXEC));
  }
  if (!fd.valid()) return Internal(Errno("open " + dev));
  return fd;
}

}  // namespace

Result<LoopDevice> LoopDevice::Attach(const std::string& file) {
  UniqueFd file_fd(open(file.c_str(), O_RDWR | O_CLOEXEC));
  if (!file_fd.valid()) return Internal(Errno("open " + file));
  UniqueFd ctl(open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (!ctl.valid()) return FailedPrecondition(Errno("open /dev/loop-control (modprobe loop)"));

  loop_config config;
  std::memset(&config, 0, sizeof config);
  config.fd = static_cast<uint32_t>(file_fd.get());
  config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
  std::strncpy(reinterpret_cast<char*>(config.info.lo_file_name), file.c_str(), LO_NAME_SIZE - 1);
  for (int attempt = 0; attempt < kAttachAttempts; ++attempt) {
    int n = ioctl(ctl.get(), LOOP_CTL_GET_FREE);
    if (n < 0) return ResourceExhausted(Errno("LOOP_CTL_GET_FREE"));
    SK_ASSIGN_OR_RETURN(UniqueFd dev, OpenLoop(n));
    if (ioctl(dev.get(), LOOP_CONFIGURE, &config) == 0) {
      return LoopDevice("/dev/loop" + std::to_string(n), std::move(dev));
    }
    if (errno != EBUSY) return Internal(Errno("LOOP_CONFIGURE /dev/loop" + std::to_string(n)));
    // Another process configured it between GET_FREE and CONFIGURE: ask again.
  }
  return ResourceExhausted("no free loop device for " + file + " after " +
                           std::to_string(kAttachAttempts) + " attempts");
}

Result<std::vector<LoopInfo>> ListLoopDevices() {
  std::vector<LoopInfo> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/sys/block", ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("loop", 0) != 0) continue;
    std::ifstream in(entry.path() / "loop" / "backing_file");
    if (!in) continue;  // not attached
    std::string backing;
    std::getline(in, backing);
    const std::string deleted = " (deleted)";
    if (backing.size() > deleted.size() &&
        backing.compare(backing.size() - deleted.size(), deleted.size(), deleted) == 0) {
      backing.resize(backing.size() - deleted.size());
    }
    out.push_back({"/dev/" + name, backing});
  }
  if (ec) return Internal("list /sys/block: " + ec.message());
  return out;
}

Result<std::vector<std::string>> FindLoopDevices(const std::string& file) {
  SK_ASSIGN_OR_RETURN(std::vector<LoopInfo> all, ListLoopDevices());
  std::vector<std::string> out;
  for (const auto& info : all) {
    if (info.backing_file == file) out.push_back(info.device);
  }
  return out;
}

Status WaitForLoopRelease(const std::string& file, Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto interval = std::chrono::milliseconds(1);
  for (;;) {
    SK_ASSIGN_OR_RETURN(std::vector<std::string> devices, FindLoopDevices(file));
    if (devices.empty()) return OkStatus();
    if (std::chrono::steady_clock::now() >= deadline) {
      return DeadlineExceeded(file + " is still on " + devices.front() + " after " +
                              FormatDuration(timeout));
    }
    std::this_thread::sleep_for(interval);
    interval = std::min<std::chrono::milliseconds>(interval * 2, std::chrono::milliseconds(25));
  }
}

Status DetachLoopDevice(const std::string& device) {
  UniqueFd fd(open(device.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT || errno == ENXIO) return OkStatus();
    return Internal(Errno("open " + device));
  }
  if (ioctl(fd.get(), LOOP_CLR_FD, 0) != 0 && errno != ENXIO) {
    return Internal(Errno("LOOP_CLR_FD " + device));
  }
  return OkStatus();
}

}  // namespace spotkeeper::cloud::linuxhost
