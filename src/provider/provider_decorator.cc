#include "provider/provider_decorator.h"

namespace spotkeeper {

ProviderDecorator::ProviderDecorator(std::unique_ptr<CloudProvider> inner)
    : owned_(std::move(inner)), inner_(owned_.get()) {}

ProviderDecorator::ProviderDecorator(CloudProvider* inner) : inner_(inner) {}

Result<Instance> ProviderDecorator::RunInstance(const RunInstanceRequest& req) {
  return Call(
      action::kRunInstances, [&] { return inner_->RunInstance(req); }, req.network_interface_id);
}
Status ProviderDecorator::TerminateInstance(const std::string& instance_id) {
  return Call(
      action::kTerminateInstances, [&] { return inner_->TerminateInstance(instance_id); },
      instance_id);
}
Result<std::vector<Instance>> ProviderDecorator::DescribeInstances(const Filter& filter) {
  return Call(action::kDescribeInstances, [&] { return inner_->DescribeInstances(filter); });
}
Result<std::vector<InstanceStatus>> ProviderDecorator::DescribeInstanceStatus(
    const std::vector<std::string>& instance_ids) {
  return Call(action::kDescribeInstanceStatus,
              [&] { return inner_->DescribeInstanceStatus(instance_ids); });
}
Result<Volume> ProviderDecorator::CreateVolume(const CreateVolumeRequest& req) {
  return Call(
      action::kCreateVolume, [&] { return inner_->CreateVolume(req); }, req.snapshot_id);
}
Status ProviderDecorator::AttachVolume(const std::string& volume_id, const std::string& instance_id,
                                       const std::string& device) {
  return Call(
      action::kAttachVolume, [&] { return inner_->AttachVolume(volume_id, instance_id, device); },
      volume_id);
}
Status ProviderDecorator::DetachVolume(const std::string& volume_id, bool force) {
  return Call(
      action::kDetachVolume, [&] { return inner_->DetachVolume(volume_id, force); }, volume_id);
}
Status ProviderDecorator::DeleteVolume(const std::string& volume_id) {
  return Call(
      action::kDeleteVolume, [&] { return inner_->DeleteVolume(volume_id); }, volume_id);
}
Result<std::vector<Volume>> ProviderDecorator::DescribeVolumes(const Filter& filter) {
  return Call(action::kDescribeVolumes, [&] { return inner_->DescribeVolumes(filter); });
}
Result<Snapshot> ProviderDecorator::CreateSnapshot(const CreateSnapshotRequest& req) {
  return Call(
      action::kCreateSnapshot, [&] { return inner_->CreateSnapshot(req); }, req.volume_id);
}
Status ProviderDecorator::DeleteSnapshot(const std::string& snapshot_id) {
  return Call(
      action::kDeleteSnapshot, [&] { return inner_->DeleteSnapshot(snapshot_id); }, snapshot_id);
}
Result<std::vector<Snapshot>> ProviderDecorator::DescribeSnapshots(const Filter& filter) {
  return Call(action::kDescribeSnapshots, [&] { return inner_->DescribeSnapshots(filter); });
}
Result<Image> ProviderDecorator::RegisterImage(const RegisterImageRequest& req) {
  return Call(action::kRegisterImage, [&] { return inner_->RegisterImage(req); });
}
Result<Image> ProviderDecorator::CreateImage(const CreateImageRequest& req) {
  return Call(
      action::kCreateImage, [&] { return inner_->CreateImage(req); }, req.instance_id);
}
Status ProviderDecorator::DeregisterImage(const std::string& image_id) {
  return Call(
      action::kDeregisterImage, [&] { return inner_->DeregisterImage(image_id); }, image_id);
}
Result<std::vector<Image>> ProviderDecorator::DescribeImages(const Filter& filter) {
  return Call(action::kDescribeImages, [&] { return inner_->DescribeImages(filter); });
}
Result<NetworkInterface> ProviderDecorator::CreateNetworkInterface(
    const CreateNetworkInterfaceRequest& req) {
  return Call(
      action::kCreateNetworkInterface, [&] { return inner_->CreateNetworkInterface(req); },
      req.subnet_id);
}
Status ProviderDecorator::DeleteNetworkInterface(const std::string& eni_id) {
  return Call(
      action::kDeleteNetworkInterface, [&] { return inner_->DeleteNetworkInterface(eni_id); },
      eni_id);
}
Result<std::vector<NetworkInterface>> ProviderDecorator::DescribeNetworkInterfaces(
    const Filter& filter) {
  return Call(action::kDescribeNetworkInterfaces,
              [&] { return inner_->DescribeNetworkInterfaces(filter); });
}
Status ProviderDecorator::SetNetworkInterfaceDeleteOnTermination(const std::string& eni_id,
                                                                 bool delete_on_termination) {
  return Call(
      action::kModifyNetworkInterfaceAttribute,
      [&] { return inner_->SetNetworkInterfaceDeleteOnTermination(eni_id, delete_on_termination); },
      eni_id);
}
Status ProviderDecorator::CreateTags(const std::vector<std::string>& resource_ids,
                                     const Tags& tags) {
  return Call(
      action::kCreateTags, [&] { return inner_->CreateTags(resource_ids, tags); },
      resource_ids.empty() ? std::string() : resource_ids.front());
}
Status ProviderDecorator::DeleteTags(const std::vector<std::string>& resource_ids,
                                     const std::vector<std::string>& keys) {
  return Call(
      action::kDeleteTags, [&] { return inner_->DeleteTags(resource_ids, keys); },
      resource_ids.empty() ? std::string() : resource_ids.front());
}
Result<std::vector<SpotInstanceRequest>> ProviderDecorator::DescribeSpotInstanceRequests(
    const Filter& filter) {
  return Call(action::kDescribeSpotInstanceRequests,
              [&] { return inner_->DescribeSpotInstanceRequests(filter); });
}
Result<std::vector<SpotPrice>> ProviderDecorator::DescribeSpotPriceHistory(
    const std::vector<std::string>& instance_types,
    const std::vector<std::string>& availability_zones) {
  return Call(action::kDescribeSpotPriceHistory,
              [&] { return inner_->DescribeSpotPriceHistory(instance_types, availability_zones); });
}
Result<std::vector<AvailabilityZone>> ProviderDecorator::DescribeAvailabilityZones() {
  return Call(action::kDescribeAvailabilityZones,
              [&] { return inner_->DescribeAvailabilityZones(); });
}
Result<std::vector<Subnet>> ProviderDecorator::DescribeSubnets(
    const std::vector<std::string>& ids) {
  return Call(action::kDescribeSubnets, [&] { return inner_->DescribeSubnets(ids); });
}
Result<std::vector<CloudEvent>> ProviderDecorator::ReceiveEvents(int max) {
  return Call(action::kReceiveMessage, [&] { return inner_->ReceiveEvents(max); });
}
Status ProviderDecorator::AckEvents(const std::vector<std::string>& receipts) {
  return Call(action::kDeleteMessageBatch, [&] { return inner_->AckEvents(receipts); });
}
Status ProviderDecorator::ProbeServing(const std::string& instance_id, const std::string& ip,
                                       const ServingProbe& probe, Duration timeout) {
  return Call(
      action::kProbeServing, [&] { return inner_->ProbeServing(instance_id, ip, probe, timeout); },
      instance_id);
}

}  // namespace spotkeeper
