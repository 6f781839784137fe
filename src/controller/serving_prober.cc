#include "controller/serving_prober.h"

#include <algorithm>

namespace spotkeeper {

ServingProber::ServingProber(CloudProvider* cloud, int workers, std::function<void()> on_done)
    : cloud_(cloud), on_done_(std::move(on_done)) {
  for (int i = 0; i < std::max(1, workers); ++i) threads_.emplace_back([this] { Work(); });
}

ServingProber::~ServingProber() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

std::optional<Status> ServingProber::Probe(const std::string& key,
                                           const ServingProbeRequest& request) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    if (!it->second.done) return std::nullopt;  // in flight: its answer comes later
    if (it->second.request == request) {
      Status answer = it->second.answer;
      entries_.erase(it);
      return answer;
    }
    entries_.erase(it);  // an answer to another question
  }
  entries_[key] = Entry{request, false, Status()};
  queue_.push_back(key);
  cv_.notify_one();
  return std::nullopt;
}

std::vector<std::string> ServingProber::TakeEnded() {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::string> out;
  out.swap(ended_);
  return out;
}

void ServingProber::Retain(const std::set<std::string>& live) {
  std::lock_guard<std::mutex> l(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->second.done && live.count(it->first) == 0 ? entries_.erase(it) : std::next(it);
  }
}

size_t ServingProber::in_flight() const {
  std::lock_guard<std::mutex> l(mu_);
  return static_cast<size_t>(std::count_if(entries_.begin(), entries_.end(),
                                           [](const auto& e) { return !e.second.done; }));
}

void ServingProber::Work() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    cv_.wait(l, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::string key = queue_.front();
    queue_.pop_front();
    auto it = entries_.find(key);
    if (it == entries_.end()) continue;
    ServingProbeRequest r = it->second.request;
    l.unlock();
    Status answer = cloud_->ProbeServing(r.instance_id, r.ip, r.probe, r.timeout);
    l.lock();
    it = entries_.find(key);
    if (it != entries_.end() && !it->second.done && it->second.request == r) {
      it->second.done = true;
      it->second.answer = std::move(answer);
    }
    ended_.push_back(key);
    if (on_done_) {
      l.unlock();
      on_done_();
      l.lock();
    }
  }
}

}  // namespace spotkeeper
