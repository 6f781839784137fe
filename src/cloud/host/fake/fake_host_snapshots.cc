// FakeHostDriver: snapshots. (Being written: the calls answer Unimplemented until then.)
#include "cloud/host/fake/fake_host_driver.h"

namespace spotkeeper::cloud {

Status FakeHostDriver::CaptureSnapshot(const std::string&, const std::string&) {
  return Status(Code::kUnimplemented, "snapshots are not built yet");
}
Status FakeHostDriver::StoreSnapshot(const std::string&, const std::string&,
                                     std::function<void(int)>) {
  return Status(Code::kUnimplemented, "snapshots are not built yet");
}
Status FakeHostDriver::CopySnapshot(const std::string&, const std::string&) {
  return Status(Code::kUnimplemented, "snapshots are not built yet");
}
Status FakeHostDriver::DeleteSnapshot(const std::string&) {
  return Status(Code::kUnimplemented, "snapshots are not built yet");
}
Status FakeHostDriver::RestoreVolume(const std::string&, const std::string&, int) {
  return Status(Code::kUnimplemented, "snapshots are not built yet");
}

}  // namespace spotkeeper::cloud
