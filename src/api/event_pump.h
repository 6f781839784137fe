// EventPump: receives the provider's events on its own thread (the ec2 provider long-polls its
// SQS queue) into an EventInbox and wakes the controller loop, so an interruption warning or a
// state change reaches the controller within milliseconds and the controller's tick never
// blocks on a long poll. Events are acknowledged by the controller after handling, not here.
//
// Only for providers whose ReceiveEvents blocks until events come or a wait ends (ec2); a
// provider that answers at once (the fake cloud) is read by the tick itself.
// Thread safety: Start/Stop from one thread; the rest is internal.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "controller/event_inbox.h"
#include "provider/cloud_provider.h"

namespace spotkeeper::api {

struct EventPumpStats {
  int64_t received = 0;
  int64_t errors = 0;
  std::string last_error;
};

class EventPump {
 public:
  // `cloud` and `inbox` must outlive the pump; `on_events` runs on the pump's thread after
  // events were put in the inbox.
  EventPump(CloudProvider* cloud, EventInbox* inbox, std::function<void()> on_events);
  ~EventPump();  // Stop()

  void Start();
  // Ends the thread; waits for a long poll in flight (at most the provider's wait).
  void Stop();
  EventPumpStats stats() const;

 private:
  void Run();

  CloudProvider* cloud_;
  EventInbox* inbox_;
  std::function<void()> on_events_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  EventPumpStats stats_;
  std::thread thread_;
};

}  // namespace spotkeeper::api
