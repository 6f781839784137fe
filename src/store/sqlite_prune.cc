// Store::Prune for SqliteStore (and the selection EtcdStore shares): which rows of history may
// go, and deleting them. See store.h (PruneRequest) and docs/retention.md.
#include <algorithm>
#include <set>

#include "store/prune_selection.h"
#include "store/sqlite_store.h"
#include "store/sqlite_transaction.h"

namespace spotkeeper {
namespace {

// Finished workflows that may go: never running or failed ones, never the newest of an SSI.
constexpr const char* kPrunableWorkflows = R"sql(
SELECT w.id FROM workflows w
WHERE w.status IN ('succeeded', 'cancelled')
  AND (w.updated_at < ?1 OR w.created_at < ?2 OR (w.created_at = ?2 AND w.id <= ?3))
  AND (w.ssi_id IS NULL OR EXISTS (
        SELECT 1 FROM workflows n WHERE n.ssi_id = w.ssi_id
          AND (n.created_at > w.created_at OR (n.created_at = w.created_at AND n.id > w.id))))
ORDER BY w.created_at, w.id LIMIT ?4
)sql";

// The first column of every row of `sql` after `bind`.
template <typename T, typename Bind>
Result<std::vector<T>> Column(SqliteDb& db, const std::string& sql, Bind bind) {
  SK_ASSIGN_OR_RETURN(SqliteStatement stmt, db.Prepare(sql));
  bind(stmt);
  std::vector<T> out;
  while (true) {
    SK_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return out;
    if constexpr (std::is_same_v<T, int64_t>) {
      out.push_back(stmt.ColumnInt(0));
    } else {
      out.push_back(stmt.ColumnText(0));
    }
  }
}

Status SelectEvents(SqliteDb& db, const PruneRequest& r, int64_t budget, PruneSelection* out) {
  std::set<int64_t> seqs;
  if (r.events_keep > 0) {
    SK_ASSIGN_OR_RETURN(std::vector<int64_t> cut,
                        Column<int64_t>(db,
                                        "SELECT seq FROM events ORDER BY seq DESC LIMIT 1 "
                                        "OFFSET ?1",
                                        [&](SqliteStatement& s) { s.Bind(1, r.events_keep); }));
    if (!cut.empty()) {
      SK_ASSIGN_OR_RETURN(std::vector<int64_t> old,
                          Column<int64_t>(db,
                                          "SELECT seq FROM events WHERE seq <= ?1 ORDER BY "
                                          "seq LIMIT ?2",
                                          [&](SqliteStatement& s) {
                                            s.Bind(1, cut[0]);
                                            s.Bind(2, budget + 1);
                                          }));
      seqs.insert(old.begin(), old.end());
    }
  }
  if (r.events_before > kEpoch) {
    SK_ASSIGN_OR_RETURN(std::vector<int64_t> old,
                        Column<int64_t>(db,
                                        "SELECT seq FROM events WHERE at < ?1 ORDER BY at, "
                                        "seq LIMIT ?2",
                                        [&](SqliteStatement& s) {
                                          s.Bind(1, r.events_before);
                                          s.Bind(2, budget + 1);
                                        }));
    seqs.insert(old.begin(), old.end());
  }
  for (int64_t seq : seqs) {
    if (static_cast<int64_t>(out->events.size()) == budget) {
      out->more = true;
      break;
    }
    out->events.push_back(seq);
  }
  return OkStatus();
}

Status SelectWorkflows(SqliteDb& db, const PruneRequest& r, int64_t budget, PruneSelection* out) {
  if (r.workflows_before == kEpoch && r.workflows_keep <= 0) return OkStatus();
  Time cut_created = FromMillis(-1);
  std::string cut_id;
  if (r.workflows_keep > 0) {
    SK_ASSIGN_OR_RETURN(SqliteStatement cut,
                        db.Prepare("SELECT created_at, id FROM workflows WHERE status IN "
                                   "('succeeded', 'cancelled') ORDER BY created_at DESC, id DESC "
                                   "LIMIT 1 OFFSET ?1"));
    cut.Bind(1, r.workflows_keep);
    SK_ASSIGN_OR_RETURN(bool row, cut.Step());
    if (row) {
      cut_created = cut.ColumnTime(0);
      cut_id = cut.ColumnText(1);
    }
  }
  SK_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                      Column<std::string>(db, kPrunableWorkflows, [&](SqliteStatement& s) {
                        s.Bind(1, r.workflows_before);
                        s.Bind(2, cut_created);
                        s.Bind(3, cut_id);
                        s.Bind(4, budget + 1);
                      }));
  int64_t left = budget;
  for (const std::string& id : ids) {
    if (left <= 0) {
      out->more = true;
      return OkStatus();
    }
    // One more than fits tells whether the whole journal (and then the workflow) fits.
    SK_ASSIGN_OR_RETURN(std::vector<int64_t> seqs,
                        Column<int64_t>(db,
                                        "SELECT seq FROM journal WHERE workflow_id = ?1 "
                                        "ORDER BY seq LIMIT ?2",
                                        [&](SqliteStatement& s) {
                                          s.Bind(1, id);
                                          s.Bind(2, left);
                                        }));
    bool whole = static_cast<int64_t>(seqs.size()) < left;
    out->journal.insert(out->journal.end(), seqs.begin(), seqs.end());
    left -= static_cast<int64_t>(seqs.size());
    if (!whole) {
      out->more = true;
      return OkStatus();
    }
    out->workflows.push_back(id);
    --left;
  }
  return OkStatus();
}

