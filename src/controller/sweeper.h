// Sweeper: the level-triggered safety net. A periodic Describe of every instance spotkeeper
// tagged (instances that died without a notice show up here), their status checks (health),
// and, less often, a search for tagged resources nobody owns (orphans of crashes and lost
// responses) which it deletes once they are older than the grace period.
#pragma once

#include <map>
#include <set>

#include "controller/controller_env.h"

namespace spotkeeper {

class Sweeper {
 public:
  explicit Sweeper(ControllerEnv env) : env_(env) {}

  Status Sweep();
  Status CollectOrphans();

  const Observed& observed() const { return observed_; }
  int64_t orphans_deleted() const { return orphans_deleted_; }

 private:
  // True when `id` (tagged with `ssi_id`) belongs to nobody and may be deleted now.
  Result<bool> IsOrphan(const std::string& id, const std::string& ssi_id, Time created,
                        const std::set<std::string>& busy);

  ControllerEnv env_;
  Observed observed_;
  std::map<std::string, Time> first_seen_;  // for resources the cloud gives no creation time
  int64_t orphans_deleted_ = 0;
};

}  // namespace spotkeeper
