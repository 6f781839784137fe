#include "controller/cost_meter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "awsproto/ec2_prices.h"
#include "controller/ssi_status.h"

namespace spotkeeper {
namespace {

int64_t Ms(Time t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

double Num(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

// Adds `usd`/`od` to the bucket of the hour `at` falls in, keeping the last kCostHourlyBuckets.
void AddHourly(nlohmann::json& status, Time at, double usd, double od) {
  nlohmann::json& hourly = status["costHourly"];
  if (!hourly.is_array()) hourly = nlohmann::json::array();
  int64_t hour = Ms(at) / 3'600'000 * 3'600'000;
  if (hourly.empty() || !hourly.back().is_object() || hourly.back().value("hour", int64_t{0}) != hour) {
    hourly.push_back({{"hour", hour}, {"usd", 0.0}, {"onDemandUsd", 0.0}});
  }
  nlohmann::json& b = hourly.back();
  b["usd"] = Num(b, "usd") + usd;
  b["onDemandUsd"] = Num(b, "onDemandUsd") + od;
  if (hourly.size() > kCostHourlyBuckets) {
    hourly.erase(hourly.begin(), hourly.begin() + static_cast<std::ptrdiff_t>(hourly.size() -
                                                                             kCostHourlyBuckets));
  }
}

}  // namespace

void CostMeter::RefreshPrices(const Observed& observed) {
  if (prices_at_ != kEpoch && observed.at - prices_at_ < kPriceRefresh) return;
  std::set<std::string> types;
  std::set<std::string> azs;
  for (const auto& [id, o] : observed.instances) {
    if (o.state != InstanceState::kRunning || o.market != Market::kSpot) continue;
    types.insert(o.instance_type);
    azs.insert(o.availability_zone);
  }
  if (types.empty()) return;
  auto prices = env_.cloud->DescribeSpotPriceHistory({types.begin(), types.end()},
                                                     {azs.begin(), azs.end()});
  if (!prices.ok()) {
    spdlog::debug("cost: spot prices: {}", prices.status().ToString());
    return;  // the last prices seen stay; asked again at the next sweep
  }
  for (const SpotPrice& p : *prices) spot_prices_[{p.instance_type, p.availability_zone}] = p.price;
  prices_at_ = observed.at;
}

std::optional<double> CostMeter::PriceOf(const InstanceObservation& o) const {
  if (o.market == Market::kSpot) {
    auto it = spot_prices_.find({o.instance_type, o.availability_zone});
    if (it == spot_prices_.end()) return std::nullopt;
    return it->second;
  }
  return aws::Ec2OnDemandPrice(o.instance_type);
}

Status CostMeter::Accrue(const Observed& observed) {
  if (!observed.valid) return OkStatus();
  RefreshPrices(observed);
  SK_ASSIGN_OR_RETURN(std::vector<GroupRecord> groups, env_.store->ListGroups(false));
  std::vector<SsiRecord> changed_ssis;
  std::vector<GroupRecord> changed_groups;
  for (GroupRecord& g : groups) {
    SK_ASSIGN_OR_RETURN(std::vector<SsiRecord> ssis, env_.store->ListSsis(g.id));
    nlohmann::json group_status;
    bool group_changed = false;
    for (SsiRecord& ssi : ssis) {
      if (ssi.instance_id.empty()) continue;
      auto it = observed.instances.find(ssi.instance_id);
      if (it == observed.instances.end() || it->second.state != InstanceState::kRunning) continue;
      const InstanceObservation& o = it->second;
      nlohmann::json status = ParseStatusJson(ssi.status_json);
      nlohmann::json cost = status.value("cost", nlohmann::json::object());
      if (!cost.is_object()) cost = nlohmann::json::object();
      Time from = o.launch_time;
      if (cost.value("instanceId", "") == ssi.instance_id) {
        from = std::max(from, Time(std::chrono::milliseconds(cost.value("through", int64_t{0}))));
      }
      if (from == kEpoch) from = observed.at;  // no launch time from the cloud: count from now
      if (from > observed.at) continue;
      double seconds =
          std::chrono::duration_cast<std::chrono::milliseconds>(observed.at - from).count() /
          1000.0;
      std::optional<double> price = PriceOf(o);
      std::optional<double> od = aws::Ec2OnDemandPrice(o.instance_type);
      double usd = price ? *price * seconds / 3600.0 : 0.0;
      double od_usd = od ? *od * seconds / 3600.0 : 0.0;
      if (!price || !od) {
        cost["unpricedSeconds"] = Num(cost, "unpricedSeconds") + seconds;
      } else {
        cost["usd"] = Num(cost, "usd") + usd;
        cost["onDemandUsd"] = Num(cost, "onDemandUsd") + od_usd;
        const char* key = o.market == Market::kSpot ? "spotSeconds" : "onDemandSeconds";
        cost[key] = Num(cost, key) + seconds;
        if (!group_changed) group_status = ParseStatusJson(g.status_json);
        AddHourly(group_status, observed.at, usd, od_usd);
        group_changed = true;
      }
      cost["instanceId"] = ssi.instance_id;
      cost["through"] = Ms(observed.at);
      status["cost"] = cost;
      ssi.status_json = status.dump();
      changed_ssis.push_back(ssi);
    }
    if (group_changed) {
      g.status_json = group_status.dump();
      changed_groups.push_back(g);
    }
  }
  if (changed_ssis.empty()) return OkStatus();
  SK_ASSIGN_OR_RETURN(auto tx, env_.store->Begin());
  for (const GroupRecord& g : changed_groups) SK_RETURN_IF_ERROR(tx->PutGroup(g));
  for (const SsiRecord& s : changed_ssis) SK_RETURN_IF_ERROR(tx->PutSsi(s));
  return tx->Commit();
}

Result<GroupSavings> LoadGroupSavings(Store& store, const std::string& group_id) {
  SK_ASSIGN_OR_RETURN(GroupRecord g, store.GetGroup(group_id));
  SK_ASSIGN_OR_RETURN(std::vector<SsiRecord> ssis, store.ListSsis(group_id));
  return SumGroupSavings(g, ssis);
}

GroupSavings SumGroupSavings(const GroupRecord& g, const std::vector<SsiRecord>& ssis) {
  GroupSavings s;
  s.group_id = g.id;
  s.group_name = g.name;
  for (const SsiRecord& ssi : ssis) {
    nlohmann::json cost = ParseStatusJson(ssi.status_json).value("cost", nlohmann::json::object());
    if (!cost.is_object()) continue;
    s.usd += Num(cost, "usd");
    s.on_demand_usd += Num(cost, "onDemandUsd");
    s.spot_hours += Num(cost, "spotSeconds") / 3600.0;
    s.on_demand_hours += Num(cost, "onDemandSeconds") / 3600.0;
    s.unpriced_hours += Num(cost, "unpricedSeconds") / 3600.0;
    s.ssis.push_back({{"ssiId", ssi.id},
                      {"usd", Num(cost, "usd")},
                      {"onDemandUsd", Num(cost, "onDemandUsd")},
                      {"spotHours", Num(cost, "spotSeconds") / 3600.0},
                      {"onDemandHours", Num(cost, "onDemandSeconds") / 3600.0}});
  }
  s.saved_usd = s.on_demand_usd - s.usd;
  s.saved_percent = s.on_demand_usd > 0 ? 100.0 * s.saved_usd / s.on_demand_usd : 0.0;
  nlohmann::json hourly = ParseStatusJson(g.status_json).value("costHourly", nlohmann::json());
  if (hourly.is_array()) s.hourly = hourly;
  return s;
}

nlohmann::json GroupSavingsJson(const GroupSavings& s) {
  return {{"groupId", s.group_id},
          {"groupName", s.group_name},
          {"costUsd", s.usd},
          {"onDemandCostUsd", s.on_demand_usd},
          {"savedUsd", s.saved_usd},
          {"savedPercent", s.saved_percent},
          {"spotHours", s.spot_hours},
          {"onDemandHours", s.on_demand_hours},
          {"unpricedHours", s.unpriced_hours},
          {"statefulInstances", s.ssis},
          {"hourly", s.hourly}};
}

}  // namespace spotkeeper
