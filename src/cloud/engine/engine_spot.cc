// Engine: spot instance requests (made by RunInstances, described, cancelled), their status
// codes as instances move, capacity and price checks, price history, and the IMDS's spot paths.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "cloud/engine/describe_filter.h"
#include "cloud/engine/ec2_error.h"
#include "cloud/engine/engine.h"

namespace spotkeeper::cloud {
namespace {

const char* StatusMessage(const std::string& code) {
  static const std::map<std::string, const char*> kMessages = {
      {"pending-evaluation",
       "Your Spot request has been submitted for review, and is pending "
       "evaluation."},
      {"fulfilled", "Your spot request is fulfilled."},
      {"marked-for-termination", "Your Spot Instance is marked for termination."},
      {"marked-for-stop", "Your Spot Instance is marked to be stopped."},
      {"marked-for-hibernation", "Your Spot Instance is marked to be hibernated."},
      {"instance-terminated-no-capacity",
       "Your Spot Instance was terminated because there is no Spot capacity available that "
       "matches your request."},
      {"instance-terminated-by-price",
       "Your Spot Instance was terminated because the Spot price exceeded your maximum price."},
      {"instance-terminated-by-user",
       "Spot Instance terminated due to user-initiated termination."},
      {"instance-terminated-by-service", "Your Spot Instance was terminated from a stopped state."},
      {"instance-stopped-no-capacity",
       "Your Spot Instance was stopped because there is no Spot capacity available that matches "
       "your request."},
      {"instance-stopped-by-price",
       "Your Spot Instance was stopped because the Spot price exceeded your maximum price."},
      {"instance-stopped-by-user",
       "Your Spot Instance was stopped by a user or by a shutdown from inside the instance."},
      {"request-canceled-and-instance-running",
       "Spot Instance Request canceled and the instance is still running."},
      {"canceled-before-fulfillment", "Your Spot request was canceled before it was fulfilled."},
      {"system-error", "There was an unexpected system error: the instance failed to launch."},
  };
  auto it = kMessages.find(code);
  return it == kMessages.end() ? "" : it->second;
}

std::string FormatPrice(double price) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", price);
  return buf;
}

// EC2's whole-second form, as the IMDS and EventBridge write times.
std::string WholeSeconds(int64_t ms) {
  std::string t = FormatTime(FromMillis(ms));
  return t.size() == 24 ? t.substr(0, 19) + "Z" : t;
}

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

const std::set<std::string> kRequestFilters = {"spot-instance-request-id",
                                               "state",
                                               "status-code",
                                               "status-message",
                                               "instance-id",
                                               "launched-availability-zone",
                                               "type",
                                               "product-description",
                                               "spot-price",
                                               "create-time",
                                               "launch.instance-type",
                                               "launch.image-id",
                                               "launch.key-name",
                                               "launch.group-id",
                                               "instance-interruption-behavior"};

const std::set<std::string> kPriceFilters = {"availability-zone", "instance-type",
                                             "product-description", "spot-price", "timestamp"};

const std::set<std::string> kProductDescriptions = {"Linux/UNIX", "Linux/UNIX (Amazon VPC)"};

void ClearInterruption(SpotRequestRecord& s) {
  s.interruption_cause.clear();
  s.rebalance_ms = s.notice_ms = s.action_ms = 0;
  s.rebalance_sent = s.notice_sent = s.action_done = false;
}

}  // namespace

void Engine::SetSpotStatusLocked(SpotRequestRecord& s, const std::string& code,
                                 const std::string& state) {
  s.status_code = code;
  s.status_message = StatusMessage(code);
  s.state = state;
  s.status_update_ms = ToMillis(options_.clock->Now());
}

SpotRequestRecord* Engine::RequestOfLocked(const InstanceRecord& r) {
  if (r.spot_request_id.empty()) return nullptr;
  auto it = spot_requests_.find(r.spot_request_id);
  return it == spot_requests_.end() ? nullptr : &it->second;
}

