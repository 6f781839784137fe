// SnapshotSchedule: periodic snapshots of an ACTIVE SSI's volumes and their retention.
// Root volumes are snapshotted when the root device persists; data volumes in onLaunch mode,
// and in reattach mode only when the group spans several AZs (a move to another AZ needs a
// recent snapshot; within one AZ the volume itself follows the SSI). Keeps `snapshots.keep`
// completed snapshots per device while running (pauses keep only the latest, see steps_pause).
#pragma once

#include "controller/controller_env.h"

namespace spotkeeper {

// Retention of snapshots.keep: among `resources`, the ids of the current, completed snapshots
// beyond the newest `keep` of each device, never `image_snapshot` (the one the SSI's image is
// made from). Used by the periodic schedule and by a recovery's RetireSuperseded.
std::vector<std::string> SnapshotsBeyondKeep(const std::vector<ResourceRecord>& resources, int keep,
                                             const std::string& image_snapshot);

class SnapshotSchedule {
 public:
  explicit SnapshotSchedule(ControllerEnv env) : env_(env) {}

  // For an ACTIVE SSI with no running workflow: notes snapshots that completed, applies
  // retention, and takes the snapshots that are due.
  Status MaybeSnapshot(SsiRecord ssi, const GroupRecord& group, const GroupSpec& spec);

  int64_t snapshots_taken() const { return taken_; }

 private:
  ControllerEnv env_;
  int64_t taken_ = 0;
};

}  // namespace spotkeeper
