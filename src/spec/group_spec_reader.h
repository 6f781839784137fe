// Reading a SpecNode tree into a GroupSpec: field names, types, defaults and the enum values
// (performAt, blockDevicesMode, taskType). Rules between fields live in spec_validator.
#pragma once

#include <string>
#include <vector>

#include "spec/group_spec.h"
#include "spec/spec_node.h"
#include "spec/spec_validator.h"

namespace spotkeeper {

struct ReadGroupSpecResult {
  GroupSpec spec;  // defaults where a field is absent or could not be read
  WrittenFields written;
  std::vector<ValidationError> errors;
};

ReadGroupSpecResult ReadGroupSpec(const SpecNode& root);

// Every field of the format as a pattern path ("compute.availabilityZones[].subnetIds"), in the
// order of the format description. ToJson writes exactly these fields.
const std::vector<std::string>& GroupSpecFieldPaths();

}  // namespace spotkeeper
