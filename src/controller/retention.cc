#include "controller/retention.h"

#include <spdlog/spdlog.h>

namespace spotkeeper {
namespace {

Time Before(Time now, Duration age) { return age > Duration{0} ? now - age : kEpoch; }

}  // namespace

PruneRequest Retention::RequestFor(const RetentionOptions& o, Time now) {
  PruneRequest r;
  r.events_before = Before(now, o.events_max_age);
  r.events_keep = o.events_max_count;
  r.workflows_before = Before(now, o.journal_max_age);
  r.workflows_keep = o.journal_max_workflows;
  r.resources_before = Before(now, o.journal_max_age);
  r.cloud_events_before = Before(now, o.cloud_events_max_age);
  r.max_rows = o.batch_rows;
  return r;
}

Result<Time> Retention::Run() {
  const RetentionOptions& o = env_.options->retention;
  Time now = env_.clock->Now();
  PruneRequest r = RequestFor(o, now);
  for (int batch = 0; batch < o.max_batches; ++batch) {
    Result<PruneResult> one = env_.store->Prune(r);
    if (!one.ok()) {
      if (one.status().code() != Code::kUnimplemented) return one.status();
      if (!unsupported_noted_) {
        spdlog::warn("retention: {}; history grows without bound", one.status().message());
        unsupported_noted_ = true;
      }
      return now + o.interval;
    }
    pruned_.events += one->events;
    pruned_.journal_entries += one->journal_entries;
    pruned_.workflows += one->workflows;
    pruned_.resources += one->resources;
    pruned_.cloud_events += one->cloud_events;
    if (one->rows() > 0) {
      spdlog::debug(
          "retention: pruned {} events, {} journal entries, {} workflows, "
          "{} resource records, {} cloud-event marks",
          one->events, one->journal_entries, one->workflows, one->resources, one->cloud_events);
    }
    if (!one->more) return now + o.interval;
  }
  return now;  // more to do: the next tick goes on, after the tick's other work
}

}  // namespace spotkeeper
