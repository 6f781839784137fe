#include "provider/ec2/polling_event_source.h"

#include <spdlog/spdlog.h>

#include "provider/ec2/eventbridge_event.h"

namespace spotkeeper {
namespace {

// The instance-action of an interruption announced by a spot request status code, or "".
std::string ActionForSpotStatus(const std::string& code) {
  if (code == "marked-for-termination") return "terminate";
  if (code == "marked-for-stop") return "stop";
  if (code == "marked-for-hibernation") return "hibernate";
  return "";
}

}  // namespace

PollingEventSource::PollingEventSource(CloudProvider* cloud, const Clock* clock,
                                       PollingEventSourceOptions options)
    : cloud_(cloud), clock_(clock), options_(options) {}

void PollingEventSource::AddLocked(CloudEvent e, Time now) {
  const std::string id = e.id;
  e.receipt = id;
  if (pending_.count(id)) return;
  order_.push_back(id);
  pending_.emplace(id, Pending{std::move(e), now});
  while (pending_.size() > options_.max_pending && !order_.empty()) {
    pending_.erase(order_.front());
    order_.pop_front();
  }
}

Status PollingEventSource::PollLocked(Time now) {
  SK_ASSIGN_OR_RETURN(std::vector<SpotInstanceRequest> requests,
                      cloud_->DescribeSpotInstanceRequests(Filter{}));
  std::set<std::string> listed;
  for (const SpotInstanceRequest& r : requests) {
    listed.insert(r.id);
    std::string action = ActionForSpotStatus(r.status_code);
    if (action.empty() || r.instance_id.empty()) continue;
    std::string key = r.id + "/" + r.status_code;
    if (!warned_.insert(key).second) continue;
    CloudEvent e;
    e.kind = CloudEventKind::kSpotInterruptionWarning;
    e.id = "poll-" + key;
    e.instance_id = r.instance_id;
    e.time = now;
    e.instance_action = action;
    e.action_time = now + kSpotInterruptionNotice;
    AddLocked(std::move(e), now);
  }

  // Requests no longer listed are forgotten: memory stays bounded.
  std::erase_if(warned_, [&](const std::string& key) {
    return listed.count(key.substr(0, key.find('/'))) == 0;
  });

  Filter ours;
  ours.tags[kTagGroup] = "";
  SK_ASSIGN_OR_RETURN(std::vector<Instance> instances, cloud_->DescribeInstances(ours));
  std::map<std::string, InstanceState> seen;
  for (const Instance& i : instances) {
    seen[i.id] = i.state;
    auto it = last_state_.find(i.id);
    if (it == last_state_.end() || it->second == i.state) continue;
    CloudEvent e;
    e.kind = CloudEventKind::kInstanceStateChange;
    e.id = "poll-" + i.id + "/" + InstanceStateName(i.state) + "/" + std::to_string(ToMillis(now));
    e.instance_id = i.id;
    e.time = now;
    e.state = InstanceStateName(i.state);
    AddLocked(std::move(e), now);
  }
  // Instances that vanished (terminated long ago) are forgotten: memory stays bounded.
  last_state_ = std::move(seen);
  return OkStatus();
}

Result<std::vector<CloudEvent>> PollingEventSource::Receive(int max) {
  std::lock_guard<std::mutex> l(mu_);
  Time now = clock_->Now();
  if (!polled_ || now - last_poll_ >= options_.poll_interval) {
    SK_RETURN_IF_ERROR(PollLocked(now));
    polled_ = true;
    last_poll_ = now;
  }
  std::vector<CloudEvent> out;
  for (const std::string& id : order_) {
    if (static_cast<int>(out.size()) >= max) break;
    Pending& p = pending_.at(id);
    if (p.visible_at > now) continue;
    p.visible_at = now + options_.visibility_timeout;
    out.push_back(p.event);
  }
  return out;
}

Status PollingEventSource::Ack(const std::vector<std::string>& receipts) {
  std::lock_guard<std::mutex> l(mu_);
  for (const std::string& r : receipts) {
    if (pending_.erase(r)) std::erase(order_, r);
  }
  return OkStatus();
}

}  // namespace spotkeeper
