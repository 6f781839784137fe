// PruneSelection: the rows one Store::Prune call deletes, chosen from a SQLite database (the
// store's own, or an EtcdStore's replica) so that every backend applies the same rules.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace spotkeeper {

struct PruneSelection {
  std::vector<int64_t> events;            // seq
  std::vector<int64_t> journal;           // seq
  std::vector<std::string> workflows;     // id; each with all of its journal in `journal`
  std::vector<std::string> resources;     // id
  std::vector<std::string> cloud_events;  // id
  bool more = false;                      // r.max_rows cut the selection short

  int64_t rows() const {
    return static_cast<int64_t>(events.size() + journal.size() + workflows.size() +
                                resources.size() + cloud_events.size());
  }
  PruneResult Counts() const;
};

// What `r` allows deleting now, at most r.max_rows rows (store.h: PruneRequest).
// REQUIRES: called inside a transaction of `db`, so the selection stays true until it commits
// (SqliteTransaction::SelectPrunable).
Result<PruneSelection> SelectPrunable(SqliteDb& db, const PruneRequest& r);

}  // namespace spotkeeper