// Rows of one simple rule: `sql` takes the cutoff as ?1 and the limit as ?2.
template <typename T>
Status SelectOlder(SqliteDb& db, const char* sql, Time before, int64_t budget, std::vector<T>* dst,
                   bool* more) {
  if (before == kEpoch) return OkStatus();
  if (budget <= 0) {
    *more = true;
    return OkStatus();
  }
  SK_ASSIGN_OR_RETURN(std::vector<T> rows, Column<T>(db, sql, [&](SqliteStatement& s) {
                        s.Bind(1, before);
                        s.Bind(2, budget + 1);
                      }));
  if (static_cast<int64_t>(rows.size()) > budget) {
    rows.resize(static_cast<size_t>(budget));
    *more = true;
  }
  *dst = std::move(rows);
  return OkStatus();
}

}  // namespace

PruneResult PruneSelection::Counts() const {
  PruneResult r;
  r.events = static_cast<int64_t>(events.size());
  r.journal_entries = static_cast<int64_t>(journal.size());
  r.workflows = static_cast<int64_t>(workflows.size());
  r.resources = static_cast<int64_t>(resources.size());
  r.cloud_events = static_cast<int64_t>(cloud_events.size());
  r.more = more;
  return r;
}

Result<PruneSelection> SelectPrunable(SqliteDb& db, const PruneRequest& r) {
  if (r.max_rows <= 0) {
    return InvalidArgument("store: prune max_rows must be positive, got " +
                           std::to_string(r.max_rows));
  }
  PruneSelection out;
  auto left = [&] { return r.max_rows - out.rows(); };
  SK_RETURN_IF_ERROR(SelectEvents(db, r, left(), &out));
  SK_RETURN_IF_ERROR(SelectWorkflows(db, r, left(), &out));
  SK_RETURN_IF_ERROR(SelectOlder(db,
                                 "SELECT id FROM resources WHERE status = 'deleted' AND "
                                 "updated_at < ?1 ORDER BY updated_at, id LIMIT ?2",
                                 r.resources_before, left(), &out.resources, &out.more));
  SK_RETURN_IF_ERROR(SelectOlder(db,
                                 "SELECT id FROM cloud_events_seen WHERE at < ?1 ORDER BY at, "
                                 "id LIMIT ?2",
                                 r.cloud_events_before, left(), &out.cloud_events, &out.more));
  return out;
}

