// ProviderDecorator: a CloudProvider that passes every call to the provider it wraps, through
// two hooks. The one place that lists CloudProvider's methods for decorators: rate limiting,
// metrics and fault injection are each a small override of the hooks.
//
//   Admit(action)            before the call. A non-OK status is returned in its place and the
//                            call is not made (a refusal, e.g. ClientThrottled or an injected
//                            error). May block (added latency) or count.
//   Observe(action, status)  after the call was made (only then), with its status. Returns the
//                            status the caller sees: `status` itself, or an error that replaces
//                            the call's result (e.g. a lost response: the call took effect but
//                            the caller sees a timeout). Cannot turn a failed call into a
//                            success: an OK return keeps the call's own result.
//
// `action` is the call's EC2/SQS action name (provider_actions.h). Name() is the inner
// provider's. Thread safety: calls may arrive on several threads at once (the CloudProvider
// contract); the hooks must be safe for that.
#pragma once

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "provider/cloud_provider.h"
#include "provider/provider_actions.h"

namespace spotkeeper {

class ProviderDecorator : public CloudProvider {
 public:
  // Owns `inner`.
  explicit ProviderDecorator(std::unique_ptr<CloudProvider> inner);
  // Does not own `inner`, which must outlive this object.
  explicit ProviderDecorator(CloudProvider* inner);

  CloudProvider* inner() const { return inner_; }

  std::string Name() const override { return inner_->Name(); }
  Result<Instance> RunInstance(const RunInstanceRequest& req) final;
  Status TerminateInstance(const std::string& instance_id) final;
  Result<std::vector<Instance>> DescribeInstances(const Filter& filter) final;
  Result<std::vector<InstanceStatus>> DescribeInstanceStatus(
      const std::vector<std::string>& instance_ids) final;
  Result<Volume> CreateVolume(const CreateVolumeRequest& req) final;
  Status AttachVolume(const std::string& volume_id, const std::string& instance_id,
                      const std::string& device) final;
  Status DetachVolume(const std::string& volume_id, bool force) final;
  Status DeleteVolume(const std::string& volume_id) final;
  Result<std::vector<Volume>> DescribeVolumes(const Filter& filter) final;
  Result<Snapshot> CreateSnapshot(const CreateSnapshotRequest& req) final;
  Status DeleteSnapshot(const std::string& snapshot_id) final;
  Result<std::vector<Snapshot>> DescribeSnapshots(const Filter& filter) final;
  Result<Image> RegisterImage(const RegisterImageRequest& req) final;
  Result<Image> CreateImage(const CreateImageRequest& req) final;
  Status DeregisterImage(const std::string& image_id) final;
  Result<std::vector<Image>> DescribeImages(const Filter& filter) final;
  Result<NetworkInterface> CreateNetworkInterface(const CreateNetworkInterfaceRequest& req) final;
  Status DeleteNetworkInterface(const std::string& eni_id) final;
  Result<std::vector<NetworkInterface>> DescribeNetworkInterfaces(const Filter& filter) final;
  Status SetNetworkInterfaceDeleteOnTermination(const std::string& eni_id,
                                                bool delete_on_termination) final;
  Status CreateTags(const std::vector<std::string>& resource_ids, const Tags& tags) final;
  Status DeleteTags(const std::vector<std::string>& resource_ids,
                    const std::vector<std::string>& keys) final;
  Result<std::vector<SpotInstanceRequest>> DescribeSpotInstanceRequests(
      const Filter& filter) final;
  Result<std::vector<SpotPrice>> DescribeSpotPriceHistory(
      const std::vector<std::string>& instance_types,
      const std::vector<std::string>& availability_zones) final;
  Result<std::vector<AvailabilityZone>> DescribeAvailabilityZones() final;
  Result<std::vector<Subnet>> DescribeSubnets(const std::vector<std::string>& ids) final;
  Result<std::vector<CloudEvent>> ReceiveEvents(int max) final;
  Status AckEvents(const std::vector<std::string>& receipts) final;

 protected:
  virtual Status Admit(const char* action) {
    (void)action;
    return OkStatus();
  }
  virtual Status Observe(const char* action, const Status& status) {
    (void)action;
    return status;
  }

 private:
  template <typename F>
  auto Call(const char* action, F&& call) -> decltype(call()) {
    using R = decltype(call());
    Status admitted = Admit(action);
    if (!admitted.ok()) return R(std::move(admitted));
    R result = call();
    Status seen;
    if constexpr (std::is_same_v<R, Status>) {
      seen = Observe(action, result);
    } else {
      seen = Observe(action, result.status());
    }
    if (seen.ok()) return result;
    return R(std::move(seen));
  }

  std::unique_ptr<CloudProvider> owned_;
  CloudProvider* inner_;
};

}  // namespace spotkeeper
