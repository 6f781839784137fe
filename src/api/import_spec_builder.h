// Builds the spec of a new group for an existing instance (import with a new group name): its
// zone and subnet, instance type (spot, with on-demand fallback of the same type), image, tags,
// its non-root volumes as blockDeviceMappings, and persistence of the root device, the data
// volumes (reattach) and, when asked, the private IP. Capacity 0 (the import adds the instance).
#pragma once

#include <string>
#include <vector>

#include "provider/cloud_provider.h"
#include "spec/group_spec.h"

namespace spotkeeper::api {

struct ImportSpecOutcome {
  GroupSpec spec;
  // The spec did not validate (e.g. a device name spotkeeper cannot manage): why, by field.
  std::vector<ValidationError> errors;
};

// NotFound when the instance does not exist; FailedPrecondition when it is terminating or gone.
Result<ImportSpecOutcome> BuildImportSpec(CloudProvider& cloud, const std::string& group_name,
                                          const std::string& instance_id, bool keep_private_ip);

// "us-east-1a" -> "us-east-1".
std::string RegionOfZone(const std::string& zone);

}  // namespace spotkeeper::api
