// FakeCloud: the instance type catalogue, capacity pools, spot prices and spot requests.
#include <algorithm>
#include <cmath>

#include "awsproto/ec2_prices.h"
#include "provider/fake/describe_util.h"
#include "provider/fake/fake_cloud.h"

namespace spotkeeper {

namespace {

constexpr double kDefaultOnDemandPrice = 0.1;  // for types added by SetSpotCapacity & co.
constexpr double kSpotDiscount = 0.3;          // initial spot price = 30% of on-demand

double RoundPrice(double p) { return std::round(p * 10000.0) / 10000.0; }

}  // namespace

void FakeCloud::InitCatalogue() {
  // The catalogue RunInstances accepts: EC2's on-demand list.
  for (const aws::Ec2TypePrice& e : aws::Ec2OnDemandPrices()) {
    std::string type(e.instance_type);
    AddInstanceType(type);
    on_demand_prices_[type] = e.on_demand_usd_per_hour;
    for (const std::string& az : options_.availability_zones) {
      spot_prices_[{type, az}] = {RoundPrice(e.on_demand_usd_per_hour * kSpotDiscount), Now()};
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
