// CountingProvider: counts every call the controller makes to its cloud, by EC2 action, with
// the throttled ones (refused by the client-side buckets, "ClientThrottled", or by the cloud,
// "RequestLimitExceeded") and the failed ones by error code. Feeds /metrics.
//
// Thread-safe (as the CloudProvider contract requires).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "api/forwarding_provider.h"

namespace spotkeeper::api {

struct ActionCounts {
  int64_t calls = 0;
  int64_t client_throttles = 0;           // refused before reaching the cloud
  int64_t cloud_throttles = 0;            // the cloud said RequestLimitExceeded (or the like)
  std::map<std::string, int64_t> errors;  // other failures by Status code name
};

class CountingProvider final : public ForwardingProvider {
 public:
  // `inner` must outlive this object.
  explicit CountingProvider(CloudProvider* inner) : ForwardingProvider(inner) {}

  // Counts so far, by EC2/SQS action name ("RunInstances", "ReceiveMessage", ...).
  std::map<std::string, ActionCounts> counts() const;

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
  void Record(const char* action, const Status& s);
  template <typename R>
  R Counted(const char* action, R r) {
    if constexpr (std::is_same_v<R, Status>) {
      Record(action, r);
    } else {
      Record(action, r.status());
    }
    return r;
  }

  mutable std::mutex mu_;
  std::map<std::string, ActionCounts> counts_;
};

}  // namespace spotkeeper::api
