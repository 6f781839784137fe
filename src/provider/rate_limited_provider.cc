#include "provider/rate_limited_provider.h"

namespace spotkeeper {

RateLimitedProvider::RateLimitedProvider(std::unique_ptr<CloudProvider> inner, const Clock* clock)
    : inner_(std::move(inner)), clock_(clock) {}

int64_t RateLimitedProvider::local_throttles() const {
  std::lock_guard<std::mutex> l(mu_);
  return local_throttles_;
}

Status RateLimitedProvider::Take(const char* action) {
  std::lock_guard<std::mutex> l(mu_);
  Duration wait = limiter_.Acquire(action, clock_->Now());
  if (wait.count() == 0) return OkStatus();
  ++local_throttles_;
  return Status(Code::kResourceExhausted,
                std::string(action) + " held back by the client-side rate limit",
                "ClientThrottled")
      .WithRetryAfter(wait);
}

#define SK_THROTTLED(action, call)      \
  do {                                  \
    Status sk_take_ = Take(action);     \
    if (!sk_take_.ok()) return sk_take_; \
    return inner_->call;                \
  } while (0)

Result<Instance> RateLimitedProvider::RunInstance(const RunInstanceRequest& req) {
  SK_THROTTLED("RunInstances", RunInstance(req));
}
Status RateLimitedProvider::TerminateInstance(const std::string& id) {
  SK_THROTTLED("TerminateInstances", TerminateInstance(id));
}
Result<std::vector<Instance>> RateLimitedProvider::DescribeInstances(const Filter& f) {
  SK_THROTTLED("DescribeInstances", DescribeInstances(f));
}
Result<std::vector<InstanceStatus>> RateLimitedProvider::DescribeInstanceStatus(
    const std::vector<std::string>& ids) {
  SK_THROTTLED("DescribeInstanceStatus", DescribeInstanceStatus(ids));
}
Result<Volume> RateLimitedProvider::CreateVolume(const CreateVolumeRequest& req) {
  SK_THROTTLED("CreateVolume", CreateVolume(req));
}
Status RateLimitedProvider::AttachVolume(const std::string& v, const std::string& i,
                                         const std::string& d) {
  SK_THROTTLED("AttachVolume", AttachVolume(v, i, d));
}
Status RateLimitedProvider::DetachVolume(const std::string& v, bool force) {
  SK_THROTTLED("DetachVolume", DetachVolume(v, force));
}
Status RateLimitedProvider::DeleteVolume(const std::string& v) {
  SK_THROTTLED("DeleteVolume", DeleteVolume(v));
}
Result<std::vector<Volume>> RateLimitedProvider::DescribeVolumes(const Filter& f) {
  SK_THROTTLED("DescribeVolumes", DescribeVolumes(f));
}
Result<Snapshot> RateLimitedProvider::CreateSnapshot(const CreateSnapshotRequest& req) {
  SK_THROTTLED("CreateSnapshot", CreateSnapshot(req));
}
Status RateLimitedProvider::DeleteSnapshot(const std::string& id) {
  SK_THROTTLED("DeleteSnapshot", DeleteSnapshot(id));
}
Result<std::vector<Snapshot>> RateLimitedProvider::DescribeSnapshots(const Filter& f) {
  SK_THROTTLED("DescribeSnapshots", DescribeSnapshots(f));
}
Result<Image> RateLimitedProvider::RegisterImage(const RegisterImageRequest& req) {
  SK_THROTTLED("RegisterImage", RegisterImage(req));
}
Result<Image> RateLimitedProvider::CreateImage(const CreateImageRequest& req) {
  SK_THROTTLED("CreateImage", CreateImage(req));
}
Status RateLimitedProvider::DeregisterImage(const std::string& id) {
  SK_THROTTLED("DeregisterImage", DeregisterImage(id));
}
Result<std::vector<Image>> RateLimitedProvider::DescribeImages(const Filter& f) {
  SK_THROTTLED("DescribeImages", DescribeImages(f));
}
Result<NetworkInterface> RateLimitedProvider::CreateNetworkInterface(
    const CreateNetworkInterfaceRequest& req) {
  SK_THROTTLED("CreateNetworkInterface", CreateNetworkInterface(req));
}
Status RateLimitedProvider::DeleteNetworkInterface(const std::string& id) {
  SK_THROTTLED("DeleteNetworkInterface", DeleteNetworkInterface(id));
}
Result<std::vector<NetworkInterface>> RateLimitedProvider::DescribeNetworkInterfaces(
    const Filter& f) {
  SK_THROTTLED("DescribeNetworkInterfaces", DescribeNetworkInterfaces(f));
}
Status RateLimitedProvider::SetNetworkInterfaceDeleteOnTermination(const std::string& id,
                                                                   bool dot) {
  SK_THROTTLED("ModifyNetworkInterfaceAttribute", SetNetworkInterfaceDeleteOnTermination(id, dot));
}
Status RateLimitedProvider::CreateTags(const std::vector<std::string>& ids, const Tags& tags) {
  SK_THROTTLED("CreateTags", CreateTags(ids, tags));
}
Status RateLimitedProvider::DeleteTags(const std::vector<std::string>& ids,
                                       const std::vector<std::string>& keys) {
  SK_THROTTLED("DeleteTags", DeleteTags(ids, keys));
}
Result<std::vector<SpotInstanceRequest>> RateLimitedProvider::DescribeSpotInstanceRequests(
    const Filter& f) {
  SK_THROTTLED("DescribeSpotInstanceRequests", DescribeSpotInstanceRequests(f));
}
Result<std::vector<SpotPrice>> RateLimitedProvider::DescribeSpotPriceHistory(
    const std::vector<std::string>& types, const std::vector<std::string>& azs) {
  SK_THROTTLED("DescribeSpotPriceHistory", DescribeSpotPriceHistory(types, azs));
}
Result<std::vector<AvailabilityZone>> RateLimitedProvider::DescribeAvailabilityZones() {
  SK_THROTTLED("DescribeAvailabilityZones", DescribeAvailabilityZones());
}
Result<std::vector<Subnet>> RateLimitedProvider::DescribeSubnets(
    const std::vector<std::string>& ids) {
  SK_THROTTLED("DescribeSubnets", DescribeSubnets(ids));
}
// Event intake is a queue, not EC2: its own service limits are far above our polling rate.
Result<std::vector<CloudEvent>> RateLimitedProvider::ReceiveEvents(int max) {
  return inner_->ReceiveEvents(max);
}
Status RateLimitedProvider::AckEvents(const std::vector<std::string>& receipts) {
  return inner_->AckEvents(receipts);
}

#undef SK_THROTTLED

}  // namespace spotkeeper
