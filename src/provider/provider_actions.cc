#include "provider/provider_actions.h"

namespace spotkeeper::action {

const std::vector<std::string>& All() {
  static const std::vector<std::string> all = {
      kRunInstances,
      kTerminateInstances,
      kDescribeInstances,
      kDescribeInstanceStatus,
      kCreateVolume,
      kAttachVolume,
      kDetachVolume,
      kDeleteVolume,
      kDescribeVolumes,
      kCreateSnapshot,
      kDeleteSnapshot,
      kDescribeSnapshots,
      kRegisterImage,
      kCreateImage,
      kDeregisterImage,
      kDescribeImages,
      kCreateNetworkInterface,
      kDeleteNetworkInterface,
      kDescribeNetworkInterfaces,
      kModifyNetworkInterfaceAttribute,
      kCreateTags,
      kDeleteTags,
      kDescribeSpotInstanceRequests,
      kDescribeSpotPriceHistory,
      kDescribeAvailabilityZones,
      kDescribeSubnets,
      kReceiveMessage,
      kDeleteMessageBatch,
      kProbeServing,
  };
  return all;
}

bool IsEventQueue(const std::string& a) { return a == kReceiveMessage || a == kDeleteMessageBatch; }

bool IsProbe(const std::string& a) { return a == kProbeServing; }

}  // namespace spotkeeper::action
