#include "controller/cloud_lookup.h"

namespace spotkeeper {
namespace {

// Describes by id; NotFound (EC2 answers InvalidXxxID.NotFound for unknown ids) means absent.
template <typename T, typename Fn>
Result<std::optional<T>> DescribeOne(Fn describe, const std::string& id) {
  if (id.empty()) return std::optional<T>();
  Filter f;
  f.ids = {id};
  auto r = describe(f);
  if (!r.ok()) {
    if (r.status().code() == Code::kNotFound) return std::optional<T>();
    return r.status();
  }
  for (auto& x : *r) {
    if (x.id == id) return std::optional<T>(std::move(x));
  }
  return std::optional<T>();
}

template <typename T, typename Fn>
Result<std::optional<T>> FindByToken(Fn describe, const std::string& token) {
  Filter f;
  f.tags[kTagToken] = token;
  auto r = describe(f);
  if (!r.ok()) return r.status();
  if (r->empty()) return std::optional<T>();
  return std::optional<T>(std::move(r->front()));
}

}  // namespace

Result<std::optional<Instance>> DescribeInstance(CloudProvider& c, const std::string& id) {
  return DescribeOne<Instance>([&](const Filter& f) { return c.DescribeInstances(f); }, id);
}
Result<std::optional<Volume>> DescribeVolume(CloudProvider& c, const std::string& id) {
  return DescribeOne<Volume>([&](const Filter& f) { return c.DescribeVolumes(f); }, id);
}
Result<std::optional<Snapshot>> DescribeSnapshot(CloudProvider& c, const std::string& id) {
  return DescribeOne<Snapshot>([&](const Filter& f) { return c.DescribeSnapshots(f); }, id);
}
Result<std::optional<Image>> DescribeImage(CloudProvider& c, const std::string& id) {
  return DescribeOne<Image>([&](const Filter& f) { return c.DescribeImages(f); }, id);
}
Result<std::optional<NetworkInterface>> DescribeEni(CloudProvider& c, const std::string& id) {
  return DescribeOne<NetworkInterface>(
      [&](const Filter& f) { return c.DescribeNetworkInterfaces(f); }, id);
}

Result<std::optional<Instance>> FindInstanceByToken(CloudProvider& c, const std::string& t) {
  return FindByToken<Instance>([&](const Filter& f) { return c.DescribeInstances(f); }, t);
}
Result<std::optional<Volume>> FindVolumeByToken(CloudProvider& c, const std::string& t) {
  return FindByToken<Volume>([&](const Filter& f) { return c.DescribeVolumes(f); }, t);
}
Result<std::optional<Snapshot>> FindSnapshotByToken(CloudProvider& c, const std::string& t) {
  return FindByToken<Snapshot>([&](const Filter& f) { return c.DescribeSnapshots(f); }, t);
}
Result<std::optional<Image>> FindImageByToken(CloudProvider& c, const std::string& t) {
  return FindByToken<Image>([&](const Filter& f) { return c.DescribeImages(f); }, t);
}
Result<std::optional<NetworkInterface>> FindEniByToken(CloudProvider& c, const std::string& t) {
  return FindByToken<NetworkInterface>(
      [&](const Filter& f) { return c.DescribeNetworkInterfaces(f); }, t);
}

bool IsGone(const Instance& i) {
  return i.state == InstanceState::kShuttingDown || i.state == InstanceState::kTerminated;
}

}  // namespace spotkeeper
