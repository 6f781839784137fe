#include "recovery_call_log.h"

#include <algorithm>

namespace spotkeeper::bench {
namespace {

// Times one forwarded call and fills `c` from its outcome.
template <typename F>
auto Timed(LoggedCall& c, F&& call) {
  c.start = Steady::now();
  auto r = call();
  c.end = Steady::now();
  c.ok = r.ok();
  return r;
}

LoggedCall Call(const char* action, std::string target, bool mutating) {
  LoggedCall c;
  c.action = action;
  c.target = std::move(target);
  c.mutating = mutating;
  return c;
}

}  // namespace

void CallLogProvider::Add(LoggedCall c) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back(std::move(c));
}

std::vector<LoggedCall> CallLogProvider::Since(Steady::time_point from) const {
  std::vector<LoggedCall> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& c : calls_) {
      if (c.start >= from) out.push_back(c);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const LoggedCall& a, const LoggedCall& b) { return a.start < b.start; });
  return out;
}

void CallLogProvider::Trim(Steady::time_point before) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.erase(std::remove_if(calls_.begin(), calls_.end(),
                              [&](const LoggedCall& c) { return c.start < before; }),
               calls_.end());
}

Result<Instance> CallLogProvider::RunInstance(const RunInstanceRequest& req) {
  LoggedCall c = Call("RunInstances", req.network_interface_id, true);
  auto r = Timed(c, [&] { return ForwardingProvider::RunInstance(req); });
  if (r.ok()) c.result = r->id;
  Add(std::move(c));
  return r;
}
Status CallLogProvider::TerminateInstance(const std::string& instance_id) {
  LoggedCall c = Call("TerminateInstances", instance_id, true);
  auto r = Timed(c, [&] { return ForwardingProvider::TerminateInstance(instance_id); });
  Add(std::move(c));
  return r;
}
Result<std::vector<Instance>> CallLogProvider::DescribeInstances(const Filter& filter) {
  LoggedCall c = Call("DescribeInstances", "", false);
  auto r = Timed(c, [&] { return ForwardingProvider::DescribeInstances(filter); });
  Add(std::move(c));
  return r;
}
Result<std::vector<InstanceStatus>> CallLogProvider::DescribeInstanceStatus(
    const std::vector<std::string>& instance_ids) {
  LoggedCall c = Call("DescribeInstanceStatus", "", false);
  auto r = Timed(c, [&] { return ForwardingProvider::DescribeInstanceStatus(instance_ids); });
  Add(std::move(c));
  return r;
}
Result<Volume> CallLogProvider::CreateVolume(const CreateVolumeRequest& req) {
  LoggedCall c = Call("CreateVolume", req.snapshot_id, true);
  auto r = Timed(c, [&] { return ForwardingProvider::CreateVolume(req); });
  if (r.ok()) c.result = r->id;
  Add(std::move(c));
  return r;
}
Status CallLogProvider::AttachVolume(const std::string& volume_id, const std::string& instance_id,
                                     const std::string& device) {
  LoggedCall c = Call("AttachVolume", volume_id, true);
  auto r = Timed(c, [&] { return ForwardingProvider::AttachVolume(volume_id, instance_id, device); });
  c.result = instance_id;
  Add(std::move(c));
  return r;
}
Status CallLogProvider::DetachVolume(const std::string& volume_id, bool force) {
  LoggedCall c = Call("DetachVolume", volume_id, true);
  auto r = Timed(c, [&] { return ForwardingProvider::DetachVolume(volume_id, force); });
  Add(std::move(c));
  return r;
}
Status CallLogProvider::DeleteVolume(const std::string& volume_id) {
  LoggedCall c = Call("DeleteVolume", volume_id, true);
  auto r = Timed(c, [&] { return ForwardingProvider::DeleteVolume(volume_id); });
  Add(std::move(c));
  return r;
}
Result<std::vector<Volume>> CallLogProvider::DescribeVolumes(const Filter& filter) {
  LoggedCall c = Call("DescribeVolumes", "", false);
  auto r = Timed(c, [&] { return ForwardingProvider::DescribeVolumes(filter); });
  Add(std::move(c));
  return r;
}
Result<Snapshot> CallLogProvider::CreateSnapshot(const CreateSnapshotRequest& req) {
  LoggedCall c = Call("CreateSnapshot", req.volume_id, true);
  auto r = Timed(c, [&] { return ForwardingProvider::CreateSnapshot(req); });
  if (r.ok()) c.result = r->id;
  Add(std::move(c));
  return r;
}
Status CallLogProvider::DeleteSnapshot(const std::string& snapshot_id) {
  LoggedCall c = Call("DeleteSnapshot", snapshot_id, true);
  auto r = Timed(c, [&] { return ForwardingProvider::DeleteSnapshot(snapshot_id); });
  Add(std::move(c));
  return r;
}
Result<std::vector<Snapshot>> CallLogProvider::DescribeSnapshots(const Filter& filter) {
  LoggedCall c = Call("DescribeSnapshots", "", false);
  auto r = Timed(c, [&] { return ForwardingProvider::DescribeSnapshots(filter); });
  Add(std::move(c));
  return r;
}
Result<Image> CallLogProvider::RegisterImage(const RegisterImageRequest& req) {
  LoggedCall c = Call("RegisterImage", "", true);
  auto r = Timed(c, [&] { return ForwardingProvider::RegisterImage(req); });
  if (r.ok()) c.result = r->id;
  Add(std::move(c));
  return r;
}
Result<Image> CallLogProvider::CreateImage(const CreateImageRequest& req) {
  LoggedCall c = Call("CreateImage", req.instance_id, true);
  auto r = Timed(c, [&] { return ForwardingProvider::CreateImage(req); });
  if (r.ok()) c.result = r->id;
  Add(std::move(c));
  return r;
}
Status CallLogProvider::DeregisterImage(const std::string& image_id) {
  LoggedCall c = Call("DeregisterImage", image_id, true);
  auto r = Timed(c, [&] { return ForwardingProvider::DeregisterImage(image_id); });
  Add(std::move(c));
  return r;
}
Result<std::vector<Image>> CallLogProvider::DescribeImages(const Filter& filter) {
  LoggedCall c = Call("DescribeImages", "", false);
  auto r = Timed(c, [&] { return ForwardingProvider::DescribeImages(filter); });
  Add(std::move(c));
  return r;
}
Result<NetworkInterface> CallLogProvider::CreateNetworkInterface(
    const CreateNetworkInterfaceRequest& req) {
  LoggedCall c = Call("CreateNetworkInterface", req.subnet_id, true);
  auto r = Timed(c, [&] { return ForwardingProvider::CreateNetworkInterface(req); });
  if (r.ok()) c.result = r->id;
  Add(std::move(c));
  return r;
}
Status CallLogProvider::DeleteNetworkInterface(const std::string& eni_id) {
  LoggedCall c = Call("DeleteNetworkInterface", eni_id, true);
  auto r = Timed(c, [&] { return ForwardingProvider::DeleteNetworkInterface(eni_id); });
  Add(std::move(c));
  return r;
}
Result<std::vector<NetworkInterface>> CallLogProvider::DescribeNetworkInterfaces(
    const Filter& filter) {
  LoggedCall c = Call("DescribeNetworkInterfaces", "", false);
  auto r = Timed(c, [&] { return ForwardingProvider::DescribeNetworkInterfaces(filter); });
  Add(std::move(c));
  return r;
}
Status CallLogProvider::CreateTags(const std::vector<std::string>& resource_ids,
                                   const Tags& tags) {
  LoggedCall c = Call("CreateTags", resource_ids.empty() ? "" : resource_ids.front(), true);
  auto r = Timed(c, [&] { return ForwardingProvider::CreateTags(resource_ids, tags); });
  Add(std::move(c));
  return r;
}
Result<std::vector<CloudEvent>> CallLogProvider::ReceiveEvents(int max) {
  LoggedCall c = Call("ReceiveMessage", "", false);
  auto r = Timed(c, [&] { return ForwardingProvider::ReceiveEvents(max); });
  if (r.ok()) c.events = static_cast<int>(r->size());
  Add(std::move(c));
  return r;
}

}  // namespace spotkeeper::bench
