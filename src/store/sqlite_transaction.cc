#include "store/sqlite_transaction.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <utility>

#include "store/record_rows.h"

namespace spotkeeper {
namespace {

// "INSERT ... ON CONFLICT(id) DO UPDATE SET <every other column>": every Put is an upsert.
std::string UpsertSql(const std::string& table, const std::string& columns) {
  return "INSERT INTO " + table + " (" + columns + ") VALUES (" +
         Placeholders(ColumnCount(columns)) + ") ON CONFLICT(id) DO UPDATE SET " +
         UpsertAssignments(columns);
}

std::string AppendSql(const std::string& table, const std::string& columns) {
  return "INSERT INTO " + table + " (" + columns + ") VALUES (" +
         Placeholders(ColumnCount(columns)) + ")";
}

Status RequireId(const std::string& what, const std::string& id) {
  if (id.empty()) return InvalidArgument("store: " + what + " is empty");
  return OkStatus();
}

}  // namespace

SqliteTransaction::SqliteTransaction(SqliteDb* db, std::unique_lock<std::mutex> lock,
                                     std::atomic<std::thread::id>* owner)
    : db_(db), lock_(std::move(lock)), owner_(owner) {}

SqliteTransaction::~SqliteTransaction() {
  if (!open_) return;
  int code = 0;
  Status s = RunControl("ROLLBACK", &code);
  if (!s.ok()) spdlog::error("store: rollback failed: {}", s.ToString());
  Finish();
}

void SqliteTransaction::Finish() {
  open_ = false;
  owner_->store(std::thread::id(), std::memory_order_release);
  lock_.unlock();
}

Status SqliteTransaction::RunControl(const char* sql, int* code) {
  SK_ASSIGN_OR_RETURN(SqliteStatement stmt, db_->Prepare(sql));
  Status s = stmt.Run();
  *code = s.ok() ? SQLITE_OK : db_->LastErrorCode();
  return s;
}

Status SqliteTransaction::CheckWritable() const {
  if (!open_) return FailedPrecondition("store: the transaction has already finished");
  if (!failure_.ok()) {
    return Aborted("store: the transaction was aborted by an earlier error: " +
                   failure_.ToString());
  }
  if (!db_->InTransaction()) {
    return Aborted("store: SQLite ended the transaction after an error");
  }
  return OkStatus();
}

Status SqliteTransaction::Track(Status s) {
  if (!s.ok() && failure_.ok()) failure_ = s;
  return s;
}

Status SqliteTransaction::Write(const std::string& sql,
                                const std::function<void(SqliteStatement&)>& bind) {
  SK_ASSIGN_OR_RETURN(SqliteStatement stmt, db_->Prepare(sql));
  bind(stmt);
  return stmt.Run();
}

Status SqliteTransaction::PutGroup(const GroupRecord& g) {
  SK_RETURN_IF_ERROR(CheckWritable());
  return Track(PutGroupLocked(g, /*as_is=*/false));
}

Status SqliteTransaction::PutGroupAsIs(const GroupRecord& g) {
  SK_RETURN_IF_ERROR(CheckWritable());
  return Track(PutGroupLocked(g, /*as_is=*/true));
}

Status SqliteTransaction::PutGroupLocked(const GroupRecord& g, bool as_is) {
  SK_RETURN_IF_ERROR(RequireId("group id", g.id));
  GroupRecord row = g;
  if (!as_is) {
    SK_ASSIGN_OR_RETURN(SqliteStatement stored,
                        db_->Prepare("SELECT spec_json, generation FROM groups WHERE id = ?1"));
    stored.Bind(1, g.id);
    SK_ASSIGN_OR_RETURN(bool found, stored.Step());
    if (!found) {
      row.generation = 1;
    } else {
      row.generation = stored.ColumnInt(1) + (stored.ColumnText(0) != g.spec_json ? 1 : 0);
    }
  }
  if (g.status != "DELETED") {
    SK_ASSIGN_OR_RETURN(SqliteStatement clash,
                        db_->Prepare("SELECT id FROM groups WHERE name = ?1 AND "
                                     "status != 'DELETED' AND id != ?2 ORDER BY id LIMIT 1"));
    clash.Bind(1, g.name);
    clash.Bind(2, g.id);
    SK_ASSIGN_OR_RETURN(bool taken, clash.Step());
    if (taken) {
      return AlreadyExists("store: group name '" + g.name + "' is already used by group " +
                           clash.ColumnText(0));
    }
  }
  static const std::string kSql = UpsertSql("groups", kGroupColumns);
  return Write(kSql, [&](SqliteStatement& stmt) { BindGroup(stmt, row); });
}

Status SqliteTransaction::PutSsi(const SsiRecord& s) {
  SK_RETURN_IF_ERROR(CheckWritable());
  SK_RETURN_IF_ERROR(Track(RequireId("SSI id", s.id)));
  SK_RETURN_IF_ERROR(Track(RequireId("group id of " + s.id, s.group_id)));
  static const std::string kSql = UpsertSql("ssis", kSsiColumns);
  return Track(Write(kSql, [&](SqliteStatement& stmt) { BindSsi(stmt, s); }));
}

Status SqliteTransaction::PutResource(const ResourceRecord& r) {
  SK_RETURN_IF_ERROR(CheckWritable());
  SK_RETURN_IF_ERROR(Track(RequireId("resource id", r.id)));
  static const std::string kSql = UpsertSql("resources", kResourceColumns);
  return Track(Write(kSql, [&](SqliteStatement& stmt) { BindResource(stmt, r); }));
}

Status SqliteTransaction::PutWorkflow(const WorkflowRecord& w) {
  SK_RETURN_IF_ERROR(CheckWritable());
  SK_RETURN_IF_ERROR(Track(RequireId("workflow id", w.id)));
  static const std::string kSql = UpsertSql("workflows", kWorkflowColumns);
  return Track(Write(kSql, [&](SqliteStatement& stmt) { BindWorkflow(stmt, w); }));
}

Status SqliteTransaction::AppendJournal(const JournalEntry& e) {
  SK_RETURN_IF_ERROR(CheckWritable());
  SK_RETURN_IF_ERROR(Track(RequireId("workflow id of a journal entry", e.workflow_id)));
  static const std::string kSql = AppendSql("journal", kJournalColumns);
  return Track(Write(kSql, [&](SqliteStatement& stmt) { BindJournal(stmt, e); }));
}

Status SqliteTransaction::AppendEvent(const EventRecord& e) {
  SK_RETURN_IF_ERROR(CheckWritable());
  static const std::string kSql = AppendSql("events", kEventColumns);
  return Track(Write(kSql, [&](SqliteStatement& stmt) { BindEvent(stmt, e); }));
}

Status SqliteTransaction::AppendJournalAsIs(const JournalEntry& e) {
  SK_RETURN_IF_ERROR(CheckWritable());
  SK_RETURN_IF_ERROR(Track(RequireId("workflow id of a journal entry", e.workflow_id)));
  static const std::string kSql =
      "INSERT INTO journal (" + std::string(kJournalColumns) + ", seq) VALUES (" +
      Placeholders(ColumnCount(kJournalColumns) + 1) + ")";
  return Track(Write(kSql, [&](SqliteStatement& stmt) {
    BindJournal(stmt, e);
    stmt.Bind(ColumnCount(kJournalColumns) + 1, e.seq);
  }));
}

Status SqliteTransaction::AppendEventAsIs(const EventRecord& e) {
  SK_RETURN_IF_ERROR(CheckWritable());
  static const std::string kSql = "INSERT INTO events (" + std::string(kEventColumns) +
                                  ", seq) VALUES (" +
                                  Placeholders(ColumnCount(kEventColumns) + 1) + ")";
  return Track(Write(kSql, [&](SqliteStatement& stmt) {
    BindEvent(stmt, e);
    stmt.Bind(ColumnCount(kEventColumns) + 1, e.seq);
  }));
}

Status SqliteTransaction::DeleteEverything() {
  SK_RETURN_IF_ERROR(CheckWritable());
  for (const char* table :
       {"journal", "events", "cloud_events_seen", "workflows", "resources", "ssis", "groups"}) {
    SK_RETURN_IF_ERROR(
        Track(Write(std::string("DELETE FROM ") + table, [](SqliteStatement&) {})));
  }
  return OkStatus();
}

Status SqliteTransaction::CheckReferences() {
  SK_RETURN_IF_ERROR(CheckWritable());
  SK_ASSIGN_OR_RETURN(SqliteStatement check, db_->Prepare("PRAGMA foreign_key_check"));
  SK_ASSIGN_OR_RETURN(bool broken, check.Step());
  if (!broken) return OkStatus();
  return FailedPrecondition("store: commit refused: " + DescribeBrokenReferences());
}

Status SqliteTransaction::MarkCloudEventSeen(const std::string& event_id, Time at) {
  SK_RETURN_IF_ERROR(CheckWritable());
  SK_RETURN_IF_ERROR(Track(RequireId("cloud event id", event_id)));
  return Track(
      Write("INSERT INTO cloud_events_seen (id, at) VALUES (?1, ?2) "
            "ON CONFLICT(id) DO NOTHING",
            [&](SqliteStatement& stmt) {
              stmt.Bind(1, event_id);
              stmt.Bind(2, at);
            }));
}

Status SqliteTransaction::Commit() {
  if (!open_) return FailedPrecondition("store: the transaction has already finished");
  Status s = CheckWritable();
  int code = SQLITE_OK;
  if (s.ok()) {
    s = RunControl("COMMIT", &code);
    if (code == SQLITE_CONSTRAINT_FOREIGNKEY && db_->InTransaction()) {
      s = FailedPrecondition("store: commit refused: " + DescribeBrokenReferences());
    }
  }
  if (!s.ok() && db_->InTransaction()) (void)RunControl("ROLLBACK", &code);
  Finish();
  return s;
}

std::string SqliteTransaction::DescribeBrokenReferences() {
  constexpr int kMaxReported = 5;
  std::string out;
  int reported = 0;
  auto check = db_->Prepare("PRAGMA foreign_key_check");
  if (!check.ok()) return "a row refers to a row that does not exist";
  while (reported < kMaxReported) {
    Result<bool> row = check->Step();
    if (!row.ok() || !*row) break;
    std::string table = check->ColumnText(0);
    int64_t rowid = check->ColumnInt(1);
    std::string parent = check->ColumnText(2);
    // The table name comes from SQLite's own schema, not from a caller.
    std::string key_column = table == "journal" ? "seq" : "id";
    std::string key = std::to_string(rowid);
    auto lookup = db_->Prepare("SELECT " + key_column + " FROM " + table + " WHERE rowid = ?1");
    if (lookup.ok()) {
      lookup->Bind(1, rowid);
      Result<bool> found = lookup->Step();
      if (found.ok() && *found) key = lookup->ColumnText(0);
    }
    if (!out.empty()) out += "; ";
    out += table + " " + key + " refers to a row of " + parent + " that does not exist";
    ++reported;
  }
  return out.empty() ? "a row refers to a row that does not exist" : out;
}

}  // namespace spotkeeper
