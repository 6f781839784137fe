#include "api/forwarding_provider.h"

namespace spotkeeper::api {

Result<Instance> ForwardingProvider::RunInstance(const RunInstanceRequest& req) {
  return inner_->RunInstance(req);
}
Status ForwardingProvider::TerminateInstance(const std::string& instance_id) {
  return inner_->TerminateInstance(instance_id);
}
Result<std::vector<Instance>> ForwardingProvider::DescribeInstances(const Filter& filter) {
  return inner_->DescribeInstances(filter);
}
Result<std::vector<InstanceStatus>> ForwardingProvider::DescribeInstanceStatus(
    const std::vector<std::string>& instance_ids) {
  return inner_->DescribeInstanceStatus(instance_ids);
}
Result<Volume> ForwardingProvider::CreateVolume(const CreateVolumeRequest& req) {
  return inner_->CreateVolume(req);
}
Status ForwardingProvider::AttachVolume(const std::string& volume_id,
                                        const std::string& instance_id, const std::string& device) {
  return inner_->AttachVolume(volume_id, instance_id, device);
}
Status ForwardingProvider::DetachVolume(const std::string& volume_id, bool force) {
  return inner_->DetachVolume(volume_id, force);
}
Status ForwardingProvider::DeleteVolume(const std::string& volume_id) {
  return inner_->DeleteVolume(volume_id);
}
Result<std::vector<Volume>> ForwardingProvider::DescribeVolumes(const Filter& filter) {
  return inner_->DescribeVolumes(filter);
}
Result<Snapshot> ForwardingProvider::CreateSnapshot(const CreateSnapshotRequest& req) {
  return inner_->CreateSnapshot(req);
}
Status ForwardingProvider::DeleteSnapshot(const std::string& snapshot_id) {
  return inner_->DeleteSnapshot(snapshot_id);
}
Result<std::vector<Snapshot>> ForwardingProvider::DescribeSnapshots(const Filter& filter) {
  return inner_->DescribeSnapshots(filter);
}
Result<Image> ForwardingProvider::RegisterImage(const RegisterImageRequest& req) {
  return inner_->RegisterImage(req);
}
Result<Image> ForwardingProvider::CreateImage(const CreateImageRequest& req) {
  return inner_->CreateImage(req);
}
Status ForwardingProvider::DeregisterImage(const std::string& image_id) {
  return inner_->DeregisterImage(image_id);
}
Result<std::vector<Image>> ForwardingProvider::DescribeImages(const Filter& filter) {
  return inner_->DescribeImages(filter);
}
Result<NetworkInterface> ForwardingProvider::CreateNetworkInterface(
    const CreateNetworkInterfaceRequest& req) {
  return inner_->CreateNetworkInterface(req);
}
Status ForwardingProvider::DeleteNetworkInterface(const std::string& eni_id) {
  return inner_->DeleteNetworkInterface(eni_id);
}
Result<std::vector<NetworkInterface>> ForwardingProvider::DescribeNetworkInterfaces(
    const Filter& filter) {
  return inner_->DescribeNetworkInterfaces(filter);
}
Status ForwardingProvider::SetNetworkInterfaceDeleteOnTermination(const std::string& eni_id,
                                                                  bool delete_on_termination) {
  return inner_->SetNetworkInterfaceDeleteOnTermination(eni_id, delete_on_termination);
}
Status ForwardingProvider::CreateTags(const std::vector<std::string>& resource_ids,
                                      const Tags& tags) {
  return inner_->CreateTags(resource_ids, tags);
}
Status ForwardingProvider::DeleteTags(const std::vector<std::string>& resource_ids,
                                      const std::vector<std::string>& keys) {
  return inner_->DeleteTags(resource_ids, keys);
}
Result<std::vector<SpotInstanceRequest>> ForwardingProvider::DescribeSpotInstanceRequests(
    const Filter& filter) {
  return inner_->DescribeSpotInstanceRequests(filter);
}
Result<std::vector<SpotPrice>> ForwardingProvider::DescribeSpotPriceHistory(
    const std::vector<std::string>& instance_types,
    const std::vector<std::string>& availability_zones) {
  return inner_->DescribeSpotPriceHistory(instance_types, availability_zones);
}
Result<std::vector<AvailabilityZone>> ForwardingProvider::DescribeAvailabilityZones() {
  return inner_->DescribeAvailabilityZones();
}
Result<std::vector<Subnet>> ForwardingProvider::DescribeSubnets(
    const std::vector<std::string>& ids) {
  return inner_->DescribeSubnets(ids);
}
Result<std::vector<CloudEvent>> ForwardingProvider::ReceiveEvents(int max) {
  return inner_->ReceiveEvents(max);
}
Status ForwardingProvider::AckEvents(const std::vector<std::string>& receipts) {
  return inner_->AckEvents(receipts);
}

}  // namespace spotkeeper::api
