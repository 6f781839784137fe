// Engine: the spot market's clock work (price steps, interruptions from rates, prices and
// capacity, each interruption's rebalance -> notice -> action, restarts of stopped instances),
// its admin surface (interrupt, capacity, pools, cost) and cost accrual.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

#include "cloud/engine/ec2_error.h"
#include "cloud/engine/engine.h"

namespace spotkeeper::cloud {
namespace {

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

ScheduledInterruption ScheduleOf(const SpotRequestRecord& s) {
  return {s.instance_id,           s.id,
          s.interruption_behavior, FromMillis(s.rebalance_ms),
          FromMillis(s.notice_ms), FromMillis(s.action_ms)};
}

bool Live(const InstanceRecord& r) { return r.state == "pending" || r.state == "running"; }

}  // namespace

Status Engine::InitMarketLocked() {
  const MarketOptions& mo = options_.market;
  uint64_t seed = mo.seed;
  if (seed == 0) {
    SK_ASSIGN_OR_RETURN(std::string stored, db_->GetMeta("market.seed"));
    if (!stored.empty()) {
      seed = std::stoull(stored);
    } else {
      seed = options_.seed != 0 ? options_.seed : Random::FromEntropy().Next();
      if (seed == 0) seed = 1;
      SK_RETURN_IF_ERROR(db_->SetMeta("market.seed", std::to_string(seed)));
    }
  }
  Time origin = options_.clock->Now();
  SK_ASSIGN_OR_RETURN(std::string origin_text, db_->GetMeta("market.origin_ms"));
  if (!origin_text.empty()) {
    origin = FromMillis(std::stoll(origin_text));
  } else {
    SK_RETURN_IF_ERROR(db_->SetMeta("market.origin_ms", std::to_string(ToMillis(origin))));
  }
  std::vector<CsvPrice> csv;
  if (mo.price_model == "csv") {
    std::ifstream in(mo.csv_path);
    if (!in) return NotFound("cloud config: market.csvPath: cannot read " + mo.csv_path);
    std::stringstream buf;
    buf << in.rdbuf();
    auto rows = ParseSpotPriceCsv(buf.str());
    if (!rows.ok()) return rows.status().Annotate("cloud config: market.csvPath " + mo.csv_path);
    csv = std::move(rows).value();
  }
  SK_ASSIGN_OR_RETURN(
      market_, SpotMarket::Create(mo, catalog_, options_.availability_zones, seed, origin, csv));
  for (const SpotPoolRecord& p : loaded_pools_) {
    std::vector<PricePoint> history;
    for (const auto& [ms, price] : p.history) history.push_back({ms, price});
    market_->Restore(p.instance_type, p.az, p.step, p.walk_price, std::move(history));
  }
  loaded_pools_.clear();
  // Spot instances recorded before the market existed get their (one-time) request.
  CloudDb::Transaction tx(db_);
  for (auto& [id, r] : instances_) {
    if (r.lifecycle != "spot" || !r.spot_request_id.empty() || r.state == "terminated") continue;
    SpotRequestRecord s;
    s.id = "sir-" + random_.Hex(8);
    s.instance_id = id;
    s.instance_type = r.instance_type;
    s.image_id = r.image_id;
    s.az = r.az;
    s.subnet_id = r.subnet_id;
    s.groups = r.groups;
    s.create_ms = r.launch_ms;
    s.fulfilled_ms = r.launch_ms;
    s.runs = 1;
    SetSpotStatusLocked(s, "fulfilled", "active");
    SK_RETURN_IF_ERROR(Save(s));
    InstanceRecord copy = r;
    copy.spot_request_id = s.id;
    SK_RETURN_IF_ERROR(Save(copy));
  }
  return tx.Commit();
}

Status Engine::SavePoolLocked(const std::string& type, const std::string& az) {
  const SpotMarket::Pool* p = market_->Find(type, az);
  if (p == nullptr) return OkStatus();
  SpotPoolRecord r;
  r.id = "pool:" + type + ":" + az;
  r.instance_type = type;
  r.az = az;
  r.step = p->step;
  r.walk_price = p->walk_price;
  for (const PricePoint& h : p->history) r.history.emplace_back(h.ms, h.price);
  nlohmann::json j = r;
  return db_->PutResource("spot-pool", r.id, j.dump());
}

Status Engine::AccrueCostLocked(const InstanceRecord& r, Time now, bool running_after) {
  std::string id = "cost:" + r.id;
  CostRecord c;
  auto it = costs_.find(id);
  int64_t to = ToMillis(now);
  if (it != costs_.end()) {
    c = it->second;
  } else {
    c.id = id;
    c.instance_id = r.id;
    c.instance_type = r.instance_type;
    c.az = r.az;
    c.lifecycle = r.lifecycle;
    c.launch_ms = r.launch_ms;
    c.accrued_to_ms = to;
  }
  c.tags = r.tags;
  if (c.running && to > c.accrued_to_ms) {
    Time from = FromMillis(c.accrued_to_ms);
    double od = market_->OnDemandCost(r.instance_type, from, now);
    c.cost += r.lifecycle == "spot" ? market_->SpotCost(r.instance_type, r.az, from, now) : od;
    c.on_demand_cost += od;
    c.running_ms += to - c.accrued_to_ms;
  }
  c.accrued_to_ms = std::max(c.accrued_to_ms, to);
  c.running = running_after;
  if (r.state == "terminated") c.ended_ms = to;
  return Save(c);
}

Status Engine::StartInterruptionLocked(SpotRequestRecord& s, const std::string& cause, Time start,
                                       Duration lead, Duration notice) {
  s.interruption_cause = cause;
  s.rebalance_ms = ToMillis(start);
  s.notice_ms = s.rebalance_ms + lead.count();
  s.action_ms = s.notice_ms + notice.count();
  s.rebalance_sent = s.notice_sent = s.action_done = false;
  spdlog::info("cloud: interrupting spot instance {} ({}, {}): rebalance {}, notice {}, {} at {}",
               s.instance_id, s.id, cause, FormatTime(FromMillis(s.rebalance_ms)),
               FormatTime(FromMillis(s.notice_ms)), s.interruption_behavior,
               FormatTime(FromMillis(s.action_ms)));
  return Save(s);
}

Status Engine::AdvanceInterruptionLocked(SpotRequestRecord& s, Time now) {
  if (s.interruption_cause.empty()) return OkStatus();
  auto inst = instances_.find(s.instance_id);
  if (inst == instances_.end() || !Live(inst->second)) {
    if (s.action_done) return OkStatus();  // the action is under way
    // The instance stopped or ended some other way first: nothing left to interrupt.
    s.interruption_cause.clear();
    s.rebalance_sent = s.notice_sent = false;
    return Save(s);
  }
  int64_t now_ms = ToMillis(now);
  bool cancelled = s.state == "cancelled";
  const std::string& behavior = s.interruption_behavior;
  bool changed = false;
  if (!s.rebalance_sent && now_ms >= s.rebalance_ms) {
    if (events_ != nullptr) {
      SK_RETURN_IF_ERROR(
          events_->RebalanceRecommendation(s.instance_id, FromMillis(s.rebalance_ms)));
    }
    s.rebalance_sent = true;
    changed = true;
  }
  if (s.rebalance_sent && !s.notice_sent && now_ms >= s.notice_ms) {
    if (events_ != nullptr) {
      SK_RETURN_IF_ERROR(
          events_->SpotInterruptionWarning(s.instance_id, behavior, FromMillis(s.notice_ms)));
    }
    s.notice_sent = true;
    changed = true;
    if (behavior == "terminate" && s.interruption_cause != "price") {
      // EC2 sets this at once (not marked-for-termination); the instance runs out its notice.
      SetSpotStatusLocked(s, "instance-terminated-no-capacity", cancelled ? "cancelled" : "closed");
    } else {
      std::string code = behavior == "terminate" ? "marked-for-termination"
                         : behavior == "stop"    ? "marked-for-stop"
                                                 : "marked-for-hibernation";
      SetSpotStatusLocked(s, code, cancelled ? "cancelled" : "active");
    }
  }
  if (s.notice_sent && !s.action_done && now_ms >= s.action_ms) {
    InstanceRecord r = inst->second;
    bool price = s.interruption_cause == "price";
    s.action_done = true;
    std::string next;
    if (behavior == "terminate") {
      if (price) {
        s.pending_code = "instance-terminated-by-price";
        s.pending_state = "closed";
      }
      r.state_reason_code = "Server.SpotInstanceTermination";
      r.state_reason_message = "Server.SpotInstanceTermination: Spot instance termination";
      next = "shutting-down";
    } else {
      s.pending_code = price ? "instance-stopped-by-price" : "instance-stopped-no-capacity";
      s.pending_state = "disabled";
      r.state_reason_code = "Server.SpotInstanceShutdown";
      r.state_reason_message = "Server.SpotInstanceShutdown: Spot instance shutdown";
      next = "stopping";
    }
    r.transition_reason = "Service initiated (" + FormatTime(now) + ")";
    SK_RETURN_IF_ERROR(Save(s));  // before SetState, which reads the request
    SK_RETURN_IF_ERROR(SetState(r, next));
    SK_RETURN_IF_ERROR(Save(r));
    Enqueue(r.id);
    return OkStatus();
  }
  return changed ? Save(s) : OkStatus();
}

Status Engine::MarketTickLocked(Time now) {
  int64_t now_ms = ToMillis(now);
  const MarketOptions& mo = options_.market;
  // Prices, and the requests whose maximum price a change passes.
  std::set<std::pair<std::string, std::string>> changed;
  for (const SpotMarket::PriceChange& c : market_->AdvanceTo(now)) {
    changed.insert({c.instance_type, c.availability_zone});
    for (auto& [id, s] : spot_requests_) {
      if (s.instance_type != c.instance_type || s.az != c.availability_zone) continue;
      if (s.state != "active" || !s.interruption_cause.empty()) continue;
      auto inst = instances_.find(s.instance_id);
      if (inst == instances_.end() || !Live(inst->second) || c.price <= MaxPriceOf(s)) continue;
      SpotRequestRecord q = s;
      SK_RETURN_IF_ERROR(
          StartInterruptionLocked(q, "price", FromMillis(c.ms), mo.rebalance_lead, mo.notice));
    }
  }
  for (const auto& [type, az] : changed) {
    SK_RETURN_IF_ERROR(SavePoolLocked(type, az));
    // Accrued at every change, so no accrual ever reaches behind the bounded history.
    for (const auto& [id, r] : instances_) {
      if (r.state == "running" && r.lifecycle == "spot" && r.instance_type == type && r.az == az) {
        SK_RETURN_IF_ERROR(AccrueCostLocked(r, now, true));
      }
    }
  }
  // Interruptions drawn from the pools' rates.
  for (auto& [id, s] : spot_requests_) {
    if (s.state != "active" || !s.interruption_cause.empty()) continue;
    auto inst = instances_.find(s.instance_id);
    if (inst == instances_.end() || inst->second.state != "running") continue;
    auto delay = market_->InterruptionDelay(s.instance_id, s.runs, s.instance_type, s.az);
    if (!delay || s.fulfilled_ms + delay->count() > now_ms) continue;
    SpotRequestRecord q = s;
    SK_RETURN_IF_ERROR(StartInterruptionLocked(q, "no-capacity",
                                               FromMillis(s.fulfilled_ms + delay->count()),
                                               mo.rebalance_lead, mo.notice));
  }
  // Each interruption's rebalance, notice and action.
  for (auto& [id, s] : spot_requests_) {
    if (s.interruption_cause.empty()) continue;
    SpotRequestRecord q = s;
    SK_RETURN_IF_ERROR(AdvanceInterruptionLocked(q, now));
  }
  // Instances an interruption stopped start again when their pool has room and the price is
  // at most their maximum price.
  for (auto& [id, s] : spot_requests_) {
    if (s.state != "disabled" || (s.status_code != "instance-stopped-no-capacity" &&
                                  s.status_code != "instance-stopped-by-price")) {
      continue;
    }
    auto inst = instances_.find(s.instance_id);
    if (inst == instances_.end() || inst->second.state != "stopped") continue;
    if (s.stopped_ms + mo.restart_delay.count() > now_ms) continue;
    if (market_->SpotPrice(s.instance_type, s.az) > MaxPriceOf(s)) continue;
    if (RoomLocked(s.instance_type, s.az, true) < 1) continue;
    InstanceRecord r = inst->second;
    r.launch_ms = now_ms;
    SpotRequestRecord q = s;
    SetSpotStatusLocked(q, "fulfilled", "active");
    SK_RETURN_IF_ERROR(Save(q));
    SK_RETURN_IF_ERROR(SetState(r, "pending"));
    SK_RETURN_IF_ERROR(Save(r));
    Enqueue(r.id);
    spdlog::info("cloud: starting {} again (spot request {})", r.id, q.id);
  }
  return OkStatus();
}

Time Engine::NextMarketDueLocked() const {
  Time due = market_->NextPriceChange();
  Time now = options_.clock->Now();
  for (const auto& [id, s] : spot_requests_) {
    auto inst = instances_.find(s.instance_id);
    if (inst == instances_.end()) continue;
    const InstanceRecord& r = inst->second;
    if (!s.interruption_cause.empty()) {
      if (!Live(r)) continue;
      int64_t next = !s.rebalance_sent ? s.rebalance_ms
                     : !s.notice_sent  ? s.notice_ms
                     : !s.action_done  ? s.action_ms
                                       : std::numeric_limits<int64_t>::max();
      if (next != std::numeric_limits<int64_t>::max()) due = std::min(due, FromMillis(next));
    } else if (s.state == "active" && r.state == "running") {
      auto delay = market_->InterruptionDelay(s.instance_id, s.runs, s.instance_type, s.az);
      if (delay) due = std::min(due, FromMillis(s.fulfilled_ms) + *delay);
    } else if (s.state == "disabled" && r.state == "stopped" && s.stopped_ms > 0) {
      Time restart = FromMillis(s.stopped_ms) + options_.market.restart_delay;
      if (restart > now) due = std::min(due, restart);  // later: price or room changes wake us
    }
  }
  return due;
}

Time Engine::MarketTickOnce() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!market_) return kNever;
  CloudDb::Transaction tx(db_);
  Status s = MarketTickLocked(options_.clock->Now());
  if (s.ok()) s = tx.Commit();
  if (!s.ok()) spdlog::error("cloud: spot market: {}", s.ToString());
  return NextMarketDueLocked();
}

