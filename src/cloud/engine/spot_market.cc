#include "cloud/engine/spot_market.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>

namespace spotkeeper::cloud {
namespace {

constexpr double kMsPerHour = 3'600'000.0;
constexpr double kSecondsPerMonth = 30.0 * 86400.0;
constexpr int64_t kHistoryWindowMs = 90LL * 86400 * 1000;  // EC2 keeps 90 days
constexpr int64_t kMaxCatchUpSteps = 20000;  // after a long stop, older steps are skipped
constexpr double kPi = 3.14159265358979323846;

// SplitMix64's finaliser: a good 64-bit mix, so draws are pure functions of their key.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t Fnv(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

uint64_t Key(uint64_t seed, const std::string& what, int64_t n) {
  return Mix(Mix(seed ^ Fnv(what)) ^ static_cast<uint64_t>(n));
}

// Uniform in (0, 1).
double Unit(uint64_t h) { return (static_cast<double>(h >> 11) + 0.5) / 9007199254740992.0; }

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

Status Bad(const std::string& key, const std::string& what) {
  return InvalidArgument("cloud config: market." + key + ": " + what);
}

}  // namespace

const std::vector<AdvisorBucket>& AdvisorBuckets() {
  static const std::vector<AdvisorBucket> buckets = {
      {"<5%", 0.01, 0.05},    {"5-10%", 0.05, 0.10}, {"10-15%", 0.10, 0.15},
      {"15-20%", 0.15, 0.20}, {">20%", 0.20, 0.30},
  };
  return buckets;
}

const AdvisorBucket* FindAdvisorBucket(const std::string& name) {
  for (const AdvisorBucket& b : AdvisorBuckets()) {
    if (name == b.name) return &b;
  }
  return nullptr;
}

namespace {
Status CheckBucket(const std::string& key, const std::string& name) {
  if (FindAdvisorBucket(name) != nullptr) return OkStatus();
  return Bad(key, "unknown Spot Instance Advisor bucket '" + name +
                      "' (one of <5%, 5-10%, 10-15%, 15-20%, >20%)");
}
}  // namespace

Status ValidateMarketOptions(const MarketOptions& o) {
  if (o.price_model != "walk" && o.price_model != "csv") {
    return Bad("priceModel", "'" + o.price_model + "' is neither walk nor csv");
  }
  if (o.price_model == "csv" && o.csv_path.empty()) {
    return Bad("csvPath", "priceModel csv needs a CSV file (timestamp,instance type,AZ,price)");
  }
  if (o.price_interval < std::chrono::seconds(1)) {
    return Bad("priceIntervalSeconds", "must be at least 1");
  }
  if (!(o.mean_ratio > 0 && o.mean_ratio <= 10)) return Bad("meanRatio", "must be in (0, 10]");
  if (!(o.reversion >= 0 && o.reversion <= 1)) return Bad("reversion", "must be in [0, 1]");
  if (!(o.volatility >= 0 && o.volatility <= 1)) return Bad("volatility", "must be in [0, 1]");
  if (!(o.min_ratio > 0 && o.min_ratio <= o.mean_ratio)) {
    return Bad("minRatio", "must be in (0, meanRatio]");
  }
  if (!(o.max_ratio >= o.mean_ratio && o.max_ratio <= 10)) {
    return Bad("maxRatio", "must be in [meanRatio, 10]");
  }
  SK_RETURN_IF_ERROR(CheckBucket("defaultBucket", o.default_bucket));
  if (o.default_spot_capacity < -1) return Bad("spotCapacity", "must be -1 (unlimited) or more");
  if (o.default_on_demand_capacity < -1) {
    return Bad("onDemandCapacity", "must be -1 (unlimited) or more");
  }
  for (size_t i = 0; i < o.pools.size(); ++i) {
    const SpotPoolConfig& p = o.pools[i];
    std::string key = "pools[" + std::to_string(i) + "]";
    if (p.instance_type.empty()) return Bad(key + ".instanceType", "is missing");
    if (p.availability_zone.empty()) return Bad(key + ".availabilityZone", "is missing");
    if (p.spot_capacity && *p.spot_capacity < -1) {
      return Bad(key + ".spotCapacity", "must be -1 (unlimited) or more");
    }
    if (p.on_demand_capacity && *p.on_demand_capacity < -1) {
      return Bad(key + ".onDemandCapacity", "must be -1 (unlimited) or more");
    }
    if (!p.bucket.empty()) SK_RETURN_IF_ERROR(CheckBucket(key + ".bucket", p.bucket));
  }
  if (!(o.time_scale >= 0 && o.time_scale <= 1e9)) return Bad("timeScale", "must be >= 0");
  if (!(o.interruptions_per_hour >= 0 && o.interruptions_per_hour <= 3.6e6)) {
    return Bad("interruptionsPerHour", "must be from 0 (the buckets' rates) to 3600000");
  }
  if (o.notice < Duration{0}) return Bad("noticeSeconds", "must be >= 0");
  if (o.rebalance_lead < Duration{0}) return Bad("rebalanceLeadSeconds", "must be >= 0");
  if (o.restart_delay < Duration{0}) return Bad("restartDelaySeconds", "must be >= 0");
  if (o.reclaim_order != "newest" && o.reclaim_order != "random") {
    return Bad("reclaimOrder", "'" + o.reclaim_order + "' is neither newest nor random");
  }
  if (o.history_limit < 1) return Bad("historyLimit", "must be at least 1");
  return OkStatus();
}

Result<std::vector<CsvPrice>> ParseSpotPriceCsv(const std::string& text) {
  std::vector<CsvPrice> out;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ls(line);
    for (std::string cell; std::getline(ls, cell, ',');) f.push_back(Trim(cell));
    std::string where = "spot price CSV line " + std::to_string(n) + ": ";
    if (f.size() != 4) {
      return InvalidArgument(where + "want 4 fields (timestamp,instance type,AZ,price), got " +
                             std::to_string(f.size()));
    }
    CsvPrice row;
    if (!f[0].empty() && f[0].find_first_not_of("0123456789") == std::string::npos) {
      row.time = FromMillis(std::stoll(f[0]) * 1000);
    } else {
      Result<Time> t = ParseTime(f[0]);
      if (!t.ok()) {
        if (out.empty() && n == 1) continue;  // a header line
        return InvalidArgument(where + t.status().message());
      }
      row.time = *t;
    }
    row.instance_type = f[1];
    row.availability_zone = f[2];
    char* end = nullptr;
    row.price = std::strtod(f[3].c_str(), &end);
    if (f[3].empty() || end == nullptr || *end != '\0' || !(row.price > 0)) {
      return InvalidArgument(where + "the price '" + f[3] + "' is not a positive number");
    }
    if (row.instance_type.empty() || row.availability_zone.empty()) {
      return InvalidArgument(where + "the instance type and the AZ are required");
    }
    out.push_back(std::move(row));
  }
  if (out.empty()) return InvalidArgument("spot price CSV: no prices");
  return out;
}

