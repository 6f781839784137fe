#include "store/sqlite_statement.h"

#include <sqlite3.h>

#include <utility>

namespace spotkeeper {

SqliteStatement::SqliteStatement(sqlite3* db, sqlite3_stmt* stmt, bool* in_use)
    : db_(db), stmt_(stmt), in_use_(in_use) {}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      in_use_(std::exchange(other.in_use_, nullptr)),
      bind_error_(std::move(other.bind_error_)) {}

SqliteStatement::~SqliteStatement() {
  if (stmt_ == nullptr) return;
  if (in_use_ == nullptr) {
    sqlite3_finalize(stmt_);
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *in_use_ = false;
}

void SqliteStatement::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_.ok()) {
    bind_error_ = Internal("sqlite bind ?" + std::to_string(index) + ": " + sqlite3_errstr(rc));
  }
}

void SqliteStatement::Bind(int index, const std::string& value) {
  int rc =
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_.ok()) {
    bind_error_ = Internal("sqlite bind ?" + std::to_string(index) + ": " + sqlite3_errstr(rc));
  }
}

void SqliteStatement::BindOptional(int index, const std::string& value) {
  if (!value.empty()) {
    Bind(index, value);
    return;
  }
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_error_.ok()) {
    bind_error_ = Internal("sqlite bind ?" + std::to_string(index) + ": " + sqlite3_errstr(rc));
  }
}

Result<bool> SqliteStatement::Step() {
  if (!bind_error_.ok()) return bind_error_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Internal(std::string("sqlite: ") + sqlite3_errmsg(db_) + " (in: " + sqlite3_sql(stmt_) +
                  ")");
}

Status SqliteStatement::Run() {
  while (true) {
    SK_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return OkStatus();
  }
}

int64_t SqliteStatement::ColumnInt(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string SqliteStatement::ColumnText(int index) const {
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  if (text == nullptr) return {};
  int n = sqlite3_column_bytes(stmt_, index);
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(n));
}

}  // namespace spotkeeper
