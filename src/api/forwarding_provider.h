// ForwardingProvider: a CloudProvider that passes every call to another one it does not own.
// Lets a provider owned elsewhere (a test's FakeCloud, the sim cloud) sit under decorators that
// want ownership of their inner provider (RateLimitedProvider).
#pragma once

#include "provider/cloud_provider.h"

namespace spotkeeper::api {

class ForwardingProvider : public CloudProvider {
 public:
  // `inner` must outlive this object.
  explicit ForwardingProvider(CloudProvider* inner) : inner_(inner) {}

  std::string Name() const override { return inner_->Name(); }
  Result<Instance> RunInstance(const RunInstanceRequest& req) override;
  Status TerminateInstance(const std::string& instance_id) override;
  Result<std::vector<Instance>> DescribeInstances(const Filter& filter) override;
  Result<std::vector<InstanceStatus>> DescribeInstanceStatus(
      const std::vector<std::string>& instance_ids) override;
  Result<Volume> CreateVolume(const CreateVolumeRequest& req) override;
  Status AttachVolume(const std::string& volume_id, const std::string& instance_id,
                      const std::string& device) override;
  Status DetachVolume(const std::string& volume_id, bool force) override;
  Status DeleteVolume(const std::string& volume_id) override;
  Result<std::vector<Volume>> DescribeVolumes(const Filter& filter) override;
  Result<Snapshot> CreateSnapshot(const CreateSnapshotRequest& req) override;
  Status DeleteSnapshot(const std::string& snapshot_id) override;
  Result<std::vector<Snapshot>> DescribeSnapshots(const Filter& filter) override;
  Result<Image> RegisterImage(const RegisterImageRequest& req) override;
  Result<Image> CreateImage(const CreateImageRequest& req) override;
  Status DeregisterImage(const std::string& image_id) override;
  Result<std::vector<Image>> DescribeImages(const Filter& filter) override;
  Result<NetworkInterface> CreateNetworkInterface(
      const CreateNetworkInterfaceRequest& req) override;
  Status DeleteNetworkInterface(const std::string& eni_id) override;
  Result<std::vector<NetworkInterface>> DescribeNetworkInterfaces(const Filter& filter) override;
  Status SetNetworkInterfaceDeleteOnTermination(const std::string& eni_id,
                                                bool delete_on_termination) override;
  Status CreateTags(const std::vector<std::string>& resource_ids, const Tags& tags) override;
  Status DeleteTags(const std::vector<std::string>& resource_ids,
                    const std::vector<std::string>& keys) override;
  Result<std::vector<SpotInstanceRequest>> DescribeSpotInstanceRequests(
      const Filter& filter) override;
  Result<std::vector<SpotPrice>> DescribeSpotPriceHistory(
      const std::vector<std::string>& instance_types,
      const std::vector<std::string>& availability_zones) override;
  Result<std::vector<AvailabilityZone>> DescribeAvailabilityZones() override;
  Result<std::vector<Subnet>> DescribeSubnets(const std::vector<std::string>& ids) override;
  Result<std::vector<CloudEvent>> ReceiveEvents(int max) override;
  Status AckEvents(const std::vector<std::string>& receipts) override;

 protected:
  CloudProvider* inner() const { return inner_; }

 private:
  CloudProvider* inner_;
};

}  // namespace spotkeeper::api
