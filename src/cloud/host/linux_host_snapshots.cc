// LinuxHostDriver: snapshots (capture by FICLONE under a freeze, store in the chunk store) and
// restores. (Being written: the calls answer Unimplemented until then.)
#include "cloud/host/linux_host_driver.h"

namespace spotkeeper::cloud {

Status LinuxHostDriver::CaptureSnapshot(const std::string&, const std::string&) {
  return Status(Code::kUnimplemented, "snapshots are not built yet");
}
Status LinuxHostDriver::StoreSnapshot(const std::string&, const std::string&,
                                      std::function<void(int)>) {
  return Status(Code::kUnimplemented, "snapshots are not built yet");
}
Status LinuxHostDriver::CopySnapshot(const std::string&, const std::string&) {
  return Status(Code::kUnimplemented, "snapshots are not built yet");
}
Status LinuxHostDriver::DeleteSnapshot(const std::string&) {
  return Status(Code::kUnimplemented, "snapshots are not built yet");
}
Status LinuxHostDriver::RestoreVolume(const std::string&, const std::string&, int) {
  return Status(Code::kUnimplemented, "snapshots are not built yet");
}

}  // namespace spotkeeper::cloud
