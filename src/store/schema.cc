#include "store/schema.h"

#include <array>
#include <string>

namespace spotkeeper {
namespace {

// Version 1: the tables. Times are integer milliseconds since the epoch. References use
// deferred foreign keys (checked at COMMIT, so a transaction may put rows in any order); an
// optional reference is NULL when absent.
constexpr const char* kV1Tables = R"sql(
CREATE TABLE groups (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  spec_json TEXT NOT NULL,
  generation INTEGER NOT NULL,
  status TEXT NOT NULL,
  deallocation_json TEXT NOT NULL,
  status_json TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE ssis (
  id TEXT PRIMARY KEY NOT NULL,
  group_id TEXT NOT NULL REFERENCES groups(id) DEFERRABLE INITIALLY DEFERRED,
  state TEXT NOT NULL,
  desired TEXT NOT NULL,
  pause_reason TEXT NOT NULL,
  availability_zone TEXT NOT NULL,
  subnet_id TEXT NOT NULL,
  private_ip TEXT NOT NULL,
  eni_id TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  instance_type TEXT NOT NULL,
  market TEXT NOT NULL,
  image_id TEXT NOT NULL,
  conditions_json TEXT NOT NULL,
  status_json TEXT NOT NULL,
  observed_generation INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  launched_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE resources (
  id TEXT PRIMARY KEY NOT NULL,
  ssi_id TEXT REFERENCES ssis(id) DEFERRABLE INITIALLY DEFERRED,
  group_id TEXT REFERENCES groups(id) DEFERRABLE INITIALLY DEFERRED,
  kind TEXT NOT NULL,
  role TEXT NOT NULL,
  device_name TEXT NOT NULL,
  availability_zone TEXT NOT NULL,
  source_id TEXT NOT NULL,
  status TEXT NOT NULL,
  cloud_state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE workflows (
  id TEXT PRIMARY KEY NOT NULL,
  ssi_id TEXT REFERENCES ssis(id) DEFERRABLE INITIALLY DEFERRED,
  group_id TEXT REFERENCES groups(id) DEFERRABLE INITIALLY DEFERRED,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  step INTEGER NOT NULL,
  step_name TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  next_run_at INTEGER NOT NULL,
  data_json TEXT NOT NULL,
  error TEXT NOT NULL,
  planned INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE journal (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  workflow_id TEXT NOT NULL REFERENCES workflows(id) DEFERRABLE INITIALLY DEFERRED,
  step INTEGER NOT NULL,
  step_name TEXT NOT NULL,
  phase TEXT NOT NULL,
  detail TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  group_id TEXT NOT NULL,
  ssi_id TEXT NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL,
  message TEXT NOT NULL
);
CREATE TABLE cloud_events_seen (
  id TEXT PRIMARY KEY NOT NULL,
  at INTEGER NOT NULL
);
)sql";

// Version 2: the indexes behind the store's queries, and the live-name uniqueness of groups.
constexpr const char* kV2Indexes = R"sql(
CREATE UNIQUE INDEX groups_live_name ON groups(name) WHERE status != 'DELETED';
CREATE INDEX ssis_group ON ssis(group_id, id);
CREATE INDEX ssis_instance ON ssis(instance_id) WHERE instance_id != '';
CREATE INDEX resources_ssi ON resources(ssi_id, created_at, id);
CREATE INDEX resources_status ON resources(status, created_at, id);
CREATE INDEX workflows_status_next_run ON workflows(status, next_run_at, id);
CREATE INDEX workflows_ssi ON workflows(ssi_id, created_at, id);
CREATE INDEX journal_workflow ON journal(workflow_id, seq);
CREATE INDEX events_group ON events(group_id, seq);
CREATE INDEX events_ssi ON events(ssi_id, seq);
CREATE INDEX events_at ON events(at);
CREATE INDEX cloud_events_seen_at ON cloud_events_seen(at);
)sql";

constexpr std::array<const char*, 2> kMigrations = {kV1Tables, kV2Indexes};

constexpr const char* kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "version INTEGER PRIMARY KEY NOT NULL, applied_at INTEGER NOT NULL)";

// Reads the version; REQUIRES: schema_version exists.
Result<int> CurrentVersion(SqliteDb& db) {
  SK_ASSIGN_OR_RETURN(SqliteStatement q,
                      db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  SK_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? static_cast<int>(q.ColumnInt(0)) : 0;
}

Status TooNew(int version) {
  return FailedPrecondition("the database has schema version " + std::to_string(version) +
                            " but this spotkeeper knows versions up to " +
                            std::to_string(LatestSchemaVersion()) +
                            "; upgrade spotkeeper to open it");
}

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT; rolls back if it fails.
template <typename F>
Status InTransaction(SqliteDb& db, F&& body) {
  SK_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  Status s = body();
  if (s.ok()) s = db.Exec("COMMIT");
  if (!s.ok() && db.InTransaction()) (void)db.Exec("ROLLBACK");
  return s;
}

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(kMigrations.size()); }

Result<int> ReadSchemaVersion(SqliteDb& db) {
  SK_ASSIGN_OR_RETURN(SqliteStatement q,
                      db.Prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
                                 "name = 'schema_version'"));
  SK_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row || q.ColumnInt(0) == 0) return 0;
  return CurrentVersion(db);
}

Status MigrateSchema(SqliteDb& db, Time now) {
  int version = 0;
  SK_RETURN_IF_ERROR(InTransaction(db, [&]() -> Status {
    SK_RETURN_IF_ERROR(db.Exec(kCreateVersionTable));
    SK_ASSIGN_OR_RETURN(version, CurrentVersion(db));
    return OkStatus();
  }));
  if (version > LatestSchemaVersion()) return TooNew(version);
  for (int target = version + 1; target <= LatestSchemaVersion(); ++target) {
    Status s = InTransaction(db, [&]() -> Status {
      // Another process may have migrated since we looked.
      SK_ASSIGN_OR_RETURN(int current, CurrentVersion(db));
      if (current > LatestSchemaVersion()) return TooNew(current);
      if (current >= target) return OkStatus();
      SK_RETURN_IF_ERROR(db.Exec(kMigrations[static_cast<size_t>(target - 1)]));
      SK_ASSIGN_OR_RETURN(
          SqliteStatement record,
          db.Prepare("INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)"));
      record.Bind(1, static_cast<int64_t>(target));
      record.Bind(2, now);
      return record.Run();
    });
    SK_RETURN_IF_ERROR(
        s.Annotate("migrating the store to schema version " + std::to_string(target)));
  }
  return OkStatus();
}

}  // namespace spotkeeper
