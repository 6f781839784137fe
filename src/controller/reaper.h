// Reaper: deletes the cloud resources marked "retiring" (superseded by retention, by a move to
// another AZ, or captured in a snapshot/image) and records them as deleted. Images go before
// the snapshots they hold; attached volumes wait until they are free.
#pragma once

#include "controller/controller_env.h"

namespace spotkeeper {

class Reaper {
 public:
  explicit Reaper(ControllerEnv env) : env_(env) {}

  // One pass. Returns true while retiring resources remain.
  Result<bool> Run();
  int64_t deleted() const { return deleted_; }

 private:
  ControllerEnv env_;
  int64_t deleted_ = 0;
};

}  // namespace spotkeeper
