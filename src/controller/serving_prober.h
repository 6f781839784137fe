// ServingProber: runs wait_serving's probes off the controller's thread, so that a probe that
// takes its whole timeout never holds up a tick. The step asks for an answer; the first ask
// starts the probe on a worker and returns nothing, the workflow waits, and when the probe ends
// the prober calls `on_done` (the server wakes its loop) and the next RunDue wakes the workflow,
// whose step then takes the answer. Answers live in memory only: after a restart the step
// simply probes again. Without a prober (the simulation, fake-clock tests) the step probes
// inline, deterministically.
// Thread safety: every method may be called from any thread; the destructor waits for the
// probes in flight (each bounded by its timeout).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "provider/cloud_provider.h"

namespace spotkeeper {

struct ServingProbeRequest {
  std::string instance_id;
  std::string ip;
  ServingProbe probe;
  Duration timeout{2000};

  bool operator==(const ServingProbeRequest&) const = default;
};

class ServingProber {
 public:
  // `workers` threads (>= 1) call cloud->ProbeServing.
  ServingProber(CloudProvider* cloud, int workers = 2, std::function<void()> on_done = nullptr);
  ~ServingProber();
  ServingProber(const ServingProber&) = delete;
  ServingProber& operator=(const ServingProber&) = delete;

  // The answer of the probe `key` (a workflow id) made for exactly `request`, once it has
  // ended (and then forgotten); otherwise nothing, and the probe is started unless one for
  // `key` is in flight. An answer for another request (an older instance, a changed spec) is
  // dropped and the probe made again.
  std::optional<Status> Probe(const std::string& key, const ServingProbeRequest& request);
  // The keys whose probes ended since the last call (for the engine to wake their workflows).
  std::vector<std::string> TakeEnded();
  // Forgets the answers of keys not in `live` (workflows that ended without taking them).
  void Retain(const std::set<std::string>& live);
  size_t in_flight() const;

 private:
  struct Entry {
    ServingProbeRequest request;
    bool done = false;
    Status answer;
  };
  void Work();

  CloudProvider* cloud_;
  std::function<void()> on_done_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<std::string, Entry> entries_;
  std::deque<std::string> queue_;
  std::vector<std::string> ended_;
  std::vector<std::thread> threads_;
};

}  // namespace spotkeeper
