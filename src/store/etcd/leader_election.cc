#include "store/etcd/leader_election.h"

#include <spdlog/spdlog.h>

namespace spotkeeper {
namespace {

// A create_revision no key has: the fence of a candidate that does not lead.
constexpr int64_t kNoRevision = -1;

}  // namespace

const char* RoleName(Role r) { return r == Role::kLeader ? "leader" : "follower"; }

LeaderElection::LeaderElection(EtcdStore* store, LeaderElectionOptions options)
    : store_(store), options_(std::move(options)), key_(store->prefix() + "leader") {
  store_->SetFence(EtcdFence{key_, kNoRevision});
}

LeaderElection::~LeaderElection() { Stop(); }

std::string LeaderElection::leader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leader_;
}

void LeaderElection::Become(Role r) {
  if (role_.exchange(r) == r) return;
  spdlog::info("election: {} is now {} ({})", options_.name, RoleName(r), key_);
  if (on_change_) on_change_(r);
}

Role LeaderElection::Step() {
  std::lock_guard<std::mutex> lock(step_mu_);
  return role_.load() == Role::kLeader ? Renew() : Campaign();
}

Role LeaderElection::Campaign() {
  auto started = std::chrono::steady_clock::now();
  if (lease_ != 0) {
    Result<int64_t> ttl = store_->client().KeepAlive(lease_);
    if (!ttl.ok()) lease_ = 0;  // expired (or unreachable): a fresh one below
  }
  if (lease_ == 0) {
    Result<int64_t> lease = store_->client().GrantLease(options_.ttl_seconds);
    if (!lease.ok()) {
      spdlog::warn("election: cannot get a lease: {}", lease.status().ToString());
      return Role::kFollower;
    }
    lease_ = *lease;
  }
  lease_valid_until_ = started + std::chrono::seconds(options_.ttl_seconds);
  EtcdTxn txn;
  txn.compares.push_back({key_, EtcdCompare::Target::kCreate, 0});
  txn.puts.push_back({key_, options_.name, lease_});
  Result<EtcdTxnResult> won = store_->client().Txn(txn);
  if (!won.ok() || !won->succeeded) {
    Result<EtcdRange> holder = store_->client().Range(key_, "");
    if (holder.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      leader_ = holder->kvs.empty() ? "" : holder->kvs[0].value;
    }
    // Follow the leader's writes, so reads here are at most one round behind.
    Status caught_up = store_->CatchUp();
    if (!caught_up.ok())
      spdlog::warn("election: cannot follow the store: {}", caught_up.ToString());
    return Role::kFollower;
  }
  // The key is ours from won->revision on; every write of the previous leader came before it.
  // Catching up (the keys changed since the replica's revision; everything if it is stale)
  // reads them all, and costs what changed, not the store's size: a full load of 100,000 SSIs
  // took seconds (bench/controller_scale --store etcd), all of it added to the failover.
  store_->SetFence(EtcdFence{key_, won->revision});
  Status loaded = store_->CatchUp();
  if (!loaded.ok()) {
    spdlog::warn("election: won, but cannot load the store ({}); resigning", loaded.ToString());
    store_->SetFence(EtcdFence{key_, kNoRevision});
    (void)store_->client().Revoke(lease_);
    lease_ = 0;
    return Role::kFollower;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    leader_ = options_.name;
  }
  Become(Role::kLeader);
  return Role::kLeader;
}

Role LeaderElection::Renew() {
  auto started = std::chrono::steady_clock::now();
  Result<int64_t> ttl = store_->client().KeepAlive(lease_);
  if (ttl.ok()) {
    lease_valid_until_ = started + std::chrono::seconds(*ttl);
    return Role::kLeader;
  }
  bool expired = ttl.status().code() == Code::kNotFound;
  if (!expired && started < lease_valid_until_) {
    spdlog::warn("election: cannot renew the lease ({}); still leading until it would expire",
                 ttl.status().ToString());
    return Role::kLeader;
  }
  spdlog::warn("election: lost the lead: {}", ttl.status().ToString());
  store_->SetFence(EtcdFence{key_, kNoRevision});
  lease_ = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    leader_.clear();
  }
  Become(Role::kFollower);
  return Role::kFollower;
}

void LeaderElection::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
  if (options_.watch != nullptr) {
    watch_ = std::make_unique<EtcdWatch>(store_->client().endpoints(), options_.watch);
    watch_thread_ = std::thread([this] { WatchLoop(); });
  }
}

void LeaderElection::Run() {
  while (true) {
    Role r = Step();
    auto pause = r == Role::kLeader ? std::chrono::milliseconds(options_.ttl_seconds * 1000 / 3)
                                    : options_.poll;
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, pause, [this] { return stopping_ || kick_; });
    if (stopping_) return;
    kick_ = false;
  }
}

void LeaderElection::Kick() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    kick_ = true;
  }
  cv_.notify_all();
}

void LeaderElection::WatchLoop() {
  bool failing = false;
  while (true) {
    Status s = watch_->Run(
        key_,
        [this] {
          watching_ = true;
          Kick();  // anything that changed before the watch was set up: look once
        },
        [this](const EtcdWatchEvent& e) {
          if (e.type != EtcdWatchEvent::Type::kDelete) return;
          ++watch_wakeups_;
          Kick();
        });
    if (watching_.exchange(false)) failing = false;  // it had worked: say so when it breaks
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) return;
    if (!failing) {
      spdlog::warn("election: the watch on {} stopped ({}); polling every {} ms meanwhile", key_,
                   s.ToString(), options_.poll.count());
    }
    failing = true;
    if (cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) return;
  }
}

void LeaderElection::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (watch_) watch_->Cancel();
  if (watch_thread_.joinable()) watch_thread_.join();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(step_mu_);
  store_->SetFence(EtcdFence{key_, kNoRevision});
  if (lease_ != 0) {
    (void)store_->client().Revoke(lease_);
    lease_ = 0;
  }
  Become(Role::kFollower);
}

}  // namespace spotkeeper
