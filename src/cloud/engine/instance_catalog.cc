#include "cloud/engine/instance_catalog.h"

namespace spotkeeper::cloud {

const InstanceCatalog& InstanceCatalog::Default() {
  static const InstanceCatalog* catalog = new InstanceCatalog({
      {"t3.nano", 2, 512, 0.0052, true},
      {"t3.micro", 2, 1024, 0.0104, true},
      {"t3.small", 2, 2048, 0.0208, true},
      {"t3.medium", 2, 4096, 0.0416, true},
      {"t3.large", 2, 8192, 0.0832, true},
      {"t3.xlarge", 4, 16384, 0.1664, true},
      {"t3.2xlarge", 8, 32768, 0.3328, true},
      {"m5.large", 2, 8192, 0.096, false},
      {"m5.xlarge", 4, 16384, 0.192, false},
      {"m5.2xlarge", 8, 32768, 0.384, false},
      {"c5.large", 2, 4096, 0.085, false},
      {"c5.xlarge", 4, 8192, 0.17, false},
      {"c5.2xlarge", 8, 16384, 0.34, false},
      {"r5.large", 2, 16384, 0.126, false},
      {"r5.xlarge", 4, 32768, 0.252, false},
      {"r5.2xlarge", 8, 65536, 0.504, false},
  });
  return *catalog;
}

std::optional<InstanceTypeInfo> InstanceCatalog::Find(const std::string& name) const {
  for (const InstanceTypeInfo& t : types_) {
    if (t.name == name) return t;
  }
  return std::nullopt;
}

}  // namespace spotkeeper::cloud
