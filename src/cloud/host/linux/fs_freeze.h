// RunFrozen: runs a short step (the FICLONE of a volume file) while the volume's filesystem is
// frozen (FIFREEZE), so that what the step copies is a consistent point in time of a mounted,
// busy filesystem: the freeze writes back everything dirty and holds new writes until the thaw.
//
// The thaw is certain: RunFrozen thaws after the step on every path, and a watchdog thread
// thaws when the step has not returned within `timeout` (a hung clone must not hang every
// writer of the volume). When the watchdog thawed, the step's result is not a point in time:
// RunFrozen returns DeadlineExceeded and the caller discards what the step made.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "common/status.h"
#include "common/time.h"

namespace spotkeeper::cloud::linuxhost {

struct FreezeStats {
  using Micros = std::chrono::microseconds;
  Micros sync_time{};  // the syncfs before the freeze (writers not blocked)
  Micros blocked{};    // FIFREEZE called → FITHAW returned: writers were held this long
  Micros step_time{};  // the step alone
};

// `mount_point`: where the filesystem is mounted. `expected_dev`: the st_dev its root must have
// (the volume's loop device): when something else is mounted there (the volume went away), the
// filesystem below is never frozen: FailedPrecondition. A filesystem frozen by someone else:
// Unavailable.
Result<FreezeStats> RunFrozen(const std::string& mount_point, dev_t expected_dev, Duration timeout,
                              const std::function<Status()>& step);

}  // namespace spotkeeper::cloud::linuxhost
