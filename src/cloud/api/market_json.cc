#include "cloud/api/market_json.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "common/time.h"

namespace spotkeeper::cloud {
namespace {

using nlohmann::json;

// The keys of `j` must all be in `known`; InvalidArgument naming the first other one.
Status OnlyKeys(const json& j, const std::vector<std::string>& known, const std::string& what) {
  for (const auto& [key, v] : j.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    return InvalidArgument(what + ": unknown key '" + key + "' (known: " + list + ")");
  }
  return OkStatus();
}

Result<std::string> String(const json& j, const std::string& key, const std::string& what) {
  if (!j.contains(key)) return InvalidArgument(what + ": \"" + key + "\" is missing");
  if (!j[key].is_string() || j[key].get<std::string>().empty()) {
    return InvalidArgument(what + ": \"" + key + "\" must be a non-empty string");
  }
  return j[key].get<std::string>();
}

double Number(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

// Seconds (>= 0, at most a day) as a Duration, when present.
Result<std::optional<Duration>> Seconds(const json& j, const std::string& key,
                                        const std::string& what) {
  if (!j.contains(key) || j[key].is_null()) return std::optional<Duration>();
  if (!j[key].is_number()) return InvalidArgument(what + ": \"" + key + "\" must be a number");
  double s = j[key].get<double>();
  if (!std::isfinite(s) || s < 0 || s > 86400) {
    return InvalidArgument(what + ": \"" + key + "\" must be between 0 and 86400 seconds, not " +
                           j[key].dump());
  }
  return std::optional<Duration>(Duration{static_cast<int64_t>(std::llround(s * 1000))});
}

Result<Time> TimeField(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) {
    return Internal(std::string("cloud admin API: an interruption without \"") + key + "\"");
  }
  return ParseTime(j[key].get<std::string>());
}

json SumToJson(const CostSum& s) {
  return {{"instances", s.instances},
          {"seconds", s.seconds},
          {"cost", s.cost},
          {"onDemandCost", s.on_demand_cost},
          {"savedPercent", s.SavedPercent()}};
}

CostSum SumFromJson(const json& j) {
  CostSum s;
  s.instances = static_cast<int>(Number(j, "instances"));
  s.seconds = Number(j, "seconds");
  s.cost = Number(j, "cost");
  s.on_demand_cost = Number(j, "onDemandCost");
  return s;
}

}  // namespace

json InterruptionToJson(const ScheduledInterruption& i) {
  json j = {{"instanceId", i.instance_id},
            {"spotInstanceRequestId", i.spot_request_id},
            {"action", i.action},
            {"rebalanceAt", FormatTime(i.rebalance_time)},
            {"noticeAt", FormatTime(i.notice_time)},
            {"actionAt", FormatTime(i.action_time)}};
  if (i.action == "terminate") j["terminateAt"] = FormatTime(i.action_time);
  return j;
}

Result<ScheduledInterruption> InterruptionFromJson(const json& j) {
  if (!j.is_object()) return Internal("cloud admin API: an interruption is not an object");
  ScheduledInterruption i;
  i.instance_id = j.value("instanceId", "");
  i.spot_request_id = j.value("spotInstanceRequestId", "");
  i.action = j.value("action", "");
  SK_ASSIGN_OR_RETURN(i.rebalance_time, TimeField(j, "rebalanceAt"));
  SK_ASSIGN_OR_RETURN(i.notice_time, TimeField(j, "noticeAt"));
  SK_ASSIGN_OR_RETURN(i.action_time, TimeField(j, "actionAt"));
  return i;
}

Result<InterruptRequest> InterruptRequestFromJson(const json& j) {
  const std::string what = "interruptions";
  if (!j.is_object()) {
    return InvalidArgument(what + ": the body must be a JSON object {\"instanceIds\": [...]}");
  }
  SK_RETURN_IF_ERROR(OnlyKeys(j, {"instanceIds", "noticeSeconds", "rebalanceLeadSeconds"}, what));
  InterruptRequest r;
  if (!j.contains("instanceIds") || !j["instanceIds"].is_array() || j["instanceIds"].empty()) {
    return InvalidArgument(what + ": \"instanceIds\" must be a non-empty list of instance ids");
  }
  for (const json& id : j["instanceIds"]) {
    if (!id.is_string() || id.get<std::string>().empty()) {
      return InvalidArgument(what + ": \"instanceIds\" holds " + id.dump() +
                             ", not an instance id");
    }
    r.instance_ids.push_back(id.get<std::string>());
  }
  SK_ASSIGN_OR_RETURN(r.options.notice, Seconds(j, "noticeSeconds", what));
  SK_ASSIGN_OR_RETURN(r.options.rebalance_lead, Seconds(j, "rebalanceLeadSeconds", what));
  return r;
}

json InterruptRequestToJson(const InterruptRequest& r) {
  json j = {{"instanceIds", r.instance_ids}};
  if (r.options.notice) j["noticeSeconds"] = r.options.notice->count() / 1000.0;
  if (r.options.rebalance_lead) {
    j["rebalanceLeadSeconds"] = r.options.rebalance_lead->count() / 1000.0;
  }
  return j;
}

json PoolToJson(const PoolView& p) {
  return {{"instanceType", p.instance_type},
          {"availabilityZone", p.availability_zone},
          {"onDemandPrice", p.on_demand_price},
          {"spotPrice", p.spot_price},
          {"spotCapacity", p.spot_capacity},
          {"spotInUse", p.spot_in_use},
          {"onDemandCapacity", p.on_demand_capacity},
          {"onDemandInUse", p.on_demand_in_use},
          {"bucket", p.bucket},
          {"monthlyInterruptionRate", p.monthly_rate},
          {"interruptionsPerHour", p.rate_per_hour}};
}

Result<PoolView> PoolFromJson(const json& j) {
  if (!j.is_object() || !j.contains("instanceType")) {
    return Internal("cloud admin API: a pool without \"instanceType\": " + j.dump());
  }
  PoolView p;
  p.instance_type = j.value("instanceType", "");
  p.availability_zone = j.value("availabilityZone", "");
  p.on_demand_price = Number(j, "onDemandPrice");
  p.spot_price = Number(j, "spotPrice");
  p.spot_capacity = j.value("spotCapacity", -1);
  p.spot_in_use = j.value("spotInUse", 0);
  p.on_demand_capacity = j.value("onDemandCapacity", -1);
  p.on_demand_in_use = j.value("onDemandInUse", 0);
  p.bucket = j.value("bucket", "");
  p.monthly_rate = Number(j, "monthlyInterruptionRate");
  p.rate_per_hour = Number(j, "interruptionsPerHour");
  return p;
}

Result<PoolCapacityRequest> PoolCapacityRequestFromJson(const json& j) {
  const std::string what = "pools";
  if (!j.is_object()) {
    return InvalidArgument(what +
                           ": the body must be a JSON object {\"instanceType\", "
                           "\"availabilityZone\", \"market\", \"capacity\"}");
  }
  SK_RETURN_IF_ERROR(OnlyKeys(j, {"instanceType", "availabilityZone", "market", "capacity"}, what));
  PoolCapacityRequest r;
  SK_ASSIGN_OR_RETURN(r.instance_type, String(j, "instanceType", what));
  SK_ASSIGN_OR_RETURN(r.availability_zone, String(j, "availabilityZone", what));
  if (j.contains("market")) {
    SK_ASSIGN_OR_RETURN(r.market, String(j, "market", what));
    if (r.market != "spot" && r.market != "on-demand") {
      return InvalidArgument(what + ": \"market\" must be \"spot\" or \"on-demand\", not \"" +
                             r.market + "\"");
    }
  }
  if (!j.contains("capacity")) {
    return InvalidArgument(what + ": \"capacity\" is missing (an instance count, -1 unlimited)");
  }
  const json& c = j["capacity"];
  if (!c.is_number_integer() || c.get<int64_t>() < -1 || c.get<int64_t>() > 1'000'000) {
    return InvalidArgument(what + ": \"capacity\" must be an integer from 0 to 1000000, or -1 " +
                           "for unlimited, not " + c.dump());
  }
  r.capacity = static_cast<int>(c.get<int64_t>());
  return r;
}

json PoolCapacityRequestToJson(const PoolCapacityRequest& r) {
  return {{"instanceType", r.instance_type},
          {"availabilityZone", r.availability_zone},
          {"market", r.market},
          {"capacity", r.capacity}};
}

void CostSum::Add(const CostView& v) {
  ++instances;
  seconds += v.seconds;
  cost += v.cost;
  on_demand_cost += v.on_demand_cost;
}

CostReport MakeCostReport(std::vector<CostView> instances) {
  CostReport r;
  for (const CostView& v : instances) {
    r.total.Add(v);
    for (const auto& [key, value] : v.tags) r.by_tag[key][value].Add(v);
  }
  r.instances = std::move(instances);
  return r;
}

json CostReportToJson(const CostReport& r) {
  json instances = json::array();
  for (const CostView& v : r.instances) {
    CostSum one;
    one.Add(v);
    instances.push_back({{"instanceId", v.instance_id},
                         {"instanceType", v.instance_type},
                         {"availabilityZone", v.availability_zone},
                         {"lifecycle", v.lifecycle},
                         {"state", v.state},
                         {"tags", v.tags},
                         {"seconds", v.seconds},
                         {"cost", v.cost},
                         {"onDemandCost", v.on_demand_cost},
                         {"savedPercent", one.SavedPercent()}});
  }
  json by_tag = json::object();
  for (const auto& [key, values] : r.by_tag) {
    json list = json::array();
    for (const auto& [value, sum] : values) {
      json one = SumToJson(sum);
      one["value"] = value;
      list.push_back(std::move(one));
    }
    by_tag[key] = std::move(list);
  }
  return {{"instances", instances}, {"total", SumToJson(r.total)}, {"byTag", by_tag}};
}

Result<CostReport> CostReportFromJson(const json& j) {
  if (!j.is_object() || !j.contains("instances") || !j["instances"].is_array()) {
    return Internal("cloud admin API: a cost answer without \"instances\": " + j.dump());
  }
  CostReport r;
  for (const json& i : j["instances"]) {
    CostView v;
    v.instance_id = i.value("instanceId", "");
    v.instance_type = i.value("instanceType", "");
    v.availability_zone = i.value("availabilityZone", "");
    v.lifecycle = i.value("lifecycle", "");
    v.state = i.value("state", "");
    if (i.contains("tags") && i["tags"].is_object()) v.tags = i["tags"].get<TagMap>();
    v.seconds = Number(i, "seconds");
    v.cost = Number(i, "cost");
    v.on_demand_cost = Number(i, "onDemandCost");
    r.instances.push_back(std::move(v));
  }
  if (j.contains("total")) r.total = SumFromJson(j["total"]);
  if (j.contains("byTag") && j["byTag"].is_object()) {
    for (const auto& [key, list] : j["byTag"].items()) {
      if (!list.is_array()) continue;
      for (const json& one : list) r.by_tag[key][one.value("value", "")] = SumFromJson(one);
    }
  }
  return r;
}

}  // namespace spotkeeper::cloud
