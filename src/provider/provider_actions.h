// The action names of CloudProvider's calls, as EC2 (and SQS, for the event queue) names them:
// one constant per method. Decorators (ProviderDecorator) see every call under its name; the
// names key metrics, EC2's request buckets and injected faults.
#pragma once

#include <string>
#include <vector>

namespace spotkeeper::action {

inline constexpr const char kRunInstances[] = "RunInstances";
inline constexpr const char kTerminateInstances[] = "TerminateInstances";
inline constexpr const char kDescribeInstances[] = "DescribeInstances";
inline constexpr const char kDescribeInstanceStatus[] = "DescribeInstanceStatus";
inline constexpr const char kCreateVolume[] = "CreateVolume";
inline constexpr const char kAttachVolume[] = "AttachVolume";
inline constexpr const char kDetachVolume[] = "DetachVolume";
inline constexpr const char kDeleteVolume[] = "DeleteVolume";
inline constexpr const char kDescribeVolumes[] = "DescribeVolumes";
inline constexpr const char kCreateSnapshot[] = "CreateSnapshot";
inline constexpr const char kDeleteSnapshot[] = "DeleteSnapshot";
inline constexpr const char kDescribeSnapshots[] = "DescribeSnapshots";
inline constexpr const char kRegisterImage[] = "RegisterImage";
inline constexpr const char kCreateImage[] = "CreateImage";
inline constexpr const char kDeregisterImage[] = "DeregisterImage";
inline constexpr const char kDescribeImages[] = "DescribeImages";
inline constexpr const char kCreateNetworkInterface[] = "CreateNetworkInterface";
inline constexpr const char kDeleteNetworkInterface[] = "DeleteNetworkInterface";
inline constexpr const char kDescribeNetworkInterfaces[] = "DescribeNetworkInterfaces";
// SetNetworkInterfaceDeleteOnTermination.
inline constexpr const char kModifyNetworkInterfaceAttribute[] = "ModifyNetworkInterfaceAttribute";
inline constexpr const char kCreateTags[] = "CreateTags";
inline constexpr const char kDeleteTags[] = "DeleteTags";
inline constexpr const char kDescribeSpotInstanceRequests[] = "DescribeSpotInstanceRequests";
inline constexpr const char kDescribeSpotPriceHistory[] = "DescribeSpotPriceHistory";
inline constexpr const char kDescribeAvailabilityZones[] = "DescribeAvailabilityZones";
inline constexpr const char kDescribeSubnets[] = "DescribeSubnets";
// The event queue (SQS): ReceiveEvents and AckEvents.
inline constexpr const char kReceiveMessage[] = "ReceiveMessage";
inline constexpr const char kDeleteMessageBatch[] = "DeleteMessageBatch";
// ProbeServing: a connection to the workload, not an API call on AWS (no EC2 request buckets).
inline constexpr const char kProbeServing[] = "ProbeServing";

// Every name above, in CloudProvider's order.
const std::vector<std::string>& All();
// ReceiveMessage and DeleteMessageBatch: the event queue, not EC2 (no EC2 request buckets).
bool IsEventQueue(const std::string& action);
// ProbeServing: not an EC2 action (no EC2 request buckets, not a mutating call).
bool IsProbe(const std::string& action);

}  // namespace spotkeeper::action
