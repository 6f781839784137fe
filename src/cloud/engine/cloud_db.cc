#include "cloud/engine/cloud_db.h"

#include <sqlite3.h>

namespace spotkeeper::cloud {
namespace {

constexpr int kBusyTimeoutMs = 5000;

const char* kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resources (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, data TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS resources_kind ON resources(kind);
CREATE TABLE IF NOT EXISTS sqs_queues (
  name TEXT PRIMARY KEY, attributes TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sqs_messages (
  id TEXT PRIMARY KEY, queue TEXT NOT NULL, body TEXT NOT NULL, sent_ms INTEGER NOT NULL,
  visible_ms INTEGER NOT NULL, receive_count INTEGER NOT NULL, receipt TEXT NOT NULL,
  first_receive_ms INTEGER NOT NULL, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sqs_messages_queue ON sqs_messages(queue, seq);
)sql";

class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql) {
    rc_ = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()) + 1, &stmt_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  bool ok() const { return rc_ == SQLITE_OK && stmt_ != nullptr; }
  sqlite3_stmt* get() { return stmt_; }
  void Bind(const DbRow& binds) {
    for (size_t i = 0; i < binds.size(); ++i) {
      int idx = static_cast<int>(i) + 1;
      if (const auto* n = std::get_if<int64_t>(&binds[i])) {
        sqlite3_bind_int64(stmt_, idx, *n);
      } else if (const auto* s = std::get_if<std::string>(&binds[i])) {
        sqlite3_bind_text(stmt_, idx, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_null(stmt_, idx);
      }
    }
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

}  // namespace

Result<std::unique_ptr<CloudDb>> CloudDb::Open(const std::string& path, bool read_only) {
  sqlite3* raw = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close_v2(raw);
    return Unavailable("cloud state " + path + ": " + message);
  }
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  std::unique_ptr<CloudDb> db(new CloudDb(raw));
  if (!read_only) {
    SK_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL"));
    SK_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=NORMAL"));
    SK_RETURN_IF_ERROR(db->Migrate());
  }
  return db;
}

CloudDb::~CloudDb() { sqlite3_close_v2(db_); }

Status CloudDb::Error(const std::string& context) const {
  return Internal("cloud state: " + context + ": " + sqlite3_errmsg(db_));
}

Status CloudDb::Migrate() {
  Transaction tx(this);
  SK_RETURN_IF_ERROR(Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
  int64_t version = 0;
  bool found = false;
  SK_RETURN_IF_ERROR(Query("SELECT version FROM schema_version", {}, [&](const DbRow& r) {
    version = std::get<int64_t>(r[0]);
    found = true;
  }));
  if (version > kSchemaVersion) {
    return FailedPrecondition("cloud state has schema version " + std::to_string(version) +
                              "; this spotkeeper knows up to " + std::to_string(kSchemaVersion));
  }
  if (version < 1) {
    char* message = nullptr;
    if (sqlite3_exec(db_, kSchemaV1, nullptr, nullptr, &message) != SQLITE_OK) {
      std::string text = message != nullptr ? message : "?";
      sqlite3_free(message);
      return Internal("cloud state schema: " + text);
    }
  }
  if (!found) {
    SK_RETURN_IF_ERROR(
        Exec("INSERT INTO schema_version(version) VALUES (?)", {int64_t{kSchemaVersion}}));
  } else if (version != kSchemaVersion) {
    SK_RETURN_IF_ERROR(Exec("UPDATE schema_version SET version = ?", {int64_t{kSchemaVersion}}));
  }
  return tx.Commit();
}

Status CloudDb::Exec(const std::string& sql, const DbRow& binds) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Stmt stmt(db_, sql);
  if (!stmt.ok()) return Error("prepare " + sql.substr(0, 40));
  stmt.Bind(binds);
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) {
    if (tx_depth_ > 0) tx_failed_ = true;
    return Error(sql.substr(0, 40));
  }
  return OkStatus();
}

Status CloudDb::Query(const std::string& sql, const DbRow& binds,
                      const std::function<void(const DbRow&)>& row) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  Stmt stmt(db_, sql);
  if (!stmt.ok()) return Error("prepare " + sql.substr(0, 40));
  stmt.Bind(binds);
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    int n = sqlite3_column_count(stmt.get());
    DbRow r;
    r.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      switch (sqlite3_column_type(stmt.get(), i)) {
        case SQLITE_INTEGER:
          r.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt.get(), i)));
          break;
        case SQLITE_NULL:
          r.emplace_back(nullptr);
          break;
        default: {
          const unsigned char* text = sqlite3_column_text(stmt.get(), i);
          int len = sqlite3_column_bytes(stmt.get(), i);
          r.emplace_back(
              std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(len)));
        }
      }
    }
    row(r);
  }
  if (rc != SQLITE_DONE) return Error(sql.substr(0, 40));
  return OkStatus();
}

Result<std::string> CloudDb::GetMeta(const std::string& key) {
  std::string value;
  SK_RETURN_IF_ERROR(Query("SELECT value FROM meta WHERE key = ?", {key},
                           [&](const DbRow& r) { value = std::get<std::string>(r[0]); }));
  return value;
}

Status CloudDb::SetMeta(const std::string& key, const std::string& value) {
  return Exec(
      "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
      "value = excluded.value",
      {key, value});
}

Status CloudDb::PutResource(const std::string& kind, const std::string& id,
                            const std::string& json) {
  return Exec(
      "INSERT INTO resources(id, kind, data, seq) VALUES (?, ?, ?, "
      "(SELECT COALESCE(MAX(seq), 0) + 1 FROM resources)) ON CONFLICT(id) DO UPDATE SET "
      "data = excluded.data",
      {id, kind, json});
}

Status CloudDb::DeleteResource(const std::string& id) {
  return Exec("DELETE FROM resources WHERE id = ?", {id});
}

Status CloudDb::LoadResources(
    const std::function<void(const std::string&, const std::string&, const std::string&)>& fn) {
  return Query("SELECT kind, id, data FROM resources ORDER BY seq", {}, [&](const DbRow& r) {
    fn(std::get<std::string>(r[0]), std::get<std::string>(r[1]), std::get<std::string>(r[2]));
  });
}

CloudDb::Transaction::Transaction(CloudDb* db) : db_(db), lock_(db->mu_) {
  if (db_->tx_depth_++ == 0) {
    outer_ = true;
    db_->tx_failed_ = false;
    char* message = nullptr;
    if (sqlite3_exec(db_->db_, "BEGIN IMMEDIATE", nullptr, nullptr, &message) != SQLITE_OK) {
      db_->tx_failed_ = true;
    }
    sqlite3_free(message);
  }
}

Status CloudDb::Transaction::Commit() {
  if (done_) return OkStatus();
  done_ = true;
  --db_->tx_depth_;
  if (!outer_) return OkStatus();
  if (db_->tx_failed_) {
    sqlite3_exec(db_->db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return Internal("cloud state: a statement of the transaction failed; rolled back");
  }
  if (sqlite3_exec(db_->db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    Status s = db_->Error("commit");
    sqlite3_exec(db_->db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }
  return OkStatus();
}

CloudDb::Transaction::~Transaction() {
  if (done_) return;
  --db_->tx_depth_;
  if (outer_) {
    sqlite3_exec(db_->db_, "ROLLBACK", nullptr, nullptr, nullptr);
  } else {
    db_->tx_failed_ = true;  // an inner scope gave up: the outer one must not commit
  }
}

}  // namespace spotkeeper::cloud
