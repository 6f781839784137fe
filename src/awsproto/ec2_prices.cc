#include "awsproto/ec2_prices.h"

namespace spotkeeper::aws {

const std::vector<Ec2TypePrice>& Ec2OnDemandPrices() {
  static const auto* prices = new std::vector<Ec2TypePrice>{
      {"t3.nano", 0.0052},   {"t3.micro", 0.0104},   {"t3.small", 0.0208},
      {"t3.medium", 0.0416}, {"t3.large", 0.0832},   {"t3.xlarge", 0.1664},
      {"t3.2xlarge", 0.3328}, {"m5.large", 0.096},   {"m5.xlarge", 0.192},
      {"m5.2xlarge", 0.384}, {"m5.4xlarge", 0.768},  {"m5a.large", 0.086},
      {"m5a.xlarge", 0.172}, {"m5a.2xlarge", 0.344}, {"m5a.4xlarge", 0.688},
      {"c5.large", 0.085},   {"c5.xlarge", 0.17},    {"c5.2xlarge", 0.34},
      {"c5.4xlarge", 0.68},  {"r5.large", 0.126},    {"r5.xlarge", 0.252},
      {"r5.2xlarge", 0.504}, {"r5.4xlarge", 1.008},
  };
  return *prices;
}

std::optional<double> Ec2OnDemandPrice(std::string_view instance_type) {
  for (const Ec2TypePrice& p : Ec2OnDemandPrices()) {
    if (p.instance_type == instance_type) return p.on_demand_usd_per_hour;
  }
  return std::nullopt;
}

}  // namespace spotkeeper::aws
