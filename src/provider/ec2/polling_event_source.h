// PollingEventSource: CloudEvents synthesised from Describe* calls, for a deployment without an
// EventBridge rule and SQS queue. At most once per poll interval, Receive:
//  - lists spot requests (DescribeSpotInstanceRequests): a status code marked-for-termination /
//    marked-for-stop / marked-for-hibernation becomes one interruption warning per (request,
//    code), action "terminate" / "stop" / "hibernate", action time = first seen + 2 min (the
//    provider interface carries no status update time);
//  - lists instances carrying kTagGroup (DescribeInstances, tag-key filter): an instance whose
//    state differs from the one last seen becomes a state-change event. The first sighting of
//    an instance only records its state (the controller's start-up sweep covers what happened
//    before).
// Synthesised events behave like queue messages: receipt = event id; an event not acked within
// the visibility timeout is delivered again. Works over any CloudProvider. Thread-safe.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "provider/ec2/event_source.h"

namespace spotkeeper {

struct PollingEventSourceOptions {
  Duration poll_interval = std::chrono::seconds(10);
  Duration visibility_timeout = std::chrono::seconds(30);
  size_t max_pending = 10'000;  // oldest unacked events are dropped beyond this
};

class PollingEventSource final : public EventSource {
 public:
  // `cloud` and `clock` must outlive this object.
  PollingEventSource(CloudProvider* cloud, const Clock* clock, PollingEventSourceOptions options);

  Result<std::vector<CloudEvent>> Receive(int max) override;
  // Unknown receipts are ignored (already acked).
  Status Ack(const std::vector<std::string>& receipts) override;

 private:
  struct Pending {
    CloudEvent event;
    Time visible_at;  // delivered again from this time on
  };
  Status PollLocked(Time now);
  void AddLocked(CloudEvent e, Time now);

  CloudProvider* cloud_;
  const Clock* clock_;
  PollingEventSourceOptions options_;
  std::mutex mu_;
  Time last_poll_ = kEpoch;
  bool polled_ = false;
  std::map<std::string, InstanceState> last_state_;  // instance id -> state last seen
  std::set<std::string> warned_;                     // "<request>/<code>" already reported
  std::deque<std::string> order_;                    // pending ids, oldest first
  std::map<std::string, Pending> pending_;
};

}  // namespace spotkeeper
