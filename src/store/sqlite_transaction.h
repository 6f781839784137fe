// SqliteTransaction: the Transaction of SqliteStore. Made by SqliteStore::Begin(), which has
// already run BEGIN IMMEDIATE and hands over the store's lock; the transaction keeps that lock
// until it commits or rolls back.
//
// All or nothing: once a Put fails, the transaction is aborted — later Puts and Commit() return
// Aborted naming the first error, and nothing of the transaction is written.
//
// REQUIRES: used and destroyed on the thread that began it, before the store is destroyed.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "store/sqlite_db.h"
#include "store/store.h"

namespace spotkeeper {

struct PruneSelection;

class SqliteTransaction final : public Transaction {
 public:
  // `owner` holds this thread's id while the transaction is open and is reset before `lock` is
  // released.
  SqliteTransaction(SqliteDb* db, std::unique_lock<std::mutex> lock,
                    std::atomic<std::thread::id>* owner);
  ~SqliteTransaction() override;

  // PutGroup: generation = 1 for a new group, stored + 1 when spec_json changed, else the
  // stored value. AlreadyExists if another group that is not DELETED has the same name (unless
  // this one is being put as DELETED).
  Status PutGroup(const GroupRecord& g) override;
  Status PutSsi(const SsiRecord& s) override;
  Status PutResource(const ResourceRecord& r) override;
  Status PutWorkflow(const WorkflowRecord& w) override;
  // The store assigns seq; the entry's own seq is ignored.
  Status AppendJournal(const JournalEntry& e) override;
  Status AppendEvent(const EventRecord& e) override;
  // Keeps the first `at` when the event was already marked.
  Status MarkCloudEventSeen(const std::string& event_id, Time at) override;
  // FailedPrecondition (and rollback) if a committed row refers to a group, SSI or workflow
  // that does not exist; Aborted if an earlier Put failed.
  Status Commit() override;

  // For a store that keeps this database as a replica of another (EtcdStore): the record
  // exactly as given — the group's generation, the entry's seq — without the store's own
  // assignment. Same checks otherwise.
  Status PutGroupAsIs(const GroupRecord& g);
  Status AppendJournalAsIs(const JournalEntry& e);
  Status AppendEventAsIs(const EventRecord& e);
  // The rows `r` allows deleting now, and deleting them (sqlite_prune.cc).
  Result<PruneSelection> SelectPrunable(const PruneRequest& r);
  Status DeletePruned(const PruneSelection& sel);
  // Deletes every record (a replica about to be loaded again).
  Status DeleteEverything();
  // FailedPrecondition naming the rows if a row written so far refers to a row that does not
  // exist (what Commit() would refuse), without ending the transaction.
  Status CheckReferences();

 private:
  // Ok if Puts may run; otherwise why not.
  Status CheckWritable() const;
  // Records the first failure of a Put and passes `s` through.
  Status Track(Status s);
  // Runs a cached write statement after `bind` has bound its parameters.
  Status Write(const std::string& sql, const std::function<void(SqliteStatement&)>& bind);
  // Runs BEGIN/COMMIT/ROLLBACK; returns the SQLite extended result code in `code`.
  Status RunControl(const char* sql, int* code);
  Status PutGroupLocked(const GroupRecord& g, bool as_is);
  // Describes the rows that break a foreign key (the transaction must still be open).
  std::string DescribeBrokenReferences();
  void Finish();

  SqliteDb* db_;
  std::unique_lock<std::mutex> lock_;
  std::atomic<std::thread::id>* owner_;
  bool open_ = true;
  Status failure_;
};

}  // namespace spotkeeper
