// CloudView: what the workflows of one engine pass see of the cloud. The engine prefetches, in
// a few batched Describe calls, every resource the due workflows were waiting on (their
// "watch" lists), so a thousand workflows polling their instances cost a handful of requests,
// not a thousand. Anything not prefetched is described on demand and cached for the pass.
// Lives for one pass; not thread-safe.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "provider/cloud_provider.h"

namespace spotkeeper {

// kind ("instance" | "volume" | "snapshot" | "image" | "eni") -> ids
using WatchList = std::map<std::string, std::set<std::string>>;

class CloudView {
 public:
  explicit CloudView(CloudProvider* cloud) : cloud_(cloud) {}

  void Prefetch(const WatchList& watch);

  // nullopt: the resource does not exist (EC2 answered NotFound).
  Result<std::optional<Instance>> GetInstance(const std::string& id);
  Result<std::optional<Volume>> GetVolume(const std::string& id);
  Result<std::optional<Snapshot>> GetSnapshot(const std::string& id);
  Result<std::optional<Image>> GetImage(const std::string& id);
  Result<std::optional<NetworkInterface>> GetEni(const std::string& id);
  // Forgets what is known of `id` (after the caller changed it).
  void Invalidate(const std::string& id);

  // The ids looked up since the last call.
  WatchList TakeLookups();
  int64_t describe_calls() const { return describe_calls_; }
  // Set when a prefetch was held back by the client-side rate limit: how long to wait, and
  // whether `watch` has ids the prefetch could not fetch.
  std::optional<Duration> throttled() const { return throttled_; }
  bool Fetched(const WatchList& watch) const;

 private:
  template <typename T>
  Result<std::optional<T>> Get(std::map<std::string, std::optional<T>>& cache,
                               const std::string& kind, const std::string& id);
  template <typename T>
  void Fetch(std::map<std::string, std::optional<T>>& cache, const std::set<std::string>& ids);

  CloudProvider* cloud_;
  std::map<std::string, std::optional<Instance>> instances_;
  std::map<std::string, std::optional<Volume>> volumes_;
  std::map<std::string, std::optional<Snapshot>> snapshots_;
  std::map<std::string, std::optional<Image>> images_;
  std::map<std::string, std::optional<NetworkInterface>> enis_;
  WatchList lookups_;
  int64_t describe_calls_ = 0;
  std::optional<Duration> throttled_;
};

}  // namespace spotkeeper
