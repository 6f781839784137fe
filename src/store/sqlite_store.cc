#include "store/sqlite_store.h"

#include <cassert>
#include <functional>
#include <type_traits>
#include <utility>

#include "store/record_rows.h"
#include "store/schema.h"
#include "store/sqlite_transaction.h"

namespace spotkeeper {
namespace {

using Binder = std::function<void(SqliteStatement&)>;

std::string Select(const char* columns, const std::string& rest) {
  return std::string("SELECT ") + columns + " " + rest;
}

// Wraps a row reader so that every reader returns Result<T>.
template <typename T, typename Reader>
Result<T> ReadRow(Reader& read, const SqliteStatement& stmt) {
  if constexpr (std::is_same_v<decltype(read(stmt)), Result<T>>) {
    return read(stmt);
  } else {
    return Result<T>(read(stmt));
  }
}

// All rows; `expected_rows` only sizes the result up front.
template <typename T, typename Reader>
Result<std::vector<T>> QueryAll(SqliteDb& db, const std::string& sql, const Binder& bind,
                                Reader read, size_t expected_rows = 0) {
  SK_ASSIGN_OR_RETURN(SqliteStatement stmt, db.Prepare(sql));
  bind(stmt);
  std::vector<T> out;
  out.reserve(expected_rows);
  while (true) {
    SK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return out;
    Result<T> item = ReadRow<T>(read, stmt);
    if (!item.ok()) return item.status();
    out.push_back(std::move(item).value());
  }
}

// The first row, or NotFound("<what> not found").
template <typename T, typename Reader>
Result<T> QueryOne(SqliteDb& db, const std::string& sql, const Binder& bind, Reader read,
                   const std::string& what) {
  SK_ASSIGN_OR_RETURN(SqliteStatement stmt, db.Prepare(sql));
  bind(stmt);
  SK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFound("store: " + what + " not found");
  return ReadRow<T>(read, stmt);
}

// The single integer a query returns.
Result<int64_t> QueryInt(SqliteDb& db, const std::string& sql, const Binder& bind) {
  SK_ASSIGN_OR_RETURN(SqliteStatement stmt, db.Prepare(sql));
  bind(stmt);
  SK_ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? stmt.ColumnInt(0) : 0;
}

Binder BindText(const std::string& value) {
  return [&value](SqliteStatement& stmt) { stmt.Bind(1, value); };
}

void BindNothing(SqliteStatement&) {}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       const Clock* clock) {
  if (clock == nullptr) clock = SystemClock::Default();
  SK_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path));
  SK_RETURN_IF_ERROR(MigrateSchema(*db, clock->Now()).Annotate("open store " + path));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db)));
}

SqliteStore::~SqliteStore() {
  assert(txn_thread_.load() == std::thread::id() && "a transaction outlives its store");
}

template <typename F>
auto SqliteStore::Locked(F&& read) -> decltype(read()) {
  if (txn_thread_.load(std::memory_order_acquire) == std::this_thread::get_id()) return read();
  std::lock_guard<std::mutex> lock(mu_);
  return read();
}

Result<std::unique_ptr<Transaction>> SqliteStore::Begin() {
  SK_ASSIGN_OR_RETURN(std::unique_ptr<SqliteTransaction> txn, BeginSqlite());
  return std::unique_ptr<Transaction>(std::move(txn));
}

Result<std::unique_ptr<SqliteTransaction>> SqliteStore::BeginSqlite() {
  if (txn_thread_.load(std::memory_order_acquire) == std::this_thread::get_id()) {
    return FailedPrecondition("store: this thread already has an open transaction");
  }
  std::unique_lock<std::mutex> lock(mu_);
  {
    SK_ASSIGN_OR_RETURN(SqliteStatement begin, db_->Prepare("BEGIN IMMEDIATE"));
    SK_RETURN_IF_ERROR(begin.Run());
  }
  txn_thread_.store(std::this_thread::get_id(), std::memory_order_release);
  return std::make_unique<SqliteTransaction>(db_.get(), std::move(lock), &txn_thread_);
}

Result<GroupRecord> SqliteStore::GetGroup(const std::string& id) {
  static const std::string kSql = Select(kGroupColumns, "FROM groups WHERE id = ?1");
  return Locked(
      [&] { return QueryOne<GroupRecord>(*db_, kSql, BindText(id), ReadGroup, "group " + id); });
}

Result<std::vector<GroupRecord>> SqliteStore::ListGroups(bool include_deleted) {
  static const std::string kAll = Select(kGroupColumns, "FROM groups ORDER BY id");
  static const std::string kLive =
      Select(kGroupColumns, "FROM groups WHERE status != 'DELETED' ORDER BY id");
  return Locked([&] {
    return QueryAll<GroupRecord>(*db_, include_deleted ? kAll : kLive, BindNothing, ReadGroup);
  });
}

Result<SsiRecord> SqliteStore::GetSsi(const std::string& id) {
  static const std::string kSql = Select(kSsiColumns, "FROM ssis WHERE id = ?1");
  return Locked(
      [&] { return QueryOne<SsiRecord>(*db_, kSql, BindText(id), ReadSsi, "SSI " + id); });
}

