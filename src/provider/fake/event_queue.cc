#include "provider/fake/event_queue.h"

#include <cstdint>
#include <cstdio>

namespace spotkeeper {

void EventQueue::Push(CloudEvent event) {
  uint64_t seq = next_seq_++;
  Time visible = event.time;
  entries_.emplace_hint(entries_.end(), seq, Entry{std::move(event), visible, 0});
}

std::vector<CloudEvent> EventQueue::Receive(Time now, int max, Duration visibility) {
  std::vector<CloudEvent> out;
  for (auto& [seq, e] : entries_) {
    if (static_cast<int>(out.size()) >= max) break;
    if (e.visible_at > now) continue;
    if (e.receives > 0) in_flight_.erase({e.visible_at, seq});
    ++e.receives;
    e.visible_at = now + visibility;
    in_flight_.insert({e.visible_at, seq});
    char receipt[64];
    std::snprintf(receipt, sizeof receipt, "rcpt-%llu-%d", static_cast<unsigned long long>(seq),
                  e.receives);
    receipts_[receipt] = seq;
    CloudEvent copy = e.event;
    char id[48];
    // Shaped like the UUIDs EventBridge uses; unique per queue and deterministic.
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012llx",
                  static_cast<unsigned long long>(seq));
    copy.id = id;
    copy.receipt = receipt;
    out.push_back(std::move(copy));
  }
  return out;
}

Status EventQueue::Ack(const std::vector<std::string>& receipts) {
  for (const std::string& r : receipts) {
    if (receipts_.find(r) == receipts_.end()) {
      return Status(Code::kInvalidArgument, "The receipt handle \"" + r + "\" is not valid.",
                    "ReceiptHandleIsInvalid");
    }
  }
  for (const std::string& r : receipts) {
    uint64_t seq = receipts_[r];
    auto it = entries_.find(seq);
    if (it == entries_.end()) continue;
    if (it->second.receives > 0) in_flight_.erase({it->second.visible_at, seq});
    entries_.erase(it);
  }
  return OkStatus();
}

Time EventQueue::NextRedeliveryTime(Time now) const {
  auto it = in_flight_.upper_bound({now, UINT64_MAX});
  return it == in_flight_.end() ? kNever : it->first;
}

}  // namespace spotkeeper
