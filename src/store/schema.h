// The store's schema and its migrations.
//
// Migrations are an ordered list of SQL scripts; script i (1-based) takes the database from
// version i-1 to version i and is applied in its own transaction together with the row that
// records it in `schema_version`. A released script is never edited: a change is a new script.
// Scripts run with foreign_keys=ON (SQLite ignores that pragma inside a transaction), so a
// future script that rebuilds a table must keep the references valid.
#pragma once

#include "common/status.h"
#include "common/time.h"
#include "store/sqlite_db.h"

namespace spotkeeper {

// The latest schema version this binary knows.
int LatestSchemaVersion();

// The database's schema version: 0 for a database without `schema_version`.
Result<int> ReadSchemaVersion(SqliteDb& db);

// Brings `db` to LatestSchemaVersion(), recording `now` as each migration's applied_at.
// FailedPrecondition if the database is newer than this binary (upgrade spotkeeper); Internal
// if a script fails (that migration is rolled back, earlier ones stay).
Status MigrateSchema(SqliteDb& db, Time now);

}  // namespace spotkeeper
