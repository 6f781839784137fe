#include "controller/reaper.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "controller/cloud_lookup.h"

namespace spotkeeper {

Result<bool> Reaper::Run() {
  SK_ASSIGN_OR_RETURN(std::vector<ResourceRecord> retiring,
                      env_.store->ListResourcesByStatus("retiring"));
  if (retiring.empty()) return false;
  // Images first, then snapshots (an image holds its snapshot), then volumes and ENIs.
  auto rank = [](const ResourceRecord& r) {
    return r.kind == "image" ? 0 : r.kind == "snapshot" ? 1 : r.kind == "instance" ? 2 : 3;
  };
  std::stable_sort(
      retiring.begin(), retiring.end(),
      [&](const ResourceRecord& a, const ResourceRecord& b) { return rank(a) < rank(b); });
  Time now = env_.clock->Now();
  bool remaining = false;
  for (auto r : retiring) {
    Status s;
    if (r.kind == "image") {
      s = env_.cloud->DeregisterImage(r.id);
    } else if (r.kind == "snapshot") {
      s = env_.cloud->DeleteSnapshot(r.id);
    } else if (r.kind == "instance") {
      s = env_.cloud->TerminateInstance(r.id);
    } else if (r.kind == "volume") {
      auto v = DescribeVolume(*env_.cloud, r.id);
      if (!v.ok()) {
        s = v.status();
      } else if (v->has_value() && (*v)->state != "available") {
        remaining = true;  // still attached or changing: later
        continue;
      } else if (v->has_value()) {
        s = env_.cloud->DeleteVolume(r.id);
      }
    } else if (r.kind == "eni") {
      s = env_.cloud->DeleteNetworkInterface(r.id);
    }
    if (!s.ok() && s.code() != Code::kNotFound) {
      remaining = true;
      if (!s.retry_after() && !s.IsRetryable() && s.cloud_code() != "InvalidSnapshot.InUse") {
        spdlog::warn("delete {} {}: {}", r.kind, r.id, s.ToString());
      }
      if (s.retry_after()) break;  // rate limited: the rest waits too
      continue;
    }
    r.status = "deleted";
    r.updated_at = now;
    SK_ASSIGN_OR_RETURN(auto tx, env_.store->Begin());
    SK_RETURN_IF_ERROR(tx->PutResource(r));
    SK_RETURN_IF_ERROR(tx->Commit());
    ++deleted_;
  }
  return remaining;
}

}  // namespace spotkeeper
