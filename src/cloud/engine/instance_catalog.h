// The instance types the local cloud offers: vCPUs and memory (the container's cgroup limits)
// and an on-demand price in USD per hour (us-east-1 Linux prices, for the spot market to come).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace spotkeeper::cloud {

struct InstanceTypeInfo {
  std::string name;  // "t3.micro"
  int vcpus = 1;
  int64_t memory_mib = 1024;
  double on_demand_price = 0;  // USD per hour
  bool burstable = false;
};

class InstanceCatalog {
 public:
  // t3.nano .. t3.2xlarge, m5.large .. m5.2xlarge, c5.large .. c5.2xlarge, r5.large .. r5.2xlarge.
  static const InstanceCatalog& Default();

  explicit InstanceCatalog(std::vector<InstanceTypeInfo> types) : types_(std::move(types)) {}
  std::optional<InstanceTypeInfo> Find(const std::string& name) const;
  const std::vector<InstanceTypeInfo>& types() const { return types_; }

 private:
  std::vector<InstanceTypeInfo> types_;
};

}  // namespace spotkeeper::cloud
