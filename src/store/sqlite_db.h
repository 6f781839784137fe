// SqliteDb: one SQLite connection and its cache of prepared statements.
//
// Thread safety: none (the connection is opened without SQLite's own mutex); the owner
// serialises all calls, as SqliteStore does with its mutex.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "common/status.h"
#include "store/sqlite_statement.h"

struct sqlite3;
struct sqlite3_stmt;

namespace spotkeeper {

class SqliteDb {
 public:
  // Opens (creating if needed) the database at `path`; ":memory:" is a private in-memory
  // database. Sets foreign_keys=ON and a busy timeout; for files also journal_mode=WAL and
  // synchronous=NORMAL (a committed transaction survives a process crash; a power loss may lose
  // the last few) and memory-mapped reads. Errors: Internal with SQLite's message.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs a script of one or more statements; rows are discarded.
  Status Exec(const std::string& sql);
  // A statement from the cache (prepared on first use). If the cached one is still in use (a
  // nested query of the same text), a private one is prepared and finalized after use.
  Result<SqliteStatement> Prepare(const std::string& sql);

  // The extended result code of the last failed call (SQLITE_CONSTRAINT_FOREIGNKEY, ...).
  int LastErrorCode() const;
  // True while a transaction is open on this connection.
  bool InTransaction() const;
  bool in_memory() const { return in_memory_; }

 private:
  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };

  SqliteDb(sqlite3* db, bool in_memory) : db_(db), in_memory_(in_memory) {}
  Status Error(const std::string& context) const;

  sqlite3* db_;
  bool in_memory_;
  std::unordered_map<std::string, CachedStatement> cache_;
};

}  // namespace spotkeeper