double SpotMarket::Round(double price) {
  return std::max(0.0001, std::round(price * 10000.0) / 10000.0);
}

double SpotMarket::WalkStep(double price, double on_demand, const MarketOptions& o, double z) {
  double x = std::log(price / on_demand);
  double mean = std::log(o.mean_ratio);
  x += o.reversion * (mean - x) + o.volatility * z;
  x = std::clamp(x, std::log(o.min_ratio), std::log(o.max_ratio));
  return on_demand * std::exp(x);
}

double SpotMarket::Noise(const std::string& type, const std::string& az, int64_t step) const {
  uint64_t h = Key(seed_, "walk/" + type + "/" + az, step);
  double u1 = Unit(h);
  double u2 = Unit(Mix(h));
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
}

Result<std::unique_ptr<SpotMarket>> SpotMarket::Create(const MarketOptions& options,
                                                       const InstanceCatalog& catalog,
                                                       const std::vector<std::string>& zones,
                                                       uint64_t seed, Time origin,
                                                       const std::vector<CsvPrice>& csv) {
  SK_RETURN_IF_ERROR(ValidateMarketOptions(options));
  std::unique_ptr<SpotMarket> m(new SpotMarket(options, seed, origin));
  std::set<std::string> zone_set(zones.begin(), zones.end());
  for (const InstanceTypeInfo& t : catalog.types()) {
    for (const std::string& az : zones) {
      Pool p;
      p.instance_type = t.name;
      p.availability_zone = az;
      p.on_demand_price = t.on_demand_price;
      p.spot_capacity = options.default_spot_capacity;
      p.on_demand_capacity = options.default_on_demand_capacity;
      p.bucket = options.default_bucket;
      p.walk_price = t.on_demand_price * options.mean_ratio;
      m->pools_[{t.name, az}] = std::move(p);
    }
  }
  for (size_t i = 0; i < options.pools.size(); ++i) {
    const SpotPoolConfig& c = options.pools[i];
    std::string key = "pools[" + std::to_string(i) + "]";
    if (!catalog.Find(c.instance_type)) {
      return Bad(key + ".instanceType",
                 "'" + c.instance_type + "' is not an instance type of the local cloud");
    }
    if (zone_set.count(c.availability_zone) == 0) {
      return Bad(key + ".availabilityZone",
                 "'" + c.availability_zone + "' is not one of the cloud's availabilityZones");
    }
    Pool& p = m->pools_.at({c.instance_type, c.availability_zone});
    if (c.spot_capacity) p.spot_capacity = *c.spot_capacity;
    if (c.on_demand_capacity) p.on_demand_capacity = *c.on_demand_capacity;
    if (!c.bucket.empty()) p.bucket = c.bucket;
  }
  if (!csv.empty()) {
    Time first = csv.front().time;
    for (const CsvPrice& r : csv) first = std::min(first, r.time);
    Duration shift = origin - first;
    for (const CsvPrice& r : csv) {
      auto it = m->pools_.find({r.instance_type, r.availability_zone});
      if (it == m->pools_.end()) {
        return Bad("csvPath", "the CSV names the pool " + r.instance_type + " in " +
                                  r.availability_zone + ", which the cloud does not have");
      }
      it->second.replay.push_back({ToMillis(r.time + shift), r.price});
    }
  }
  for (auto& [key, p] : m->pools_) {
    const AdvisorBucket* b = FindAdvisorBucket(p.bucket);
    p.monthly_rate =
        b->low + (b->high - b->low) * Unit(Key(seed, "rate/" + key.first + "/" + key.second, 0));
    double initial = Round(p.walk_price);
    if (!p.replay.empty()) {
      std::stable_sort(p.replay.begin(), p.replay.end(),
                       [](const PricePoint& a, const PricePoint& b) { return a.ms < b.ms; });
      initial = p.replay.front().price;
      while (p.step < static_cast<int64_t>(p.replay.size()) &&
             p.replay[static_cast<size_t>(p.step)].ms <= ToMillis(origin)) {
        initial = p.replay[static_cast<size_t>(p.step)].price;
        ++p.step;
      }
    }
    p.history = {{ToMillis(origin), initial}};
  }
  return m;
}