Result<std::vector<SsiRecord>> SqliteStore::ListSsis(const std::string& group_id) {
  static const std::string kAll = Select(kSsiColumns, "FROM ssis ORDER BY id");
  static const std::string kOfGroup =
      Select(kSsiColumns, "FROM ssis WHERE group_id = ?1 ORDER BY id");
  // Counting first saves growing (and copying) a vector of large records.
  return Locked([&]() -> Result<std::vector<SsiRecord>> {
    if (group_id.empty()) {
      SK_ASSIGN_OR_RETURN(int64_t n, QueryInt(*db_, "SELECT COUNT(*) FROM ssis", BindNothing));
      return QueryAll<SsiRecord>(*db_, kAll, BindNothing, ReadSsi, static_cast<size_t>(n));
    }
    SK_ASSIGN_OR_RETURN(int64_t n, QueryInt(*db_, "SELECT COUNT(*) FROM ssis WHERE group_id = ?1",
                                            BindText(group_id)));
    return QueryAll<SsiRecord>(*db_, kOfGroup, BindText(group_id), ReadSsi, static_cast<size_t>(n));
  });
}

Result<SsiRecord> SqliteStore::FindSsiByInstance(const std::string& instance_id) {
  // "instance_id != ''" lets SQLite use the partial index (and "" matches no SSI).
  static const std::string kSql = Select(
      kSsiColumns, "FROM ssis WHERE instance_id = ?1 AND instance_id != '' ORDER BY id LIMIT 1");
  return Locked([&] {
    return QueryOne<SsiRecord>(*db_, kSql, BindText(instance_id), ReadSsi,
                               "SSI with instance '" + instance_id + "'");
  });
}

Result<ResourceRecord> SqliteStore::GetResource(const std::string& id) {
  static const std::string kSql = Select(kResourceColumns, "FROM resources WHERE id = ?1");
  return Locked([&] {
    return QueryOne<ResourceRecord>(*db_, kSql, BindText(id), ReadResource, "resource " + id);
  });
}

Result<std::vector<ResourceRecord>> SqliteStore::ListResources(const std::string& ssi_id) {
  static const std::string kSql =
      Select(kResourceColumns, "FROM resources WHERE ssi_id = ?1 ORDER BY created_at, id");
  return Locked(
      [&] { return QueryAll<ResourceRecord>(*db_, kSql, BindText(ssi_id), ReadResource); });
}

Result<std::vector<ResourceRecord>> SqliteStore::ListResourcesByStatus(const std::string& status) {
  static const std::string kSql =
      Select(kResourceColumns, "FROM resources WHERE status = ?1 ORDER BY created_at, id");
  return Locked(
      [&] { return QueryAll<ResourceRecord>(*db_, kSql, BindText(status), ReadResource); });
}

Result<WorkflowRecord> SqliteStore::GetWorkflow(const std::string& id) {
  static const std::string kSql = Select(kWorkflowColumns, "FROM workflows WHERE id = ?1");
  return Locked([&] {
    return QueryOne<WorkflowRecord>(*db_, kSql, BindText(id), ReadWorkflow, "workflow " + id);
  });
}

Result<std::vector<WorkflowRecord>> SqliteStore::ListRunningWorkflows() {
  static const std::string kSql =
      Select(kWorkflowColumns, "FROM workflows WHERE status = 'running' ORDER BY next_run_at, id");
  return Locked([&] { return QueryAll<WorkflowRecord>(*db_, kSql, BindNothing, ReadWorkflow); });
}

Result<std::vector<WorkflowRecord>> SqliteStore::ListWorkflows(const std::string& ssi_id) {
  static const std::string kSql = Select(
      kWorkflowColumns, "FROM workflows WHERE ssi_id = ?1 ORDER BY created_at DESC, id DESC");
  return Locked(
      [&] { return QueryAll<WorkflowRecord>(*db_, kSql, BindText(ssi_id), ReadWorkflow); });
}

Result<std::vector<JournalEntry>> SqliteStore::ListJournal(const std::string& workflow_id) {
  static const std::string kSql = "SELECT seq, " + std::string(kJournalColumns) +
                                  " FROM journal WHERE workflow_id = ?1 " + "ORDER BY seq";
  return Locked(
      [&] { return QueryAll<JournalEntry>(*db_, kSql, BindText(workflow_id), ReadJournal); });
}

Result<std::vector<EventRecord>> SqliteStore::ListEvents(const EventQuery& q) {
  if (q.limit <= 0) {
    return InvalidArgument("store: event query limit must be positive, got " +
                           std::to_string(q.limit));
  }
  // One statement per combination of filters, so each can use its index.
  std::string sql =
      "SELECT seq, " + std::string(kEventColumns) + " FROM events WHERE seq > ?1 AND at >= ?2";
  if (!q.group_id.empty()) sql += " AND group_id = ?3";
  if (!q.ssi_id.empty()) sql += " AND ssi_id = ?4";
  sql += " ORDER BY seq LIMIT ?5";
  Binder bind = [&q](SqliteStatement& stmt) {
    stmt.Bind(1, q.after_seq);
    stmt.Bind(2, q.since);
    if (!q.group_id.empty()) stmt.Bind(3, q.group_id);
    if (!q.ssi_id.empty()) stmt.Bind(4, q.ssi_id);
    stmt.Bind(5, static_cast<int64_t>(q.limit));
  };
  return Locked([&] { return QueryAll<EventRecord>(*db_, sql, bind, ReadEvent); });
}

Result<bool> SqliteStore::CloudEventSeen(const std::string& event_id) {
  return Locked([&]() -> Result<bool> {
    SK_ASSIGN_OR_RETURN(SqliteStatement stmt,
                        db_->Prepare("SELECT 1 FROM cloud_events_seen WHERE id = ?1"));
    stmt.Bind(1, event_id);
    return stmt.Step();
  });
}

Result<int> SqliteStore::SchemaVersion() {
  return Locked([&] { return ReadSchemaVersion(*db_); });
}

}  // namespace spotkeeper
