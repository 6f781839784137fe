// EventInbox: cloud events received off the controller's thread (by a long-polling pump, see
// api::EventPump) and waiting for the controller's next tick. With an inbox, the tick never
// blocks on the event queue's long poll: events are taken from here, handled, and acknowledged
// through the provider as before (an event is acknowledged only after its effect is committed,
// so a crash leaves it on the queue to come back).
// Thread safety: every method may be called from any thread.
#pragma once

#include <deque>
#include <mutex>
#include <vector>

#include "provider/cloud_provider.h"

namespace spotkeeper {

class EventInbox {
 public:
  void Push(std::vector<CloudEvent> events);
  // Puts events taken but not handled back in front, in their order.
  void PushFront(std::vector<CloudEvent> events);
  // Up to `max` events, oldest first.
  std::vector<CloudEvent> Take(size_t max);
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::deque<CloudEvent> events_;
};

}  // namespace spotkeeper
