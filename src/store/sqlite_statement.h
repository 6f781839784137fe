// SqliteStatement: a borrowed prepared statement with typed binding and column access. It is
// reset (and its bindings cleared) when destroyed, so the cached statement it borrows from
// SqliteDb is ready for the next use.
//
// Thread safety: none; used under the owning store's lock.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "common/time.h"

struct sqlite3;
struct sqlite3_stmt;

namespace spotkeeper {

class SqliteStatement {
 public:
  // Borrows `stmt` (owned by the connection's statement cache) when `in_use` is non-null: the
  // flag is cleared on destruction. With `in_use` null the statement is owned and finalized.
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt, bool* in_use);
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // Parameters are 1-based (?1, ?2, ...). A binding error is reported by the next Step()/Run().
  void Bind(int index, int64_t value);
  void Bind(int index, const std::string& value);
  void Bind(int index, Time value) { Bind(index, static_cast<int64_t>(ToMillis(value))); }
  // Binds NULL for "" (optional references to other rows).
  void BindOptional(int index, const std::string& value);

  // Advances to the next row: true when a row is available, false when the statement is done.
  Result<bool> Step();
  // Steps until done, ignoring rows (writes).
  Status Run();

  // Columns are 0-based. NULL reads as 0 / "".
  int64_t ColumnInt(int index) const;
  std::string ColumnText(int index) const;
  Time ColumnTime(int index) const { return FromMillis(ColumnInt(index)); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;
  Status bind_error_;
};

}  // namespace spotkeeper
