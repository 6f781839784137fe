// SpotMarket: the local cloud's spot market model, pure and deterministic (no engine, no clock,
// no I/O): pools keyed by (instance type, availability zone), each with
//
//   - the on-demand price (InstanceCatalog) and a spot price. The spot price is either a
//     mean-reverting random walk in log space, one step every `price_interval` on a grid that
//     starts at the market's origin,
//         x = ln(price / on_demand);  x' = x + reversion * (ln(mean_ratio) - x) + volatility * z
//     (z ~ N(0,1), drawn from a hash of the seed, the pool and the step number, so the path does
//     not depend on when or how often it is computed), clamped to [min_ratio, max_ratio] of the
//     on-demand price and published rounded to 4 decimals (a change is recorded only when the
//     rounded price changes); or replayed from a CSV (timestamp,instance type,AZ,price), shifted
//     so that its earliest row falls on the origin. A pool the CSV does not name follows the walk.
//   - a bounded price history (the last `history_limit` changes, at most 90 days).
//   - a spot capacity and a separate on-demand capacity (-1: unlimited).
//   - an interruption rate from AWS's Spot Instance Advisor buckets (<5%, 5-10%, 10-15%, 15-20%,
//     >20% of instances interrupted per month): the pool's monthly fraction f is drawn inside its
//     bucket with the seed; a running spot instance is then interrupted after an exponential delay
//     of rate -ln(1-f)/month * time_scale (a Poisson process per instance), drawn from a hash of
//     the seed, the instance id and its run number.
//
// Thread safety: none; the engine calls it under its own mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cloud/engine/instance_catalog.h"
#include "common/status.h"
#include "common/time.h"

namespace spotkeeper::cloud {

// AWS Spot Instance Advisor's "frequency of interruption" buckets, with the range of monthly
// interruption fractions a pool in the bucket draws its rate from.
struct AdvisorBucket {
  const char* name;  // "<5%", "5-10%", "10-15%", "15-20%", ">20%"
  double low;
  double high;
};
const std::vector<AdvisorBucket>& AdvisorBuckets();
const AdvisorBucket* FindAdvisorBucket(const std::string& name);

struct SpotPoolConfig {
  std::string instance_type;
  std::string availability_zone;
  std::optional<int> spot_capacity;       // unset: MarketOptions' default
  std::optional<int> on_demand_capacity;  // unset: MarketOptions' default
  std::string bucket;                     // "": MarketOptions::default_bucket
};

struct MarketOptions {
  // false: prices stay at mean_ratio of on-demand and no instance is interrupted by the rate
  // draw; spot requests, capacity, interruptions on demand and cost work either way.
  bool enabled = true;
  uint64_t seed = 0;                 // 0: the engine's (kept in the state file)
  std::string price_model = "walk";  // walk | csv
  std::string csv_path;              // price_model csv
  Duration price_interval = std::chrono::minutes(5);
  double mean_ratio = 0.35;  // long-run spot price / on-demand price
  double reversion = 0.02;   // share of the log distance to the mean closed per step
  double volatility = 0.02;  // standard deviation of the log price's step
  double min_ratio = 0.1;    // the spot price stays within [min, max] * on-demand
  double max_ratio = 1.0;
  std::string default_bucket = "<5%";
  int default_spot_capacity = -1;       // -1: unlimited
  int default_on_demand_capacity = -1;  // -1: unlimited
  std::vector<SpotPoolConfig> pools;
  double time_scale = 1;  // multiplies every pool's interruption rate (demos)
  // > 0: every pool interrupts each running spot instance at this mean rate per hour instead
  // (the buckets and time_scale are then not used; `spotkeeper dev --interruptions`).
  double interruptions_per_hour = 0;
  Duration notice = std::chrono::seconds(120);         // interruption notice to action
  Duration rebalance_lead = std::chrono::seconds(30);  // rebalance recommendation to notice
  // An instance stopped (or hibernated) by an interruption starts again no sooner than this,
  // once its pool has room and the price is at most its maximum price.
  Duration restart_delay = std::chrono::seconds(60);
  std::string reclaim_order = "newest";  // newest | random: which spot instances a shrink takes
  int history_limit = 1000;              // price changes kept per pool
};

// InvalidArgument naming the config key (market.<key>) of the first bad value.
Status ValidateMarketOptions(const MarketOptions& options);

struct PricePoint {
  int64_t ms = 0;
  double price = 0;
};

// One CSV row: a price in effect from `time` on.
struct CsvPrice {
  Time time;
  std::string instance_type;
  std::string availability_zone;
  double price = 0;
};
// "timestamp,instance type,AZ,price" lines (a header line is skipped; timestamps ISO-8601 or
// epoch seconds; '#' comments and blank lines ignored). InvalidArgument naming the line.
Result<std::vector<CsvPrice>> ParseSpotPriceCsv(const std::string& text);

enum class CapacityMarket { kSpot, kOnDemand };

class SpotMarket {
 public:
  struct Pool {
    std::string instance_type;
    std::string availability_zone;
    double on_demand_price = 0;
    double walk_price = 0;            // the walk's unrounded state
    int64_t step = 0;                 // walk: last step applied; csv: rows published
    std::vector<PricePoint> history;  // published changes, oldest first; never empty
    std::vector<PricePoint> replay;   // csv rows (shifted), for a replayed pool
    int spot_capacity = -1;
    int on_demand_capacity = -1;
    std::string bucket;
    double monthly_rate = 0;  // fraction of instances interrupted per month
  };
  struct PriceChange {
    std::string instance_type;
    std::string availability_zone;
    int64_t ms = 0;
    double price = 0;
  };

