// The spot market's admin shapes (docs/local-cloud.md, "The admin API"): interruptions, pools and
// cost as JSON, both ways, for the admin API (admin_api.h) and its client
// (cloud_admin_client.h). Times are ISO-8601 UTC with milliseconds, prices USD per hour, costs
// USD, capacities -1 for unlimited.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cloud/engine/engine_types.h"
#include "common/status.h"

namespace spotkeeper::cloud {

// {"instanceId", "spotInstanceRequestId", "action", "rebalanceAt", "noticeAt", "actionAt"} and,
// when the action is terminate, "terminateAt" (= actionAt).
nlohmann::json InterruptionToJson(const ScheduledInterruption& i);
Result<ScheduledInterruption> InterruptionFromJson(const nlohmann::json& j);

// The body of POST /interruptions: {"instanceIds": [...], "noticeSeconds",
// "rebalanceLeadSeconds"} (both optional, seconds >= 0, fractions allowed). InvalidArgument
// naming the field.
struct InterruptRequest {
  std::vector<std::string> instance_ids;
  InterruptOptions options;
};
Result<InterruptRequest> InterruptRequestFromJson(const nlohmann::json& j);
nlohmann::json InterruptRequestToJson(const InterruptRequest& r);

// {"instanceType", "availabilityZone", "onDemandPrice", "spotPrice", "spotCapacity",
//  "spotInUse", "onDemandCapacity", "onDemandInUse", "bucket", "monthlyInterruptionRate",
//  "interruptionsPerHour"}.
nlohmann::json PoolToJson(const PoolView& p);
Result<PoolView> PoolFromJson(const nlohmann::json& j);

// The body of PUT /pools: {"instanceType", "availabilityZone", "market" ("spot" default or
// "on-demand"), "capacity" (an integer, -1 unlimited)}. InvalidArgument naming the field.
struct PoolCapacityRequest {
  std::string instance_type;
  std::string availability_zone;
  std::string market = "spot";
  int capacity = -1;
};
Result<PoolCapacityRequest> PoolCapacityRequestFromJson(const nlohmann::json& j);
nlohmann::json PoolCapacityRequestToJson(const PoolCapacityRequest& r);

// A sum of instances' cost.
struct CostSum {
  int instances = 0;
  double seconds = 0;
  double cost = 0;
  double on_demand_cost = 0;
  double SavedPercent() const {
    return on_demand_cost > 0 ? 100.0 * (on_demand_cost - cost) / on_demand_cost : 0.0;
  }
  void Add(const CostView& v);
};

// What GET /cost answers.
struct CostReport {
  std::vector<CostView> instances;
  CostSum total;
  // Tag key -> tag value -> the sum of the instances with that tag (instances without the key
  // are in none of its values).
  std::map<std::string, std::map<std::string, CostSum>> by_tag;
};
CostReport MakeCostReport(std::vector<CostView> instances);
// {"instances": [{"instanceId", "instanceType", "availabilityZone", "lifecycle", "state",
//   "tags": {...}, "seconds", "cost", "onDemandCost", "savedPercent"}],
//  "total": {"instances", "seconds", "cost", "onDemandCost", "savedPercent"},
//  "byTag": {KEY: [{"value", "instances", "seconds", "cost", "onDemandCost", "savedPercent"}]}}
nlohmann::json CostReportToJson(const CostReport& r);
Result<CostReport> CostReportFromJson(const nlohmann::json& j);

}  // namespace spotkeeper::cloud
