#include "controller/cloud_view.h"

#include <vector>

namespace spotkeeper {
namespace {

constexpr size_t kBatch = 100;

Result<std::vector<Instance>> Describe(CloudProvider* c, const Filter& f, Instance*) {
  return c->DescribeInstances(f);
}
Result<std::vector<Volume>> Describe(CloudProvider* c, const Filter& f, Volume*) {
  return c->DescribeVolumes(f);
}
Result<std::vector<Snapshot>> Describe(CloudProvider* c, const Filter& f, Snapshot*) {
  return c->DescribeSnapshots(f);
}
Result<std::vector<Image>> Describe(CloudProvider* c, const Filter& f, Image*) {
  return c->DescribeImages(f);
}
Result<std::vector<NetworkInterface>> Describe(CloudProvider* c, const Filter& f,
                                               NetworkInterface*) {
  return c->DescribeNetworkInterfaces(f);
}

}  // namespace

template <typename T>
void CloudView::Fetch(std::map<std::string, std::optional<T>>& cache,
                      const std::set<std::string>& ids) {
  std::vector<std::string> todo;
  for (const auto& id : ids) {
    if (!id.empty() && !cache.count(id)) todo.push_back(id);
  }
  for (size_t i = 0; i < todo.size(); i += kBatch) {
    Filter f;
    f.ids.assign(todo.begin() + static_cast<long>(i),
                 todo.begin() + static_cast<long>(std::min(todo.size(), i + kBatch)));
    ++describe_calls_;
    auto r = Describe(cloud_, f, static_cast<T*>(nullptr));
    if (r.ok()) {
      for (auto& x : *r) cache[x.id] = std::move(x);
      for (const auto& id : f.ids) cache.emplace(id, std::nullopt);  // (not returned: gone)
    } else if (r.status().retry_after()) {
      throttled_ = std::max(throttled_.value_or(Duration{0}), *r.status().retry_after());
      return;  // the rest would be held back too
    }
    // NotFound (one id of the batch is unknown to EC2) or any other error: leave the batch
    // uncached; each lookup then asks for its own id.
  }
}

void CloudView::Prefetch(const WatchList& watch) {
  for (const auto& [kind, ids] : watch) {
    if (kind == "instance") Fetch(instances_, ids);
    if (kind == "volume") Fetch(volumes_, ids);
    if (kind == "snapshot") Fetch(snapshots_, ids);
    if (kind == "image") Fetch(images_, ids);
    if (kind == "eni") Fetch(enis_, ids);
  }
}

template <typename T>
Result<std::optional<T>> CloudView::Get(std::map<std::string, std::optional<T>>& cache,
                                        const std::string& kind, const std::string& id) {
  if (id.empty()) return std::optional<T>();
  lookups_[kind].insert(id);
  auto it = cache.find(id);
  if (it != cache.end()) return it->second;
  Filter f;
  f.ids = {id};
  ++describe_calls_;
  auto r = Describe(cloud_, f, static_cast<T*>(nullptr));
  if (!r.ok()) {
    if (r.status().code() != Code::kNotFound) return r.status();
    cache[id] = std::nullopt;
    return std::optional<T>();
  }
  for (auto& x : *r) {
    if (x.id == id) return cache[id] = std::move(x);
  }
  cache[id] = std::nullopt;
  return std::optional<T>();
}

Result<std::optional<Instance>> CloudView::GetInstance(const std::string& id) {
  return Get(instances_, "instance", id);
}
Result<std::optional<Volume>> CloudView::GetVolume(const std::string& id) {
  return Get(volumes_, "volume", id);
}
Result<std::optional<Snapshot>> CloudView::GetSnapshot(const std::string& id) {
  return Get(snapshots_, "snapshot", id);
}
Result<std::optional<Image>> CloudView::GetImage(const std::string& id) {
  return Get(images_, "image", id);
}
Result<std::optional<NetworkInterface>> CloudView::GetEni(const std::string& id) {
  return Get(enis_, "eni", id);
}

void CloudView::Invalidate(const std::string& id) {
  instances_.erase(id);
  volumes_.erase(id);
  snapshots_.erase(id);
  images_.erase(id);
  enis_.erase(id);
}

bool CloudView::Fetched(const WatchList& watch) const {
  for (const auto& [kind, ids] : watch) {
    for (const auto& id : ids) {
      bool known = kind == "instance"   ? instances_.count(id) > 0
                   : kind == "volume"   ? volumes_.count(id) > 0
                   : kind == "snapshot" ? snapshots_.count(id) > 0
                   : kind == "image"    ? images_.count(id) > 0
                                        : enis_.count(id) > 0;
      if (!known) return false;
    }
  }
  return true;
}

WatchList CloudView::TakeLookups() {
  WatchList out;
  out.swap(lookups_);
  return out;
}

}  // namespace spotkeeper
