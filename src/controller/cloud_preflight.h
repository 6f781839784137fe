// CheckCloudReferences: before a group spec is stored, checks what it names in the cloud, so a
// typo in a subnet or image id is a clear 4xx at `group create` instead of an SSI in ERROR
// minutes later. Checks: every subnet exists and lies in the availability zone it is listed
// under; the image exists; every pooled private IP lies in one of the group's subnets.
// A cloud that cannot be asked right now (throttled, unreachable) does not block the change:
// the check is skipped with a warning and the workflows report whatever is wrong.
#pragma once

#include "common/status.h"
#include "provider/cloud_provider.h"
#include "spec/group_spec.h"

namespace spotkeeper {

// InvalidArgument naming the field path (e.g. "compute.availabilityZones[0].subnetIds[1]: ...")
// for the first reference that does not hold; OK otherwise.
Status CheckCloudReferences(CloudProvider& cloud, const GroupSpec& spec);

// True when `ip` (dotted IPv4) lies in `cidr` ("10.0.1.0/24"); false for anything unparsable.
bool Ipv4InCidr(const std::string& ip, const std::string& cidr);

}  // namespace spotkeeper
