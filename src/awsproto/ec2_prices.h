// EC2's on-demand prices (USD per hour, Linux, us-east-1, rounded as AWS lists them) for the
// instance types spotkeeper's clouds offer. AWS has no EC2 API for on-demand prices (only the
// Pricing service), so the controller's savings report, the fake cloud and the local cloud's
// market read this one table.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace spotkeeper::aws {

struct Ec2TypePrice {
  std::string_view instance_type;
  double on_demand_usd_per_hour;
};

// Every type in the table, in a stable order.
const std::vector<Ec2TypePrice>& Ec2OnDemandPrices();
// nullopt for a type the table does not know.
std::optional<double> Ec2OnDemandPrice(std::string_view instance_type);

}  // namespace spotkeeper::aws
