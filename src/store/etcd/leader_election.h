// LeaderElection: one leader among the controllers that share an EtcdStore, with an etcd lease
// and a campaign key (docs/ha.md).
//
// A candidate holds a lease of `ttl_seconds` and tries to create the campaign key
// (<prefix>leader) bound to it, only if the key does not exist (Txn: create_revision == 0).
// Whoever created it leads until the key goes: its lease expires (the leader died, hangs, or
// is cut off from the etcd majority for longer than the TTL) or it resigns. The leader renews
// its lease every ttl/3. On winning, the candidate brings the store's replica up to date
// (EtcdStore::CatchUp: so it sees every write of the previous leader, all of which happened
// before the key was free) and sets the store's fence to the key's create_revision: from then
// on every commit requires the key to be exactly this creation, so once the key has expired or been
// taken over, a leader that has not noticed yet (paused, partitioned) cannot write anything.
// Candidates that are not leading keep the store fenced on a revision no key can have (-1), so they
// cannot write either.
//
// A follower's round also brings its store's replica up to date (EtcdStore::CatchUp), so its
// reads lag the leader's writes by at most `poll`.
//
// Step() runs one round and is what tests call; Start() runs rounds on a thread: every ttl/3
// while leading, every `poll` while following. With `watch` set, Start() also watches the
// campaign key (EtcdWatch) on a second thread and runs a round at once when the key is deleted
// (the leader's lease ran out, or it resigned): a follower campaigns without waiting for its
// poll, a leader whose key went learns it without waiting for its renewal. When the stream
// breaks, the poll carries on alone and the watch is set up again every second. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "awsproto/http_stream.h"
#include "common/time.h"
#include "store/etcd/etcd_store.h"
#include "store/etcd/etcd_watch.h"

namespace spotkeeper {

struct LeaderElectionOptions {
  std::string name;  // this candidate, as others see it (e.g. its API URL)
  int64_t ttl_seconds = 5;
  std::chrono::milliseconds poll{250};  // how often a follower looks for a free key
  // When set, the campaign key is watched over it (not owned; must outlive the election).
  aws::HttpStreamClient* watch = nullptr;
};

enum class Role { kFollower, kLeader };
const char* RoleName(Role r);  // "follower" | "leader"

class LeaderElection {
 public:
  // `store` must outlive the election. Fences the store at once (as a follower).
  LeaderElection(EtcdStore* store, LeaderElectionOptions options);
  ~LeaderElection();  // Stop()

  // Called (on the election's thread) whenever the role changes. Set before Start().
  void SetOnChange(std::function<void(Role)> f) { on_change_ = std::move(f); }
  // The name others see. Set before Start().
  void SetName(std::string name) { options_.name = std::move(name); }

  // One round: renew the lease when leading (losing the lead if it has expired), or campaign.
  // Returns the role after the round; errors talking to etcd leave a leader leading until its
  // lease would have run out by this candidate's own clock, then it steps down.
  Role Step();
  void Start();
  // Stops the thread and resigns (revokes the lease, so another takes over at once).
  void Stop();

  Role role() const { return role_.load(); }
  // The current leader's name as last seen ("" when unknown).
  std::string leader() const;
  const std::string& key() const { return key_; }
  // Rounds run at once because the watch saw the campaign key deleted.
  int64_t watch_wakeups() const { return watch_wakeups_.load(); }
  // The watch is set up (etcd confirmed it) and its stream has not broken since.
  bool watching() const { return watching_.load(); }

 private:
  void Become(Role r);
  Role Campaign();
  Role Renew();
  void Run();
  void WatchLoop();
  void Kick();

  EtcdStore* store_;
  LeaderElectionOptions options_;
  std::string key_;
  std::function<void(Role)> on_change_;
  std::atomic<Role> role_{Role::kFollower};
  int64_t lease_ = 0;  // 0: none; used only by the round in progress
  std::chrono::steady_clock::time_point lease_valid_until_;

  mutable std::mutex mu_;  // guards leader_, stopping_
  std::string leader_;
  bool stopping_ = false;
  bool kick_ = false;  // run the next round at once
  std::condition_variable cv_;
  std::unique_ptr<EtcdWatch> watch_;
  std::thread watch_thread_;
  std::atomic<int64_t> watch_wakeups_{0};
  std::atomic<bool> watching_{false};
  std::mutex step_mu_;  // one round at a time
  std::thread thread_;
};

}  // namespace spotkeeper
