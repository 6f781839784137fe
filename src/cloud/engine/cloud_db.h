// CloudDb: the local cloud's own SQLite database (one file in its data dir, WAL mode), with its
// own schema and a version table. The engine keeps its resources there (one JSON row per
// resource) and the SQS service its queues and messages, so that one transaction can change a
// resource and enqueue the event about it.
//
// Thread safety: one connection, guarded by a recursive mutex. A Transaction holds that mutex
// from Begin to Commit/destruction; Exec/Query outside a transaction take it per statement.
// Lock order for callers: engine mutex -> CloudDb -> SQS mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "common/status.h"

struct sqlite3;

namespace spotkeeper::cloud {

using DbValue = std::variant<std::nullptr_t, int64_t, std::string>;
using DbRow = std::vector<DbValue>;

class CloudDb {
 public:
  static constexpr int kSchemaVersion = 1;

  // Opens (creating when absent) the database at `path`; ":memory:" for tests. Creates or checks
  // the schema; FailedPrecondition for a file written by a newer schema.
  static Result<std::unique_ptr<CloudDb>> Open(const std::string& path, bool read_only = false);
  ~CloudDb();
  CloudDb(const CloudDb&) = delete;
  CloudDb& operator=(const CloudDb&) = delete;

  // Nested transactions join the outermost one; only the outermost commits.
  class Transaction {
   public:
    explicit Transaction(CloudDb* db);
    ~Transaction();  // rolls back when not committed
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    Status Commit();

   private:
    CloudDb* db_;
    std::unique_lock<std::recursive_mutex> lock_;
    bool outer_ = false;
    bool done_ = false;
  };

  Status Exec(const std::string& sql, const DbRow& binds = {});
  Status Query(const std::string& sql, const DbRow& binds,
               const std::function<void(const DbRow&)>& row);

  // Key/value metadata (prefix, first-start facts).
  Result<std::string> GetMeta(const std::string& key);  // "" when absent
  Status SetMeta(const std::string& key, const std::string& value);

  // Resources: (kind, id) -> JSON text.
  Status PutResource(const std::string& kind, const std::string& id, const std::string& json);
  Status DeleteResource(const std::string& id);
  Status LoadResources(const std::function<void(const std::string& kind, const std::string& id,
                                                const std::string& json)>& fn);

  std::recursive_mutex& mutex() { return mu_; }

 private:
  explicit CloudDb(sqlite3* db) : db_(db) {}
  Status Migrate();
  Status Error(const std::string& context) const;

  sqlite3* db_;
  std::recursive_mutex mu_;
  int tx_depth_ = 0;
  bool tx_failed_ = false;
};

}  // namespace spotkeeper::cloud