void SpotMarket::Restore(const std::string& type, const std::string& az, int64_t step,
                         double walk_price, std::vector<PricePoint> history) {
  Pool* p = FindMutable(type, az);
  if (p == nullptr || history.empty()) return;
  if (!p->replay.empty()) step = std::min<int64_t>(step, static_cast<int64_t>(p->replay.size()));
  p->step = step;
  if (walk_price > 0) p->walk_price = walk_price;
  p->history = std::move(history);
}

int64_t SpotMarket::StepAt(Time t) const {
  if (t < origin_) return 0;
  return (t - origin_) / options_.price_interval;
}

void SpotMarket::Publish(Pool& p, int64_t ms, double price, std::vector<PriceChange>* changes) {
  if (p.history.back().price == price) return;
  p.history.push_back({ms, price});
  size_t limit = static_cast<size_t>(options_.history_limit);
  while (p.history.size() > limit) p.history.erase(p.history.begin());
  // Keep the change in effect 90 days ago, drop what is before it.
  while (p.history.size() > 1 && p.history[1].ms <= ms - kHistoryWindowMs) {
    p.history.erase(p.history.begin());
  }
  changes->push_back({p.instance_type, p.availability_zone, ms, price});
}

std::vector<SpotMarket::PriceChange> SpotMarket::AdvanceTo(Time now) {
  std::vector<PriceChange> changes;
  if (!options_.enabled) return changes;
  int64_t now_ms = ToMillis(now);
  int64_t target = StepAt(now);
  for (auto& [key, p] : pools_) {
    if (!p.replay.empty()) {
      while (p.step < static_cast<int64_t>(p.replay.size()) &&
             p.replay[static_cast<size_t>(p.step)].ms <= now_ms) {
        const PricePoint& r = p.replay[static_cast<size_t>(p.step)];
        Publish(p, r.ms, r.price, &changes);
        ++p.step;
      }
      continue;
    }
    if (target - p.step > kMaxCatchUpSteps) p.step = target - kMaxCatchUpSteps;
    for (int64_t k = p.step + 1; k <= target; ++k) {
      p.walk_price = WalkStep(p.walk_price, p.on_demand_price, options_,
                              Noise(p.instance_type, p.availability_zone, k));
      Publish(p, ToMillis(origin_ + k * options_.price_interval), Round(p.walk_price), &changes);
    }
    p.step = std::max(p.step, target);
  }
  std::stable_sort(changes.begin(), changes.end(),
                   [](const PriceChange& a, const PriceChange& b) { return a.ms < b.ms; });
  return changes;
}

Time SpotMarket::NextPriceChange() const {
  if (!options_.enabled) return kNever;
  Time next = kNever;
  for (const auto& [key, p] : pools_) {
    if (!p.replay.empty()) {
      if (p.step < static_cast<int64_t>(p.replay.size())) {
        next = std::min(next, FromMillis(p.replay[static_cast<size_t>(p.step)].ms));
      }
    } else {
      next = std::min(next, origin_ + (p.step + 1) * options_.price_interval);
    }
  }
  return next;
}