void Engine::MarketWake() {
  {
    std::lock_guard<std::mutex> lock(market_mu_);
    market_wake_ = true;
  }
  market_cv_.notify_one();
}

void Engine::MarketLoop() {
  Time due = MarketTickOnce();
  for (;;) {
    bool tick = false;
    {
      std::unique_lock<std::mutex> lock(market_mu_);
      Time now = options_.clock->Now();
      // Waits until the next due time exactly (re-checked at least every second, in case the
      // clock is not the system's).
      Duration wait = std::chrono::seconds(1);
      if (due != kNever) wait = std::clamp<Duration>(due - now, Duration{0}, wait);
      if (!market_wake_ && wait > Duration{0}) {
        market_cv_.wait_for(lock, wait, [&] { return market_stopping_ || market_wake_; });
      }
      if (market_stopping_) return;
      tick = market_wake_ || options_.clock->Now() >= due;
      market_wake_ = false;
    }
    if (!tick) continue;
    due = MarketTickOnce();
    // Everything due was handled; a due time still past means a failed commit: retry later.
    if (due <= options_.clock->Now()) due = options_.clock->Now() + std::chrono::seconds(1);
  }
}

Result<std::vector<ScheduledInterruption>> Engine::InterruptInstances(
    const std::vector<std::string>& ids, const InterruptOptions& options) {
  if (ids.empty()) {
    return Ec2Error("MissingParameter", "The request must contain the parameter InstanceId");
  }
  Duration notice = options.notice.value_or(options_.market.notice);
  Duration lead = options.rebalance_lead.value_or(options_.market.rebalance_lead);
  const Duration day = std::chrono::hours(24);
  if (notice < Duration{0} || notice > day || lead < Duration{0} || lead > day) {
    return InvalidArgument(
        "interrupt: the notice and the rebalance lead must be between 0 and 24h");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!market_) return FailedPrecondition("the cloud has not started");
  std::vector<std::string> missing, not_spot, not_running;
  for (const std::string& id : ids) {
    auto r = FindInstanceLocked(id);
    if (!r.ok() && r.status().cloud_code() == "InvalidInstanceID.Malformed") return r.status();
    if (!r.ok()) {
      missing.push_back(id);
    } else if ((*r)->lifecycle != "spot" || RequestOfLocked(**r) == nullptr) {
      not_spot.push_back(id);
    } else if ((*r)->state != "running") {
      not_running.push_back(id + " (" + (*r)->state + ")");
    }
  }
  if (!missing.empty()) {
    return Ec2Error("InvalidInstanceID.NotFound",
                    "The instance ID '" + JoinIds(missing) + "' does not exist");
  }
  if (!not_spot.empty()) {
    return Ec2Error(
        "UnsupportedOperation",
        "Only Spot Instances can be interrupted; these are on-demand: " + JoinIds(not_spot));
  }
  if (!not_running.empty()) {
    return Ec2Error(
        "UnsupportedOperation",
        "Only running Spot Instances can be interrupted; not running: " + JoinIds(not_running));
  }
  Time now = options_.clock->Now();
  CloudDb::Transaction tx(db_);
  std::vector<ScheduledInterruption> out;
  for (const std::string& id : ids) {
    SpotRequestRecord s = *RequestOfLocked(instances_.at(id));
    if (s.interruption_cause.empty()) {
      SK_RETURN_IF_ERROR(StartInterruptionLocked(s, "no-capacity", now, lead, notice));
      SK_RETURN_IF_ERROR(AdvanceInterruptionLocked(s, now));
    }
    out.push_back(ScheduleOf(spot_requests_.at(s.id)));
  }
  SK_RETURN_IF_ERROR(tx.Commit());
  MarketWake();
  return out;
}

