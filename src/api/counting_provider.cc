#include "api/counting_provider.h"

namespace spotkeeper::api {

void CountingProvider::Record(const char* action, const Status& s) {
  std::lock_guard<std::mutex> lock(mu_);
  ActionCounts& c = counts_[action];
  ++c.calls;
  if (s.ok()) return;
  const std::string& cc = s.cloud_code();
  if (cc == "ClientThrottled") {
    ++c.client_throttles;
  } else if (cc == "RequestLimitExceeded" || cc == "Throttling" || cc == "ThrottlingException" ||
             cc == "RequestThrottled" || cc == "SlowDown") {
    ++c.cloud_throttles;
  } else {
    ++c.errors[CodeName(s.code())];
  }
}

std::map<std::string, ActionCounts> CountingProvider::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

Result<Instance> CountingProvider::RunInstance(const RunInstanceRequest& req) {
  return Counted("RunInstances", ForwardingProvider::RunInstance(req));
}
Status CountingProvider::TerminateInstance(const std::string& instance_id) {
  return Counted("TerminateInstances", ForwardingProvider::TerminateInstance(instance_id));
}
Result<std::vector<Instance>> CountingProvider::DescribeInstances(const Filter& filter) {
  return Counted("DescribeInstances", ForwardingProvider::DescribeInstances(filter));
}
Result<std::vector<InstanceStatus>> CountingProvider::DescribeInstanceStatus(
    const std::vector<std::string>& instance_ids) {
  return Counted("DescribeInstanceStatus",
                 ForwardingProvider::DescribeInstanceStatus(instance_ids));
}
Result<Volume> CountingProvider::CreateVolume(const CreateVolumeRequest& req) {
  return Counted("CreateVolume", ForwardingProvider::CreateVolume(req));
}
Status CountingProvider::AttachVolume(const std::string& volume_id, const std::string& instance_id,
                                      const std::string& device) {
  return Counted("AttachVolume", ForwardingProvider::AttachVolume(volume_id, instance_id, device));
}
Status CountingProvider::DetachVolume(const std::string& volume_id, bool force) {
  return Counted("DetachVolume", ForwardingProvider::DetachVolume(volume_id, force));
}
Status CountingProvider::DeleteVolume(const std::string& volume_id) {
  return Counted("DeleteVolume", ForwardingProvider::DeleteVolume(volume_id));
}
Result<std::vector<Volume>> CountingProvider::DescribeVolumes(const Filter& filter) {
  return Counted("DescribeVolumes", ForwardingProvider::DescribeVolumes(filter));
}
Result<Snapshot> CountingProvider::CreateSnapshot(const CreateSnapshotRequest& req) {
  return Counted("CreateSnapshot", ForwardingProvider::CreateSnapshot(req));
}
Status CountingProvider::DeleteSnapshot(const std::string& snapshot_id) {
  return Counted("DeleteSnapshot", ForwardingProvider::DeleteSnapshot(snapshot_id));
}
Result<std::vector<Snapshot>> CountingProvider::DescribeSnapshots(const Filter& filter) {
  return Counted("DescribeSnapshots", ForwardingProvider::DescribeSnapshots(filter));
}
Result<Image> CountingProvider::RegisterImage(const RegisterImageRequest& req) {
  return Counted("RegisterImage", ForwardingProvider::RegisterImage(req));
}
Result<Image> CountingProvider::CreateImage(const CreateImageRequest& req) {
  return Counted("CreateImage", ForwardingProvider::CreateImage(req));
}
Status CountingProvider::DeregisterImage(const std::string& image_id) {
  return Counted("DeregisterImage", ForwardingProvider::DeregisterImage(image_id));
}
Result<std::vector<Image>> CountingProvider::DescribeImages(const Filter& filter) {
  return Counted("DescribeImages", ForwardingProvider::DescribeImages(filter));
}
Result<NetworkInterface> CountingProvider::CreateNetworkInterface(
    const CreateNetworkInterfaceRequest& req) {
  return Counted("CreateNetworkInterface", ForwardingProvider::CreateNetworkInterface(req));
}
Status CountingProvider::DeleteNetworkInterface(const std::string& eni_id) {
  return Counted("DeleteNetworkInterface", ForwardingProvider::DeleteNetworkInterface(eni_id));
}
Result<std::vector<NetworkInterface>> CountingProvider::DescribeNetworkInterfaces(
    const Filter& filter) {
  return Counted("DescribeNetworkInterfaces",
                 ForwardingProvider::DescribeNetworkInterfaces(filter));
}
Status CountingProvider::SetNetworkInterfaceDeleteOnTermination(const std::string& eni_id,
                                                                bool delete_on_termination) {
  return Counted(
      "ModifyNetworkInterfaceAttribute",
      ForwardingProvider::SetNetworkInterfaceDeleteOnTermination(eni_id, delete_on_termination));
}
Status CountingProvider::CreateTags(const std::vector<std::string>& resource_ids,
                                    const Tags& tags) {
  return Counted("CreateTags", ForwardingProvider::CreateTags(resource_ids, tags));
}
Status CountingProvider::DeleteTags(const std::vector<std::string>& resource_ids,
                                    const std::vector<std::string>& keys) {
  return Counted("DeleteTags", ForwardingProvider::DeleteTags(resource_ids, keys));
}
Result<std::vector<SpotInstanceRequest>> CountingProvider::DescribeSpotInstanceRequests(
    const Filter& filter) {
  return Counted("DescribeSpotInstanceRequests",
                 ForwardingProvider::DescribeSpotInstanceRequests(filter));
}
Result<std::vector<SpotPrice>> CountingProvider::DescribeSpotPriceHistory(
    const std::vector<std::string>& instance_types,
    const std::vector<std::string>& availability_zones) {
  return Counted("DescribeSpotPriceHistory",
                 ForwardingProvider::DescribeSpotPriceHistory(instance_types, availability_zones));
}
Result<std::vector<AvailabilityZone>> CountingProvider::DescribeAvailabilityZones() {
  return Counted("DescribeAvailabilityZones", ForwardingProvider::DescribeAvailabilityZones());
}
Result<std::vector<Subnet>> CountingProvider::DescribeSubnets(const std::vector<std::string>& ids) {
  return Counted("DescribeSubnets", ForwardingProvider::DescribeSubnets(ids));
}
Result<std::vector<CloudEvent>> CountingProvider::ReceiveEvents(int max) {
  return Counted("ReceiveMessage", ForwardingProvider::ReceiveEvents(max));
}
Status CountingProvider::AckEvents(const std::vector<std::string>& receipts) {
  return Counted("DeleteMessageBatch", ForwardingProvider::AckEvents(receipts));
}

}  // namespace spotkeeper::api