Result<PruneSelection> SqliteTransaction::SelectPrunable(const PruneRequest& r) {
  SK_RETURN_IF_ERROR(CheckWritable());
  return spotkeeper::SelectPrunable(*db_, r);
}

Status SqliteTransaction::DeletePruned(const PruneSelection& sel) {
  SK_RETURN_IF_ERROR(CheckWritable());
  for (int64_t seq : sel.events) {
    SK_RETURN_IF_ERROR(Track(
        Write("DELETE FROM events WHERE seq = ?1", [&](SqliteStatement& s) { s.Bind(1, seq); })));
  }
  for (int64_t seq : sel.journal) {
    SK_RETURN_IF_ERROR(Track(
        Write("DELETE FROM journal WHERE seq = ?1", [&](SqliteStatement& s) { s.Bind(1, seq); })));
  }
  for (const std::string& id : sel.workflows) {
    SK_RETURN_IF_ERROR(Track(
        Write("DELETE FROM workflows WHERE id = ?1", [&](SqliteStatement& s) { s.Bind(1, id); })));
  }
  for (const std::string& id : sel.resources) {
    SK_RETURN_IF_ERROR(Track(
        Write("DELETE FROM resources WHERE id = ?1", [&](SqliteStatement& s) { s.Bind(1, id); })));
  }
  for (const std::string& id : sel.cloud_events) {
    SK_RETURN_IF_ERROR(Track(Write("DELETE FROM cloud_events_seen WHERE id = ?1",
                                   [&](SqliteStatement& s) { s.Bind(1, id); })));
  }
  return OkStatus();
}

Result<PruneResult> SqliteStore::Prune(const PruneRequest& r) {
  PruneResult result;
  {
    SK_ASSIGN_OR_RETURN(std::unique_ptr<SqliteTransaction> txn, BeginSqlite());
    SK_ASSIGN_OR_RETURN(PruneSelection sel, txn->SelectPrunable(r));
    result = sel.Counts();
    if (sel.rows() == 0) return result;  // the transaction rolls back: nothing to write
    SK_RETURN_IF_ERROR(txn->DeletePruned(sel));
    SK_RETURN_IF_ERROR(txn->Commit());
  }
  SK_RETURN_IF_ERROR(ReleaseFreePages());
  return result;
}

Status SqliteStore::ReleaseFreePages() {
  // REQUIRES (Prune's): this thread has no open transaction, so mu_ is not held.
  std::lock_guard<std::mutex> lock(mu_);
  {
    if (db_->in_memory()) return OkStatus();
    auto pragma = [&](const char* sql) -> Result<int64_t> {
      SK_ASSIGN_OR_RETURN(SqliteStatement q, db_->Prepare(sql));
      SK_ASSIGN_OR_RETURN(bool row, q.Step());
      return row ? q.ColumnInt(0) : 0;
    };
    SK_ASSIGN_OR_RETURN(int64_t mode, pragma("PRAGMA auto_vacuum"));
    if (mode != 2) return OkStatus();  // not incremental: SQLite reuses the free pages in place
    SK_ASSIGN_OR_RETURN(int64_t pages, pragma("PRAGMA page_count"));
    SK_ASSIGN_OR_RETURN(int64_t free_pages, pragma("PRAGMA freelist_count"));
    // Keep a quarter of the file free for the rows that replace the pruned ones; give the
    // rest back, a bounded number of pages at a time.
    int64_t excess = free_pages - pages / 4;
    if (excess <= kReleaseMinPages) return OkStatus();
    int64_t n = std::min(excess, kReleaseMaxPages);
    return db_->Exec("PRAGMA incremental_vacuum(" + std::to_string(n) + ")");
  }
}

}  // namespace spotkeeper