Result<SpotRequestRecord> Engine::SpotRequestTemplate(const RunInstancesRequest& req) const {
  SpotRequestRecord s;
  const SpotOptionsRequest& o = req.spot;
  s.request_type = o.request_type.empty() ? "one-time" : o.request_type;
  if (s.request_type != "one-time" && s.request_type != "persistent") {
    return Ec2Error("InvalidParameterValue", "Value (" + o.request_type +
                                                 ") for parameter SpotInstanceType is invalid. "
                                                 "Valid values: one-time, persistent.");
  }
  s.interruption_behavior = o.interruption_behavior.empty() ? "terminate" : o.interruption_behavior;
  const std::string& b = s.interruption_behavior;
  if (b != "terminate" && b != "stop" && b != "hibernate") {
    return Ec2Error("InvalidParameterValue",
                    "Value (" + b +
                        ") for parameter InstanceInterruptionBehavior is invalid. Valid values: "
                        "hibernate, stop, terminate.");
  }
  if (s.request_type == "one-time" && b != "terminate") {
    return Ec2Error("InvalidParameterCombination",
                    "The request with type 'one-time' is not supported when "
                    "instanceInterruptionBehavior is set to '" +
                        b + "'.");
  }
  if (s.request_type == "persistent" && b == "terminate") {
    return Ec2Error("InvalidParameterCombination",
                    "The terminate InstanceInterruptionBehavior is not supported when requestType "
                    "is set to persistent.");
  }
  if (!o.max_price.empty()) {
    char* end = nullptr;
    double v = std::strtod(o.max_price.c_str(), &end);
    if (end == nullptr || *end != '\0' || !(v > 0) || !std::isfinite(v)) {
      return Ec2Error("InvalidParameterValue", "Invalid value '" + o.max_price +
                                                   "' for parameter MaxPrice: expected a "
                                                   "positive price in USD per hour.");
    }
    s.max_price = o.max_price;
  }
  s.image_id = req.image_id;
  s.key_name = req.key_name;
  return s;
}

double Engine::MaxPriceOf(const SpotRequestRecord& s) const {
  if (!s.max_price.empty()) return std::strtod(s.max_price.c_str(), nullptr);
  return market_ ? market_->OnDemandPrice(s.instance_type) : 0;
}

Status Engine::CheckMaxPriceLocked(const SpotRequestRecord& s) const {
  if (!market_) return OkStatus();
  double price = market_->SpotPrice(s.instance_type, s.az);
  if (MaxPriceOf(s) < price) {
    return Ec2Error("SpotMaxPriceTooLow", "Your Spot request price of " + s.max_price +
                                              " is lower than the minimum required Spot request "
                                              "fulfillment price of " +
                                              FormatPrice(price) + ".");
  }
  return OkStatus();
}

int Engine::InUseLocked(const std::string& type, const std::string& az, bool spot) const {
  int n = 0;
  for (const auto& [id, r] : instances_) {
    if (r.instance_type != type || r.az != az || (r.lifecycle == "spot") != spot) continue;
    if (r.state == "pending" || r.state == "running" || r.state == "stopping" ||
        r.state == "shutting-down") {
      ++n;
    }
  }
  return n;
}

int64_t Engine::RoomLocked(const std::string& type, const std::string& az, bool spot) const {
  if (!market_) return std::numeric_limits<int64_t>::max();
  int capacity =
      market_->Capacity(type, az, spot ? CapacityMarket::kSpot : CapacityMarket::kOnDemand);
  if (capacity < 0) return std::numeric_limits<int64_t>::max();
  return std::max<int64_t>(0, capacity - InUseLocked(type, az, spot));
}

Status Engine::InsufficientCapacity(const std::string& type, const std::string& az,
                                    bool spot) const {
  if (spot) {
    return Ec2Error("InsufficientInstanceCapacity",
                    "There is no Spot capacity available that matches your request.");
  }
  std::string others;
  for (const std::string& z : options_.availability_zones) {
    if (z != az) others += (others.empty() ? "" : ", ") + z;
  }
  return Ec2Error("InsufficientInstanceCapacity",
                  "We currently do not have sufficient " + type +
                      " capacity in the Availability Zone you requested (" + az +
                      "). Our system will be working on provisioning additional capacity." +
                      (others.empty() ? ""
                                      : " You can currently get " + type +
                                            " capacity by not specifying an Availability "
                                            "Zone in your request or choosing " +
                                            others + "."));
}

