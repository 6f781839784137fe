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
//   Logged(call)             after every call that was made, when logs_calls() is true (set by
//                            the subclass): what it named and returned, when it started and
//                            ended (steady clock). For call logs (bench/recovery's); no effect
//                            on the result.
//
// `action` is the call's EC2/SQS action name (provider_actions.h). Name() is the inner
// provider's. Thread safety: calls may arrive on several threads at once (the CloudProvider
// contract); the hooks must be safe for that.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "provider/cloud_provider.h"
#include "provider/provider_actions.h"

namespace spotkeeper {

// One call as Logged sees it.
struct ProviderCall {
  const char* action = "";
  // The resource the call named: the instance (TerminateInstances, CreateImage, ProbeServing),
  // volume (AttachVolume, DetachVolume, DeleteVolume, CreateSnapshot), snapshot (CreateVolume),
  // interface (RunInstances, DeleteNetworkInterface, ModifyNetworkInterfaceAttribute), subnet
  // (CreateNetworkInterface), image (DeregisterImage), the first tagged id; "" otherwise.
  std::string target;
  std::string result;  // the id a create (RunInstances, CreateVolume, ...) returned
  int events = 0;      // ReceiveMessage: how many events it returned
  Status status;
  std::chrono::steady_clock::time_point start, end;
};

class ProviderDecorator : public CloudProvider {
 public:
  // Owns `inner`.
  explicit ProviderDecorator(std::unique_ptr<CloudProvider> inner);
  // Does not own `inner`, which must outlive this object.
  explicit ProviderDecorator(CloudProvider* inner);

  CloudProvider* inner() const { return inner_; }

  std::string Name() const override { return inner_->Name(); }
  CloudScope Scope() const override { return inner_->Scope(); }
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
  Result<std::vector<SpotInstanceRequest>> DescribeSpotInstanceRequests(const Filter& filter) final;
  Result<std::vector<SpotPrice>> DescribeSpotPriceHistory(
      const std::vector<std::string>& instance_types,
      const std::vector<std::string>& availability_zones) final;
  Result<std::vector<AvailabilityZone>> DescribeAvailabilityZones() final;
  Result<std::vector<Subnet>> DescribeSubnets(const std::vector<std::string>& ids) final;
  Result<std::vector<CloudEvent>> ReceiveEvents(int max) final;
  Status AckEvents(const std::vector<std::string>& receipts) final;
  Status ProbeServing(const std::string& instance_id, const std::string& ip,
                      const ServingProbe& probe, Duration timeout) final;

 protected:
  virtual Status Admit(const char* action) {
    (void)action;
    return OkStatus();
  }
  virtual Status Observe(const char* action, const Status& status) {
    (void)action;
    return status;
  }
  virtual void Logged(const ProviderCall& call) { (void)call; }
  // Whether Logged is called (a flag, so that other decorators pay nothing for it).
  void set_logs_calls(bool on) { logs_calls_ = on; }

 private:
  template <typename F>
  auto Call(const char* action, F&& call, const std::string& target = "") -> decltype(call()) {
    using R = decltype(call());
    Status admitted = Admit(action);
    if (!admitted.ok()) return R(std::move(admitted));
    const auto start =
        logs_calls_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    R result = call();
    if (logs_calls_) Log(action, target, start, result);
    Status seen;
    if constexpr (std::is_same_v<R, Status>) {
      seen = Observe(action, result);
    } else {
      seen = Observe(action, result.status());
    }
    if (seen.ok()) return result;
    return R(std::move(seen));
  }

  template <typename R>
  void Log(const char* action, const std::string& target,
           std::chrono::steady_clock::time_point start, const R& result) {
    ProviderCall c;
    c.end = std::chrono::steady_clock::now();
    c.start = start;
    c.action = action;
    c.target = target;
    if constexpr (std::is_same_v<R, Status>) {
      c.status = result;
    } else {
      c.status = result.status();
      if constexpr (requires { result->id; }) {
        if (result.ok()) c.result = result->id;
      } else if constexpr (std::is_same_v<R, Result<std::vector<CloudEvent>>>) {
        if (result.ok()) c.events = static_cast<int>(result->size());
      }
    }
    Logged(c);
  }

  std::unique_ptr<CloudProvider> owned_;
  CloudProvider* inner_;
  bool logs_calls_ = false;
};

}  // namespace spotkeeper
