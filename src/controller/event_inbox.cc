#include "controller/event_inbox.h"

namespace spotkeeper {

void EventInbox::Push(std::vector<CloudEvent> events) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& e : events) events_.push_back(std::move(e));
}

void EventInbox::PushFront(std::vector<CloudEvent> events) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = events.rbegin(); it != events.rend(); ++it) events_.push_front(std::move(*it));
}

std::vector<CloudEvent> EventInbox::Take(size_t max) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<CloudEvent> out;
  while (!events_.empty() && out.size() < max) {
    out.push_back(std::move(events_.front()));
    events_.pop_front();
  }
  return out;
}

size_t EventInbox::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_.size();
}

}  // namespace spotkeeper
