// CrashPoint: named places where the local cloud can be made to die exactly as `kill -9` would,
// for the restart tests (tests/e2e). A test starts `spotkeeper cloud serve` with
//   SPOTKEEPER_CLOUD_CRASH_AT=<name>[,<name>...]
// and the process raises SIGKILL the first time it reaches one of the named points: no
// destructor, no flush, no unlock runs, as with a real kill. Without the variable (every
// normal run) a crash point costs one branch on a value read once.
//
// The points (where each sits, and what the host has then):
//   engine.instance.before-start   launch recorded, its volumes made; StartInstance not called
//   host.instance.before-runc      inside StartInstance: rootfs and volumes mounted, namespace
//                                  made, ENI moved in; runc not yet run
//   engine.instance.after-start    StartInstance returned; "running" not yet recorded
//   engine.volume.before-attach    AttachVolume recorded ("attaching"); the driver not called
//   host.volume.after-loop         inside the mount of a volume: on a loop device, not mounted
//   engine.volume.after-attach     mounted in the instance; "attached" not yet recorded
//   engine.snapshot.before-capture snapshot recorded "pending" (CreateSnapshot, CreateImage, or
//                                  its worker after a restart); CaptureSnapshot not called
//   engine.snapshot.after-capture  captured on the host; the capture not yet recorded
//   engine.snapshot.before-store   capture recorded; StoreSnapshot not called
//   engine.snapshot.after-store    stored on the host; "completed" not yet recorded
#pragma once

#include <signal.h>

#include <cstdlib>
#include <string>

namespace spotkeeper::cloud {

// The comma-separated list of points to die at (read once per process), "" when none.
inline const std::string& CrashPointList() {
  // Appended piece by piece: GCC 12 -O3 misreports `"," + std::string(...)` (-Wrestrict).
  static const std::string list = [] {
    std::string l;
    const char* v = std::getenv("SPOTKEEPER_CLOUD_CRASH_AT");
    if (v != nullptr) {
      l.push_back(',');
      l.append(v);
      l.push_back(',');
    }
    return l;
  }();
  return list;
}

// Raises SIGKILL when `name` is one of the points in SPOTKEEPER_CLOUD_CRASH_AT.
inline void CrashPoint(const char* name) {
  const std::string& list = CrashPointList();
  if (list.empty()) return;
  std::string needle(1, ',');
  needle.append(name);
  needle.push_back(',');
  if (list.find(needle) != std::string::npos) raise(SIGKILL);
}

}  // namespace spotkeeper::cloud