Status Engine::SpotUserActionLocked(const InstanceRecord& r, const std::string& action) {
  SpotRequestRecord* p = RequestOfLocked(r);
  if (p == nullptr) return OkStatus();
  SpotRequestRecord s = *p;
  bool cancelled = s.state == "cancelled";
  if (action == "terminate") {
    // Once the notice is out, the interruption's codes stand.
    if (!s.interruption_cause.empty() && s.notice_sent) return OkStatus();
    ClearInterruption(s);
    s.pending_code.clear();
    SetSpotStatusLocked(s, "instance-terminated-by-user", cancelled ? "cancelled" : "closed");
  } else if (action == "stop") {
    SetSpotStatusLocked(s, "marked-for-stop", cancelled ? "cancelled" : "active");
    s.pending_code = "instance-stopped-by-user";
    s.pending_state = "disabled";
  } else if (action == "start") {
    if (!cancelled) SetSpotStatusLocked(s, "pending-evaluation", "open");
    s.stopped_ms = 0;
  }
  return Save(s);
}

Status Engine::OnStateChangeLocked(InstanceRecord& r, const std::string& from) {
  Time now = options_.clock->Now();
  if (market_ && (from == "running" || r.state == "running" || r.state == "terminated")) {
    SK_RETURN_IF_ERROR(AccrueCostLocked(r, now, r.state == "running"));
  }
  // Capacity freed: an interrupted stopped instance may start again.
  if (r.state == "stopped" || r.state == "terminated") MarketWake();
  SpotRequestRecord* p = RequestOfLocked(r);
  if (p == nullptr) return OkStatus();
  SpotRequestRecord s = *p;
  bool cancelled = s.state == "cancelled";
  if (r.state == "running") {
    s.fulfilled_ms = ToMillis(now);
    ++s.runs;
    s.stopped_ms = 0;
    s.pending_code.clear();
    ClearInterruption(s);
    if (!cancelled) SetSpotStatusLocked(s, "fulfilled", "active");
    MarketWake();
  } else if (r.state == "stopped" || r.state == "terminated") {
    bool interrupted = !s.interruption_cause.empty();
    if (!s.pending_code.empty()) {
      SetSpotStatusLocked(s, s.pending_code, cancelled ? "cancelled" : s.pending_state);
      s.pending_code.clear();
      s.pending_state.clear();
    } else if (r.state == "terminated" && (s.state == "active" || s.state == "open")) {
      SetSpotStatusLocked(s, "system-error", "closed");  // a launch that failed for good
    }
    if (r.state == "stopped" && interrupted) s.stopped_ms = ToMillis(now);
    ClearInterruption(s);
  } else {
    return OkStatus();
  }
  return Save(s);
}

Result<Page<SpotRequestRecord>> Engine::DescribeSpotInstanceRequests(const DescribeRequest& req) {
  if (!req.ids.empty() && req.max_results) {
    return Ec2Error("InvalidParameterCombination",
                    "The parameter spotInstanceRequestIdSet cannot be used with the parameter "
                    "maxResults");
  }
  SK_RETURN_IF_ERROR(ValidateFilters(req.filters, kRequestFilters));
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> missing;
  for (const std::string& id : req.ids) {
    SK_RETURN_IF_ERROR(CheckIdShape(id, "sir-", "InvalidSpotInstanceRequestID.Malformed"));
    if (spot_requests_.count(id) == 0) missing.push_back(id);
  }
  if (!missing.empty()) {
    return Ec2Error("InvalidSpotInstanceRequestID.NotFound",
                    "The spot instance request ID '" + JoinIds(missing) + "' does not exist");
  }
  std::set<std::string> wanted(req.ids.begin(), req.ids.end());
  std::vector<SpotRequestRecord> matched;
  std::vector<std::string> ids;
  for (const auto& [id, s] : spot_requests_) {
    if (!wanted.empty() && wanted.count(id) == 0) continue;
    SpotRequestRecord view = s;
    if (view.max_price.empty()) view.max_price = FormatPrice(MaxPriceOf(s));
    auto field = [&, &s = s](const std::string& n) -> std::vector<std::string> {
      if (n == "spot-instance-request-id") return {s.id};
      if (n == "state") return {s.state};
      if (n == "status-code") return {s.status_code};
      if (n == "status-message") return {s.status_message};
      if (n == "instance-id") return {s.instance_id};
      if (n == "launched-availability-zone") return {s.az};
      if (n == "type") return {s.request_type};
      if (n == "product-description") return {"Linux/UNIX"};
      if (n == "spot-price") return {view.max_price};
      if (n == "create-time") return {FormatTime(FromMillis(s.create_ms))};
      if (n == "launch.instance-type") return {s.instance_type};
      if (n == "launch.image-id") return {s.image_id};
      if (n == "launch.key-name") return {s.key_name};
      if (n == "launch.group-id") return s.groups;
      if (n == "instance-interruption-behavior") return {s.interruption_behavior};
      return {};
    };
    if (!MatchesFilters(req.filters, s.tags, field)) continue;
    ids.push_back(id);
    matched.push_back(std::move(view));
  }
  return PageOf(std::move(matched), ids, req, 5, 1000);
}

