// Loop devices through the kernel's interfaces: /dev/loop-control (LOOP_CTL_GET_FREE),
// LOOP_CONFIGURE with LO_FLAGS_AUTOCLEAR, and /sys/block/loop*/loop/backing_file to find the
// devices of a file (what `losetup -j FILE` prints).
//
// Autoclear: a device detaches itself when its last user goes away, so a volume's device
// lives exactly as long as its mount (the attaching descriptor is closed right after the
// mount), and a crash between attach and mount leaks nothing.
#pragma once

#include <string>
#include <vector>

#include "cloud/host/linux/unique_fd.h"
#include "common/status.h"
#include "common/time.h"

namespace spotkeeper::cloud::linuxhost {

struct LoopInfo {
  std::string device;        // "/dev/loop3"
  std::string backing_file;  // as the kernel reports it (" (deleted)" stripped)
};

class LoopDevice {
 public:
  // Attaches `file` (read-write, autoclear) to a free loop device. Retries a bounded number
  // of times when another process takes the free device first.
  static Result<LoopDevice> Attach(const std::string& file);

  const std::string& device() const { return device_; }
  // Closing the last descriptor of an unused autoclear device detaches it.
  void Close() { fd_.reset(); }

 private:
  LoopDevice(std::string device, UniqueFd fd) : device_(std::move(device)), fd_(std::move(fd)) {}
  std::string device_;
  UniqueFd fd_;
};

// All attached loop devices.
Result<std::vector<LoopInfo>> ListLoopDevices();
// Devices whose backing file is `file`.
Result<std::vector<std::string>> FindLoopDevices(const std::string& file);
// Waits until no loop device is backed by `file` any more. An autoclear device is released
// when its filesystem's last mount goes, which can happen just after the unmount returns
// (a dying container's mount namespace lets go of its copies in the background). Checks
// with a growing interval (1 ms doubling to 25 ms) until `timeout`: DeadlineExceeded then.
Status WaitForLoopRelease(const std::string& file, Duration timeout);
// LOOP_CLR_FD. Not attached: OK. A mounted device is detached when it is unmounted.
Status DetachLoopDevice(const std::string& device);

}  // namespace spotkeeper::cloud::linuxhost
