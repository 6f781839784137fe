// FakeHostDriver: snapshots. A capture records the volume and its size; a store marks it stored
// (reporting progress 50 then 100); a copy or a restore needs a stored snapshot. Every call is
// idempotent and honours FailNext/FailAlways like the others.
#include <algorithm>

#include "cloud/host/fake/fake_host_driver.h"

namespace spotkeeper::cloud {

#define SK_FAKE_ENTER(method, arg)                  \
  std::unique_lock<std::mutex> lock(mu_);           \
  bool do_effect = true;                            \
  Status injected = Enter(method, arg, &do_effect); \
  if (!do_effect) return injected

Status FakeHostDriver::CaptureSnapshot(const std::string& snapshot_id,
                                       const std::string& volume_id) {
  SK_FAKE_ENTER("CaptureSnapshot", snapshot_id + " " + volume_id);
  if (snapshots_.count(snapshot_id) > 0) return injected;
  auto vol = volumes_.find(volume_id);
  if (vol == volumes_.end()) return NotFound("fake: no volume " + volume_id);
  snapshots_[snapshot_id] = FakeSnapshot{volume_id, vol->second, false};
  return injected;
}

Status FakeHostDriver::StoreSnapshot(const std::string& snapshot_id, const std::string& volume_id,
                                     std::function<void(int)> progress) {
  SK_FAKE_ENTER("StoreSnapshot", snapshot_id + " " + volume_id);
  auto it = snapshots_.find(snapshot_id);
  if (it == snapshots_.end()) return NotFound("fake: snapshot " + snapshot_id + " not captured");
  bool was_stored = it->second.stored;
  it->second.stored = true;
  lock.unlock();  // progress reaches the caller without the fake's lock held
  if (progress && !was_stored) {
    progress(50);
    progress(100);
  }
  return injected;
}

Status FakeHostDriver::CopySnapshot(const std::string& snapshot_id,
                                    const std::string& source_snapshot_id) {
  SK_FAKE_ENTER("CopySnapshot", snapshot_id + " " + source_snapshot_id);
  if (snapshots_.count(snapshot_id) > 0) return injected;
  auto src = snapshots_.find(source_snapshot_id);
  if (src == snapshots_.end() || !src->second.stored) {
    return NotFound("fake: no stored snapshot " + source_snapshot_id);
  }
  snapshots_[snapshot_id] = FakeSnapshot{"", src->second.size_gib, true};
  return injected;
}

Status FakeHostDriver::DeleteSnapshot(const std::string& snapshot_id) {
  SK_FAKE_ENTER("DeleteSnapshot", snapshot_id);
  snapshots_.erase(snapshot_id);
  return injected;
}

Status FakeHostDriver::RestoreVolume(const std::string& volume_id, const std::string& snapshot_id,
                                     int size_gib) {
  SK_FAKE_ENTER("RestoreVolume", volume_id + " " + snapshot_id);
  if (volumes_.count(volume_id) > 0) return injected;
  auto snap = snapshots_.find(snapshot_id);
  if (snap == snapshots_.end() || !snap->second.stored) {
    return NotFound("fake: no stored snapshot " + snapshot_id);
  }
  volumes_[volume_id] = std::max(size_gib, snap->second.size_gib);
  restored_from_[volume_id] = snapshot_id;
  return injected;
}

#undef SK_FAKE_ENTER

std::map<std::string, FakeHostDriver::FakeSnapshot> FakeHostDriver::Snapshots() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshots_;
}

int FakeHostDriver::VolumeSize(const std::string& volume_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = volumes_.find(volume_id);
  return it == volumes_.end() ? 0 : it->second;
}

std::string FakeHostDriver::RestoredFrom(const std::string& volume_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (volumes_.count(volume_id) == 0) return "";
  auto it = restored_from_.find(volume_id);
  return it == restored_from_.end() ? "" : it->second;
}

}  // namespace spotkeeper::cloud