  // Pools for every catalog type in every zone. `origin`: when the market began (the walk's
  // grid and the CSV's shift start there). `csv`: the rows when price_model is csv.
  static Result<std::unique_ptr<SpotMarket>> Create(const MarketOptions& options,
                                                    const InstanceCatalog& catalog,
                                                    const std::vector<std::string>& zones,
                                                    uint64_t seed, Time origin,
                                                    const std::vector<CsvPrice>& csv);

  const MarketOptions& options() const { return options_; }
  uint64_t seed() const { return seed_; }
  Time origin() const { return origin_; }

  // Puts back a pool's persisted price state (unknown pools are ignored).
  void Restore(const std::string& type, const std::string& az, int64_t step, double walk_price,
               std::vector<PricePoint> history);
  // Moves every price to `now`; returns the published changes in time order.
  std::vector<PriceChange> AdvanceTo(Time now);
  // When the next price step or CSV row is due (kNever when prices do not move).
  Time NextPriceChange() const;

  const Pool* Find(const std::string& type, const std::string& az) const;
  std::vector<const Pool*> Pools() const;
  // The published spot price now and at `at` (the change in effect then; before the history,
  // its oldest price). 0 for an unknown pool.
  double SpotPrice(const std::string& type, const std::string& az) const;
  double SpotPriceAt(const std::string& type, const std::string& az, Time at) const;
  double OnDemandPrice(const std::string& type) const;
  // USD for running from `from` to `to` at the pool's spot price (the history's prices over the
  // interval) or at the on-demand price.
  double SpotCost(const std::string& type, const std::string& az, Time from, Time to) const;
  double OnDemandCost(const std::string& type, Time from, Time to) const;

  // -1: unlimited. InvalidArgument for an unknown pool or capacity < -1.
  int Capacity(const std::string& type, const std::string& az, CapacityMarket market) const;
  Status SetCapacity(const std::string& type, const std::string& az, CapacityMarket market,
                     int capacity);

  // The delay from an instance's start of run `run` to its interruption; nullopt when the pool's
  // rate is zero or the market is disabled.
  std::optional<Duration> InterruptionDelay(const std::string& instance_id, int64_t run,
                                            const std::string& type, const std::string& az) const;
  // Interruptions per second of one running instance in the pool (time scale applied).
  double RatePerSecond(const std::string& type, const std::string& az) const;

  // --- the model's pieces (tests)
  // One step of the walk from `price` with standard normal `z`.
  static double WalkStep(double price, double on_demand, const MarketOptions& o, double z);
  // The walk's N(0,1) draw for a pool's step.
  double Noise(const std::string& type, const std::string& az, int64_t step) const;
  static double Round(double price);  // to 4 decimals, at least 0.0001

 private:
  SpotMarket(MarketOptions options, uint64_t seed, Time origin)
      : options_(std::move(options)), seed_(seed), origin_(origin) {}
  Pool* FindMutable(const std::string& type, const std::string& az);
  void Publish(Pool& p, int64_t ms, double price, std::vector<PriceChange>* changes);
  int64_t StepAt(Time t) const;  // the last walk step due at `t`

  MarketOptions options_;
  uint64_t seed_;
  Time origin_;
  std::map<std::pair<std::string, std::string>, Pool> pools_;
};

}  // namespace spotkeeper::cloud
