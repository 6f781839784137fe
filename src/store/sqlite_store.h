// SqliteStore: the Store on one SQLite database (WAL journal for files, ":memory:" for tests and
// the simulation). Schema migrations run on Open (see schema.h).
//
// Concurrency: one connection behind a store-wide mutex. Begin() takes the mutex (BEGIN
// IMMEDIATE) and the Transaction keeps it until it commits or rolls back, so other threads'
// calls block meanwhile. Reads on the thread that owns the open transaction don't take the
// mutex again: they run inside that transaction and see its uncommitted writes. Begin() on a
// thread that already has an open transaction is refused (FailedPrecondition). A Transaction
// must be used and destroyed on the thread that began it. Other processes may open the same
// file: SQLite's locks and a busy timeout serialise their writes.
//
// Transactions are all or nothing: after a Put fails (AlreadyExists for a taken group name,
// InvalidArgument for an empty id, ...) later Puts and Commit() return Aborted and nothing of
// the transaction is written.
//
// Referential integrity (checked at commit, so order within a transaction does not matter):
// an SSI's group, and a resource's or workflow's SSI and group when not "", must exist; a
// journal entry's workflow must exist. A commit that breaks this fails with
// FailedPrecondition naming the rows and writes nothing. Events carry ids without checks.
//
// Orders not fixed by store.h: ListGroups by id; ListResourcesByStatus by created_at, id;
// ListWorkflows by created_at descending, then id descending. ListEvents needs q.limit > 0
// (InvalidArgument otherwise); `since` is inclusive, `after_seq` exclusive. Records without an
// SSI are not listed by ListResources("") or ListWorkflows("").
//
// Errors: NotFound for missing ids; Internal carrying SQLite's message for SQLite failures.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/time.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace spotkeeper {

class SqliteTransaction;

class SqliteStore final : public Store {
 public:
  // Opens or creates the database at `path` (":memory:" for a private in-memory one) and
  // migrates it to the latest schema. FailedPrecondition if the database was written by a newer
  // spotkeeper. `clock` (SystemClock when null) stamps the migrations Open applies; the store
  // keeps no reference to it.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path, const Clock* clock);

  // REQUIRES: no Transaction of this store is still open.
  ~SqliteStore() override;

  Result<std::unique_ptr<Transaction>> Begin() override;
  // Begin() with the concrete type, for a store built on this one (EtcdStore).
  Result<std::unique_ptr<SqliteTransaction>> BeginSqlite();

  Result<GroupRecord> GetGroup(const std::string& id) override;
  Result<std::vector<GroupRecord>> ListGroups(bool include_deleted) override;
  Result<SsiRecord> GetSsi(const std::string& id) override;
  Result<std::vector<SsiRecord>> ListSsis(const std::string& group_id) override;
  Result<SsiRecord> FindSsiByInstance(const std::string& instance_id) override;
  Result<ResourceRecord> GetResource(const std::string& id) override;
  Result<std::vector<ResourceRecord>> ListResources(const std::string& ssi_id) override;
  Result<std::vector<ResourceRecord>> ListResourcesByStatus(const std::string& status) override;
  Result<WorkflowRecord> GetWorkflow(const std::string& id) override;
  Result<std::vector<WorkflowRecord>> ListRunningWorkflows() override;
  Result<std::vector<WorkflowRecord>> ListWorkflows(const std::string& ssi_id) override;
  Result<std::vector<JournalEntry>> ListJournal(const std::string& workflow_id) override;
  Result<std::vector<EventRecord>> ListEvents(const EventQuery& q) override;
  Result<bool> CloudEventSeen(const std::string& event_id) override;
  Result<int> SchemaVersion() override;
  // One transaction of at most r.max_rows deletions (sqlite_prune.cc), then, on a database
  // with incremental auto_vacuum, gives free pages beyond a quarter of the file back to the
  // file system (at most kReleaseMaxPages per call).
  Result<PruneResult> Prune(const PruneRequest& r) override;

  static constexpr int64_t kReleaseMinPages = 64;
  static constexpr int64_t kReleaseMaxPages = 2048;

 private:
  Status ReleaseFreePages();

  explicit SqliteStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  // Runs `read` under mu_, or without locking when the calling thread owns the open
  // transaction (and so already holds mu_).
  template <typename F>
  auto Locked(F&& read) -> decltype(read());

  std::mutex mu_;
  // The thread whose transaction holds mu_; id() when none. Only that thread stores its own
  // id, so comparing with this_thread's id is exact.
  std::atomic<std::thread::id> txn_thread_{};
  std::unique_ptr<SqliteDb> db_;  // guarded by mu_
};

}  // namespace spotkeeper
