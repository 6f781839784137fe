// EtcdTransaction: the Transaction of EtcdStore (see etcd_store.h for the commit protocol).
// Writes go to the replica's open SqliteTransaction at once (so reads on this thread see them,
// and SqliteStore's rules apply) and are collected as etcd puts; Commit() sends them as one
// fenced Txn and commits the replica only if etcd applied it.
//
// REQUIRES: used and destroyed on the thread that began it, before the store is destroyed.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "store/etcd/etcd_store.h"
#include "store/sqlite_transaction.h"

namespace spotkeeper {

class EtcdTransaction final : public Transaction {
 public:
  EtcdTransaction(EtcdStore* store, std::unique_ptr<SqliteTransaction> replica);
  ~EtcdTransaction() override = default;  // the replica's transaction rolls back

  Status PutGroup(const GroupRecord& g) override;
  Status PutSsi(const SsiRecord& s) override;
  Status PutResource(const ResourceRecord& r) override;
  Status PutWorkflow(const WorkflowRecord& w) override;
  Status AppendJournal(const JournalEntry& e) override;
  Status AppendEvent(const EventRecord& e) override;
  Status MarkCloudEventSeen(const std::string& event_id, Time at) override;
  Status Commit() override;

 private:
  // FailedPrecondition once a commit failed (the replica's transaction is gone).
  Status CheckOpen() const;
  Status CommitOnce();
  // Why etcd refused the Txn: the fence, or a key someone else changed.
  Status Refusal();

  EtcdStore* store_;
  std::unique_ptr<SqliteTransaction> replica_;
  bool finished_ = false;
  std::map<std::string, std::string> puts_;  // key -> value; the last Put of a key wins
  std::set<std::string> creates_;            // keys that must not exist yet
  int64_t journal_entries_ = 0;
  int64_t events_ = 0;
};

}  // namespace spotkeeper
