// FakeCloud: the instance type catalogue, capacity pools, spot prices and spot requests.
#include <algorithm>
#include <cmath>

#include "provider/fake/describe_util.h"
#include "provider/fake/fake_cloud.h"

namespace spotkeeper {

namespace {

// On-demand USD/hour (us-east-1 Linux, rounded): the catalogue RunInstances accepts.
struct CatalogueEntry {
  const char* type;
  double price;
};
constexpr CatalogueEntry kCatalogue[] = {
    {"t3.nano", 0.0052},   {"t3.micro", 0.0104},   {"t3.small", 0.0208},   {"t3.medium", 0.0416},
    {"t3.large", 0.0832},  {"t3.xlarge", 0.1664},  {"t3.2xlarge", 0.3328}, {"m5.large", 0.096},
    {"m5.xlarge", 0.192},  {"m5.2xlarge", 0.384},  {"m5.4xlarge", 0.768},  {"m5a.large", 0.086},
    {"m5a.xlarge", 0.172}, {"m5a.2xlarge", 0.344}, {"m5a.4xlarge", 0.688}, {"c5.large", 0.085},
    {"c5.xlarge", 0.17},   {"c5.2xlarge", 0.34},   {"c5.4xlarge", 0.68},   {"r5.large", 0.126},
    {"r5.xlarge", 0.252},  {"r5.2xlarge", 0.504},  {"r5.4xlarge", 1.008},
};
constexpr double kDefaultOnDemandPrice = 0.1;  // for types added by SetSpotCapacity & co.
constexpr double kSpotDiscount = 0.3;          // initial spot price = 30% of on-demand

double RoundPrice(double p) { return std::round(p * 10000.0) / 10000.0; }

}  // namespace

void FakeCloud::InitCatalogue() {
  for (const CatalogueEntry& e : kCatalogue) AddInstanceType(e.type);
  for (const CatalogueEntry& e : kCatalogue) {
    on_demand_prices_[e.type] = e.price;
    for (const std::string& az : options_.availability_zones) {
      spot_prices_[{e.type, az}] = {RoundPrice(e.price * kSpotDiscount), Now()};
    }
  }
}

bool FakeCloud::KnownInstanceType(const std::string& type) const {
  return on_demand_prices_.count(type) > 0;
}

void FakeCloud::AddInstanceType(const std::string& type) {
  if (KnownInstanceType(type)) return;
  on_demand_prices_[type] = kDefaultOnDemandPrice;
  for (const std::string& az : options_.availability_zones) {
    spot_prices_[{type, az}] = {RoundPrice(kDefaultOnDemandPrice * kSpotDiscount), Now()};
  }
}

fake::Pool& FakeCloud::PoolFor(Market market, const std::string& type, const std::string& az) {
  return (market == Market::kSpot ? spot_pools_ : on_demand_pools_)[{type, az}];
}

Status FakeCloud::CheckCapacity(Market market, const std::string& type, const std::string& az) {
  fake::Pool& pool = PoolFor(market, type, az);
  if (pool.capacity < 0 || static_cast<int64_t>(pool.live.size()) < pool.capacity) {
    return OkStatus();
  }
  ++stats_.insufficient_capacity;
  return Status(Code::kResourceExhausted,
                "We currently do not have sufficient " + type + " capacity in the Availability " +
                    "Zone you requested (" + az + ") for " + MarketName(market) + " instances.",
                "InsufficientInstanceCapacity");
}

void FakeCloud::SetSpotCapacity(const std::string& type, const std::string& az, int capacity) {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  AddInstanceType(type);
  PoolFor(Market::kSpot, type, az).capacity = std::max(capacity, -1);
  ShrinkSpotPool(type, az);
}

void FakeCloud::SetOnDemandCapacity(const std::string& type, const std::string& az, int capacity) {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  AddInstanceType(type);
  PoolFor(Market::kOnDemand, type, az).capacity = std::max(capacity, -1);
}

void FakeCloud::ShrinkSpotPool(const std::string& type, const std::string& az) {
  fake::Pool& pool = PoolFor(Market::kSpot, type, az);
  if (pool.capacity < 0) return;
  // Instances that will stay: not yet noticed, not yet shutting down. Sorted by id, so the
  // random picks do not depend on hash order.
  std::vector<std::string> staying;
  for (const std::string& id : pool.live) {
    const fake::InstanceRecord& rec = instances_.at(id);
    InstanceState s = rec.instance.state;
    if (rec.action_time == kNever &&
        (s == InstanceState::kPending || s == InstanceState::kRunning)) {
      staying.push_back(id);
    }
  }
  std::sort(staying.begin(), staying.end());
  const Time now = Now();
  while (static_cast<int64_t>(staying.size()) > pool.capacity) {
    size_t pick = static_cast<size_t>(market_rng_.Uniform(staying.size()));
    InterruptLocked(instances_.at(staying[pick]), now);
    staying.erase(staying.begin() + static_cast<std::ptrdiff_t>(pick));
  }
}

void FakeCloud::SetSpotPrice(const std::string& type, const std::string& az, double price) {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  AddInstanceType(type);
  spot_prices_[{type, az}] = {price, Now()};
}

void FakeCloud::WalkSpotPrices(double max_step) {
  std::lock_guard<std::mutex> l(mu_);
  ProcessLocked();
  const Time now = Now();
  for (auto& [key, rec] : spot_prices_) {
    double od = on_demand_prices_.at(key.first);
    double step = (market_rng_.NextDouble() * 2.0 - 1.0) * max_step;
    rec.price = RoundPrice(std::clamp(rec.price * (1.0 + step), od * 0.1, od));
    rec.timestamp = now;
  }
}

void FakeCloud::CloseSpotRequest(const std::string& id, const std::string& status) {
  auto it = spot_requests_.find(id);
  if (it == spot_requests_.end()) return;
  it->second.request.state = "closed";
  it->second.request.status_code = status;
}

Result<std::vector<SpotInstanceRequest>> FakeCloud::DescribeSpotInstanceRequests(
    const Filter& filter) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("DescribeSpotInstanceRequests"));
  return Respond("DescribeSpotInstanceRequests",
                 fake::DescribeRecords(
                     spot_requests_, spot_index_, filter, fake::kSpotRequestIds,
                     [](const fake::SpotRequestRecord&) { return true; },
                     [&filter](const fake::SpotRequestRecord& r) {
                       return fake::MatchesFilter(filter, r.request.state,
                                                  r.request.availability_zone, r.tags);
                     },
                     [](const fake::SpotRequestRecord& r) { return r.request; }));
}

Result<std::vector<SpotPrice>> FakeCloud::DescribeSpotPriceHistory(
    const std::vector<std::string>& instance_types,
    const std::vector<std::string>& availability_zones) {
  std::lock_guard<std::mutex> l(mu_);
  SK_RETURN_IF_ERROR(Admit("DescribeSpotPriceHistory"));
  auto wanted = [](const std::vector<std::string>& list, const std::string& v) {
    return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
  };
  std::vector<SpotPrice> out;
  for (const auto& [key, rec] : spot_prices_) {
    if (wanted(instance_types, key.first) && wanted(availability_zones, key.second)) {
      out.push_back({key.first, key.second, rec.price, rec.timestamp});
    }
  }
  return Respond("DescribeSpotPriceHistory", Result<std::vector<SpotPrice>>(out));
}

}  // namespace spotkeeper
