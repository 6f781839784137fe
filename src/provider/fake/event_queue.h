// EventQueue: the fake cloud's stand-in for the SQS queue that EventBridge fills with EC2
// events. Semantics follow SQS standard queues minus the reordering: an event is delivered in
// the order it was pushed; once received it is invisible for the visibility timeout, then
// delivered again (with a new receipt) unless acknowledged; acknowledging removes it. Not
// thread-safe; the owner locks.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/time.h"
#include "provider/cloud_provider.h"

namespace spotkeeper {

class EventQueue {
 public:
  // Queues `event` (its id is made from the push order). Events must be pushed in time order.
  void Push(CloudEvent event);

  // Up to `max` events visible at `now`, oldest first, each with a fresh receipt; they become
  // invisible until now + `visibility`.
  std::vector<CloudEvent> Receive(Time now, int max, Duration visibility);

  // Deletes the events the receipts were issued for. Receipts of events already deleted are
  // fine (as in SQS); a receipt never issued is ReceiptHandleIsInvalid and deletes nothing.
  Status Ack(const std::vector<std::string>& receipts);

  // The earliest time after `now` at which a received, unacknowledged event becomes visible
  // again (kNever if none).
  Time NextRedeliveryTime(Time now) const;

  // Events not yet acknowledged (delivered or not).
  size_t size() const { return entries_.size(); }
  // Every event ever pushed, acknowledged or not (inspection).
  int64_t pushed() const { return static_cast<int64_t>(next_seq_); }

 private:
  struct Entry {
    CloudEvent event;
    Time visible_at;
    int receives = 0;
  };

  std::map<uint64_t, Entry> entries_;                   // by push order
  std::set<std::pair<Time, uint64_t>> in_flight_;       // (visible again at, seq)
  std::unordered_map<std::string, uint64_t> receipts_;  // receipt -> seq, kept after deletion
  uint64_t next_seq_ = 0;
};

}  // namespace spotkeeper
