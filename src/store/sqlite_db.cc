#include "store/sqlite_db.h"

#include <sqlite3.h>

#include "common/durable_file.h"

namespace spotkeeper {
namespace {

constexpr int kBusyTimeoutMs = 5000;
// Reads map the file instead of copying pages (large listings are several times faster).
constexpr const char* kMmapSize = "PRAGMA mmap_size = 1073741824";

}  // namespace

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path) {
  if (path.empty()) return InvalidArgument("sqlite: empty database path");
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close_v2(raw);
    return Internal("sqlite: open " + path + ": " + message);
  }
  sqlite3_extended_result_codes(raw, 1);
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw, path == ":memory:"));
  if (sqlite3_busy_timeout(raw, kBusyTimeoutMs) != SQLITE_OK) {
    return db->Error("open " + path + ": busy_timeout");
  }
  SK_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys = ON").Annotate("open " + path));
  // Takes effect only on a new database (before its first table): pruned pages can then be
  // given back with PRAGMA incremental_vacuum. An existing database keeps its mode and reuses
  // its free pages in place (docs/retention.md).
  SK_RETURN_IF_ERROR(db->Exec("PRAGMA auto_vacuum = INCREMENTAL").Annotate("open " + path));
  if (!db->in_memory_) {
    // journal_mode answers with the mode in force; anything but "wal" is an error.
    std::string mode;
    {
      SK_ASSIGN_OR_RETURN(SqliteStatement pragma, db->Prepare("PRAGMA journal_mode = WAL"));
      SK_ASSIGN_OR_RETURN(bool row, pragma.Step());
      if (row) mode = pragma.ColumnText(0);
    }
    if (mode != "wal") return Internal("sqlite: open " + path + ": journal_mode is '" + mode + "'");
    SK_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = NORMAL").Annotate("open " + path));
    SK_RETURN_IF_ERROR(db->Exec(kMmapSize).Annotate("open " + path));
    // SQLite fsyncs the directory when it creates the WAL, not when it creates the database
    // file itself: make a new database's name durable before anything is committed to it.
    SK_RETURN_IF_ERROR(FsyncDirectory(DirectoryOf(path)).Annotate("open " + path));
  }
  return db;
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
  sqlite3_close_v2(db_);
}

Status SqliteDb::Exec(const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return OkStatus();
  std::string text = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return Internal("sqlite: " + text);
}

Result<SqliteStatement> SqliteDb::Prepare(const std::string& sql) {
  auto [it, inserted] = cache_.try_emplace(sql);
  CachedStatement& cached = it->second;
  if (cached.stmt == nullptr) {
    int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()) + 1,
                                SQLITE_PREPARE_PERSISTENT, &cached.stmt, nullptr);
    if (rc != SQLITE_OK) {
      cache_.erase(it);
      return Error("prepare '" + sql + "'");
    }
  }
  if (!cached.in_use) {
    cached.in_use = true;
    return SqliteStatement(db_, cached.stmt, &cached.in_use);
  }
  sqlite3_stmt* own = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()) + 1, &own, nullptr) !=
      SQLITE_OK) {
    return Error("prepare '" + sql + "'");
  }
  return SqliteStatement(db_, own, nullptr);
}

int SqliteDb::LastErrorCode() const { return sqlite3_extended_errcode(db_); }

bool SqliteDb::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

Status SqliteDb::Error(const std::string& context) const {
  return Internal("sqlite: " + context + ": " + sqlite3_errmsg(db_));
}

}  // namespace spotkeeper
