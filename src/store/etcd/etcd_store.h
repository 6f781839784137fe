// EtcdStore: the Store on an etcd v3 cluster, so that several controllers share one state and
// any of them can take over (docs/ha.md).
//
// etcd holds the records (one key each, etcd_records.h). Each EtcdStore keeps a full replica of
// them in a private in-memory SqliteStore, which answers every read and, during a transaction,
// applies its writes, so the rules and orders of SqliteStore hold unchanged (name uniqueness,
// generations, referential integrity at commit, reads on the transaction's thread seeing its
// writes, listing orders). A transaction commits as one etcd Txn:
//
//   compare  every record key written: mod_revision == the revision the replica holds (0 for a
//            new key); every journal entry, event and cloud-event mark: the key does not exist;
//            the fence, when set: the election key's create_revision == the fence's.
//   success  put every record written.
//
// Only when etcd applies it does the replica commit. A refused Txn rolls back and returns
// FailedPrecondition "not the leader" when the fence no longer holds, else Aborted (someone
// else changed a key); a Txn whose outcome is unknown (etcd unreachable, timeout) rolls back and
// returns Unavailable. Either way the replica is marked stale and loads itself again from etcd
// before the next transaction. Reload() does the same on demand (a new leader calls it after
// winning, so it sees everything the previous leader wrote).
//
// Threading as SqliteStore: one transaction at a time; other threads' reads wait for it.
// A replica is only as fresh as its last load or own commit: a controller that is not the
// leader reloads (or watches) to follow the leader's writes.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "awsproto/http_message.h"
#include "store/etcd/etcd_client.h"
#include "store/sqlite_store.h"
#include "store/store.h"

namespace spotkeeper {

struct EtcdStoreOptions {
  std::vector<std::string> endpoints;  // "http://host:port"
  // Every key of the store starts with it; several stores may share a cluster under different
  // prefixes.
  std::string prefix = "/spotkeeper/";
  aws::HttpClient* http = nullptr;  // REQUIRED; not owned, must outlive the store
  const Clock* clock = nullptr;     // SystemClock when null (stamps the replica's schema)
  int64_t page_size = 1000;         // keys per range request while loading
};

// Every write also requires `key` to exist with this create_revision: the key a leader created
// when it won its election (LeaderElection). Once the key is gone (lease expired) or belongs to
// another leader, no write of the old leader can land.
struct EtcdFence {
  std::string key;
  int64_t create_revision = 0;
};

class EtcdTransaction;

class EtcdStore final : public Store {
 public:
  // Connects and loads the replica. Unavailable if no endpoint answers.
  static Result<std::unique_ptr<EtcdStore>> Open(EtcdStoreOptions options);
  ~EtcdStore() override;

  Result<std::unique_ptr<Transaction>> Begin() override;

  // Loads the replica again from etcd at its latest revision.
  Status Reload();
  // Brings the replica up to etcd's latest revision by reading only the keys changed since
  // revision() (etcd's min_mod_revision), or everything when it is stale. How a controller
  // that does not lead follows the leader's writes.
  Status CatchUp();
  // Sets (or with nullopt clears) the fence every later commit compares.
  void SetFence(std::optional<EtcdFence> fence);
  std::optional<EtcdFence> fence() const;
  // The etcd revision the replica is known to reflect (its last load or own commit).
  int64_t revision() const;
  EtcdClient& client() { return client_; }
  const std::string& prefix() const { return options_.prefix; }

  Result<GroupRecord> GetGroup(const std::string& id) override { return cache_->GetGroup(id); }
  Result<std::vector<GroupRecord>> ListGroups(bool d) override { return cache_->ListGroups(d); }
  Result<SsiRecord> GetSsi(const std::string& id) override { return cache_->GetSsi(id); }
  Result<std::vector<SsiRecord>> ListSsis(const std::string& g) override {
    return cache_->ListSsis(g);
  }
  Result<SsiRecord> FindSsiByInstance(const std::string& i) override {
    return cache_->FindSsiByInstance(i);
  }
  Result<ResourceRecord> GetResource(const std::string& id) override {
    return cache_->GetResource(id);
  }
  Result<std::vector<ResourceRecord>> ListResources(const std::string& s) override {
    return cache_->ListResources(s);
  }
  Result<std::vector<ResourceRecord>> ListResourcesByStatus(const std::string& s) override {
    return cache_->ListResourcesByStatus(s);
  }
  Result<WorkflowRecord> GetWorkflow(const std::string& id) override {
    return cache_->GetWorkflow(id);
  }
  Result<std::vector<WorkflowRecord>> ListRunningWorkflows() override {
    return cache_->ListRunningWorkflows();
  }
  Result<std::vector<WorkflowRecord>> ListWorkflows(const std::string& s) override {
    return cache_->ListWorkflows(s);
  }
  Result<std::vector<JournalEntry>> ListJournal(const std::string& w) override {
    return cache_->ListJournal(w);
  }
  Result<std::vector<EventRecord>> ListEvents(const EventQuery& q) override {
    return cache_->ListEvents(q);
  }
  Result<bool> CloudEventSeen(const std::string& id) override { return cache_->CloudEventSeen(id); }
  Result<int> SchemaVersion() override { return cache_->SchemaVersion(); }
  // The replica picks the rows (the same rules as SqliteStore); one fenced etcd Txn deletes
  // their keys, comparing each workflow's and resource's mod_revision, and the replica commits
  // only if etcd applied it (etcd_prune.cc). At most kMaxPruneKeys rows per call, under etcd's
  // default --max-txn-ops of 128. Other controllers' replicas drop the pruned rows on their
  // next full load (Reload, e.g. when one of them becomes the leader).
  Result<PruneResult> Prune(const PruneRequest& r) override;
  static constexpr int64_t kMaxPruneKeys = 100;

 private:
  friend class EtcdTransaction;

  EtcdStore(EtcdStoreOptions options, std::unique_ptr<SqliteStore> cache);

  // Replaces the replica's content with etcd's, inside `txn` (which the caller commits).
  Status LoadInto(SqliteTransaction& txn);
  // Applies every record key changed after `after_revision` (0: all of them) to the replica.
  Status ApplyChanges(SqliteTransaction& txn, int64_t after_revision);

  EtcdStoreOptions options_;
  EtcdClient client_;
  std::unique_ptr<SqliteStore> cache_;

  // Guarded by the replica's transaction lock (only touched while a transaction of cache_ is
  // open): the mod_revision of every record key, the next sequence numbers, staleness.
  std::map<std::string, int64_t> revisions_;
  int64_t next_journal_seq_ = 1;
  int64_t next_event_seq_ = 1;
  bool stale_ = false;

  mutable std::mutex mu_;  // guards fence_ and revision_
  std::optional<EtcdFence> fence_;
  int64_t revision_ = 0;
};

}  // namespace spotkeeper
