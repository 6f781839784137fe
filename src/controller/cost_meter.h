// CostMeter: what each stateful instance costs, beside what it would have cost on-demand.
//
// After every sweep the controller accrues, for each SSI whose instance the sweep saw running,
// the time since the last accrual (or since the instance's launch) at the price in effect: the
// spot price of the instance's (type, AZ) pool from DescribeSpotPriceHistory for a spot
// instance, the on-demand price (aws::Ec2OnDemandPrice) for an on-demand one; the on-demand
// equivalent is the same time at the on-demand price. So the precision is one sweep interval per
// price change and per instance change (the last interval of a replaced instance is not counted).
//
// Where it is kept (so it survives restarts and is written in the same transactions as the rest):
//   SSI status_json "cost": {"usd", "onDemandUsd", "spotSeconds", "onDemandSeconds",
//                            "unpricedSeconds", "instanceId", "through" (ms)}
//   group status_json "costHourly": [{"hour" (ms), "usd", "onDemandUsd"}, ...], the last
//                                   kCostHourlyBuckets hours with any running instance.
// Thread safety: not thread-safe; runs on the controller's thread.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "controller/controller_env.h"

namespace spotkeeper {

inline constexpr size_t kCostHourlyBuckets = 24 * 30;

// A group's cost over the life of its SSIs, as the API and the CLI show it.
struct GroupSavings {
  std::string group_id;
  std::string group_name;
  double usd = 0;            // what the instances cost (spot and on-demand)
  double on_demand_usd = 0;  // what the same hours would have cost on-demand
  double saved_usd = 0;
  double saved_percent = 0;  // of on_demand_usd; 0 when nothing ran yet
  double spot_hours = 0;
  double on_demand_hours = 0;
  double unpriced_hours = 0;  // hours of instance types without a known price
  nlohmann::json ssis = nlohmann::json::array();    // [{"ssiId", "cost" (as kept)}]
  nlohmann::json hourly = nlohmann::json::array();  // the group's "costHourly"
};

class CostMeter {
 public:
  explicit CostMeter(ControllerEnv env) : env_(env) {}

  // Accrues every SSI's running instance up to `observed.at`. One store transaction for all.
  // A failed price lookup keeps the last prices seen (or counts the time as unpriced).
  Status Accrue(const Observed& observed);

  // Spot prices are asked again at most this often.
  static constexpr Duration kPriceRefresh = std::chrono::minutes(5);

 private:
  // USD per hour for the instance, nullopt when unknown. REQUIRES prices_ refreshed.
  std::optional<double> PriceOf(const InstanceObservation& o) const;
  void RefreshPrices(const Observed& observed);

  ControllerEnv env_;
  std::map<std::pair<std::string, std::string>, double> spot_prices_;  // (type, AZ) -> USD/h
  Time prices_at_ = kEpoch;
};

// Sums a group's SSIs' accrued cost (deallocated SSIs included).
Result<GroupSavings> LoadGroupSavings(Store& store, const std::string& group_id);
GroupSavings SumGroupSavings(const GroupRecord& group, const std::vector<SsiRecord>& ssis);
nlohmann::json GroupSavingsJson(const GroupSavings& s);

}  // namespace spotkeeper