const SpotMarket::Pool* SpotMarket::Find(const std::string& type, const std::string& az) const {
  auto it = pools_.find({type, az});
  return it == pools_.end() ? nullptr : &it->second;
}

SpotMarket::Pool* SpotMarket::FindMutable(const std::string& type, const std::string& az) {
  auto it = pools_.find({type, az});
  return it == pools_.end() ? nullptr : &it->second;
}

std::vector<const SpotMarket::Pool*> SpotMarket::Pools() const {
  std::vector<const Pool*> out;
  for (const auto& [key, p] : pools_) out.push_back(&p);
  return out;
}

double SpotMarket::SpotPrice(const std::string& type, const std::string& az) const {
  const Pool* p = Find(type, az);
  return p == nullptr ? 0 : p->history.back().price;
}

double SpotMarket::SpotPriceAt(const std::string& type, const std::string& az, Time at) const {
  const Pool* p = Find(type, az);
  if (p == nullptr) return 0;
  int64_t ms = ToMillis(at);
  auto it = std::upper_bound(p->history.begin(), p->history.end(), ms,
                             [](int64_t t, const PricePoint& q) { return t < q.ms; });
  return it == p->history.begin() ? p->history.front().price : std::prev(it)->price;
}

double SpotMarket::OnDemandPrice(const std::string& type) const {
  for (const auto& [key, p] : pools_) {
    if (key.first == type) return p.on_demand_price;
  }
  return 0;
}

double SpotMarket::SpotCost(const std::string& type, const std::string& az, Time from,
                            Time to) const {
  const Pool* p = Find(type, az);
  if (p == nullptr || to <= from) return 0;
  int64_t a = ToMillis(from), b = ToMillis(to);
  const std::vector<PricePoint>& h = p->history;
  auto it = std::upper_bound(h.begin(), h.end(), a,
                             [](int64_t t, const PricePoint& q) { return t < q.ms; });
  size_t i = it == h.begin() ? 0 : static_cast<size_t>(std::prev(it) - h.begin());
  double total = 0;
  int64_t cur = a;
  while (cur < b) {
    int64_t next = i + 1 < h.size() ? std::min(b, std::max(cur, h[i + 1].ms)) : b;
    total += h[i].price * static_cast<double>(next - cur);
    cur = next;
    if (i + 1 < h.size()) ++i;
  }
  return total / kMsPerHour;
}

double SpotMarket::OnDemandCost(const std::string& type, Time from, Time to) const {
  if (to <= from) return 0;
  return OnDemandPrice(type) * static_cast<double>((to - from).count()) / kMsPerHour;
}

int SpotMarket::Capacity(const std::string& type, const std::string& az,
                         CapacityMarket market) const {
  const Pool* p = Find(type, az);
  if (p == nullptr) return -1;
  return market == CapacityMarket::kSpot ? p->spot_capacity : p->on_demand_capacity;
}

Status SpotMarket::SetCapacity(const std::string& type, const std::string& az,
                               CapacityMarket market, int capacity) {
  Pool* p = FindMutable(type, az);
  if (p == nullptr) {
    return InvalidArgument("no pool " + type + " in " + az +
                           " (the instance type or the availability zone is unknown)");
  }
  if (capacity < -1) return InvalidArgument("capacity must be -1 (unlimited) or more");
  (market == CapacityMarket::kSpot ? p->spot_capacity : p->on_demand_capacity) = capacity;
  return OkStatus();
}

double SpotMarket::RatePerSecond(const std::string& type, const std::string& az) const {
  const Pool* p = Find(type, az);
  if (p == nullptr) return 0;
  if (options_.interruptions_per_hour > 0) return options_.interruptions_per_hour / 3600.0;
  return -std::log1p(-p->monthly_rate) / kSecondsPerMonth * options_.time_scale;
}

std::optional<Duration> SpotMarket::InterruptionDelay(const std::string& instance_id, int64_t run,
                                                      const std::string& type,
                                                      const std::string& az) const {
  if (!options_.enabled) return std::nullopt;
  double rate = RatePerSecond(type, az);
  if (!(rate > 0)) return std::nullopt;
  double seconds = -std::log(Unit(Key(seed_, "interrupt/" + instance_id, run))) / rate;
  seconds = std::min(seconds, 10.0 * 365 * 86400);  // "never", without overflow
  return Duration{static_cast<int64_t>(seconds * 1000.0)};
}

}  // namespace spotkeeper::cloud