Result<std::vector<ScheduledInterruption>> Engine::SetPoolCapacity(const std::string& type,
                                                                   const std::string& az,
                                                                   const std::string& market,
                                                                   int capacity) {
  if (market != "spot" && market != "on-demand") {
    return InvalidArgument("capacity: the market must be spot or on-demand, not '" + market + "'");
  }
  bool spot = market == "spot";
  std::lock_guard<std::mutex> lock(mu_);
  if (!market_) return FailedPrecondition("the cloud has not started");
  SK_RETURN_IF_ERROR(market_->SetCapacity(
      type, az, spot ? CapacityMarket::kSpot : CapacityMarket::kOnDemand, capacity));
  spdlog::info("cloud: {} capacity of {} in {} is now {}", market, type, az, capacity);
  std::vector<ScheduledInterruption> out;
  if (spot && capacity >= 0) {
    // Spot instances of the pool not already on their way out, newest first.
    std::vector<const InstanceRecord*> keep;
    for (const auto& [id, r] : instances_) {
      if (r.lifecycle != "spot" || r.instance_type != type || r.az != az || !Live(r)) continue;
      const SpotRequestRecord* s = RequestOfLocked(r);
      if (s == nullptr || !s->interruption_cause.empty()) continue;
      keep.push_back(&r);
    }
    std::sort(keep.begin(), keep.end(), [](const InstanceRecord* a, const InstanceRecord* b) {
      return a->launch_ms != b->launch_ms ? a->launch_ms > b->launch_ms : a->id > b->id;
    });
    if (options_.market.reclaim_order == "random") {
      Random shuffle(market_->seed() ^ static_cast<uint64_t>(ToMillis(options_.clock->Now())));
      for (size_t i = keep.size(); i > 1; --i) {
        std::swap(keep[i - 1], keep[shuffle.Uniform(i)]);
      }
    }
    size_t excess = keep.size() > static_cast<size_t>(capacity)
                        ? keep.size() - static_cast<size_t>(capacity)
                        : 0;
    Time now = options_.clock->Now();
    CloudDb::Transaction tx(db_);
    for (size_t i = 0; i < excess; ++i) {
      SpotRequestRecord s = *RequestOfLocked(*keep[i]);
      SK_RETURN_IF_ERROR(StartInterruptionLocked(
          s, "no-capacity", now, options_.market.rebalance_lead, options_.market.notice));
      SK_RETURN_IF_ERROR(AdvanceInterruptionLocked(s, now));
      out.push_back(ScheduleOf(spot_requests_.at(s.id)));
    }
    SK_RETURN_IF_ERROR(tx.Commit());
  }
  MarketWake();
  return out;
}