Result<std::vector<CancelledSpotRequest>> Engine::CancelSpotInstanceRequests(
    const std::vector<std::string>& ids) {
  if (ids.empty()) {
    return Ec2Error("MissingParameter",
                    "The request must contain the parameter SpotInstanceRequestId");
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> missing;
  for (const std::string& id : ids) {
    SK_RETURN_IF_ERROR(CheckIdShape(id, "sir-", "InvalidSpotInstanceRequestID.Malformed"));
    if (spot_requests_.count(id) == 0) missing.push_back(id);
  }
  if (!missing.empty()) {
    return Ec2Error("InvalidSpotInstanceRequestID.NotFound",
                    "The spot instance request ID '" + JoinIds(missing) + "' does not exist");
  }
  CloudDb::Transaction tx(db_);
  std::vector<CancelledSpotRequest> out;
  std::vector<std::string> enqueue;
  for (const std::string& id : ids) {
    SpotRequestRecord s = spot_requests_.at(id);
    auto inst = instances_.find(s.instance_id);
    std::string istate = inst == instances_.end() ? "terminated" : inst->second.state;
    if (s.state == "open" && istate == "terminated") {
      SetSpotStatusLocked(s, "canceled-before-fulfillment", "cancelled");
    } else if (s.state == "open" || s.state == "active") {
      SetSpotStatusLocked(s, "request-canceled-and-instance-running", "cancelled");
    } else if (s.state == "disabled") {
      if (istate == "stopped") {
        // The stopped instance of a cancelled request goes: terminated by the service.
        InstanceRecord r = inst->second;
        r.state_reason_code = "Server.SpotInstanceTermination";
        r.state_reason_message = "Server.SpotInstanceTermination: Spot instance termination";
        r.transition_reason = "Service initiated (" + FormatTime(options_.clock->Now()) + ")";
        SetSpotStatusLocked(s, s.status_code, "cancelled");
        s.pending_code = "instance-terminated-by-service";
        s.pending_state = "cancelled";
        SK_RETURN_IF_ERROR(Save(s));
        SK_RETURN_IF_ERROR(SetState(r, "shutting-down"));
        SK_RETURN_IF_ERROR(Save(r));
        enqueue.push_back(r.id);
        out.push_back({id, "cancelled"});
        continue;
      }
      SetSpotStatusLocked(s, s.status_code, "cancelled");
    }
    SK_RETURN_IF_ERROR(Save(s));
    out.push_back({id, s.state});
  }
  SK_RETURN_IF_ERROR(tx.Commit());
  for (const std::string& id : enqueue) Enqueue(id);
  MarketWake();
  return out;
}

Result<Page<SpotPriceView>> Engine::DescribeSpotPriceHistory(const SpotPriceHistoryRequest& req) {
  SK_RETURN_IF_ERROR(ValidateFilters(req.filters, kPriceFilters));
  if (req.start_time && req.end_time && *req.end_time < *req.start_time) {
    return Ec2Error("InvalidParameterValue", "The end time " + FormatTime(*req.end_time) +
                                                 " is before the start time " +
                                                 FormatTime(*req.start_time) + ".");
  }
  if (!req.availability_zone.empty() &&
      std::find(options_.availability_zones.begin(), options_.availability_zones.end(),
                req.availability_zone) == options_.availability_zones.end()) {
    return Ec2Error("InvalidParameterValue",
                    "Invalid availability zone: [" + req.availability_zone + "]");
  }
  std::vector<std::string> products = req.product_descriptions;
  if (products.empty()) products = {"Linux/UNIX"};
  std::lock_guard<std::mutex> lock(mu_);
  if (!market_) return FailedPrecondition("the cloud has not started");
  std::set<std::string> types(req.instance_types.begin(), req.instance_types.end());
  int64_t start = req.start_time ? ToMillis(*req.start_time) : std::numeric_limits<int64_t>::min();
  int64_t end = req.end_time ? ToMillis(*req.end_time) : std::numeric_limits<int64_t>::max();
  struct Row {
    std::string key;  // sorts newest first, then type, zone, product
    SpotPriceView view;
  };
  std::vector<Row> rows;
  for (const SpotMarket::Pool* p : market_->Pools()) {
    if (!types.empty() && types.count(p->instance_type) == 0) continue;
    if (!req.availability_zone.empty() && p->availability_zone != req.availability_zone) continue;
    const std::vector<PricePoint>& h = p->history;
    for (size_t i = 0; i < h.size(); ++i) {
      bool in_range = h[i].ms >= start && h[i].ms <= end;
      // The change in effect at StartTime (the last one before it) is part of the answer.
      bool in_effect =
          h[i].ms < start && (i + 1 == h.size() || h[i + 1].ms > start) && h[i].ms <= end;
      if (!in_range && !in_effect) continue;
      for (const std::string& pd : products) {
        if (kProductDescriptions.count(pd) == 0) continue;
        SpotPriceView v{p->instance_type, p->availability_zone, pd, h[i].price,
                        FromMillis(h[i].ms)};
        auto field = [&](const std::string& n) -> std::vector<std::string> {
          if (n == "availability-zone") return {v.availability_zone};
          if (n == "instance-type") return {v.instance_type};
          if (n == "product-description") return {v.product_description};
          if (n == "spot-price") return {FormatPrice(v.price)};
          if (n == "timestamp") return {FormatTime(v.timestamp)};
          return {};
        };
        if (!MatchesFilters(req.filters, {}, field)) continue;
        char key[32];
        std::snprintf(key, sizeof key, "%016lld",
                      static_cast<long long>(std::numeric_limits<int64_t>::max() / 2 - h[i].ms));
        rows.push_back(
            {std::string(key) + "|" + v.instance_type + "|" + v.availability_zone + "|" + pd, v});
      }
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.key < b.key; });
  std::vector<std::string> keys;
  std::vector<SpotPriceView> views;
  for (Row& r : rows) {
    keys.push_back(std::move(r.key));
    views.push_back(std::move(r.view));
  }
  DescribeRequest paging;
  paging.max_results = req.max_results;
  paging.next_token = req.next_token;
  if (!paging.max_results) paging.max_results = 1000;
  return PageOf(std::move(views), keys, paging, 1, 1000);
}

std::optional<std::string> Engine::SpotMetadata(const std::string& instance_id,
                                                const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto inst = instances_.find(instance_id);
  if (inst == instances_.end()) return std::nullopt;
  const SpotRequestRecord* s = RequestOfLocked(inst->second);
  if (s == nullptr) return std::nullopt;
  bool noticed = !s->interruption_cause.empty() && s->notice_sent;
  bool rebalance = !s->interruption_cause.empty() && s->rebalance_sent;
  std::string action = s->interruption_behavior;
  std::string p = path;
  while (!p.empty() && p.back() == '/') p.pop_back();
  if (p == "spot/instance-action" && noticed) {
    return "{\"action\": \"" + action + "\", \"time\": \"" + WholeSeconds(s->action_ms) + "\"}";
  }
  if (p == "spot/termination-time" && noticed && action == "terminate") {
    return WholeSeconds(s->action_ms);
  }
  if (p == "spot" && noticed) {
    return action == "terminate" ? "instance-action\ntermination-time" : "instance-action";
  }
  if (p == "events/recommendations/rebalance" && rebalance) {
    return "{\"noticeTime\": \"" + WholeSeconds(s->rebalance_ms) + "\"}";
  }
  if (p == "events/recommendations" && rebalance) return "rebalance";
  if (p == "events" && rebalance) return "recommendations/";
  return std::nullopt;
}

}  // namespace spotkeeper::cloud
