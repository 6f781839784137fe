// Retention: deletes the store's history past RetentionOptions (retention_options.h) in bounded
// batches, from the controller's tick. Only history goes (Store::Prune's rules): nothing a
// running workflow, a retry, the reconciler or crash recovery reads.
#pragma once

#include "controller/controller_env.h"

namespace spotkeeper {

class Retention {
 public:
  explicit Retention(ControllerEnv env) : env_(env) {}

  // Prunes up to options.max_batches batches; returns when to run again: at now + interval,
  // or at once (now) while a run was cut short with rows still to go.
  Result<Time> Run();
  // What this controller pruned so far (for /metrics and tests).
  const PruneResult& pruned() const { return pruned_; }
  // The request for `now` (exposed for tests).
  static PruneRequest RequestFor(const RetentionOptions& o, Time now);

 private:
  ControllerEnv env_;
  PruneResult pruned_;
  bool unsupported_noted_ = false;
};

}  // namespace spotkeeper