std::vector<PoolView> Engine::DescribePools() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<PoolView> out;
  if (!market_) return out;
  for (const SpotMarket::Pool* p : market_->Pools()) {
    PoolView v;
    v.instance_type = p->instance_type;
    v.availability_zone = p->availability_zone;
    v.on_demand_price = p->on_demand_price;
    v.spot_price = p->history.back().price;
    v.spot_capacity = p->spot_capacity;
    v.on_demand_capacity = p->on_demand_capacity;
    v.spot_in_use = InUseLocked(p->instance_type, p->availability_zone, true);
    v.on_demand_in_use = InUseLocked(p->instance_type, p->availability_zone, false);
    v.bucket = p->bucket;
    v.monthly_rate = p->monthly_rate;
    v.rate_per_hour = options_.market.enabled
                          ? market_->RatePerSecond(p->instance_type, p->availability_zone) * 3600.0
                          : 0;
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<CostView> Engine::DescribeCost() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<CostView> out;
  if (!market_) return out;
  Time now = options_.clock->Now();
  std::map<std::string, CostView> views;
  for (const auto& [cid, c] : costs_) {
    CostView v;
    v.instance_id = c.instance_id;
    v.instance_type = c.instance_type;
    v.availability_zone = c.az;
    v.lifecycle = c.lifecycle.empty() ? "on-demand" : c.lifecycle;
    v.state = "terminated";
    v.tags = c.tags;
    v.cost = c.cost;
    v.on_demand_cost = c.on_demand_cost;
    int64_t running_ms = c.running_ms;
    if (c.running && now > FromMillis(c.accrued_to_ms)) {
      Time from = FromMillis(c.accrued_to_ms);
      double od = market_->OnDemandCost(c.instance_type, from, now);
      v.cost += c.lifecycle == "spot" ? market_->SpotCost(c.instance_type, c.az, from, now) : od;
      v.on_demand_cost += od;
      running_ms += ToMillis(now) - c.accrued_to_ms;
    }
    v.seconds = static_cast<double>(running_ms) / 1000.0;
    views[c.instance_id] = std::move(v);
  }
  for (const auto& [id, r] : instances_) {
    CostView& v = views[id];
    if (v.instance_id.empty()) {
      v.instance_id = id;
      v.instance_type = r.instance_type;
      v.availability_zone = r.az;
      v.lifecycle = r.lifecycle.empty() ? "on-demand" : r.lifecycle;
    }
    v.state = r.state;
    v.tags = r.tags;
  }
  for (auto& [id, v] : views) out.push_back(std::move(v));
  return out;
}

}  // namespace spotkeeper::cloud
