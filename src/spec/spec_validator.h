// Semantic validation of a GroupSpec: the rules that span fields (capacity ordering, persistence
// needs, IP pool size, ...) and the shapes of ids and names. ParseGroupSpec runs it; callers that
// build or change a GroupSpec in code (the API, the controller) can run it directly.
#pragma once

#include <vector>

#include "spec/group_spec.h"

namespace spotkeeper {

// Fields whose mere presence matters to a rule: the struct cannot tell a default from a value the
// user wrote.
struct WrittenFields {
  bool block_devices_mode = false;  // strategy.persistence.blockDevicesMode
};

// Every problem, each with its field path and what to write instead; empty when `spec` is valid.
std::vector<ValidationError> ValidateGroupSpec(const GroupSpec& spec,
                                               const WrittenFields& written = {});

}  // namespace spotkeeper
