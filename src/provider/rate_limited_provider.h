// RateLimitedProvider: wraps any CloudProvider with client-side copies of EC2's request buckets.
// A call with no token left is not sent: it fails at once with ResourceExhausted
// (cloud_code "ClientThrottled") and retry_after set to when the token will be there, so the
// controller schedules the step for then instead of burning a request on RequestLimitExceeded.
#pragma once

#include <memory>
#include <mutex>

#include "provider/cloud_provider.h"
#include "provider/token_bucket.h"

namespace spotkeeper {

class RateLimitedProvider final : public CloudProvider {
 public:
  // `clock` must outlive this object.
  RateLimitedProvider(std::unique_ptr<CloudProvider> inner, const Clock* clock);

  // Calls refused locally so far (they never reached the cloud).
  int64_t local_throttles() const;
  CloudProvider* inner() { return inner_.get(); }

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

 private:
  // OK if a token was taken for `action`, else the ClientThrottled status.
  Status Take(const char* action);

  std::unique_ptr<CloudProvider> inner_;
  const Clock* clock_;
  mutable std::mutex mu_;
  Ec2RateLimiter limiter_;
  int64_t local_throttles_ = 0;
};

}  // namespace spotkeeper
