// RetentionOptions: how much history the controller keeps in its store (docs/retention.md).
// An age of zero or a count of zero turns that rule off (keep everything it governs).
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/time.h"

namespace spotkeeper {

inline constexpr Duration kDay{86'400'000};

struct RetentionOptions {
  // The audit event log (GET /events, `spotkeeper events`).
  Duration events_max_age = 30 * kDay;
  int64_t events_max_count = 100'000;
  // Finished (succeeded or cancelled) workflows with their journal, and the records of
  // resources deleted from the cloud. Running and failed workflows and each SSI's newest
  // workflow always stay.
  Duration journal_max_age = 7 * kDay;
  int64_t journal_max_workflows = 10'000;
  // Marks of cloud events already handled: at least SQS's longest retention (14 days), so a
  // redelivered message is still recognised.
  Duration cloud_events_max_age = 14 * kDay;
  // Recoveries kept per SSI in its status ("recoveries"; the API's recovery history).
  size_t recovery_history = 50;
  // How often the controller's tick prunes, and how: at most batch_rows rows per transaction
  // and max_batches transactions per run (the rest waits for the next run, soon after).
  Duration interval{60'000};
  int64_t batch_rows = 500;
  int max_batches = 20;
};

}  // namespace spotkeeper
