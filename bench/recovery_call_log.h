// CallLogProvider: records, with steady-clock times, every call the controller makes to its
// cloud, for bench/recovery: the mutating calls (what was asked, of which resource, when the
// call started and returned) and the Describe and event calls (counted, to show the polling).
//
// Thread-safe (as the CloudProvider contract requires).
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "api/forwarding_provider.h"

namespace spotkeeper::bench {

using Steady = std::chrono::steady_clock;

struct LoggedCall {
  std::string action;  // EC2 action: "RunInstances", "DescribeVolumes", "ReceiveMessage", ...
  std::string target;  // the resource asked about or acted on ("" for a Describe)
  std::string result;  // the id a create returned (instance, snapshot, image)
  bool ok = false;
  bool mutating = false;  // changes the cloud (not a Describe, not the event queue)
  int events = 0;         // ReceiveMessage: how many events it returned
  Steady::time_point start, end;
};

class CallLogProvider final : public api::ForwardingProvider {
 public:
  // `inner` must outlive this object.
  explicit CallLogProvider(CloudProvider* inner) : ForwardingProvider(inner) {}

  // The calls that started at or after `from`, in start order.
  std::vector<LoggedCall> Since(Steady::time_point from) const;
  // Forgets calls that started before `before` (keeps the log small over many runs).
  void Trim(Steady::time_point before);

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
  Status CreateTags(const std::vector<std::string>& resource_ids, const Tags& tags) override;
  Result<std::vector<CloudEvent>> ReceiveEvents(int max) override;

 private:
  void Add(LoggedCall c);

  mutable std::mutex mu_;
  std::vector<LoggedCall> calls_;
};

}  // namespace spotkeeper::bench
